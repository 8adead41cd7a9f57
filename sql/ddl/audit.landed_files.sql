CREATE TABLE IF NOT EXISTS audit.landed_files (
    partition_date DATE NOT NULL,
    source VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    sha256 VARCHAR,
    bytes BIGINT,
    status VARCHAR NOT NULL,          -- LANDED | DUPLICATE | REFUSED
    reason VARCHAR,
    duplicate_of VARCHAR,
    landed_at TIMESTAMP NOT NULL
)
