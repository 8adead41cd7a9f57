SELECT
    (SELECT count(*) FROM audit.file_manifest WHERE partition_date <= $as_of) AS files,
    (SELECT count(*) FROM audit.file_manifest WHERE partition_date <= $as_of AND status = 'DUPLICATE')
        AS duplicate_files,
    (SELECT count(*) FROM audit.file_manifest WHERE partition_date <= $as_of AND status = 'QUARANTINED')
        AS quarantined_files,
    (SELECT count(*) FROM quarantine.rejected_rows WHERE partition_date <= $as_of AND line_no > 0)
        AS quarantined_rows,
    (SELECT count(*) FROM exports.slip_requests WHERE partition_date <= $as_of) AS slip_requests_sent
