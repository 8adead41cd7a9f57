-- The last day run that did not fail (the run calendar audit.runs): what every *_latest view
-- shows. One row, none before the first day run.
CREATE OR REPLACE VIEW audit.last_day_run AS
SELECT partition_date AS as_of, status, run_id
FROM audit.runs
WHERE status <> 'FAILED'
ORDER BY partition_date DESC
LIMIT 1
