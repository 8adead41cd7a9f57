-- Files whose rows do not add up: rows_total must equal rows in the raw tables (counted
-- there, not trusted from the manifest) plus rows in quarantine.
-- raw_counts (partition_date, path, rows_in_raw) is a temp view the check registers over
-- every raw.<family>.
WITH raw_rows AS (
    SELECT path, sum(rows_in_raw) AS rows_in_raw FROM raw_counts
    WHERE partition_date = $day
    GROUP BY path
),
quarantined AS (
    SELECT path, count(*) FILTER (WHERE line_no > 0) AS rows_rejected,
        count(*) FILTER (WHERE line_no = 0) AS whole_file
    FROM quarantine.rejected_rows
    WHERE partition_date = $day
    GROUP BY path
)
SELECT m.path, m.status, m.rows_total, coalesce(r.rows_in_raw, 0) AS rows_in_raw,
    coalesce(q.rows_rejected, 0) AS rows_rejected
FROM audit.file_manifest AS m
LEFT JOIN raw_rows AS r USING (path)
LEFT JOIN quarantined AS q USING (path)
WHERE m.partition_date = $day
    AND (
        (m.status = 'LOADED'
            AND m.rows_total <> coalesce(r.rows_in_raw, 0) + coalesce(q.rows_rejected, 0))
        OR (m.status = 'QUARANTINED' AND coalesce(q.whole_file, 0) <> 1)
        OR (m.status IN ('QUARANTINED', 'DUPLICATE', 'REFUSED') AND coalesce(r.rows_in_raw, 0) > 0)
    )
