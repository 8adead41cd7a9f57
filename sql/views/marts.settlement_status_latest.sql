-- Every settlement line's status as of the last day run, with its payer name as the file
-- spells it and where it was read (file and line of the winning record of
-- staging.settlement_lines: the highest version_rank, as reconcile reads it).
CREATE OR REPLACE VIEW marts.settlement_status_latest AS
WITH lines AS (
    SELECT
        l.settlement_line_id,
        arg_max(l.payer_name, (l.version_rank, l.partition_date, l.path, l.line_no))
            AS payer_name,
        arg_max(l.path, (l.version_rank, l.partition_date, l.path, l.line_no)) AS path,
        arg_max(l.line_no, (l.version_rank, l.partition_date, l.path, l.line_no)) AS line_no
    FROM staging.settlement_lines AS l
    JOIN audit.last_day_run AS d ON l.partition_date <= d.as_of
    GROUP BY l.settlement_line_id
)
SELECT s.*, l.payer_name, l.path, l.line_no
FROM marts.settlement_status AS s
JOIN audit.last_day_run AS d ON s.as_of = d.as_of
LEFT JOIN lines AS l USING (settlement_line_id)
