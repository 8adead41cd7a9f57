-- One line of `recon run` output for a day.
SELECT
    (SELECT sum(rows_total) FROM audit.file_manifest WHERE partition_date = $day) AS rows_in,
    (SELECT count(*) FROM quarantine.rejected_rows WHERE partition_date = $day AND line_no > 0)
        AS rows_quarantined,
    (SELECT count(*) FROM audit.file_manifest WHERE partition_date = $day AND status = 'QUARANTINED')
        AS files_quarantined,
    (SELECT count(*) FROM marts.settlement_status WHERE as_of = $day AND status = 'MATCHED') AS matched,
    (SELECT count(*) FROM marts.unmatched_items WHERE as_of = $day) AS unmatched,
    (SELECT count(*) FROM marts.dunning_candidates WHERE as_of = $day) AS dunning_candidates,
    (SELECT count(*) FROM exports.slip_requests WHERE partition_date = $day) AS exported,
    (SELECT count(DISTINCT receivable_id) FROM marts.dunning_holds
        WHERE as_of = $day AND status = 'HELD') AS dunning_held_for_quarantine,
    (SELECT count(DISTINCT receivable_id) FROM marts.dunning_holds
        WHERE as_of = $day AND status = 'EXPIRED') AS quarantine_holds_expired
