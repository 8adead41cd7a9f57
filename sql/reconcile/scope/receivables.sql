-- Receivables the scope reaches and does not hold yet: seeds, every receivable of a customer
-- in scope who has a customer number (bank transfers are allocated per customer, and a
-- leftover transfer may pay the customer's other orders), every receivable with the key of a
-- receivable or line in scope, and the receivables that dispositions of lines in scope name.
WITH events AS (
    SELECT order_id, customer_id, payment_method,
        staging.match_key(payment_method, order_id, payment_ref, tracking_no) AS match_key
    FROM staging.receivable_events
    WHERE partition_date <= $as_of AND event_date <= $as_of
),
numbered_customers AS (
    SELECT customer_id FROM events WHERE payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL
),
scope_keys AS (
    SELECT payment_method, match_key FROM scope_receivables WHERE match_key IS NOT NULL
    UNION
    SELECT payment_method, match_key FROM scope_lines WHERE match_key IS NOT NULL
)
SELECT DISTINCT order_id AS receivable_id, customer_id, payment_method, match_key
FROM events
WHERE order_id NOT IN (SELECT receivable_id FROM scope_receivables)
    AND (
        order_id IN (SELECT item_id FROM scope_seeds WHERE side = 'RECEIVABLE')
        OR (customer_id IN (SELECT customer_id FROM scope_receivables)
            AND customer_id IN (SELECT customer_id FROM numbered_customers))
        OR (payment_method, match_key) IN (SELECT payment_method, match_key FROM scope_keys)
        OR order_id IN (
            SELECT receivable_id FROM staging.dispositions_as_of($as_of)
            WHERE settlement_line_id IN (SELECT settlement_line_id FROM scope_lines)
        )
    )
