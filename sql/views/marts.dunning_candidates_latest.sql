-- marts.dunning_candidates as of the last day run (audit.last_day_run), not the last day it had rows.
CREATE OR REPLACE VIEW marts.dunning_candidates_latest AS
SELECT t.*
FROM marts.dunning_candidates AS t
JOIN audit.last_day_run AS d ON t.as_of = d.as_of
