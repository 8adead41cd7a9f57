-- The matching waterfall as of a day; every link records the rule that made it.
-- 1. key rules: a line's key names exactly one receivable; all lines of a receivable are
--    summed (splits, refunds, chargebacks) and the sum decides key_exact or key_difference.
-- 2. bank transfers carry a customer number, not an order key (layouts.md § bank):
--    bank_exact    an amount equal to one open receivable pays it (oldest due date first),
--    customer_sum  an amount equal to all the customer's open receivables pays all of them,
--    bank_allocation  the rest, oldest due date first; what is left beyond every open
--                  receivable is an overpayment on the newest.
--    cross_channel a transfer left over whose amount equals another order of the same
--                  customer (paid at a konbini or by card) is that order paid twice.
-- Before all of them, operators' dispositions: IGNORE sets a line aside, MANUAL_MATCH links
-- a line to a receivable (the first valid one per line wins).
-- A line taken by an earlier rule is never offered to a later one.
-- Only the day's scope is matched (audit.reconcile_scope): every receivable and line that
-- shares a key, a customer or a disposition with one in scope is in it too, so each rule
-- sees all it would see over the whole history. scope_receivables_as_of and
-- scope_lines_as_of are the scope's receivables and lines as of the day
-- (staging.receivables_as_of / staging.settlement_lines_as_of), made once a day by
-- recon_pipeline.assets.reconcile for the three reconcile statements.
WITH receivables AS NOT MATERIALIZED (
    SELECT * FROM scope_receivables_as_of
),
all_lines AS NOT MATERIALIZED (
    SELECT *
    FROM scope_lines_as_of
    WHERE line_type NOT IN ('FEE', 'KONBINI_CANCEL', 'BANK_CANCEL')
),
dispositions AS (
    SELECT * FROM staging.dispositions_as_of($as_of)
),
manual AS (
    SELECT d.receivable_id, d.settlement_line_id, 'manual_match' AS rule,
        l.gross_amount AS matched_amount, 1 AS candidates
    FROM dispositions AS d
    JOIN all_lines AS l USING (settlement_line_id)
    WHERE d.action = 'MANUAL_MATCH'
        AND d.receivable_id IN (SELECT receivable_id FROM receivables)
    QUALIFY row_number() OVER (
        PARTITION BY d.settlement_line_id ORDER BY d.effective_on, d.disposition_id) = 1
),
set_aside AS (
    SELECT settlement_line_id FROM dispositions WHERE action = 'IGNORE'
    UNION ALL
    SELECT settlement_line_id FROM manual
),
lines AS NOT MATERIALIZED (
    SELECT *
    FROM all_lines
    WHERE match_key IS NOT NULL
        AND settlement_line_id NOT IN (SELECT settlement_line_id FROM set_aside)
),
keys AS (
    SELECT payment_method, match_key, count(*) AS candidates, min(receivable_id) AS receivable_id
    FROM receivables
    WHERE match_key IS NOT NULL AND payment_method <> 'BANK_TRANSFER'
    GROUP BY payment_method, match_key
),
keyed AS (
    SELECT l.settlement_line_id, k.receivable_id, l.gross_amount, k.candidates
    FROM lines AS l
    JOIN keys AS k ON k.payment_method = l.payment_method AND k.match_key = l.match_key
    WHERE k.candidates = 1
),
keyed_totals AS (
    SELECT receivable_id, sum(gross_amount) AS paid_amount FROM keyed GROUP BY receivable_id
),
key_links AS (
    SELECT
        k.receivable_id, k.settlement_line_id,
        CASE WHEN t.paid_amount = r.expected_amount THEN 'key_exact' ELSE 'key_difference' END
            AS rule,
        k.gross_amount AS matched_amount,
        k.candidates
    FROM keyed AS k
    JOIN keyed_totals AS t USING (receivable_id)
    JOIN receivables AS r USING (receivable_id)
),
bank_lines AS (
    SELECT settlement_line_id, match_key AS customer_number, gross_amount,
        row_number() OVER (PARTITION BY match_key ORDER BY paid_date, settlement_line_id)
            AS line_order
    FROM lines
    WHERE payment_method = 'BANK_TRANSFER' AND gross_amount > 0
),
bank_receivables AS (
    SELECT receivable_id, match_key AS customer_number, expected_amount, due_date,
        count(*) OVER (PARTITION BY match_key) AS candidates
    FROM receivables
    WHERE payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL
),
open_receivables AS (
    SELECT * FROM bank_receivables WHERE expected_amount > 0
),
exact_lines AS (
    SELECT *, row_number() OVER (
        PARTITION BY customer_number, gross_amount ORDER BY line_order) AS amount_rank
    FROM bank_lines
),
exact_receivables AS (
    SELECT *, row_number() OVER (
        PARTITION BY customer_number, expected_amount ORDER BY due_date, receivable_id)
            AS amount_rank
    FROM open_receivables
),
exact_links AS (
    SELECT r.receivable_id, l.settlement_line_id, 'bank_exact' AS rule,
        l.gross_amount AS matched_amount, r.candidates
    FROM exact_lines AS l
    JOIN exact_receivables AS r
        ON r.customer_number = l.customer_number AND r.expected_amount = l.gross_amount
        AND r.amount_rank = l.amount_rank
),
rest_lines AS (
    SELECT * FROM bank_lines
    WHERE settlement_line_id NOT IN (SELECT settlement_line_id FROM exact_links)
),
rest_receivables AS (
    SELECT * FROM open_receivables
    WHERE receivable_id NOT IN (SELECT receivable_id FROM exact_links)
),
rest_totals AS (
    SELECT customer_number, sum(expected_amount) AS open_amount, count(*) AS open_receivables
    FROM rest_receivables
    GROUP BY customer_number
),
sum_line AS (
    SELECT l.customer_number, arg_min(l.settlement_line_id, l.line_order) AS settlement_line_id,
        any_value(l.gross_amount) AS gross_amount
    FROM rest_lines AS l
    JOIN rest_totals AS t
        ON t.customer_number = l.customer_number AND t.open_amount = l.gross_amount
        AND t.open_receivables > 1
    GROUP BY l.customer_number
),
sum_links AS (
    SELECT r.receivable_id, s.settlement_line_id, 'customer_sum' AS rule,
        r.expected_amount AS matched_amount, r.candidates
    FROM sum_line AS s
    JOIN rest_receivables AS r USING (customer_number)
),
fifo_lines AS (
    SELECT *,
        sum(gross_amount) OVER (PARTITION BY customer_number ORDER BY line_order) AS line_end
    FROM rest_lines
    WHERE settlement_line_id NOT IN (SELECT settlement_line_id FROM sum_line)
),
fifo_receivables AS (
    SELECT *,
        sum(expected_amount) OVER (
            PARTITION BY customer_number ORDER BY due_date, receivable_id) AS receivable_end,
        row_number() OVER (
            PARTITION BY customer_number ORDER BY due_date DESC, receivable_id DESC) = 1
            AS newest
    FROM rest_receivables
    WHERE customer_number NOT IN (SELECT customer_number FROM sum_line)
),
fifo_totals AS (
    SELECT customer_number, sum(expected_amount) AS open_amount
    FROM fifo_receivables
    GROUP BY customer_number
),
fifo_links AS (
    SELECT
        r.receivable_id, l.settlement_line_id, 'bank_allocation' AS rule,
        greatest(0, least(l.line_end, r.receivable_end)
            - greatest(l.line_end - l.gross_amount, r.receivable_end - r.expected_amount))
            + CASE WHEN r.newest
                THEN greatest(0, l.line_end - greatest(l.line_end - l.gross_amount, t.open_amount))
                ELSE 0 END AS matched_amount,
        r.candidates
    FROM fifo_lines AS l
    JOIN fifo_receivables AS r USING (customer_number)
    JOIN fifo_totals AS t USING (customer_number)
),
leftover_lines AS (
    SELECT l.*
    FROM bank_lines AS l
    WHERE l.settlement_line_id NOT IN (SELECT settlement_line_id FROM exact_links)
        AND l.settlement_line_id NOT IN (SELECT settlement_line_id FROM sum_links)
        AND l.settlement_line_id NOT IN (
            SELECT settlement_line_id FROM fifo_links WHERE matched_amount > 0)
),
customer_numbers AS (
    SELECT DISTINCT match_key AS customer_number, customer_id
    FROM receivables
    WHERE payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL
),
other_orders AS (
    SELECT n.customer_number, r.receivable_id, r.expected_amount,
        row_number() OVER (
            PARTITION BY n.customer_number, r.expected_amount ORDER BY r.due_date, r.receivable_id
        ) AS amount_rank
    FROM receivables AS r
    JOIN customer_numbers AS n USING (customer_id)
    WHERE r.payment_method <> 'BANK_TRANSFER' AND r.expected_amount > 0
),
cross_links AS (
    SELECT o.receivable_id, l.settlement_line_id, 'cross_channel' AS rule,
        l.gross_amount AS matched_amount, 1 AS candidates
    FROM (
        SELECT *, row_number() OVER (
            PARTITION BY customer_number, gross_amount ORDER BY line_order) AS amount_rank
        FROM leftover_lines
    ) AS l
    JOIN other_orders AS o
        ON o.customer_number = l.customer_number AND o.expected_amount = l.gross_amount
        AND o.amount_rank = l.amount_rank
),
overpaid_newest AS (
    SELECT customer_number, arg_max(receivable_id, (due_date, receivable_id)) AS receivable_id,
        any_value(candidates) AS candidates
    FROM bank_receivables
    GROUP BY customer_number
),
overpayment_links AS (
    SELECT n.receivable_id, l.settlement_line_id, 'bank_allocation' AS rule,
        l.gross_amount AS matched_amount, n.candidates
    FROM leftover_lines AS l
    JOIN overpaid_newest AS n USING (customer_number)
    WHERE l.settlement_line_id NOT IN (SELECT settlement_line_id FROM cross_links)
),
links AS (
    SELECT * FROM manual
    UNION ALL SELECT * FROM key_links
    UNION ALL SELECT * FROM exact_links
    UNION ALL SELECT * FROM sum_links
    UNION ALL SELECT * FROM fifo_links WHERE matched_amount > 0
    UNION ALL SELECT * FROM cross_links
    UNION ALL SELECT * FROM overpayment_links
),
paid AS (
    SELECT receivable_id, sum(matched_amount) AS paid_amount FROM links GROUP BY receivable_id
)
SELECT
    l.receivable_id,
    l.settlement_line_id,
    l.rule,
    l.matched_amount,
    r.expected_amount - p.paid_amount AS amount_delta,
    l.candidates
FROM links AS l
JOIN paid AS p USING (receivable_id)
JOIN receivables AS r USING (receivable_id)
