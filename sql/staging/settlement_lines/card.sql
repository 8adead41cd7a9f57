-- Card gateway balance transactions: charges, refunds and chargebacks of one order share its
-- key and are summed; `fee` rows are fees only.
SELECT
    source || ':' || balance_transaction_id AS settlement_line_id,
    source,
    'CARD' AS payment_method,
    order_id AS match_key,
    gross AS gross_amount,
    fee AS fee_amount,
    CAST(created AS DATE) AS paid_date,
    upper(reporting_category) AS line_type,
    1 AS version_rank,
    NULL AS payer_name,
    path,
    line_no,
    partition_date
FROM raw.card
WHERE partition_date = $partition_date
