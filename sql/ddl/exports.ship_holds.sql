CREATE TABLE IF NOT EXISTS exports.ship_holds (
    partition_date DATE NOT NULL,
    customer_id VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    since DATE NOT NULL,
    outstanding_amount BIGINT NOT NULL,
    receivable_ids VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL
)
