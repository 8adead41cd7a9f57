-- rules: cross_channel
-- scope: links
-- A transfer the bank rules left whose amount equals another order of the same customer
-- (paid at a konbini or by card, say) lands on that order: it was paid twice
-- (DOUBLE_PAYMENT), not two separate truths. The customer number is known from the
-- customer's BANK_TRANSFER orders. Several transfers and orders of one amount are paired in
-- order (the earliest transfer with the oldest order), by rank within (number, amount).
-- The link joins a line and a receivable of different keys, so the scope follows it
-- (scope: links) and reaches such orders from the number's transfers
-- (sql/reconcile/scope/receivables.sql).
WITH customer_numbers AS (
    SELECT DISTINCT match_key AS customer_number, customer_id
    FROM scope_receivables_as_of
    WHERE payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL
),
other_orders AS (
    SELECT n.customer_number, r.receivable_id, r.expected_amount,
        row_number() OVER (
            PARTITION BY n.customer_number, r.expected_amount ORDER BY r.due_date, r.receivable_id
        ) AS amount_rank
    FROM scope_receivables_as_of AS r
    JOIN customer_numbers AS n USING (customer_id)
    WHERE r.payment_method <> 'BANK_TRANSFER' AND r.expected_amount > 0
),
transfers AS (
    SELECT settlement_line_id, match_key AS customer_number, gross_amount,
        row_number() OVER (
            PARTITION BY match_key, gross_amount ORDER BY paid_date, settlement_line_id)
            AS amount_rank
    FROM lines_left
    WHERE payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL AND gross_amount > 0
)
SELECT
    o.receivable_id,
    l.settlement_line_id,
    'cross_channel' AS rule,
    l.gross_amount AS matched_amount,
    1 AS candidates
FROM transfers AS l
JOIN other_orders AS o
    ON o.customer_number = l.customer_number AND o.expected_amount = l.gross_amount
    AND o.amount_rank = l.amount_rank
