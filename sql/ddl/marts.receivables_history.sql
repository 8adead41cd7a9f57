-- Every version of every receivable's ledger row, from valid_from (the reconciled day that
-- changed it) until valid_to (exclusive; 9999-12-31 while current). Only what matching and
-- dispositions decide is stored; days past due and the aging bucket follow from the day and
-- are computed by the view marts.receivables.
CREATE TABLE IF NOT EXISTS marts.receivables_history (
    receivable_id VARCHAR NOT NULL,
    order_id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    payment_method VARCHAR NOT NULL,
    payment_ref VARCHAR,
    match_key VARCHAR,                -- what a settlement line must carry to pay it
    customer_kana VARCHAR,
    kana_match_key VARCHAR,           -- BANK_TRANSFER: the normalized kana a payer name must equal
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
    paid_in_prelim BOOLEAN NOT NULL,  -- some of the payment is still a konbini 速報
    settled_on DATE,                  -- the day its payments first added up to the expected amount
    valid_from DATE NOT NULL,
    valid_to DATE NOT NULL,
    present BOOLEAN NOT NULL,
    fee_deducted_amount BIGINT DEFAULT 0  -- bank fees the payer took off (transfer_fee): settled,
                                          -- so expected − paid − written off − this = outstanding
)
