-- The journal (仕訳): every line of every slip booked, by the day it was booked (partition_date,
-- the 取引日付). A line has a debit side and a credit side of the same amount; the view
-- marts.journal shows it as one row per account (debit / credit). Each line books one entry
-- key (entry_type + event / receivable / settlement line) by key_amount: signed, negative when
-- the line books the entry with debit and credit swapped (a cancel, a refund line, a reversal).
-- A day's lines are kept as they were once its file was sent (file_name, sent_at): a later
-- correction is booked on the next day run, as a reversal (correction REVERSAL, 摘要 取消 naming
-- the slip it reverses) and the new amount (REBOOKED).
CREATE TABLE IF NOT EXISTS marts.journal_lines (
    partition_date DATE NOT NULL,     -- the day booked (取引日付)
    slip_no INTEGER NOT NULL,         -- 伝票No., from 1 each day
    line_no INTEGER NOT NULL,         -- line of the slip, from 1
    entry_type VARCHAR NOT NULL,      -- SALE RECEIPT TRANSFER_FEE FEE UNKNOWN_PAYMENT UNKNOWN_REFUND KONBINI_REMITTANCE REFUND OVERPAYMENT WRITE_OFF
    correction VARCHAR,               -- REVERSAL (赤), REBOOKED (黒: the new amount of a key booked before), NULL
    debit_role VARCHAR NOT NULL,      -- the accounts file's section: receivable settlement fee sales …
    debit_account VARCHAR NOT NULL,
    debit_sub_account VARCHAR,
    debit_tax_class VARCHAR,
    debit_amount BIGINT NOT NULL,
    credit_role VARCHAR NOT NULL,
    credit_account VARCHAR NOT NULL,
    credit_sub_account VARCHAR,
    credit_tax_class VARCHAR,
    credit_amount BIGINT NOT NULL,
    key_amount BIGINT NOT NULL,       -- what the line adds to its entry key's booked amount
    description VARCHAR NOT NULL,     -- 摘要
    source_event VARCHAR,             -- the shipment event (SALE) or disposition behind the entry
    receivable_id VARCHAR,
    settlement_line_id VARCHAR,
    payment_method VARCHAR,           -- the receivable's
    source VARCHAR,                   -- the settlement line's
    reverses_date DATE,               -- a REVERSAL: the day and slip of the line it reverses
    reverses_slip_no INTEGER,
    file_name VARCHAR,                -- the file that carried the day, once sent
    sent_at TIMESTAMP
)
