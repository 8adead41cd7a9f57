-- The ship-hold list as of the day: every customer blacklisted by a dunning stage that the
-- policy marks `blacklist` (by default COLLECTION_AGENCY), until a RELEASE disposition on
-- every receivable that blacklisted them, decided after the blacklisting, lifts the hold.
WITH blacklisting AS (
    SELECT c.customer_id, c.receivable_id, c.stage, c.as_of AS since
    FROM marts.dunning_candidates AS c
    JOIN config.dunning_stages AS s ON s.stage = c.stage
    WHERE s.blacklist AND c.as_of <= $as_of
),
releases AS (
    SELECT receivable_id, max(effective_on) AS released_on
    FROM staging.dispositions_as_of($as_of)
    WHERE action = 'RELEASE'
    GROUP BY receivable_id
),
holding AS (
    SELECT b.*
    FROM blacklisting AS b
    LEFT JOIN releases AS r USING (receivable_id)
    WHERE r.released_on IS NULL OR r.released_on < b.since
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
    arg_min(h.stage, h.since) AS reason,
    min(h.since) AS since,
    coalesce(any_value(o.outstanding_amount), 0) AS outstanding_amount,
    string_agg(DISTINCT h.receivable_id, ' ' ORDER BY h.receivable_id) AS receivable_ids,
    $file_name AS file_name
FROM holding AS h
LEFT JOIN outstanding AS o USING (customer_id)
GROUP BY h.customer_id
ORDER BY h.customer_id
