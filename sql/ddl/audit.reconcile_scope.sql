-- What a reconciled day recomputed: every receivable and settlement line that anything
-- delivered since the last reconciled day can reach through a match key, a customer or a
-- disposition (side RECEIVABLE / SETTLEMENT). Everything else kept its versions.
CREATE TABLE IF NOT EXISTS audit.reconcile_scope (
    as_of DATE NOT NULL,
    side VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL
)
