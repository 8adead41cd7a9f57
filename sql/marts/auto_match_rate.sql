-- The auto-match rate (自動消込率) of the day: of the payments that arrived on the day (the
-- settlement lines first delivered that day that pay, gross > 0: no fee, cancellation or
-- refund line), how many and how many yen a rule matched without a person as of the day
-- (every link of the line by a rule other than manual_match), per channel (payment method)
-- and in total (channel 'ALL'). Measured on the day the payment arrived: the figure a desk
-- watches is how much it does not have to touch; a line an operator matches later was not
-- matched without a person. Of those, "settled": every receivable the line pays is PAID as
-- of the day (a deducted bank fee included) — a transfer spread oldest-first into short
-- payments was matched without a person, but leaves work for one.
WITH delivered AS (
    SELECT DISTINCT settlement_line_id
    FROM staging.settlement_lines
    WHERE partition_date = $partition_date
),
arrived AS (
    -- delivered on the day and never before (looked up for the day's lines only, not the
    -- whole history grouped)
    SELECT settlement_line_id FROM delivered
    EXCEPT
    SELECT settlement_line_id
    FROM staging.settlement_lines
    WHERE partition_date < $partition_date
        AND settlement_line_id IN (SELECT settlement_line_id FROM delivered)
),
payments AS (
    SELECT s.settlement_line_id, s.payment_method AS channel, s.gross_amount
    FROM marts.settlement_status AS s
    WHERE s.as_of = $partition_date AND s.gross_amount > 0
        AND s.status NOT IN ('REVERSED', 'FEE')
        AND s.settlement_line_id IN (SELECT settlement_line_id FROM arrived)
),
automatic AS (
    SELECT settlement_line_id
    FROM marts.matches
    WHERE as_of = $partition_date
        AND settlement_line_id IN (SELECT settlement_line_id FROM payments)
    GROUP BY settlement_line_id
    HAVING bool_and(rule <> 'manual_match')
),
settled AS (
    SELECT m.settlement_line_id
    FROM marts.matches AS m
    JOIN marts.receivables AS r ON r.as_of = m.as_of AND r.receivable_id = m.receivable_id
    WHERE m.as_of = $partition_date
        AND m.settlement_line_id IN (SELECT settlement_line_id FROM automatic)
    GROUP BY m.settlement_line_id
    HAVING bool_and(r.status = 'PAID')
),
counted AS (
    SELECT
        coalesce(p.channel, 'ALL') AS channel,
        count(*) AS lines,
        count(a.settlement_line_id) AS auto_matched_lines,
        sum(p.gross_amount) AS amount,
        coalesce(sum(p.gross_amount) FILTER (WHERE a.settlement_line_id IS NOT NULL), 0)
            AS auto_matched_amount,
        count(t.settlement_line_id) AS auto_settled_lines,
        coalesce(sum(p.gross_amount) FILTER (WHERE t.settlement_line_id IS NOT NULL), 0)
            AS auto_settled_amount
    FROM payments AS p
    LEFT JOIN automatic AS a USING (settlement_line_id)
    LEFT JOIN settled AS t USING (settlement_line_id)
    GROUP BY ROLLUP (p.channel)
)
SELECT
    CAST($partition_date AS DATE) AS partition_date,
    channel,
    lines,
    auto_matched_lines,
    CAST(amount AS BIGINT) AS amount,
    CAST(auto_matched_amount AS BIGINT) AS auto_matched_amount,
    round(auto_matched_lines / lines, 4) AS line_rate,
    round(auto_matched_amount / amount, 4) AS amount_rate,
    auto_settled_lines,
    CAST(auto_settled_amount AS BIGINT) AS auto_settled_amount,
    round(auto_settled_lines / lines, 4) AS settled_line_rate
FROM counted
WHERE lines > 0
