CREATE TABLE IF NOT EXISTS config.dunning_stages (
    stage_no INTEGER NOT NULL,
    stage VARCHAR NOT NULL,
    min_days_past_due INTEGER,
    min_days_since_previous INTEGER,
    slip_action VARCHAR NOT NULL,
    letter_action VARCHAR NOT NULL,
    form_type VARCHAR,
    new_due_days INTEGER,
    blacklist BOOLEAN NOT NULL,
    message VARCHAR
)
