CREATE TABLE IF NOT EXISTS marts.disposition_outcomes (
    as_of DATE NOT NULL,
    disposition_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    receivable_id VARCHAR,
    settlement_line_id VARCHAR,
    effective_on DATE NOT NULL,
    status VARCHAR NOT NULL,          -- APPLIED | REJECTED
    reason VARCHAR
)
