-- The longest start of a text that fits max_bytes in CP932 (弥生会計 cuts what is longer on
-- import; this cuts between characters, never inside one): of the first max_bytes
-- characters, as many as leave room for their two-byte ones.
CREATE OR REPLACE MACRO exports.cp932_left(value, max_bytes) AS
CASE
    WHEN length(value) + exports.cp932_wide(value) <= max_bytes THEN value
    ELSE left(value, max_bytes - exports.cp932_wide(left(value, max_bytes)))
END
