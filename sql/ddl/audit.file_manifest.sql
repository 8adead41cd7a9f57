CREATE TABLE IF NOT EXISTS audit.file_manifest (
    partition_date DATE NOT NULL,
    source VARCHAR NOT NULL,
    layout VARCHAR,
    path VARCHAR NOT NULL,
    sha256 VARCHAR,
    status VARCHAR NOT NULL,          -- LOADED | QUARANTINED | DUPLICATE | REFUSED
    reason VARCHAR,
    duplicate_of VARCHAR,
    rows_total BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    control VARCHAR,                  -- JSON: what the file says about itself (summary, trailer)
    loaded_at TIMESTAMP NOT NULL,
    notes VARCHAR                     -- what the file does differently without loss (columns
                                      -- ignored or absent); see README "Real files vary"
)
