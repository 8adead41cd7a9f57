-- BNPL settlements: the provider guarantees the sale, so it counts from the day the file
-- reports it (入金予定日 is the provider's payout, not the customer's payment). A 取消 carries
-- negative amounts, its fee refunded.
SELECT
    source || ':' || provider_transaction_id AS settlement_line_id,
    source,
    'BNPL' AS payment_method,
    order_id AS match_key,
    billed_amount AS gross_amount,
    fee AS fee_amount,
    partition_date AS paid_date,
    CASE transaction_kind WHEN '取消' THEN 'REFUND' ELSE 'CHARGE' END AS line_type,
    1 AS version_rank,
    NULL AS payer_name,
    path,
    line_no,
    partition_date
FROM raw.bnpl
WHERE partition_date = $partition_date
