CREATE TABLE IF NOT EXISTS marts.dunning_candidates (
    as_of DATE NOT NULL,
    receivable_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    payment_method VARCHAR NOT NULL,
    stage_no INTEGER NOT NULL,
    stage VARCHAR NOT NULL,
    action VARCHAR NOT NULL,          -- REISSUE_SLIP | LETTER | FINAL_NOTICE | COLLECTION_AGENCY | WRITE_OFF_CANDIDATE
    form_type VARCHAR,
    outstanding_amount BIGINT NOT NULL,
    days_past_due INTEGER NOT NULL,
    new_due_date DATE,
    reissue_no INTEGER,
    message VARCHAR
)
