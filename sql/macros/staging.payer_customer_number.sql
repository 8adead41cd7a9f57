-- The 7-digit customer number in a Zengin payer name (振込依頼人名), as payers really type
-- it: first, with or without a separator (`1234567 ﾔﾏﾀﾞ ﾀﾛｳ`, `1234567ﾔﾏﾀﾞ ﾀﾛｳ`, `1234567-ﾔﾏﾀﾞ`),
-- or last after the name (`ﾔﾏﾀﾞ ﾀﾛｳ 1234567`); full-width digits count. Exactly seven digits
-- with no digit beside them: a longer number (a phone, an account) is no customer number, and
-- a name of kana alone never yields one. Whether the number belongs to a customer is decided
-- at matching (reconcile/settlement_status.sql): a number of nobody counts as none.
CREATE OR REPLACE MACRO staging.payer_customer_number(payer_name) AS
coalesce(
    nullif(regexp_extract(
        translate(payer_name, '０１２３４５６７８９', '0123456789'),
        '^[ 　]*([0-9]{7})(?:[^0-9]|$)', 1), ''),
    nullif(regexp_extract(
        translate(payer_name, '０１２３４５６７８９', '0123456789'),
        '(?:^|[^0-9])([0-9]{7})[ 　]*$', 1), '')
)
