-- rules: key_exact, key_difference
-- A line's key (order id, tracking number, konbini slip number: its match_key within its
-- payment method) names exactly one receivable: the line pays it. All lines of a receivable
-- are summed (splits, refunds, chargebacks), and the sum decides the rule of every one of
-- them: key_exact when it equals the expected amount, key_difference when not (short, over,
-- paid twice). A key that names several receivables (AMBIGUOUS_KEY) pays none. Bank
-- transfers carry a customer number, not an order key: the bank rules take them.
WITH keys AS (
    SELECT payment_method, match_key, count(*) AS candidates,
        min(receivable_id) AS receivable_id
    FROM scope_receivables_as_of
    WHERE match_key IS NOT NULL AND payment_method <> 'BANK_TRANSFER'
    GROUP BY payment_method, match_key
),
keyed AS (
    SELECT l.settlement_line_id, k.receivable_id, l.gross_amount, k.candidates
    FROM lines_left AS l
    JOIN keys AS k ON k.payment_method = l.payment_method AND k.match_key = l.match_key
    WHERE k.candidates = 1
),
keyed_totals AS (
    SELECT receivable_id, sum(gross_amount) AS paid_amount FROM keyed GROUP BY receivable_id
)
SELECT
    k.receivable_id,
    k.settlement_line_id,
    CASE WHEN t.paid_amount = r.expected_amount THEN 'key_exact' ELSE 'key_difference' END
        AS rule,
    k.gross_amount AS matched_amount,
    k.candidates
FROM keyed AS k
JOIN keyed_totals AS t USING (receivable_id)
JOIN scope_receivables_as_of AS r USING (receivable_id)
