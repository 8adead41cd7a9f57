-- Operators' dispositions in force as of a day: they apply from the later of decided_at and
-- the day their file arrived (never back-dated).
CREATE OR REPLACE MACRO staging.dispositions_as_of(as_of_date) AS TABLE
SELECT *, greatest(decided_at, partition_date) AS effective_on
FROM staging.dispositions
WHERE greatest(decided_at, partition_date) <= as_of_date
