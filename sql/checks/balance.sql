-- Receivables (and the day's total) breaking expected − paid − written off = outstanding,
-- or whose paid amount (+ what was refunded) differs from the sum of their matches.
WITH matched AS (
    SELECT receivable_id, sum(matched_amount) AS matched_amount
    FROM marts.matches
    WHERE as_of = $day
    GROUP BY receivable_id
),
per_receivable AS (
    SELECT r.receivable_id, r.expected_amount, r.paid_amount, r.written_off_amount,
        r.outstanding_amount, coalesce(m.matched_amount, 0) AS matched_amount
    FROM marts.receivables AS r
    LEFT JOIN matched AS m USING (receivable_id)
    WHERE r.as_of = $day
        AND (r.expected_amount - r.paid_amount - r.written_off_amount <> r.outstanding_amount
            OR r.paid_amount + r.refunded_amount <> coalesce(m.matched_amount, 0))
),
orphans AS (
    SELECT m.receivable_id, NULL, NULL, NULL, NULL, m.matched_amount
    FROM matched AS m
    WHERE m.receivable_id NOT IN (SELECT receivable_id FROM marts.receivables WHERE as_of = $day)
),
totals AS (
    SELECT 'TOTAL' AS receivable_id, sum(expected_amount), sum(paid_amount),
        sum(written_off_amount), sum(outstanding_amount), NULL
    FROM marts.receivables
    WHERE as_of = $day
    HAVING sum(expected_amount) - sum(paid_amount) - sum(written_off_amount)
        <> sum(outstanding_amount)
)
SELECT * FROM per_receivable
UNION ALL SELECT * FROM orphans
UNION ALL SELECT * FROM totals
