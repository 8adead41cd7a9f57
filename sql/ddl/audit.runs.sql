-- The run calendar: one row per day run, with its status, the run that ran it last and the
-- figures of the morning questions. The last day run is max(partition_date); the days that
-- need a look are those not OK.
CREATE TABLE IF NOT EXISTS audit.runs (
    partition_date DATE NOT NULL,     -- the day run
    status VARCHAR NOT NULL,          -- OK; HELD: a settlement source missing or stale, no dunning or slips; FAILED
    run_id VARCHAR NOT NULL,          -- the Dagster run that ran the day last
    held_by VARCHAR,                  -- HELD: the sources that held it, e.g. 'bank MISSING'
    files_in BIGINT,
    rows_in BIGINT,
    files_quarantined BIGINT,
    rows_quarantined BIGINT,          -- rejected rows (a file quarantined whole counts in files_quarantined)
    exceptions_open BIGINT,           -- rows of marts.unmatched_items as of the day
    dunning_issued BIGINT,            -- rows of marts.dunning_candidates as of the day
    slips_exported BIGINT,            -- slip requests sent for the day (exports.slip_requests)
    failure VARCHAR,                  -- FAILED: why, in one line
    recorded_at TIMESTAMP NOT NULL
)
