-- What a settlement line carries to pay a receivable of the method: the tracking number for
-- COD (its digits: staging.tracking_key), the slip number for KONBINI, the customer number
-- for BANK_TRANSFER, else the order id.
CREATE OR REPLACE MACRO staging.match_key(payment_method, order_id, payment_ref, tracking_no) AS
CASE payment_method
    WHEN 'COD' THEN staging.tracking_key(tracking_no)
    WHEN 'KONBINI' THEN payment_ref
    WHEN 'BANK_TRANSFER' THEN payment_ref
    ELSE order_id
END
