-- Settlement lines not in exactly one status, MATCHED lines without match links (or linked
-- lines not MATCHED), and matched lines whose links do not add up to the line's gross.
WITH known AS (
    SELECT settlement_line_id, gross_amount FROM staging.settlement_lines_as_of($day)
),
statuses AS (
    SELECT settlement_line_id, count(*) AS statuses,
        count(*) FILTER (WHERE status = 'MATCHED') AS matched_statuses
    FROM marts.settlement_status
    WHERE as_of = $day
    GROUP BY settlement_line_id
),
links AS (
    SELECT settlement_line_id, count(*) AS links, sum(matched_amount) AS matched_amount
    FROM marts.matches
    WHERE as_of = $day
    GROUP BY settlement_line_id
)
SELECT
    coalesce(k.settlement_line_id, s.settlement_line_id, l.settlement_line_id) AS settlement_line_id,
    k.gross_amount, s.statuses, s.matched_statuses, l.links, l.matched_amount
FROM known AS k
FULL OUTER JOIN statuses AS s USING (settlement_line_id)
FULL OUTER JOIN links AS l USING (settlement_line_id)
WHERE k.settlement_line_id IS NULL
    OR coalesce(s.statuses, 0) <> 1
    OR (coalesce(s.matched_statuses, 0) = 1) <> (l.links IS NOT NULL)
    OR (l.links IS NOT NULL AND l.matched_amount <> k.gross_amount)
