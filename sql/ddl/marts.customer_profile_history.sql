-- Every version of every customer's payment profile, from valid_from (the day it changed)
-- until valid_to (exclusive; 9999-12-31 while current); present = false: the customer has no
-- order left (all cancelled). Only what changes with events is stored: lateness of open
-- receivables is kept as a count and a sum of due dates, so the view marts.customer_profile
-- computes it, the days since the last order and the R/F/M scores from the day.
CREATE TABLE IF NOT EXISTS marts.customer_profile_history (
    customer_id VARCHAR NOT NULL,
    orders BIGINT NOT NULL,
    billed_amount BIGINT NOT NULL,
    paid_amount BIGINT NOT NULL,
    outstanding_amount BIGINT NOT NULL,
    paid_orders BIGINT NOT NULL,
    open_orders BIGINT NOT NULL,
    due_orders BIGINT NOT NULL,
    on_time_orders BIGINT NOT NULL,
    paid_late_orders BIGINT NOT NULL,    -- paid in full after the due date
    paid_late_days BIGINT NOT NULL,      -- Σ days they were late
    open_late_orders BIGINT NOT NULL,    -- due and not paid in full (or written off)
    open_late_due_days BIGINT NOT NULL,  -- Σ their due dates as days since 1970-01-01
    times_dunned BIGINT NOT NULL,
    max_stage INTEGER NOT NULL,
    highest_stage VARCHAR,
    last_dunned_on DATE,
    blacklisted BOOLEAN NOT NULL,
    first_order_on DATE NOT NULL,
    last_order_on DATE NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE NOT NULL,
    present BOOLEAN NOT NULL
)
