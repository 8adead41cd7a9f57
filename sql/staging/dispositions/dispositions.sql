-- Operators' decisions as staged; they apply from max(decided_at, the day the file arrived).
SELECT
    disposition_id,
    action,
    receivable_id,
    settlement_line_id,
    amount,
    note,
    decided_by,
    CAST(decided_at AS DATE) AS decided_at,
    source,
    path,
    line_no,
    partition_date
FROM raw.dispositions
WHERE partition_date = $partition_date
