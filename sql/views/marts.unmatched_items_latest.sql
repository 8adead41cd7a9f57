-- marts.unmatched_items as of the last day run (audit.last_day_run), not the last day it had rows.
CREATE OR REPLACE VIEW marts.unmatched_items_latest AS
SELECT t.*
FROM marts.unmatched_items AS t
JOIN audit.last_day_run AS d ON t.as_of = d.as_of
