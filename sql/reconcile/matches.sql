-- Key rules of the matching waterfall as of a day. A line's key must name exactly one
-- receivable; all lines of a receivable are summed (splits, refunds, chargebacks) and the
-- sum decides key_exact or key_difference. BANK_TRANSFER keys are customer numbers, not
-- order keys, and are allocated by their own rules.
WITH receivables AS (
    SELECT * FROM staging.receivables_as_of($as_of)
),
keys AS (
    SELECT payment_method, match_key, count(*) AS candidates, min(receivable_id) AS receivable_id
    FROM receivables
    WHERE match_key IS NOT NULL AND payment_method <> 'BANK_TRANSFER'
    GROUP BY payment_method, match_key
),
keyed AS (
    SELECT l.settlement_line_id, k.receivable_id, l.gross_amount, k.candidates
    FROM staging.settlement_lines_as_of($as_of) AS l
    JOIN keys AS k ON k.payment_method = l.payment_method AND k.match_key = l.match_key
    WHERE l.line_type NOT IN ('FEE', 'KONBINI_CANCEL', 'BANK_CANCEL') AND k.candidates = 1
),
totals AS (
    SELECT receivable_id, sum(gross_amount) AS paid_amount
    FROM keyed
    GROUP BY receivable_id
)
SELECT
    CAST($as_of AS DATE) AS as_of,
    k.receivable_id,
    k.settlement_line_id,
    CASE WHEN t.paid_amount = r.expected_amount THEN 'key_exact' ELSE 'key_difference' END AS rule,
    k.gross_amount AS matched_amount,
    r.expected_amount - t.paid_amount AS amount_delta,
    k.candidates
FROM keyed AS k
JOIN totals AS t USING (receivable_id)
JOIN receivables AS r USING (receivable_id)
