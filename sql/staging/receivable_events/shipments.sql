-- Order events as the receivable side needs them. CANCEL and RETURN carry the amounts to
-- take off as positive numbers, so their expected_delta is negative.
SELECT
    event_id,
    event_type,
    order_id,
    customer_id,
    customer_name,
    customer_kana,
    postal_code,
    address,
    phone,
    channel,
    payment_method,
    payment_ref,
    tracking_no,
    CAST(event_date AS DATE) AS event_date,
    CAST(due_date AS DATE) AS due_date,
    item_amount,
    shipping_fee,
    cod_fee,
    coupon_discount,
    points_used,
    (item_amount + shipping_fee + cod_fee - coupon_discount - points_used)
        * CASE WHEN event_type = 'SHIP' THEN 1 ELSE -1 END AS expected_delta,
    source,
    path,
    line_no,
    partition_date
FROM raw.shipments
WHERE partition_date = $partition_date
