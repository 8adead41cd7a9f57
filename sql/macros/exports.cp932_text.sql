-- A text field of a CP932 CSV file that needs no quoting: commas and double quotes become
-- their full-width forms, control characters (tab, line breaks) spaces.
CREATE OR REPLACE MACRO exports.cp932_text(value) AS
regexp_replace(translate(coalesce(value, ''), ',"', '，＂'), '[\x00-\x1f\x7f]', ' ', 'g')
