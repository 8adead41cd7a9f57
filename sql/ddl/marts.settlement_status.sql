CREATE TABLE IF NOT EXISTS marts.settlement_status (
    as_of DATE NOT NULL,
    settlement_line_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    payment_method VARCHAR NOT NULL,
    line_type VARCHAR NOT NULL,
    gross_amount BIGINT NOT NULL,
    fee_amount BIGINT NOT NULL,
    paid_date DATE NOT NULL,
    status VARCHAR NOT NULL,          -- MATCHED SUGGESTED UNMATCHED REVERSED IGNORED FEE
    receivable_id VARCHAR,
    reason VARCHAR
)
