CREATE TABLE IF NOT EXISTS marts.fees (
    partition_date DATE NOT NULL,
    source VARCHAR NOT NULL,
    lines BIGINT NOT NULL,
    fee_amount BIGINT NOT NULL
)
