CREATE TABLE IF NOT EXISTS marts.matches (
    as_of DATE NOT NULL,
    receivable_id VARCHAR NOT NULL,
    settlement_line_id VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    matched_amount BIGINT NOT NULL,
    amount_delta BIGINT NOT NULL,     -- expected - Σ matched of the receivable, the evidence for the rule
    candidates INTEGER NOT NULL       -- receivables that held the line's key
)
