-- Every version of every settlement line's status, from valid_from (the reconciled day that
-- changed it) until valid_to (exclusive; 9999-12-31 while current). The view
-- marts.settlement_status shows the lines as of every reconciled day.
CREATE TABLE IF NOT EXISTS marts.settlement_status_history (
    settlement_line_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    payment_method VARCHAR NOT NULL,
    line_type VARCHAR NOT NULL,
    gross_amount BIGINT NOT NULL,
    fee_amount BIGINT NOT NULL,
    paid_date DATE NOT NULL,
    status VARCHAR NOT NULL,          -- MATCHED SUGGESTED UNMATCHED REVERSED IGNORED FEE
    receivable_id VARCHAR,
    reason VARCHAR,
    valid_from DATE NOT NULL,
    valid_to DATE NOT NULL,
    present BOOLEAN NOT NULL,
    evidence VARCHAR,                 -- the reason in words where a code is not enough
    candidate_subsets VARCHAR[][],    -- SUBSET_SUGGESTION: the subsets of receivables that fit
    match_key VARCHAR                 -- what the line must share with a receivable (order id,
                                      -- transaction id, slip number, customer number …)
)
