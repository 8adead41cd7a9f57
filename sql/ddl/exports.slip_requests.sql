CREATE TABLE IF NOT EXISTS exports.slip_requests (
    request_id VARCHAR NOT NULL,
    partition_date DATE NOT NULL,
    receivable_id VARCHAR NOT NULL,
    issue_type VARCHAR NOT NULL,
    form_type VARCHAR NOT NULL,
    slip_number VARCHAR NOT NULL,
    name VARCHAR,
    postal_code VARCHAR,
    address VARCHAR,
    amount BIGINT NOT NULL,
    due_date DATE NOT NULL,
    reissue_no INTEGER NOT NULL,
    barcode VARCHAR NOT NULL,
    message VARCHAR,
    file_name VARCHAR NOT NULL,
    sent_at TIMESTAMP NOT NULL
)
