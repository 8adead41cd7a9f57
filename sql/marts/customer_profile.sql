-- Customer payment profile (CRM) as of the day, for the customers in the day's scope
-- (audit.reconcile_scope, side CUSTOMER): what each customer ordered and owes, how punctually
-- they pay, and how far dunning went. What follows from the day alone (lateness still growing,
-- days since the last order, rates and scores) is computed by the view marts.customer_profile.
WITH receivables AS (
    -- orders: every receivable of the day except CANCELLED ones (settled_on: the day its
    -- payments first added up to the expected amount)
    SELECT r.*
    FROM marts.receivables AS r
    JOIN audit.reconcile_scope AS s
        ON s.as_of = r.as_of AND s.side = 'CUSTOMER' AND s.item_id = r.customer_id
    WHERE r.as_of = $as_of AND r.status <> 'CANCELLED'
),
judged AS (
    SELECT
        r.*,
        r.outstanding_amount <= 0 AND r.written_off_amount = 0 AS fully_paid,
        -- judged once due: due_date <= day, but an unpaid one due today is not late yet
        coalesce(
            r.due_date <= CAST($as_of AS DATE)
                AND (r.days_past_due > 0
                    OR (r.outstanding_amount <= 0 AND r.written_off_amount = 0)),
            false
        ) AS is_due
    FROM receivables AS r
),
lateness AS (
    SELECT
        *,
        -- paid in full: late by the days between due date and the day it was settled; still
        -- open (or written off, never paid): late by days past due, which grows every day
        CASE WHEN is_due AND fully_paid
            THEN greatest(coalesce(settled_on - due_date, 0), 0) END AS paid_days_late
    FROM judged
),
orders AS (
    SELECT
        customer_id,
        count(*) AS orders,
        sum(expected_amount) AS billed_amount,
        sum(paid_amount) AS paid_amount,
        sum(greatest(outstanding_amount, 0)) AS outstanding_amount,
        count(*) FILTER (WHERE fully_paid) AS paid_orders,
        count(*) FILTER (WHERE outstanding_amount > 0) AS open_orders,
        count(*) FILTER (WHERE is_due) AS due_orders,
        count(*) FILTER (WHERE paid_days_late = 0) AS on_time_orders,
        count(*) FILTER (WHERE paid_days_late > 0) AS paid_late_orders,
        coalesce(sum(paid_days_late) FILTER (WHERE paid_days_late > 0), 0) AS paid_late_days,
        count(*) FILTER (WHERE is_due AND NOT fully_paid) AS open_late_orders,
        coalesce(sum(due_date - DATE '1970-01-01') FILTER (WHERE is_due AND NOT fully_paid), 0)
            AS open_late_due_days,
        min(shipped_on) AS first_order_on,
        max(shipped_on) AS last_order_on
    FROM lateness
    GROUP BY customer_id
),
dunning AS (
    -- every dunning action issued up to and including the day
    SELECT
        d.customer_id,
        count(*) AS times_dunned,
        max(d.stage_no) AS max_stage,
        arg_max(d.stage, d.stage_no) AS highest_stage,
        max(d.as_of) AS last_dunned_on
    FROM marts.dunning_candidates AS d
    WHERE d.as_of <= $as_of AND d.customer_id IN (SELECT customer_id FROM orders)
    GROUP BY d.customer_id
),
blacklist AS (
    SELECT DISTINCT customer_id FROM marts.blacklistings_as_of($as_of) WHERE released_on IS NULL
)
SELECT
    o.customer_id,
    o.orders,
    o.billed_amount,
    o.paid_amount,
    o.outstanding_amount,
    o.paid_orders,
    o.open_orders,
    o.due_orders,
    o.on_time_orders,
    o.paid_late_orders,
    o.paid_late_days,
    o.open_late_orders,
    o.open_late_due_days,
    coalesce(d.times_dunned, 0) AS times_dunned,
    coalesce(d.max_stage, 0) AS max_stage,
    d.highest_stage,
    d.last_dunned_on,
    b.customer_id IS NOT NULL AS blacklisted,
    o.first_order_on,
    o.last_order_on
FROM orders AS o
LEFT JOIN dunning AS d USING (customer_id)
LEFT JOIN blacklist AS b USING (customer_id)
