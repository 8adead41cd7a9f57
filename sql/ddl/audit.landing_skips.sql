CREATE TABLE IF NOT EXISTS audit.landing_skips (
    partition_date DATE NOT NULL,     -- the day whose run listed the tree
    path VARCHAR NOT NULL,            -- relative to the root, e.g. shipments/latest
    reason VARCHAR NOT NULL           -- why no day's listing reads it
)
