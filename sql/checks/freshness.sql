-- Settlement sources that hold the day's dunning and slips (none = every source delivered).
SELECT partition_date, source, status, newest_file_on, age_days, max_age_days
FROM audit.source_freshness
WHERE partition_date = $day AND holds_dunning
ORDER BY source
