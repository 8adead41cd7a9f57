CREATE TABLE IF NOT EXISTS marts.unmatched_items (
    as_of DATE NOT NULL,
    side VARCHAR NOT NULL,            -- RECEIVABLE | SETTLEMENT
    item_id VARCHAR NOT NULL,
    source VARCHAR,
    payment_method VARCHAR,
    amount BIGINT NOT NULL,
    age_days INTEGER,
    reason VARCHAR NOT NULL
)
