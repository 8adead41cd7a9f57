SELECT status, count(*) AS receivables, CAST(sum(expected_amount) AS BIGINT) AS expected,
    CAST(sum(paid_amount) AS BIGINT) AS paid, CAST(sum(outstanding_amount) AS BIGINT) AS outstanding
FROM marts.receivables WHERE as_of = $as_of GROUP BY status ORDER BY status
