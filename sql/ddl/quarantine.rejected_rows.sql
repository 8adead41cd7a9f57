CREATE TABLE IF NOT EXISTS quarantine.rejected_rows (
    partition_date DATE NOT NULL,
    source VARCHAR NOT NULL,
    layout VARCHAR,
    path VARCHAR NOT NULL,
    line_no BIGINT NOT NULL,          -- 0: the whole file
    raw VARCHAR,
    reason VARCHAR NOT NULL,
    payment_key VARCHAR,              -- the key of the receivable the row may pay (as a staged
                                      -- line's match_key), where it could be read: that
                                      -- receivable's dunning waits (marts.dunning_holds)
    payment_key_kind VARCHAR          -- order_id | tracking_no | slip_number | customer_number
)
