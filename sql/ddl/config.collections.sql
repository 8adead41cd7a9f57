CREATE TABLE IF NOT EXISTS config.collections (
    payment_method VARCHAR NOT NULL,
    settlement_lag_days INTEGER,      -- provider-collected methods: days until settlement is due
    dunned BOOLEAN NOT NULL,
    minimum_amount BIGINT NOT NULL,
    quarantine_hold_days INTEGER      -- days a payment in quarantine may hold the dunning of
                                      -- the receivable it names (marts.dunning_holds)
)
