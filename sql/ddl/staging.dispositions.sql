CREATE TABLE IF NOT EXISTS staging.dispositions (
    disposition_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    receivable_id VARCHAR,
    settlement_line_id VARCHAR,
    amount BIGINT,
    note VARCHAR,
    decided_by VARCHAR NOT NULL,
    decided_at DATE NOT NULL,
    source VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    line_no BIGINT NOT NULL,
    partition_date DATE NOT NULL
)
