-- The key a quarantined settlement row names its receivable by, read from the column its
-- contract declares (payment_key): what the row's staged line would carry as match_key.
CREATE OR REPLACE MACRO staging.payment_key(key_kind, key_text) AS
CASE key_kind
    WHEN 'order_id' THEN nullif(key_text, '')
    WHEN 'tracking_no' THEN staging.tracking_key(key_text)
    WHEN 'slip_number' THEN nullif(substr(regexp_replace(key_text, '^EAN', ''), 14, 16), '')
    WHEN 'customer_number' THEN staging.payer_customer_number(key_text)
END
