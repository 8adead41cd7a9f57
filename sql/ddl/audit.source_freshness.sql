CREATE TABLE IF NOT EXISTS audit.source_freshness (
    partition_date DATE NOT NULL,
    source VARCHAR NOT NULL,
    expected_today BOOLEAN NOT NULL,
    files_today INTEGER NOT NULL,
    newest_file_on DATE,
    age_days INTEGER,
    max_age_days INTEGER NOT NULL,
    status VARCHAR NOT NULL,          -- FRESH | MISSING | STALE | NOT_IN_USE
    holds_dunning BOOLEAN NOT NULL
)
