CREATE TABLE IF NOT EXISTS marts.aging (
    as_of DATE NOT NULL,
    payment_method VARCHAR NOT NULL,
    aging_bucket VARCHAR NOT NULL,
    receivables BIGINT NOT NULL,
    outstanding_amount BIGINT NOT NULL
)
