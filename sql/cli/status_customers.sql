SELECT
    count(*) AS customers,
    round(avg(on_time_rate), 3) AS avg_on_time_rate,
    count(*) FILTER (WHERE score_penalty = 'LATE_PAYER') AS late_payers,
    count(*) FILTER (WHERE blacklisted) AS blacklisted,
    (SELECT count(*) FROM exports.ship_holds WHERE partition_date = $as_of) AS on_ship_hold_list
FROM marts.customer_profile WHERE as_of = $as_of
