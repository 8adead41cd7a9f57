-- Outstanding receivables by payment method and aging bucket (original due date).
SELECT
    CAST($as_of AS DATE) AS as_of,
    payment_method,
    aging_bucket,
    count(*) AS receivables,
    sum(outstanding_amount) AS outstanding_amount
FROM marts.receivables
WHERE as_of = $as_of AND outstanding_amount > 0
GROUP BY payment_method, aging_bucket
