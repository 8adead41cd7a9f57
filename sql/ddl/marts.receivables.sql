CREATE TABLE IF NOT EXISTS marts.receivables (
    as_of DATE NOT NULL,
    receivable_id VARCHAR NOT NULL,
    order_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    payment_method VARCHAR NOT NULL,
    payment_ref VARCHAR,
    shipped_on DATE NOT NULL,
    original_amount BIGINT NOT NULL,
    expected_amount BIGINT NOT NULL,
    paid_amount BIGINT NOT NULL,      -- Σ matched gross − refunded (net of money paid back)
    refunded_amount BIGINT NOT NULL,  -- overpayments paid back (REFUNDED dispositions)
    written_off_amount BIGINT NOT NULL,
    outstanding_amount BIGINT NOT NULL,
    status VARCHAR NOT NULL,
    difference_reason VARCHAR,
    due_date DATE,
    days_past_due INTEGER,
    aging_bucket VARCHAR,
    paid_in_prelim BOOLEAN NOT NULL   -- some of the payment is still a konbini 速報
)
