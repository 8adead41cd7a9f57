-- rules: transfer_fee
-- A customer-number (or alias) transfer short of one open BANK_TRANSFER receivable of its
-- customer by exactly one amount of the policy's fee table (config.transfer_fees: 110 … 880
-- yen) paid that receivable and the payer took the bank's fee off (振込手数料差引): the link
-- pays the transfer's gross and settles the fee (fee_deducted_amount), so the receivable is
-- PAID with reason TRANSFER_FEE_DEDUCTED, never dunned for the fee, and the fee goes to
-- marts.fees and the journal (支払手数料). After the exact rules (a transfer that is exactly
-- one receivable, all, or one subset of them is not read as fee-short), before the
-- oldest-first allocation, which would leave the fee as a SHORT_PAYMENT.
-- Of several fitting receivables a transfer pays the oldest (due date, then id); a
-- receivable two transfers fit is paid by the earliest (paid date, then id), the other is
-- left to the allocation. A combination less a fee is not looked for: nine fees times the
-- subsets would make most payments ambiguous. Open: as in bank_allocation.
WITH open_receivables AS (
    SELECT * FROM bank_receivables WHERE NOT linked
),
fits AS (
    SELECT
        r.receivable_id,
        l.settlement_line_id,
        l.gross_amount,
        f.fee_amount,
        r.candidates,
        row_number() OVER (
            PARTITION BY l.settlement_line_id ORDER BY r.due_date, r.receivable_id)
            AS receivable_rank,
        l.paid_date
    FROM lines_left AS l
    JOIN open_receivables AS r ON r.customer_number = l.match_key
    JOIN config.transfer_fees AS f ON r.expected_amount - l.gross_amount = f.fee_amount
    WHERE l.payment_method = 'BANK_TRANSFER' AND l.gross_amount > 0
),
chosen AS (
    SELECT *
    FROM fits
    WHERE receivable_rank = 1
    QUALIFY row_number() OVER (
        PARTITION BY receivable_id ORDER BY paid_date, settlement_line_id) = 1
)
SELECT
    receivable_id,
    settlement_line_id,
    'transfer_fee' AS rule,
    gross_amount AS matched_amount,
    candidates,
    'bank fee ¥' || format('{:,}', fee_amount) || ' deducted by the payer (fee table): paid ¥'
        || format('{:,}', gross_amount) || ' of ¥' || format('{:,}', gross_amount + fee_amount)
        AS evidence,
    fee_amount AS fee_deducted_amount
FROM chosen
