-- The journal (仕訳) as a long table for analysts: one row per account of every slip line,
-- debit or credit. A trial balance as of a day D is
--   SELECT account, sub_account, sum(debit) - sum(credit) FROM marts.journal
--   WHERE journal_date <= D GROUP BY ALL
CREATE OR REPLACE VIEW marts.journal AS
SELECT
    partition_date AS journal_date,
    slip_no,
    line_no,
    'DEBIT' AS side,
    debit_role AS role,
    debit_account AS account,
    debit_sub_account AS sub_account,
    debit_tax_class AS tax_class,
    debit_amount AS debit,
    CAST(0 AS BIGINT) AS credit,
    description,
    entry_type,
    correction,
    source_event,
    receivable_id,
    settlement_line_id,
    payment_method,
    source,
    reverses_date,
    reverses_slip_no,
    file_name
FROM marts.journal_lines
UNION ALL
SELECT
    partition_date,
    slip_no,
    line_no,
    'CREDIT',
    credit_role,
    credit_account,
    credit_sub_account,
    credit_tax_class,
    CAST(0 AS BIGINT),
    credit_amount,
    description,
    entry_type,
    correction,
    source_event,
    receivable_id,
    settlement_line_id,
    payment_method,
    source,
    reverses_date,
    reverses_slip_no,
    file_name
FROM marts.journal_lines
