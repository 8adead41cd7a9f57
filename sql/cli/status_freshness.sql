SELECT source, status, files_today, newest_file_on, age_days, max_age_days
FROM audit.source_freshness WHERE partition_date = $as_of AND status <> 'NOT_IN_USE'
ORDER BY source
