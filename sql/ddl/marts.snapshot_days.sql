-- The days each versioned reconcile table (marts.matches, marts.receivables,
-- marts.settlement_status) was reconciled for: the days its view shows. since is the
-- reconciled day it was built on (NULL: built from nothing), recomputed the items the day
-- recomputed, versions the rows that changed.
CREATE TABLE IF NOT EXISTS marts.snapshot_days (
    table_name VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    since DATE,
    recomputed BIGINT NOT NULL,
    versions BIGINT NOT NULL,
    policy_hash VARCHAR NOT NULL      -- the settlement lags in force: a change recomputes everything
)
