-- Every settlement line in exactly one status as of every reconciled day (line × as_of).
CREATE OR REPLACE VIEW marts.settlement_status AS
SELECT
    d.as_of,
    h.settlement_line_id,
    h.source,
    h.payment_method,
    h.line_type,
    h.gross_amount,
    h.fee_amount,
    h.paid_date,
    h.status,
    h.receivable_id,
    h.reason,
    h.evidence,
    h.candidate_subsets,
    h.match_key
FROM marts.snapshot_days AS d
JOIN marts.settlement_status_history AS h ON h.valid_from <= d.as_of AND d.as_of < h.valid_to
WHERE d.table_name = 'marts.settlement_status' AND h.present
