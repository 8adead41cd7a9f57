-- Payer aliases kept by hand, as staged: the payer name normalized as a transfer's is
-- (recon_pipeline.kana), so an alias compares with a Zengin name; they apply from
-- max(decided_at, the day the file arrived) (staging.payer_aliases_as_of).
SELECT
    alias_row_id,
    action,
    payer_name,
    normalize_kana(payer_name) AS payer_kana,
    customer_number,
    note,
    decided_by,
    CAST(decided_at AS DATE) AS decided_at,
    source,
    path,
    line_no,
    partition_date
FROM raw.payer_aliases
WHERE partition_date = $partition_date
