-- How many characters of a text take two bytes in CP932: all but ASCII and half-width kana
-- (a character CP932 lacks is written as 〓, two bytes, too).
CREATE OR REPLACE MACRO exports.cp932_wide(value) AS
length(value) - length(regexp_replace(value, '[^\x00-\x7f\x{ff61}-\x{ff9f}]', '', 'g'))
