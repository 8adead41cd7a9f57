-- rules: bank_allocation
-- A transfer still left is an overpayment of its customer: it lands whole on the customer's
-- newest BANK_TRANSFER receivable (due date, then id; paid or not, even one cancelled to
-- nothing), as bank_allocation does with what is left beyond every open receivable, so the
-- customer's account shows it (OVERPAID) and a refund can be decided. A number that belongs
-- to no customer pays nothing (UNMATCHED). After cross_channel: a transfer that pays another
-- order of the customer is not an overpayment.
WITH newest AS (
    SELECT match_key AS customer_number,
        arg_max(receivable_id, (due_date, receivable_id)) AS receivable_id,
        count(*) AS candidates
    FROM scope_receivables_as_of
    WHERE payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL
    GROUP BY match_key
)
SELECT
    n.receivable_id,
    l.settlement_line_id,
    'bank_allocation' AS rule,
    l.gross_amount AS matched_amount,
    n.candidates
FROM lines_left AS l
JOIN newest AS n ON n.customer_number = l.match_key
WHERE l.payment_method = 'BANK_TRANSFER' AND l.gross_amount > 0
