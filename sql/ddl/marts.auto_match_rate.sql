-- The auto-match rate per day (the payments that arrived on it) and channel (payment method;
-- 'ALL' for the day's total): sql/marts/auto_match_rate.sql.
CREATE TABLE IF NOT EXISTS marts.auto_match_rate (
    partition_date DATE NOT NULL,
    channel VARCHAR NOT NULL,
    lines BIGINT NOT NULL,            -- payments (settlement lines with gross > 0) that arrived
    auto_matched_lines BIGINT NOT NULL,  -- of them, matched by a rule, not by a person
    amount BIGINT NOT NULL,
    auto_matched_amount BIGINT NOT NULL,
    line_rate DOUBLE,
    amount_rate DOUBLE,
    auto_settled_lines BIGINT NOT NULL,  -- of them, every receivable they pay is PAID
    auto_settled_amount BIGINT NOT NULL,
    settled_line_rate DOUBLE
)
