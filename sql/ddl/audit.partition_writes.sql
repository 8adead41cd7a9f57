-- Every replace of (or append to) one partition of a warehouse table, in order: what the
-- published copy reads to rewrite only what changed since it was made.
CREATE TABLE IF NOT EXISTS audit.partition_writes (
    write_id BIGINT NOT NULL,
    table_name VARCHAR NOT NULL,      -- schema.table
    partition_key DATE NOT NULL,      -- the table's partition_date or as_of
    written_at TIMESTAMP NOT NULL
)
