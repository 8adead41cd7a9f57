-- Every version of every match link (settlement line ↔ receivable). A row is the link as it
-- stood from valid_from (the reconciled day that made it) until valid_to (exclusive;
-- 9999-12-31 while current); present = false marks the day a link ended. The view
-- marts.matches shows the links as of every reconciled day.
CREATE TABLE IF NOT EXISTS marts.matches_history (
    receivable_id VARCHAR NOT NULL,
    settlement_line_id VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    matched_amount BIGINT NOT NULL,
    amount_delta BIGINT NOT NULL,     -- expected - Σ matched of the receivable, the evidence for the rule
    candidates INTEGER NOT NULL,      -- receivables that held the line's key
    valid_from DATE NOT NULL,
    valid_to DATE NOT NULL,
    present BOOLEAN NOT NULL,
    evidence VARCHAR,                 -- what the rule used, in words: the alias, the fee, the subset
    fee_deducted_amount BIGINT DEFAULT 0  -- a bank fee the payer took off, settled (transfer_fee)
)
