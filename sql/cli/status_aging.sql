SELECT payment_method, aging_bucket, receivables, outstanding_amount
FROM marts.aging WHERE as_of = $as_of ORDER BY payment_method, aging_bucket
