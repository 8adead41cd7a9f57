-- One line of `recon run` output for a day: the day's own figures, then totals as of the day.
-- $started: when this run started; slip requests sent before it went out on an earlier run.
SELECT
    (SELECT count(*) FROM audit.file_manifest WHERE partition_date = $day) AS files_in,
    (SELECT sum(rows_total) FROM audit.file_manifest WHERE partition_date = $day) AS rows_in,
    (SELECT count(*) FROM quarantine.rejected_rows WHERE partition_date = $day AND line_no > 0)
        AS rows_quarantined,
    (SELECT count(*) FROM audit.file_manifest WHERE partition_date = $day AND status = 'QUARANTINED')
        AS files_quarantined,
    (SELECT count(*) FROM marts.dunning_candidates WHERE as_of = $day) AS dunning_issued,
    (SELECT count(*) FROM exports.slip_requests WHERE partition_date = $day AND sent_at >= $started)
        AS slips_sent,
    (SELECT count(*) FROM exports.slip_requests WHERE partition_date = $day AND sent_at < $started)
        AS slips_sent_before,
    (SELECT count(*) FROM marts.settlement_status WHERE as_of = $day AND status = 'MATCHED')
        AS lines_matched,
    (SELECT count(*) FROM marts.unmatched_items WHERE as_of = $day) AS exceptions_open,
    (SELECT count(DISTINCT receivable_id) FROM marts.dunning_holds
        WHERE as_of = $day AND status = 'HELD') AS dunning_held_for_quarantine,
    (SELECT count(DISTINCT receivable_id) FROM marts.dunning_holds
        WHERE as_of = $day AND status = 'EXPIRED') AS quarantine_holds_expired
