-- rules: customer_sum
-- A transfer equal to the sum of all the customer's open BANK_TRANSFER receivables that
-- the earlier rules left (two or more) pays all of them: the customer paid their orders in
-- one transfer. Of several such transfers, the earliest (paid date, then id) pays; the
-- others are left to the next rules. A receivable an operator matched (manual_match) stays
-- open to the customer's numbered transfers: the operator linked one named line, not all
-- the customer paid.
WITH open_receivables AS (
    SELECT * FROM bank_receivables WHERE NOT linked
),
open_totals AS (
    SELECT customer_number, sum(expected_amount) AS open_amount, count(*) AS open_receivables
    FROM open_receivables
    GROUP BY customer_number
),
sum_line AS (
    SELECT l.match_key AS customer_number,
        arg_min(l.settlement_line_id, (l.paid_date, l.settlement_line_id))
            AS settlement_line_id
    FROM lines_left AS l
    JOIN open_totals AS t
        ON t.customer_number = l.match_key AND t.open_amount = l.gross_amount
        AND t.open_receivables > 1
    WHERE l.payment_method = 'BANK_TRANSFER' AND l.gross_amount > 0
    GROUP BY l.match_key
)
SELECT
    r.receivable_id,
    s.settlement_line_id,
    'customer_sum' AS rule,
    r.expected_amount AS matched_amount,
    r.candidates
FROM sum_line AS s
JOIN open_receivables AS r USING (customer_number)
