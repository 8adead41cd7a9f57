CREATE TABLE IF NOT EXISTS exports.journal_files (
    partition_date DATE NOT NULL,     -- the day whose journal the file carries
    file_name VARCHAR NOT NULL,       -- journal_YYYYMMDD.csv (弥生 import format, CP932, CRLF)
    sha256 VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    slips INTEGER NOT NULL,
    lines INTEGER NOT NULL,
    debit_amount BIGINT NOT NULL,
    credit_amount BIGINT NOT NULL,
    sent_at TIMESTAMP NOT NULL        -- the first time it was written; never rewritten after
)
