-- The day's row of the run calendar (audit.runs): OK or HELD, and the morning's figures.
WITH held AS (
    SELECT string_agg(source || ' ' || status, ', ' ORDER BY source) AS held_by
    FROM audit.source_freshness
    WHERE partition_date = $day AND holds_dunning
)
SELECT
    CAST($day AS DATE) AS partition_date,
    CASE WHEN (SELECT held_by FROM held) IS NULL THEN 'OK' ELSE 'HELD' END AS status,
    CAST($run_id AS VARCHAR) AS run_id,
    (SELECT held_by FROM held) AS held_by,
    (SELECT count(*) FROM audit.file_manifest WHERE partition_date = $day) AS files_in,
    (SELECT coalesce(sum(rows_total), 0) FROM audit.file_manifest WHERE partition_date = $day)
        AS rows_in,
    (SELECT count(*) FROM audit.file_manifest
        WHERE partition_date = $day AND status = 'QUARANTINED') AS files_quarantined,
    (SELECT count(*) FROM quarantine.rejected_rows WHERE partition_date = $day AND line_no > 0)
        AS rows_quarantined,
    (SELECT count(*) FROM marts.unmatched_items WHERE as_of = $day) AS exceptions_open,
    (SELECT count(*) FROM marts.dunning_candidates WHERE as_of = $day) AS dunning_issued,
    (SELECT count(*) FROM exports.slip_requests WHERE partition_date = $day) AS slips_exported,
    CAST(NULL AS VARCHAR) AS failure,
    now()::TIMESTAMP AS recorded_at
