-- The receivable ledger as of every reconciled day (receivable × as_of): the version of each
-- receivable in force that day, with days past due and the aging bucket (original due date)
-- computed from the day.
CREATE OR REPLACE VIEW marts.receivables AS
SELECT
    d.as_of,
    h.receivable_id,
    h.order_id,
    h.customer_id,
    h.payment_method,
    h.payment_ref,
    h.shipped_on,
    h.original_amount,
    h.expected_amount,
    h.paid_amount,
    h.refunded_amount,
    h.written_off_amount,
    h.fee_deducted_amount,
    h.outstanding_amount,
    h.status,
    h.difference_reason,
    h.due_date,
    -- 0 once paid in full (nothing outstanding, nothing written off): a paid receivable is
    -- not past due; a written-off one keeps counting
    CASE
        WHEN h.outstanding_amount <= 0 AND h.written_off_amount = 0 THEN 0
        ELSE CAST(d.as_of - h.due_date AS INTEGER)
    END AS days_past_due,
    CASE
        WHEN h.outstanding_amount <= 0 THEN NULL
        WHEN d.as_of - h.due_date <= 0 THEN 'NOT_DUE'
        WHEN d.as_of - h.due_date <= 30 THEN '1-30'
        WHEN d.as_of - h.due_date <= 60 THEN '31-60'
        WHEN d.as_of - h.due_date <= 90 THEN '61-90'
        WHEN d.as_of - h.due_date <= 180 THEN '91-180'
        WHEN d.as_of - h.due_date <= 365 THEN '181-365'
        ELSE '365+'
    END AS aging_bucket,
    h.paid_in_prelim,
    h.match_key,
    h.customer_kana,
    h.kana_match_key,
    h.settled_on
FROM marts.snapshot_days AS d
JOIN marts.receivables_history AS h ON h.valid_from <= d.as_of AND d.as_of < h.valid_to
WHERE d.table_name = 'marts.receivables' AND h.present
