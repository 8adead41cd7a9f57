CREATE TABLE IF NOT EXISTS marts.fees (
    partition_date DATE NOT NULL,
    source VARCHAR NOT NULL,
    lines BIGINT NOT NULL,
    fee_amount BIGINT NOT NULL,       -- provider fees of the day's lines + deducted_fee_amount
    deducted_fee_amount BIGINT DEFAULT 0  -- bank fees payers deducted, settled on the day
)
