-- Slip requests due on the day: a NEW slip for every open konbini receivable that never had
-- one, and a REISSUE for every dunning candidate at a re-issue stage. A request already sent
-- on any day (earlier or later: a re-run of an earlier day after a re-delivery) is never
-- due again; the day's own requests are kept by the caller as they were sent.
WITH open_konbini AS (
    SELECT *
    FROM marts.receivables
    WHERE as_of = $as_of AND payment_method = 'KONBINI' AND outstanding_amount > 0
),
contacts AS (
    -- the name and address of the order's latest event (looked up for open ones only)
    SELECT order_id AS receivable_id,
        arg_max({'name': customer_name, 'postal_code': postal_code, 'address': address},
            (event_date, partition_date, event_id)) AS contact
    FROM staging.receivable_events
    WHERE partition_date <= $as_of AND event_date <= $as_of
        AND order_id IN (SELECT receivable_id FROM open_konbini)
    GROUP BY order_id
),
konbini AS (
    SELECT r.*, c.contact.name AS customer_name, c.contact.postal_code AS postal_code,
        c.contact.address AS address
    FROM open_konbini AS r
    JOIN contacts AS c USING (receivable_id)
),
new_slips AS (
    SELECT
        receivable_id || '-NEW-0' AS request_id,
        receivable_id,
        'NEW' AS issue_type,
        'STANDARD' AS form_type,
        payment_ref AS slip_number,
        customer_name AS name,
        postal_code,
        address,
        outstanding_amount AS amount,
        due_date,
        0 AS reissue_no,
        NULL AS message
    FROM konbini
    WHERE outstanding_amount > 0 AND status NOT IN ('IN_DISPUTE', 'WRITTEN_OFF')
),
reissues AS (
    SELECT
        c.receivable_id || '-REISSUE-' || c.reissue_no AS request_id,
        c.receivable_id,
        'REISSUE' AS issue_type,
        c.form_type,
        k.payment_ref AS slip_number,
        k.customer_name AS name,
        k.postal_code,
        k.address,
        c.outstanding_amount AS amount,
        c.new_due_date AS due_date,
        c.reissue_no,
        c.message
    FROM marts.dunning_candidates AS c
    JOIN konbini AS k USING (receivable_id)
    WHERE c.as_of = $as_of AND c.action = 'REISSUE_SLIP'
),
requests AS (
    SELECT * FROM new_slips
    UNION ALL
    SELECT * FROM reissues
)
SELECT *
FROM requests
WHERE request_id NOT IN (SELECT request_id FROM exports.slip_requests)
    -- the freshness gate: no slips on a day a settlement source is missing or stale
    AND NOT EXISTS (
        SELECT 1 FROM audit.source_freshness AS f
        WHERE f.partition_date = $as_of AND f.holds_dunning
    )
ORDER BY request_id
