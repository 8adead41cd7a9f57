-- Amazon settlements at the staged grain: one line per (settlement, order, transaction type,
-- posted date). Customer-side gross = ItemPrice + Promotion rows; every other amount (item
-- fees, other transactions) is a fee, its sign turned so that money to Amazon is positive.
-- Rows without an order (other-transaction) are one fee line per description and day.
WITH item_rows AS (
    SELECT *, coalesce(order_id, amount_description) AS line_key
    FROM raw.amazon
    WHERE partition_date = $partition_date
)
SELECT
    source || ':' || settlement_id || ':' || line_key || ':' || transaction_type || ':'
        || strftime(posted_date, '%Y%m%d') AS settlement_line_id,
    source,
    'MALL' AS payment_method,
    any_value(order_id) AS match_key,
    coalesce(sum(amount) FILTER (WHERE amount_type IN ('ItemPrice', 'Promotion')), 0)
        AS gross_amount,
    -coalesce(sum(amount) FILTER (WHERE amount_type NOT IN ('ItemPrice', 'Promotion')), 0)
        AS fee_amount,
    CAST(posted_date AS DATE) AS paid_date,
    CASE transaction_type WHEN 'Order' THEN 'CHARGE' WHEN 'Refund' THEN 'REFUND' ELSE 'FEE' END
        AS line_type,
    1 AS version_rank,
    NULL AS payer_name,
    path,
    min(line_no) AS line_no,
    partition_date
FROM item_rows
GROUP BY source, settlement_id, line_key, transaction_type, posted_date, path, partition_date
