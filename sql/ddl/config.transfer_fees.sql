CREATE TABLE IF NOT EXISTS config.transfer_fees (
    fee_amount BIGINT NOT NULL        -- a bank transfer fee (振込手数料) a payer may deduct
)
