-- Every disposition in force as of the day, APPLIED or REJECTED with the reason: an unknown
-- receivable or settlement line, a line another disposition matched first, a release with
-- no dispute or ship hold, a write-off with nothing open. A rejected one changes nothing.
WITH dispositions AS (
    SELECT * FROM staging.dispositions_as_of($as_of)
),
receivables AS (
    SELECT receivable_id, written_off_amount FROM marts.receivables WHERE as_of = $as_of
),
lines AS (
    -- the lines dispositions name that are known as of the day
    SELECT DISTINCT settlement_line_id
    FROM staging.settlement_lines
    WHERE partition_date <= $as_of AND paid_date <= $as_of
        AND settlement_line_id IN (SELECT settlement_line_id FROM dispositions)
),
first_manual AS (
    SELECT settlement_line_id, arg_min(disposition_id, (effective_on, disposition_id)) AS first_id
    FROM dispositions
    WHERE action = 'MANUAL_MATCH'
    GROUP BY settlement_line_id
),
disputed AS (
    SELECT d.disposition_id,
        EXISTS (
            SELECT 1 FROM dispositions AS e
            WHERE e.action = 'DISPUTE' AND e.receivable_id = d.receivable_id
                AND (e.effective_on, e.disposition_id) < (d.effective_on, d.disposition_id)
        ) AS had_dispute,
        EXISTS (
            SELECT 1 FROM marts.blacklistings_as_of($as_of) AS b
            WHERE b.receivable_id = d.receivable_id AND b.since <= d.effective_on
        ) AS had_hold
    FROM dispositions AS d
    WHERE d.action = 'RELEASE'
)
SELECT
    CAST($as_of AS DATE) AS as_of,
    d.disposition_id,
    d.action,
    d.receivable_id,
    d.settlement_line_id,
    d.effective_on,
    CASE WHEN reason IS NULL THEN 'APPLIED' ELSE 'REJECTED' END AS status,
    reason
FROM (
    SELECT
        d.*,
        CASE
            WHEN d.receivable_id IS NOT NULL AND r.receivable_id IS NULL
                THEN 'unknown receivable_id ' || d.receivable_id
            WHEN d.settlement_line_id IS NOT NULL AND l.settlement_line_id IS NULL
                THEN 'unknown settlement_line_id ' || d.settlement_line_id
            WHEN d.action = 'MANUAL_MATCH' AND f.first_id <> d.disposition_id
                THEN 'the line was already matched by disposition ' || f.first_id
            WHEN d.action = 'RELEASE' AND NOT coalesce(x.had_dispute OR x.had_hold, false)
                THEN 'no dispute or ship hold to release'
            WHEN d.action = 'WRITE_OFF' AND r.written_off_amount = 0
                THEN 'nothing open to write off'
        END AS reason
    FROM dispositions AS d
    LEFT JOIN receivables AS r USING (receivable_id)
    LEFT JOIN lines AS l USING (settlement_line_id)
    LEFT JOIN first_manual AS f USING (settlement_line_id)
    LEFT JOIN disputed AS x USING (disposition_id)
) AS d
