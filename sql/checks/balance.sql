-- Receivables breaking expected − paid − written off = outstanding, or whose paid amount
-- (+ what was refunded) differs from the sum of their matches; links to no receivable; and
-- the day's totals over every receivable and link. Receivable by receivable, the check looks
-- at the receivables whose own version or one of whose links was written on the day: every
-- other receivable is as it was on the day its versions were written, and was checked then
-- (a receivable the day recomputed and found unchanged included). Both version tables are
-- written day by day, so the versions of one day are read without scanning the others. The
-- totals cover everything, so a version that went wrong since shows there.
WITH scope AS (
    SELECT receivable_id FROM marts.receivables_history WHERE valid_from = $day
    UNION
    SELECT receivable_id FROM marts.matches_history WHERE valid_from = $day
),
matched AS (
    SELECT receivable_id, sum(matched_amount) AS matched_amount
    FROM marts.matches
    WHERE as_of = $day AND receivable_id IN (SELECT receivable_id FROM scope)
    GROUP BY receivable_id
),
per_receivable AS (
    SELECT r.receivable_id, r.expected_amount, r.paid_amount, r.written_off_amount,
        r.outstanding_amount, coalesce(m.matched_amount, 0) AS matched_amount
    FROM marts.receivables AS r
    LEFT JOIN matched AS m USING (receivable_id)
    WHERE r.as_of = $day AND r.receivable_id IN (SELECT receivable_id FROM scope)
        AND (r.expected_amount - r.paid_amount - r.written_off_amount <> r.outstanding_amount
            OR r.paid_amount + r.refunded_amount <> coalesce(m.matched_amount, 0))
),
orphans AS (
    SELECT m.receivable_id, NULL, NULL, NULL, NULL, m.matched_amount
    FROM matched AS m
    WHERE m.receivable_id NOT IN (
        SELECT receivable_id FROM marts.receivables
        WHERE as_of = $day AND receivable_id IN (SELECT receivable_id FROM scope))
),
link_totals AS MATERIALIZED (
    -- one scan of every link of the day, read twice below
    SELECT coalesce(sum(matched_amount), 0) AS matched_amount FROM marts.matches WHERE as_of = $day
),
totals AS (
    SELECT 'TOTAL' AS receivable_id, sum(expected_amount), sum(paid_amount),
        sum(written_off_amount), sum(outstanding_amount),
        (SELECT matched_amount FROM link_totals)
    FROM marts.receivables
    WHERE as_of = $day
    HAVING sum(expected_amount) - sum(paid_amount) - sum(written_off_amount)
            <> sum(outstanding_amount)
        OR coalesce(sum(paid_amount + refunded_amount), 0)
            <> (SELECT matched_amount FROM link_totals)
)
SELECT * FROM per_receivable
UNION ALL SELECT * FROM orphans
UNION ALL SELECT * FROM totals
