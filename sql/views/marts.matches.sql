-- Which settlement line pays which receivable as of every reconciled day (link × as_of).
CREATE OR REPLACE VIEW marts.matches AS
SELECT
    d.as_of,
    h.receivable_id,
    h.settlement_line_id,
    h.rule,
    h.matched_amount,
    h.amount_delta,
    h.candidates,
    h.evidence,
    h.fee_deducted_amount
FROM marts.snapshot_days AS d
JOIN marts.matches_history AS h ON h.valid_from <= d.as_of AND d.as_of < h.valid_to
WHERE d.table_name = 'marts.matches' AND h.present
