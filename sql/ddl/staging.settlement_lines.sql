CREATE TABLE IF NOT EXISTS staging.settlement_lines (
    settlement_line_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    payment_method VARCHAR NOT NULL,  -- the receivables this line can pay
    match_key VARCHAR,
    gross_amount BIGINT NOT NULL,     -- customer side, negative for refunds and chargebacks
    fee_amount BIGINT NOT NULL,
    paid_date DATE NOT NULL,
    line_type VARCHAR NOT NULL,       -- CHARGE REFUND DISPUTE DISPUTE_REVERSAL FEE PAYMENT KONBINI_PRELIM KONBINI_CONFIRMED KONBINI_CANCEL
    version_rank INTEGER NOT NULL,    -- several records of one payment: the highest rank wins
    payer_name VARCHAR,
    path VARCHAR NOT NULL,
    line_no BIGINT NOT NULL,
    partition_date DATE NOT NULL
)
