-- Outstanding by payment method and aging bucket as of the last day run: every bucket of
-- every method with receivables that day, 0 where nothing is outstanding, with its order.
CREATE OR REPLACE VIEW marts.aging_latest AS
WITH methods AS (
    SELECT DISTINCT r.as_of, r.payment_method
    FROM marts.receivables AS r
    JOIN audit.last_day_run AS d ON r.as_of = d.as_of
)
SELECT
    m.as_of,
    m.payment_method,
    b.bucket_order,
    b.aging_bucket,
    coalesce(a.receivables, 0) AS receivables,
    coalesce(a.outstanding_amount, 0) AS outstanding_amount
FROM methods AS m
CROSS JOIN marts.aging_buckets AS b
LEFT JOIN marts.aging AS a
    ON a.as_of = m.as_of AND a.payment_method = m.payment_method
    AND a.aging_bucket = b.aging_bucket
