-- What may have changed since the last reconciled day ($since, exclusive) up to the day:
-- receivables with an event that became visible, settlement lines (or a new version of one)
-- that became visible, whatever a disposition that took effect names, and the bank transfers
-- without customer number still open, whose suggestion depends on every open bank receivable.
-- by_event: the receivable itself changed (amount, due date, customer), not only its payments.
-- "Became visible": max(partition day, own date) in ($since, $as_of], written as two ranges
-- on plain columns (a file of the window, or an earlier file whose date came due), so DuckDB
-- skips the row groups of other days by their min/max instead of reading every row.
SELECT 'RECEIVABLE' AS side, order_id AS item_id, true AS by_event
FROM staging.receivable_events
WHERE partition_date > $since AND partition_date <= $as_of AND event_date <= $as_of
UNION
SELECT 'RECEIVABLE', order_id, true
FROM staging.receivable_events
WHERE partition_date <= $since AND event_date > $since AND event_date <= $as_of
UNION
SELECT 'SETTLEMENT', settlement_line_id, false
FROM staging.settlement_lines
WHERE partition_date > $since AND partition_date <= $as_of AND paid_date <= $as_of
UNION
SELECT 'SETTLEMENT', settlement_line_id, false
FROM staging.settlement_lines
WHERE partition_date <= $since AND paid_date > $since AND paid_date <= $as_of
UNION
SELECT 'RECEIVABLE', receivable_id, false
FROM staging.dispositions
WHERE receivable_id IS NOT NULL
    AND greatest(decided_at, partition_date) > $since
    AND greatest(decided_at, partition_date) <= $as_of
UNION
SELECT 'SETTLEMENT', settlement_line_id, false
FROM staging.dispositions
WHERE settlement_line_id IS NOT NULL
    AND greatest(decided_at, partition_date) > $since
    AND greatest(decided_at, partition_date) <= $as_of
UNION
SELECT 'SETTLEMENT', settlement_line_id, false
FROM marts.settlement_status_history
WHERE valid_from <= $since AND valid_to > $since AND present
    AND status IN ('UNMATCHED', 'SUGGESTED')
    AND reason IN ('NO_CUSTOMER_NUMBER', 'NAME_AMOUNT_SUGGESTION', 'PAYER_ALIAS_SUGGESTION')
