CREATE TABLE IF NOT EXISTS quarantine.rejected_rows (
    partition_date DATE NOT NULL,
    source VARCHAR NOT NULL,
    layout VARCHAR,
    path VARCHAR NOT NULL,
    line_no BIGINT NOT NULL,          -- 0: the whole file
    raw VARCHAR,
    reason VARCHAR NOT NULL
)
