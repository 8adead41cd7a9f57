-- The journal does not balance: slips of the day whose debits differ from their credits, the
-- day's totals, every line booked up to the day in total (a trial balance nets to zero, so a
-- line altered on any earlier day shows here every day after), and lines with a negative or
-- no amount (the 弥生 format takes neither).
WITH day_lines AS (
    SELECT * FROM marts.journal_lines WHERE partition_date = $day
),
slips AS (
    SELECT 'slip' AS scope, 'No.' || slip_no AS item, sum(debit_amount) AS debit,
        sum(credit_amount) AS credit
    FROM day_lines
    GROUP BY slip_no
    HAVING sum(debit_amount) <> sum(credit_amount)
),
amounts AS (
    SELECT 'line', 'No.' || slip_no || ' line ' || line_no, debit_amount, credit_amount
    FROM day_lines
    WHERE debit_amount < 0 OR credit_amount < 0 OR (debit_amount = 0 AND credit_amount = 0)
),
day_total AS (
    SELECT 'day', CAST(CAST($day AS DATE) AS VARCHAR), sum(debit_amount), sum(credit_amount)
    FROM day_lines
    HAVING sum(debit_amount) <> sum(credit_amount)
),
to_date AS (
    SELECT 'to date', 'every day up to ' || CAST(CAST($day AS DATE) AS VARCHAR),
        sum(debit_amount), sum(credit_amount)
    FROM marts.journal_lines
    WHERE partition_date <= $day
    HAVING sum(debit_amount) <> sum(credit_amount)
)
SELECT * FROM slips
UNION ALL SELECT * FROM amounts
UNION ALL SELECT * FROM day_total
UNION ALL SELECT * FROM to_date
ORDER BY ALL
