SELECT s.source, s.status, coalesce(m.rule, '') AS rule, count(*) AS lines,
    CAST(sum(s.gross_amount) AS BIGINT) AS gross
FROM marts.settlement_status AS s
LEFT JOIN marts.matches AS m ON m.as_of = s.as_of AND m.settlement_line_id = s.settlement_line_id
WHERE s.as_of = $as_of GROUP BY ALL ORDER BY ALL
