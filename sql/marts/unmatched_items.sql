-- Open exceptions as of a day: receivables that are overdue or paid the wrong amount, and
-- settlement lines that found no receivable (不明入金).
SELECT
    CAST($as_of AS DATE) AS as_of,
    'RECEIVABLE' AS side,
    receivable_id AS item_id,
    NULL AS source,
    payment_method,
    outstanding_amount AS amount,
    days_past_due AS age_days,
    coalesce(difference_reason, 'OVERDUE') AS reason
FROM marts.receivables
WHERE as_of = $as_of
    AND status NOT IN ('WRITTEN_OFF', 'CANCELLED')
    AND outstanding_amount <> 0
    AND (days_past_due > 0 OR difference_reason IS NOT NULL)
UNION ALL
SELECT
    CAST($as_of AS DATE) AS as_of,
    'SETTLEMENT' AS side,
    settlement_line_id AS item_id,
    source,
    payment_method,
    gross_amount AS amount,
    CAST($as_of AS DATE) - paid_date AS age_days,
    reason
FROM marts.settlement_status
WHERE as_of = $as_of AND status IN ('UNMATCHED', 'SUGGESTED')
