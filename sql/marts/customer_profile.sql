-- Customer payment profile (CRM) as of the day: what each customer ordered and owes, how
-- punctually they pay, how far dunning went, and R/F/M scores that include payment
-- behaviour (a customer who orders often but pays late is not a good customer).
WITH receivables AS (
    -- orders: every receivable of the day except CANCELLED ones
    SELECT *
    FROM marts.receivables
    WHERE as_of = $as_of AND status <> 'CANCELLED'
),
payments AS (
    -- each matched line with its paid date, summed per receivable and day
    SELECT m.receivable_id, l.paid_date, sum(m.matched_amount) AS amount
    FROM marts.matches AS m
    JOIN staging.settlement_lines_as_of($as_of) AS l USING (settlement_line_id)
    WHERE m.as_of = $as_of
    GROUP BY m.receivable_id, l.paid_date
),
running AS (
    SELECT
        p.receivable_id,
        p.paid_date,
        sum(p.amount) OVER (
            PARTITION BY p.receivable_id ORDER BY p.paid_date
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS paid_so_far,
        r.expected_amount
    FROM payments AS p
    JOIN receivables AS r USING (receivable_id)
),
settled AS (
    -- the day the payments first added up to the expected amount (the last payment's date
    -- for single and split payments; a later double payment or refund does not move it)
    SELECT
        receivable_id,
        coalesce(
            min(paid_date) FILTER (WHERE paid_so_far >= expected_amount), max(paid_date)
        ) AS settled_on
    FROM running
    GROUP BY receivable_id
),
judged AS (
    SELECT
        r.*,
        r.outstanding_amount <= 0 AND r.written_off_amount = 0 AS fully_paid,
        s.settled_on,
        -- judged once due: due_date <= day, but an unpaid one due today is not late yet
        coalesce(
            r.due_date <= CAST($as_of AS DATE)
                AND (r.days_past_due > 0
                    OR (r.outstanding_amount <= 0 AND r.written_off_amount = 0)),
            false
        ) AS is_due
    FROM receivables AS r
    LEFT JOIN settled AS s USING (receivable_id)
),
lateness AS (
    SELECT
        *,
        CASE
            WHEN NOT is_due THEN NULL
            -- paid in full: late by the days between due date and the day it was settled
            WHEN fully_paid THEN greatest(coalesce(settled_on - due_date, 0), 0)
            -- still open (or written off, never paid): late by days past due so far
            ELSE days_past_due
        END AS days_late
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
        count(*) FILTER (WHERE is_due AND days_late = 0) AS on_time_orders,
        count(*) FILTER (WHERE is_due AND days_late > 0) AS late_orders,
        avg(days_late) FILTER (WHERE days_late > 0) AS mean_days_late,
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
    WHERE d.as_of <= $as_of
    GROUP BY d.customer_id
),
blacklist AS (
    SELECT DISTINCT customer_id FROM marts.blacklistings_as_of($as_of) WHERE released_on IS NULL
),
thresholds (metric, score, bound) AS (
    -- fixed score thresholds (not quantiles, so a customer's score does not move with
    -- everybody else's). recency: days since the last order <= bound; frequency: orders
    -- >= bound; monetary: billed yen >= bound. Below every bound the score is 1.
    VALUES
        ('recency', 5, 30), ('recency', 4, 60), ('recency', 3, 90), ('recency', 2, 180),
        ('frequency', 5, 10), ('frequency', 4, 6), ('frequency', 3, 3), ('frequency', 2, 2),
        ('monetary', 5, 100000), ('monetary', 4, 50000), ('monetary', 3, 20000),
        ('monetary', 2, 5000)
),
profile AS (
    SELECT
        o.*,
        CAST($as_of AS DATE) - o.last_order_on AS days_since_last_order,
        coalesce(d.times_dunned, 0) AS times_dunned,
        coalesce(d.max_stage, 0) AS max_stage,
        d.highest_stage,
        d.last_dunned_on,
        b.customer_id IS NOT NULL AS blacklisted,
        CASE WHEN o.due_orders > 0
            THEN CAST(o.on_time_orders AS DOUBLE) / o.due_orders END AS on_time_rate,
        CASE WHEN o.due_orders > 0
            THEN CAST(coalesce(o.mean_days_late, 0) AS DOUBLE) END AS avg_days_late
    FROM orders AS o
    LEFT JOIN dunning AS d USING (customer_id)
    LEFT JOIN blacklist AS b USING (customer_id)
),
raw_scores AS (
    SELECT
        p.*,
        coalesce((SELECT max(t.score) FROM thresholds AS t
            WHERE t.metric = 'recency' AND p.days_since_last_order <= t.bound), 1) AS r_raw,
        coalesce((SELECT max(t.score) FROM thresholds AS t
            WHERE t.metric = 'frequency' AND p.orders >= t.bound), 1) AS f_raw,
        coalesce((SELECT max(t.score) FROM thresholds AS t
            WHERE t.metric = 'monetary' AND p.billed_amount >= t.bound), 1) AS m_raw,
        -- payment-behaviour penalty: blacklisted scores 1 everywhere; a late payer (on-time
        -- rate below 0.5, or dunned to stage 2 or beyond) keeps recency but F and M are
        -- capped at 2
        CASE
            WHEN p.blacklisted THEN 'BLACKLISTED'
            WHEN p.on_time_rate < 0.5 OR p.max_stage >= 2 THEN 'LATE_PAYER'
        END AS score_penalty
    FROM profile AS p
)
SELECT
    CAST($as_of AS DATE) AS as_of,
    customer_id,
    orders,
    billed_amount,
    paid_amount,
    outstanding_amount,
    paid_orders,
    open_orders,
    due_orders,
    on_time_orders,
    late_orders,
    on_time_rate,
    avg_days_late,
    times_dunned,
    max_stage,
    highest_stage,
    last_dunned_on,
    blacklisted,
    first_order_on,
    last_order_on,
    days_since_last_order,
    CASE WHEN score_penalty = 'BLACKLISTED' THEN 1 ELSE r_raw END AS r_score,
    CASE score_penalty WHEN 'BLACKLISTED' THEN 1 WHEN 'LATE_PAYER' THEN least(f_raw, 2)
        ELSE f_raw END AS f_score,
    CASE score_penalty WHEN 'BLACKLISTED' THEN 1 WHEN 'LATE_PAYER' THEN least(m_raw, 2)
        ELSE m_raw END AS m_score,
    score_penalty
FROM raw_scores
