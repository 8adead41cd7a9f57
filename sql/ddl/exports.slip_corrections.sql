CREATE TABLE IF NOT EXISTS exports.slip_corrections (
    partition_date DATE NOT NULL,     -- the day the difference was seen
    receivable_id VARCHAR NOT NULL,
    sent_request_id VARCHAR NOT NULL, -- the last slip sent for the receivable
    sent_amount BIGINT NOT NULL,
    current_amount BIGINT NOT NULL,   -- what the receivable says now
    sent_due_date DATE,
    current_due_date DATE,
    correction_request_id VARCHAR     -- the corrected slip sent that day; NULL: listed only
)
