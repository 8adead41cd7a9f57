-- Payer aliases as of a day (domain.md § Matching that learns): a payer's normalized kana
-- known to be a customer's (their customer number), from when to when, who decided and how.
-- Learned from a MANUAL_MATCH that links a bank transfer to a BANK_TRANSFER receivable (the
-- first valid one per line, as rule manual_match takes it: the transfer's payer kana becomes
-- an alias of the receivable's customer number) and from ADD rows of the payer_aliases file;
-- removed by a REMOVE row of the file or a REMOVE_ALIAS disposition (its line's payer kana;
-- of its receivable's customer, or of every customer when it names none). Everything applies
-- from the later of its decided_at and the day its file arrived, never back-dated. An alias
-- speaks for the transfers paid on or after learned_on and before removed_on: what it matched
-- before it was removed stays matched. One row per alias: an alias removed and learned
-- again is a new one.
CREATE OR REPLACE MACRO staging.payer_aliases_as_of(as_of_date) AS TABLE
WITH dispositions AS (
    SELECT * FROM staging.dispositions_as_of(as_of_date)
    WHERE action IN ('MANUAL_MATCH', 'REMOVE_ALIAS')
),
bank_lines AS (
    SELECT settlement_line_id, any_value(payer_name) AS payer_name
    FROM staging.settlement_lines
    WHERE partition_date <= as_of_date AND payment_method = 'BANK_TRANSFER'
        AND line_type = 'PAYMENT' AND payer_name IS NOT NULL
        AND settlement_line_id IN (SELECT settlement_line_id FROM dispositions)
    GROUP BY settlement_line_id
),
bank_receivables AS (
    SELECT order_id AS receivable_id, any_value(payment_ref) AS customer_number
    FROM staging.receivable_events
    WHERE partition_date <= as_of_date AND event_date <= as_of_date
        AND payment_method = 'BANK_TRANSFER' AND payment_ref IS NOT NULL
        AND order_id IN (SELECT receivable_id FROM dispositions)
    GROUP BY order_id
),
manual AS (
    SELECT *
    FROM dispositions
    WHERE action = 'MANUAL_MATCH'
    QUALIFY row_number() OVER (
        PARTITION BY settlement_line_id ORDER BY effective_on, disposition_id) = 1
),
events AS (
    SELECT 'ADD' AS action, normalize_kana(l.payer_name) AS payer_kana, r.customer_number,
        'MANUAL_MATCH' AS source, m.disposition_id AS source_ref, m.decided_by, m.effective_on
    FROM manual AS m
    JOIN bank_lines AS l USING (settlement_line_id)
    JOIN bank_receivables AS r USING (receivable_id)
    UNION ALL
    SELECT action, payer_kana, customer_number, 'FILE', path || ':' || line_no, decided_by,
        greatest(decided_at, partition_date)
    FROM staging.payer_aliases
    WHERE greatest(decided_at, partition_date) <= as_of_date
),
removals AS (
    SELECT normalize_kana(l.payer_name) AS payer_kana, r.customer_number,
        'REMOVE_ALIAS' AS source, d.disposition_id AS source_ref, d.decided_by, d.effective_on
    FROM dispositions AS d
    JOIN bank_lines AS l USING (settlement_line_id)
    LEFT JOIN bank_receivables AS r USING (receivable_id)
    WHERE d.action = 'REMOVE_ALIAS'
),
all_events AS (
    SELECT * FROM events WHERE payer_kana IS NOT NULL
    UNION ALL
    -- a removal that names no customer removes the kana from every customer who has it
    SELECT 'REMOVE', x.payer_kana, coalesce(x.customer_number, e.customer_number), x.source,
        x.source_ref, x.decided_by, x.effective_on
    FROM removals AS x
    JOIN (SELECT DISTINCT payer_kana, customer_number FROM events WHERE action = 'ADD') AS e
        ON e.payer_kana = x.payer_kana
        AND (x.customer_number IS NULL OR x.customer_number = e.customer_number)
),
changes AS (
    -- the events that change the alias's state, in order (an ADD of a known alias or a REMOVE
    -- of none changes nothing); on one day an ADD comes before a REMOVE
    SELECT *
    FROM (
        SELECT *,
            lag(action) OVER (
                PARTITION BY payer_kana, customer_number
                ORDER BY effective_on, action, source_ref) AS previous
        FROM all_events
    )
    WHERE action IS DISTINCT FROM coalesce(previous, 'REMOVE')
),
spans AS (
    SELECT *,
        lead(effective_on) OVER w AS removed_on,
        lead(decided_by) OVER w AS removed_by,
        lead(source || ' ' || source_ref) OVER w AS removed_by_ref
    FROM changes
    WINDOW w AS (PARTITION BY payer_kana, customer_number ORDER BY effective_on, action, source_ref)
)
SELECT
    'alias-' || substr(md5(payer_kana || '|' || customer_number || '|' || effective_on), 1, 10)
        AS alias_id,
    payer_kana,
    customer_number,
    source,
    source_ref,
    decided_by AS learned_by,
    effective_on AS learned_on,
    removed_on,
    removed_by,
    removed_by_ref
FROM spans
WHERE action = 'ADD'
