CREATE TABLE IF NOT EXISTS config.deliveries (
    source VARCHAR NOT NULL,
    weekdays VARCHAR[] NOT NULL,      -- MON … SUN: a file is expected that day
    max_age_days INTEGER NOT NULL     -- the newest file may be this many days old
)
