SELECT stage, action, count(*) AS receivables, CAST(sum(outstanding_amount) AS BIGINT) AS outstanding
FROM marts.dunning_candidates WHERE as_of = $as_of GROUP BY ALL ORDER BY ALL
