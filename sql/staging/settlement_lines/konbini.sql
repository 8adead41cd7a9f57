-- Konbini collections: one payment = one barcode collected at one time on one day. 速報 (01),
-- 速報取消 (03) and 確報 (02) of it share the settlement_line_id; the rank makes 確報 final
-- and 取消 void a 速報. The key is the order's payment_ref, barcode digits 14-29.
SELECT
    source || ':' || barcode || ':' || strftime(collected_on, '%Y%m%d') || ':'
        || lpad(collected_at, 4, '0') AS settlement_line_id,
    source,
    'KONBINI' AS payment_method,
    substr(barcode, 14, 16) AS match_key,
    amount AS gross_amount,
    0 AS fee_amount,
    CAST(collected_on AS DATE) AS paid_date,
    CASE record_kind
        WHEN '01' THEN 'KONBINI_PRELIM'
        WHEN '02' THEN 'KONBINI_CONFIRMED'
        ELSE 'KONBINI_CANCEL'
    END AS line_type,
    CASE record_kind WHEN '01' THEN 1 WHEN '03' THEN 2 ELSE 3 END AS version_rank,
    NULL AS payer_name,
    path,
    line_no,
    partition_date
FROM raw.konbini
WHERE partition_date = $partition_date
