-- COD remittances: the customer paid 代引金額 to the carrier on the delivery day; the carrier's
-- fee is a fee. The key is the shipment's tracking number, its digits (staging.tracking_key).
SELECT
    source || ':' || tracking_no AS settlement_line_id,
    source,
    'COD' AS payment_method,
    staging.tracking_key(tracking_no) AS match_key,
    collected_amount AS gross_amount,
    fee AS fee_amount,
    CAST(delivered_on AS DATE) AS paid_date,
    'PAYMENT' AS line_type,
    1 AS version_rank,
    NULL AS payer_name,
    path,
    line_no,
    partition_date
FROM raw.cod
WHERE partition_date = $partition_date
