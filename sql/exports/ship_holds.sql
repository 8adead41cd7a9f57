-- The ship-hold list as of the day: every customer with a blacklisting not yet released
-- (marts.blacklistings_as_of: a blacklisting dunning stage, until a RELEASE of that receivable).
WITH holding AS (
    SELECT * FROM marts.blacklistings_as_of($as_of) WHERE released_on IS NULL
),
outstanding AS (
    SELECT customer_id, sum(outstanding_amount) AS outstanding_amount
    FROM marts.receivables
    WHERE as_of = $as_of AND outstanding_amount > 0
    GROUP BY customer_id
)
SELECT
    CAST($as_of AS DATE) AS partition_date,
    h.customer_id,
    arg_min(h.stage, (h.since, h.stage)) AS reason,
    min(h.since) AS since,
    coalesce(any_value(o.outstanding_amount), 0) AS outstanding_amount,
    string_agg(DISTINCT h.receivable_id, ' ' ORDER BY h.receivable_id) AS receivable_ids,
    $file_name AS file_name
FROM holding AS h
LEFT JOIN outstanding AS o USING (customer_id)
GROUP BY h.customer_id
ORDER BY h.customer_id
