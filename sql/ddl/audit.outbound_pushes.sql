CREATE TABLE IF NOT EXISTS audit.outbound_pushes (
    partition_date DATE NOT NULL,
    kind VARCHAR NOT NULL,            -- slip_requests | ship_hold
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    target VARCHAR NOT NULL,          -- s3://bucket/key or sftp://host:port/path
    pushed_at TIMESTAMP NOT NULL
)
