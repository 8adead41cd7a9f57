-- rules: bank_allocation
-- The customer's remaining transfers pay the remaining open BANK_TRANSFER receivables
-- oldest due date first (then id), the earliest transfer (paid date, then id) first: a
-- transfer may pay part of a receivable, or several. Set-based: a link is the overlap of
-- the transfers' and the receivables' running totals. What is left beyond every open
-- receivable is an overpayment on the newest one; a transfer of a customer with no open
-- receivable left is left to cross_channel, then to the overpayment rule. Open: not linked
-- by an earlier rule, an operator's manual_match aside (as in customer_sum).
WITH open_receivables AS (
    SELECT *,
        sum(expected_amount) OVER (
            PARTITION BY customer_number ORDER BY due_date, receivable_id) AS receivable_end,
        row_number() OVER (
            PARTITION BY customer_number ORDER BY due_date DESC, receivable_id DESC) = 1
            AS newest
    FROM bank_receivables
    WHERE NOT linked
),
open_totals AS (
    SELECT customer_number, sum(expected_amount) AS open_amount
    FROM open_receivables
    GROUP BY customer_number
),
transfers AS (
    SELECT settlement_line_id, match_key AS customer_number, gross_amount,
        sum(gross_amount) OVER (
            PARTITION BY match_key ORDER BY paid_date, settlement_line_id) AS line_end
    FROM lines_left
    WHERE payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL AND gross_amount > 0
),
allocated AS (
    SELECT
        r.receivable_id,
        l.settlement_line_id,
        greatest(0, least(l.line_end, r.receivable_end)
            - greatest(l.line_end - l.gross_amount, r.receivable_end - r.expected_amount))
            + CASE WHEN r.newest
                THEN greatest(0, l.line_end - greatest(l.line_end - l.gross_amount, t.open_amount))
                ELSE 0 END AS matched_amount,
        r.candidates
    FROM transfers AS l
    JOIN open_receivables AS r USING (customer_number)
    JOIN open_totals AS t USING (customer_number)
)
SELECT receivable_id, settlement_line_id, 'bank_allocation' AS rule, matched_amount, candidates
FROM allocated
WHERE matched_amount > 0
