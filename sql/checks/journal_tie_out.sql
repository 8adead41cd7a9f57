-- The journal does not tie out to the subledger as of the day: each balance of every line
-- booked up to the day (docs/journal.md § Tie-out) against the marts as of the day.
--   売掛金 per payment method          = Σ max(outstanding, 0) of its receivables
--   仮受金 (過入金), credit            = Σ max(−outstanding, 0)
--   売掛金 − 仮受金 (過入金), in total = Σ outstanding
--   仮受金 (不明入金), credit          = Σ gross of the lines UNMATCHED or SUGGESTED
--   未収入金 / 普通預金 per source      = what the source still owes: the gross of its lines in
--     the books (MATCHED, UNMATCHED, SUGGESTED, paid back) − their fees (every line but
--     REVERSED and IGNORE'd) − konbini collections remitted by the day (確報 振込日)
-- By role (the accounts file's section), so two roles that share an account stay apart. A
-- day whose file was already sent is not judged again: its lines are what was sent, and what
-- changed since is booked on the next day run (sql/marts/journal.sql).
WITH sent AS (
    SELECT count(*) > 0 AS sent
    FROM marts.journal_lines
    WHERE partition_date = $day AND sent_at IS NOT NULL
),
postings AS (
    SELECT role, payment_method, source, debit - credit AS balance
    FROM marts.journal
    WHERE journal_date <= $day
),
receivables AS (
    SELECT payment_method, outstanding_amount
    FROM marts.receivables
    WHERE as_of = $day
),
lines AS (
    SELECT settlement_line_id, source, gross_amount, fee_amount, status, reason,
        status IN ('MATCHED', 'UNMATCHED', 'SUGGESTED')
            OR (status = 'IGNORED' AND reason = 'REFUNDED') AS in_books
    FROM marts.settlement_status
    WHERE as_of = $day
),
konbini_transfers AS (
    -- as in sql/marts/journal.sql: the agent's 振込日 of a confirmed collection
    SELECT s.settlement_line_id, max(CAST(try_strptime(k.transfer_on, '%Y%m%d') AS DATE))
        AS transfer_on
    FROM staging.settlement_lines AS s
    JOIN raw.konbini AS k USING (partition_date, path, line_no)
    WHERE s.line_type = 'KONBINI_CONFIRMED' AND s.partition_date <= $day
    GROUP BY s.settlement_line_id
),
journal AS (
    SELECT 'receivable' AS figure, payment_method AS item, sum(balance) AS amount
    FROM postings WHERE role = 'receivable' GROUP BY ALL
    UNION ALL
    SELECT 'overpayment', '', -sum(balance) FROM postings WHERE role = 'overpayment'
    UNION ALL
    SELECT 'outstanding', '',
        sum(balance) FILTER (WHERE role IN ('receivable', 'overpayment'))
    FROM postings
    UNION ALL
    SELECT 'unknown_payment', '', -sum(balance) FROM postings WHERE role = 'unknown_payment'
    UNION ALL
    SELECT 'settlement', source, sum(balance)
    FROM postings WHERE role = 'settlement' GROUP BY ALL
),
ledger AS (
    SELECT 'receivable' AS figure, payment_method AS item,
        sum(greatest(outstanding_amount, 0)) AS amount
    FROM receivables GROUP BY ALL
    UNION ALL
    SELECT 'overpayment', '', sum(greatest(-outstanding_amount, 0)) FROM receivables
    UNION ALL
    SELECT 'outstanding', '', sum(outstanding_amount) FROM receivables
    UNION ALL
    SELECT 'unknown_payment', '', sum(gross_amount)
    FROM lines WHERE status IN ('UNMATCHED', 'SUGGESTED')
    UNION ALL
    SELECT 'settlement', l.source, sum(
        CASE WHEN l.in_books THEN l.gross_amount ELSE 0 END
        - CASE WHEN l.status <> 'REVERSED' AND NOT (l.status = 'IGNORED' AND l.reason = 'IGNORE')
            THEN l.fee_amount ELSE 0 END
        - CASE WHEN l.in_books AND t.transfer_on <= $day THEN l.gross_amount ELSE 0 END
    )
    FROM lines AS l
    LEFT JOIN konbini_transfers AS t USING (settlement_line_id)
    GROUP BY ALL
)
SELECT
    coalesce(j.figure, l.figure) AS figure,
    coalesce(j.item, l.item) AS item,
    coalesce(j.amount, 0) AS journal_amount,
    coalesce(l.amount, 0) AS ledger_amount
FROM journal AS j
FULL JOIN ledger AS l ON l.figure = j.figure AND l.item IS NOT DISTINCT FROM j.item
WHERE coalesce(j.amount, 0) <> coalesce(l.amount, 0)
    AND NOT (SELECT sent FROM sent)
ORDER BY ALL
