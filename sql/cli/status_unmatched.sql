SELECT side, reason, count(*) AS items, CAST(sum(amount) AS BIGINT) AS amount
FROM marts.unmatched_items WHERE as_of = $as_of GROUP BY ALL ORDER BY ALL
