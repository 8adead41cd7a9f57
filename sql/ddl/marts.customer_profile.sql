CREATE TABLE IF NOT EXISTS marts.customer_profile (
    as_of DATE NOT NULL,
    customer_id VARCHAR NOT NULL,
    orders BIGINT NOT NULL,            -- receivables of the customer, CANCELLED excluded
    billed_amount BIGINT NOT NULL,     -- Σ expected_amount
    paid_amount BIGINT NOT NULL,       -- Σ paid_amount (net of refunds)
    outstanding_amount BIGINT NOT NULL, -- Σ max(outstanding, 0)
    paid_orders BIGINT NOT NULL,       -- fully paid (outstanding <= 0, nothing written off)
    open_orders BIGINT NOT NULL,       -- outstanding > 0
    due_orders BIGINT NOT NULL,        -- judged for punctuality (due, or due today and paid)
    on_time_orders BIGINT NOT NULL,
    late_orders BIGINT NOT NULL,
    on_time_rate DOUBLE,               -- on_time_orders / due_orders; NULL when nothing is due
    avg_days_late DOUBLE,              -- mean lateness of the late orders; NULL when nothing is due
    times_dunned BIGINT NOT NULL,      -- dunning actions issued up to the day
    max_stage INTEGER NOT NULL,        -- highest stage_no issued, 0 when never dunned
    highest_stage VARCHAR,             -- its name
    last_dunned_on DATE,
    blacklisted BOOLEAN NOT NULL,      -- a receivable reached a stage with blacklist: true
    first_order_on DATE NOT NULL,
    last_order_on DATE NOT NULL,
    days_since_last_order INTEGER NOT NULL,
    r_score INTEGER NOT NULL,          -- 1..5, after the payment-behaviour penalty
    f_score INTEGER NOT NULL,
    m_score INTEGER NOT NULL,
    score_penalty VARCHAR              -- NULL | LATE_PAYER | BLACKLISTED
)
