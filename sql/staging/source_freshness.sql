-- The freshness gate for the day: did every settlement source in use deliver what its
-- calendar (config.deliveries) expects? A source is MISSING on a weekday it delivers with no
-- loaded file that day, STALE when its newest loaded file is older than its allowance, and
-- NOT_IN_USE until its first delivery. Quarantined files and re-sent bytes are no delivery:
-- they say nothing about today's payments (an empty report repeated is, see below). Any
-- MISSING or STALE source holds the day's dunning and slip export (a missing file is not
-- "nobody paid").
WITH deliveries AS (
    -- a loaded file, or an empty report (header, no data rows) that repeats the bytes of an
    -- earlier empty one: "nothing was paid" looks the same every day
    SELECT m.source, m.partition_date, m.status
    FROM audit.file_manifest AS m
    LEFT JOIN audit.file_manifest AS first
        ON first.path = m.duplicate_of AND first.status = 'LOADED' AND first.rows_total = 0
    WHERE m.partition_date <= $partition_date
        AND (m.status = 'LOADED' OR (m.status = 'DUPLICATE' AND first.path IS NOT NULL))
),
delivered AS (
    SELECT
        source,
        max(partition_date) AS newest_file_on,
        count(*) FILTER (WHERE partition_date = $partition_date) AS files_today
    FROM deliveries
    GROUP BY source
),
in_use AS (
    SELECT source, min(partition_date) AS first_delivery_on
    FROM audit.file_manifest
    WHERE partition_date <= $partition_date
    GROUP BY source
),
judged AS (
    SELECT
        c.source,
        list_contains(c.weekdays, upper(strftime(CAST($partition_date AS DATE), '%a'))) AS expected_today,
        coalesce(d.files_today, 0) AS files_today,
        d.newest_file_on,
        CAST($partition_date AS DATE) - d.newest_file_on AS age_days,
        c.max_age_days,
        u.first_delivery_on
    FROM config.deliveries AS c
    LEFT JOIN delivered AS d USING (source)
    LEFT JOIN in_use AS u USING (source)
)
SELECT
    CAST($partition_date AS DATE) AS partition_date,
    source,
    expected_today,
    files_today,
    newest_file_on,
    age_days,
    max_age_days,
    CASE
        WHEN first_delivery_on IS NULL THEN 'NOT_IN_USE'
        WHEN expected_today AND files_today = 0 THEN 'MISSING'
        WHEN newest_file_on IS NULL OR age_days > max_age_days THEN 'STALE'
        ELSE 'FRESH'
    END AS status,
    status IN ('MISSING', 'STALE') AS holds_dunning
FROM judged
ORDER BY source
