-- Receivables that get a dunning action on the day: the next stage of the policy after the
-- last one issued (no skipping, one action a day), once its thresholds are reached. History
-- is what earlier partitions issued. Held days (audit.source_freshness) issue nothing; the
-- next complete day issues what is then due.
WITH dunned AS (
    SELECT r.*
    FROM marts.receivables AS r
    JOIN config.collections AS c USING (payment_method)
    WHERE r.as_of = $as_of
        AND c.dunned
        AND r.outstanding_amount >= c.minimum_amount
        AND r.outstanding_amount > 0
        AND r.status NOT IN ('IN_DISPUTE', 'WRITTEN_OFF', 'CANCELLED')
        -- a return announced (in a file already here) but dated later is pending: what the
        -- customer owes may still drop, so they are not dunned until it takes effect
        AND r.receivable_id NOT IN (
            SELECT order_id FROM staging.receivable_events
            WHERE event_type = 'RETURN' AND partition_date <= $as_of AND event_date > $as_of
        )
        -- never dun on doubt: a payment in quarantine may be theirs (marts.dunning_holds)
        AND r.receivable_id NOT IN (
            SELECT receivable_id FROM marts.dunning_holds WHERE as_of = $as_of AND status = 'HELD'
        )
        -- the freshness gate: nobody is dunned on a day a settlement source is missing
        AND NOT EXISTS (
            SELECT 1 FROM audit.source_freshness AS f
            WHERE f.partition_date = $as_of AND f.holds_dunning
        )
),
history AS (
    SELECT
        receivable_id,
        max(stage_no) AS last_stage_no,
        arg_max(as_of, (stage_no, as_of)) AS last_issued_on,
        count(*) FILTER (WHERE action = 'REISSUE_SLIP') AS reissues
    FROM marts.dunning_candidates
    WHERE as_of < $as_of
    GROUP BY receivable_id
),
next_stage AS (
    SELECT
        d.*,
        coalesce(h.last_stage_no, 0) + 1 AS next_stage_no,
        h.last_issued_on,
        coalesce(h.reissues, 0) AS reissues
    FROM dunned AS d
    LEFT JOIN history AS h USING (receivable_id)
),
due AS (
    SELECT
        n.*,
        s.stage,
        CASE WHEN n.payment_method = 'KONBINI' THEN s.slip_action ELSE s.letter_action END AS action,
        s.form_type,
        s.new_due_days,
        s.message
    FROM next_stage AS n
    JOIN config.dunning_stages AS s ON s.stage_no = n.next_stage_no
    WHERE (s.min_days_past_due IS NULL OR n.days_past_due >= s.min_days_past_due)
        AND (
            s.min_days_since_previous IS NULL
            OR n.last_issued_on IS NULL
            OR CAST($as_of AS DATE) - n.last_issued_on >= s.min_days_since_previous
        )
)
SELECT
    CAST($as_of AS DATE) AS as_of,
    receivable_id,
    customer_id,
    payment_method,
    next_stage_no AS stage_no,
    stage,
    action,
    CASE WHEN action = 'REISSUE_SLIP' THEN form_type END AS form_type,
    outstanding_amount,
    days_past_due,
    CASE WHEN action = 'REISSUE_SLIP' THEN CAST($as_of AS DATE) + new_due_days END AS new_due_date,
    CASE WHEN action = 'REISSUE_SLIP' THEN reissues + 1 END AS reissue_no,
    message
FROM due
