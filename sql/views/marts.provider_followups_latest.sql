-- marts.provider_followups as of the last day run (audit.last_day_run), not the last day it had rows.
CREATE OR REPLACE VIEW marts.provider_followups_latest AS
SELECT t.*
FROM marts.provider_followups AS t
JOIN audit.last_day_run AS d ON t.as_of = d.as_of
