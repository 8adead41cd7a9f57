-- Bank transfers into the shop's account. The payer is asked to type the 7-digit customer
-- number before the name; real payers also type it without a space or after the name
-- (staging.payer_customer_number): that number is the key (customer, not order). A notice
-- with 取消区分 1 cancels the earlier one with the same 照会番号 on the same account (same line
-- id, higher rank); blank, space or 0 is a normal notice.
SELECT
    source || ':' || bank_code || '-' || branch_code || '-' || account_number || ':'
        || reference_no AS settlement_line_id,
    source,
    'BANK_TRANSFER' AS payment_method,
    staging.payer_customer_number(payer_name) AS match_key,
    amount AS gross_amount,
    0 AS fee_amount,
    CAST(account_date AS DATE) AS paid_date,
    CASE WHEN cancel_flag = '1' THEN 'BANK_CANCEL' ELSE 'PAYMENT' END AS line_type,
    CASE WHEN cancel_flag = '1' THEN 2 ELSE 1 END AS version_rank,
    payer_name,
    path,
    line_no,
    partition_date
FROM raw.bank
WHERE partition_date = $partition_date
