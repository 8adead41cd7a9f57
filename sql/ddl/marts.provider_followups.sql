CREATE TABLE IF NOT EXISTS marts.provider_followups (
    as_of DATE NOT NULL,
    receivable_id VARCHAR NOT NULL,
    order_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    payment_method VARCHAR NOT NULL,  -- CARD | MALL | COD | BNPL (methods the policy does not dun)
    source VARCHAR NOT NULL,          -- the provider to ask: card | amazon | cod | bnpl
    expected_amount BIGINT NOT NULL,
    paid_amount BIGINT NOT NULL,
    outstanding_amount BIGINT NOT NULL,
    status VARCHAR NOT NULL,          -- UNPAID | PARTIALLY_PAID | IN_DISPUTE (a chargeback)
    difference_reason VARCHAR,
    followup_reason VARCHAR NOT NULL, -- NOT_SETTLED | SHORT_SETTLED | CHARGEBACK
    shipped_on DATE NOT NULL,
    expected_settlement_date DATE NOT NULL,
    days_past_due INTEGER NOT NULL,
    aging_bucket VARCHAR NOT NULL
)
