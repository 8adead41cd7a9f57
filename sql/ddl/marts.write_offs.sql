CREATE TABLE IF NOT EXISTS marts.write_offs (
    as_of DATE NOT NULL,
    receivable_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    payment_method VARCHAR NOT NULL,
    written_off_amount BIGINT NOT NULL,
    disposition_id VARCHAR NOT NULL,
    decided_by VARCHAR NOT NULL,
    decided_at DATE NOT NULL,
    note VARCHAR
)
