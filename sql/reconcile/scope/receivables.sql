-- Receivables the scope reaches and does not hold yet, from what the last round added
-- (scope_new_receivables, scope_new_lines; the seeds in the first round, scope_round_seeds):
-- whatever the earlier members reach was found in the earlier rounds.
-- * seeds, and every receivable with the key (payment method + match key) of a receivable or
--   line in scope: a key's lines are summed over all its receivables;
-- * for a customer number in scope, the other orders of its customers whose expected amount
--   equals one of the number's transfers: a transfer left over after the bank rules pays the
--   other order of the same amount (cross_channel), so no other order can be paid by it;
-- * for an order whose own events changed, the customer's numbered bank receivables: the
--   order may now be what a transfer of theirs pays;
-- * the receivables that dispositions of lines in scope name, and those a line in scope paid
--   across keys the day before (scope_cross_links), so the link can move or end.
-- The events are read where each part needs them, not materialized once (a copy of 10M rows
-- a round), and what the scope holds already is taken out of the few rows reached, not
-- probed for every event first: 7.1-7.4 s -> 6.3-6.7 s for a 10M orders day's rounds.
WITH events AS NOT MATERIALIZED (
    SELECT order_id, customer_id, payment_method,
        staging.match_key(payment_method, order_id, payment_ref, tracking_no) AS match_key
    FROM staging.receivable_events
    WHERE partition_date <= $as_of AND event_date <= $as_of
),
scope_keys AS (
    SELECT payment_method, match_key FROM scope_new_receivables WHERE match_key IS NOT NULL
    UNION
    SELECT payment_method, match_key FROM scope_new_lines WHERE match_key IS NOT NULL
),
scope_transfers AS (
    SELECT DISTINCT match_key, gross_amount
    FROM staging.settlement_lines
    WHERE partition_date <= $as_of AND paid_date <= $as_of
        AND payment_method = 'BANK_TRANSFER' AND gross_amount > 0
        AND match_key IN (
            SELECT match_key FROM scope_keys WHERE payment_method = 'BANK_TRANSFER')
    UNION
    -- the transfers a payer alias speaks for, by their customer's number
    SELECT customer_number, gross_amount
    FROM alias_lines
    WHERE gross_amount > 0
        AND customer_number IN (
            SELECT match_key FROM scope_keys WHERE payment_method = 'BANK_TRANSFER')
),
number_customers AS (
    SELECT DISTINCT e.customer_id, t.gross_amount
    FROM events AS e
    JOIN scope_transfers AS t ON t.match_key = e.match_key
    WHERE e.payment_method = 'BANK_TRANSFER'
),
cross_candidates AS (
    -- the expected amount as staging.receivables_as_of has it: the first SHIP event's amount
    -- with every other event's
    SELECT order_id
    FROM staging.receivable_events
    WHERE partition_date <= $as_of AND event_date <= $as_of
        AND payment_method <> 'BANK_TRANSFER'
        AND customer_id IN (SELECT customer_id FROM number_customers)
    GROUP BY order_id, customer_id
    HAVING (customer_id, coalesce(sum(expected_delta) FILTER (WHERE event_type <> 'SHIP'), 0)
        + arg_min(expected_delta, (partition_date, event_date, event_id))
            FILTER (WHERE event_type = 'SHIP'))
        IN (SELECT customer_id, gross_amount FROM number_customers)
),
changed_customers AS (
    SELECT customer_id FROM events
    WHERE order_id IN (
        SELECT item_id FROM scope_round_seeds WHERE side = 'RECEIVABLE' AND by_event)
),
reached AS MATERIALIZED (
    SELECT DISTINCT order_id AS receivable_id, customer_id, payment_method, match_key
    FROM events
    WHERE order_id IN (SELECT item_id FROM scope_round_seeds WHERE side = 'RECEIVABLE')
        OR (payment_method, match_key) IN (SELECT payment_method, match_key FROM scope_keys)
        OR order_id IN (SELECT order_id FROM cross_candidates)
        OR (payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL
            AND customer_id IN (SELECT customer_id FROM changed_customers))
        OR order_id IN (
            SELECT receivable_id FROM staging.dispositions_as_of($as_of)
            WHERE settlement_line_id IN (SELECT settlement_line_id FROM scope_new_lines)
        )
        OR order_id IN (
            SELECT receivable_id FROM scope_cross_links
            WHERE settlement_line_id IN (SELECT settlement_line_id FROM scope_new_lines)
        )
)
SELECT * FROM reached
WHERE receivable_id NOT IN (SELECT receivable_id FROM scope_receivables)
