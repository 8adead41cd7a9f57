-- Settlement lines not in exactly one status, MATCHED lines without match links (or linked
-- lines not MATCHED), and matched lines whose links do not add up to the line's gross — line
-- by line for the lines the day recomputed (audit.reconcile_scope; the others kept versions
-- that passed on the day they were written; a day reconciled from nothing recomputed every
-- line and writes no scope) — and the day's total over every line: the links add up to the
-- gross of the MATCHED lines.
-- checked_lines (settlement_line_id, gross_amount) is a temp table the check makes: the
-- lines the day recomputed, as of the day.
WITH known AS (
    SELECT settlement_line_id, gross_amount FROM checked_lines
),
scope AS (
    SELECT settlement_line_id FROM checked_lines
),
statuses AS (
    SELECT settlement_line_id, count(*) AS statuses,
        count(*) FILTER (WHERE status = 'MATCHED') AS matched_statuses
    FROM marts.settlement_status
    WHERE as_of = $day AND settlement_line_id IN (SELECT settlement_line_id FROM scope)
    GROUP BY settlement_line_id
),
links AS (
    SELECT settlement_line_id, count(*) AS links, sum(matched_amount) AS matched_amount
    FROM marts.matches
    WHERE as_of = $day AND settlement_line_id IN (SELECT settlement_line_id FROM scope)
    GROUP BY settlement_line_id
),
per_line AS (
    SELECT
        coalesce(k.settlement_line_id, s.settlement_line_id, l.settlement_line_id)
            AS settlement_line_id,
        k.gross_amount, s.statuses, s.matched_statuses, l.links, l.matched_amount
    FROM known AS k
    FULL OUTER JOIN statuses AS s USING (settlement_line_id)
    FULL OUTER JOIN links AS l USING (settlement_line_id)
    WHERE k.settlement_line_id IS NULL
        OR coalesce(s.statuses, 0) <> 1
        OR (coalesce(s.matched_statuses, 0) = 1) <> (l.links IS NOT NULL)
        OR (l.links IS NOT NULL AND l.matched_amount <> k.gross_amount)
),
status_totals AS (
    SELECT count(*) AS statuses,
        coalesce(sum(gross_amount) FILTER (WHERE status = 'MATCHED'), 0) AS matched_gross
    FROM marts.settlement_status
    WHERE as_of = $day
),
link_totals AS (
    SELECT coalesce(sum(matched_amount), 0) AS matched_amount
    FROM marts.matches
    WHERE as_of = $day
)
SELECT * FROM per_line
UNION ALL
SELECT 'TOTAL', s.matched_gross, s.statuses, NULL, NULL, l.matched_amount
FROM status_totals AS s, link_totals AS l
WHERE l.matched_amount <> s.matched_gross
