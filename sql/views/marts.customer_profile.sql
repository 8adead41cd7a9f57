-- Customer payment profile (CRM) as of every profiled day (customer × as_of): the version in
-- force that day, with what follows from the day computed here — days past due of the open
-- late receivables (their lateness grows every day), days since the last order, on-time rate,
-- average days late, and R/F/M scores that include payment behaviour.
CREATE OR REPLACE VIEW marts.customer_profile AS
WITH thresholds (metric, score, bound) AS (
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
        d.as_of,
        h.*,
        h.paid_late_orders + h.open_late_orders AS late_orders,
        CAST(d.as_of - h.last_order_on AS INTEGER) AS days_since_last_order,
        CASE WHEN h.due_orders > 0
            THEN CAST(h.on_time_orders AS DOUBLE) / h.due_orders END AS on_time_rate,
        CASE WHEN h.due_orders > 0 THEN coalesce(
            CAST(h.paid_late_days + h.open_late_orders * (d.as_of - DATE '1970-01-01')
                - h.open_late_due_days AS DOUBLE)
            / nullif(h.paid_late_orders + h.open_late_orders, 0), 0) END AS avg_days_late
    FROM marts.snapshot_days AS d
    JOIN marts.customer_profile_history AS h
        ON h.valid_from <= d.as_of AND d.as_of < h.valid_to
    WHERE d.table_name = 'marts.customer_profile' AND h.present
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
    as_of,
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
