-- Open exceptions as of every reconciled day (item × as_of): receivables overdue or paid the
-- wrong amount, and settlement lines that found no receivable (不明入金). A view over the
-- versioned ledger and line statuses, as it follows from them alone: a table of it held every
-- open item again every day (54,940 rows a day at 1M orders, growing with what stays open).
CREATE OR REPLACE VIEW marts.unmatched_items AS
SELECT
    as_of,
    'RECEIVABLE' AS side,
    receivable_id AS item_id,
    CAST(NULL AS VARCHAR) AS source,
    payment_method,
    outstanding_amount AS amount,
    days_past_due AS age_days,
    coalesce(difference_reason, 'OVERDUE') AS reason
FROM marts.receivables
WHERE status NOT IN ('WRITTEN_OFF', 'CANCELLED')
    AND outstanding_amount <> 0
    AND (days_past_due > 0 OR difference_reason IS NOT NULL)
UNION ALL
SELECT
    as_of,
    'SETTLEMENT' AS side,
    settlement_line_id AS item_id,
    source,
    payment_method,
    gross_amount AS amount,
    CAST(as_of - paid_date AS INTEGER) AS age_days,
    reason
FROM marts.settlement_status
WHERE status IN ('UNMATCHED', 'SUGGESTED')
