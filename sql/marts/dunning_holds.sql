-- Receivables whose dunning waits because a payment that may be theirs sits in quarantine
-- (never dun on doubt). A quarantined settlement row names its receivable by the key its
-- contract declares (quarantine.rejected_rows.payment_key: a customer number in a payer name,
-- a slip number in a konbini barcode, a tracking number, an order id); a settlement file
-- quarantined whole may hold any payment of the methods its source settles. A hold lasts
-- until the provider re-delivers it — a later file of the source carries a line with the
-- key, or a file of the same name loads — or for the policy's quarantine_hold_days, after
-- which dunning resumes and the hold is listed once more, as EXPIRED, on the day it ends.
WITH open_receivables AS (
    SELECT r.receivable_id, r.order_id, r.customer_id, r.payment_method, r.match_key,
        r.outstanding_amount, c.quarantine_hold_days
    FROM marts.receivables AS r
    JOIN config.collections AS c USING (payment_method)
    WHERE r.as_of = $as_of
        AND c.dunned
        AND r.outstanding_amount > 0
        AND r.status NOT IN ('IN_DISPUTE', 'WRITTEN_OFF', 'CANCELLED')
),
quarantined AS (
    SELECT q.partition_date AS quarantined_on, q.source, q.path, q.line_no, q.reason,
        q.payment_key, q.payment_key_kind,
        regexp_replace(q.path, '^.*/', '') AS file_name
    FROM quarantine.rejected_rows AS q
    WHERE q.partition_date <= $as_of
        AND (q.payment_key IS NOT NULL OR q.line_no = 0)
),
source_methods AS (
    SELECT DISTINCT source, payment_method
    FROM staging.settlement_lines
    WHERE partition_date <= $as_of
),
named AS (
    SELECT r.*, q.*
    FROM quarantined AS q
    JOIN open_receivables AS r ON r.order_id = q.payment_key
    WHERE q.payment_key_kind = 'order_id'
    UNION ALL
    SELECT r.*, q.*
    FROM quarantined AS q
    JOIN open_receivables AS r
        ON r.match_key = q.payment_key
        AND r.payment_method = CASE q.payment_key_kind
            WHEN 'customer_number' THEN 'BANK_TRANSFER'
            WHEN 'slip_number' THEN 'KONBINI'
            WHEN 'tracking_no' THEN 'COD'
        END
    WHERE q.payment_key_kind <> 'order_id'
),
redelivered_keys AS (
    SELECT n.receivable_id, n.path, n.line_no
    FROM named AS n
    JOIN staging.settlement_lines AS l
        ON l.source = n.source AND l.match_key = n.payment_key
        AND l.partition_date > n.quarantined_on AND l.partition_date <= $as_of
),
whole_files AS (
    SELECT r.*, q.*
    FROM quarantined AS q
    JOIN source_methods AS s USING (source)
    JOIN open_receivables AS r USING (payment_method)
    WHERE q.line_no = 0
),
redelivered_files AS (
    SELECT DISTINCT q.source, q.path
    FROM quarantined AS q
    JOIN audit.file_manifest AS m
        ON m.source = q.source AND regexp_replace(m.path, '^.*/', '') = q.file_name
        AND m.partition_date > q.quarantined_on AND m.partition_date <= $as_of
        AND m.status = 'LOADED'
    WHERE q.line_no = 0
),
holds AS (
    SELECT * FROM named ANTI JOIN redelivered_keys USING (receivable_id, path, line_no)
    UNION ALL
    SELECT * FROM whole_files ANTI JOIN redelivered_files USING (source, path)
)
SELECT
    CAST($as_of AS DATE) AS as_of,
    receivable_id,
    customer_id,
    payment_method,
    outstanding_amount,
    'PAYMENT_IN_QUARANTINE' AS exclusion_reason,
    CASE WHEN CAST($as_of AS DATE) < quarantined_on + quarantine_hold_days
        THEN 'HELD' ELSE 'EXPIRED' END AS status,
    quarantined_on,
    quarantined_on + quarantine_hold_days AS hold_ends_on,
    source,
    path,
    line_no,
    left(reason, 200) AS quarantine_reason
FROM holds
WHERE CAST($as_of AS DATE) <= quarantined_on + quarantine_hold_days
