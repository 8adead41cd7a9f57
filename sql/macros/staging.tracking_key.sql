-- A carrier tracking number as a key: shops and carriers write the same 12 digits as
-- `123456789012`, `1234-5678-9012` or in full-width digits; only the digits identify it.
CREATE OR REPLACE MACRO staging.tracking_key(tracking_no) AS
nullif(regexp_replace(
    translate(tracking_no, '０１２３４５６７８９－', '0123456789-'), '[- 　]', '', 'g'), '')
