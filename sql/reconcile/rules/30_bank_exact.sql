-- rules: bank_exact
-- A bank transfer carries the customer number typed in the payer name (layouts.md § bank),
-- which is the match_key of the customer's BANK_TRANSFER receivables. A transfer whose
-- amount equals one open receivable of that customer pays it: the customer paid that order.
-- Several transfers and receivables of one amount are paired in order, the earliest transfer
-- (paid date, then id) with the oldest receivable (due date, then id), by rank within
-- (customer, amount). candidates: the customer's BANK_TRANSFER receivables.
WITH open_receivables AS (
    SELECT *, row_number() OVER (
        PARTITION BY customer_number, expected_amount ORDER BY due_date, receivable_id)
            AS amount_rank
    FROM bank_receivables
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
    r.receivable_id,
    l.settlement_line_id,
    'bank_exact' AS rule,
    l.gross_amount AS matched_amount,
    r.candidates
FROM transfers AS l
JOIN open_receivables AS r
    ON r.customer_number = l.customer_number AND r.expected_amount = l.gross_amount
    AND r.amount_rank = l.amount_rank
