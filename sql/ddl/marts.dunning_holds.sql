-- Receivables not dunned on a day because a payment that may be theirs is in quarantine
-- (receivable × quarantined row × as_of); EXPIRED on the day the hold ends.
CREATE TABLE IF NOT EXISTS marts.dunning_holds (
    as_of DATE NOT NULL,
    receivable_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    payment_method VARCHAR NOT NULL,
    outstanding_amount BIGINT NOT NULL,
    exclusion_reason VARCHAR NOT NULL, -- PAYMENT_IN_QUARANTINE
    status VARCHAR NOT NULL,          -- HELD (not dunned today) | EXPIRED (dunning resumes today)
    quarantined_on DATE NOT NULL,
    hold_ends_on DATE NOT NULL,       -- the first day dunning resumes unless re-delivered
    source VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    line_no BIGINT NOT NULL,          -- 0: the whole file was quarantined
    quarantine_reason VARCHAR
)
