CREATE TABLE IF NOT EXISTS staging.payer_aliases (
    alias_row_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,          -- ADD REMOVE
    payer_name VARCHAR NOT NULL,
    payer_kana VARCHAR,               -- normalize_kana(payer_name): what a transfer's name must equal
    customer_number VARCHAR NOT NULL,
    note VARCHAR,
    decided_by VARCHAR NOT NULL,
    decided_at DATE NOT NULL,
    source VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    line_no BIGINT NOT NULL,
    partition_date DATE NOT NULL
)
