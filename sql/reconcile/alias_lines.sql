-- The bank transfers a payer alias speaks for (rule learned_alias), as of the day: visible
-- transfers without a known customer number (none typed, or one that belongs to no customer)
-- whose normalized payer kana is an alias (staging.payer_aliases_as_of) valid on their paid
-- date. customer_number is the alias's customer when exactly one customer claims the kana
-- then; when two or more do, it is NULL and the transfer is only a suggestion
-- (PAYER_ALIAS_SUGGESTION). Made once a day before the scope (recon_pipeline.scope follows
-- an alias transfer's customer number as it follows a typed one) and read by the rule and
-- the line statuses. Only the payer names of transfers paid since the first alias are
-- normalized: without aliases this costs nothing.
WITH aliases AS MATERIALIZED (
    SELECT * FROM staging.payer_aliases_as_of($as_of)
),
candidates AS (
    SELECT settlement_line_id, any_value(payer_name) AS payer_name,
        any_value(paid_date) AS paid_date, any_value(gross_amount) AS gross_amount,
        any_value(match_key) AS match_key
    FROM staging.settlement_lines
    WHERE partition_date <= $as_of AND paid_date <= $as_of
        AND payment_method = 'BANK_TRANSFER' AND line_type = 'PAYMENT'
        AND payer_name IS NOT NULL
        AND paid_date >= (SELECT min(learned_on) FROM aliases)
    GROUP BY settlement_line_id
),
known AS (
    -- the typed numbers of the candidates that are a customer's (looked up for them only)
    SELECT DISTINCT payment_ref AS customer_number
    FROM staging.receivable_events
    WHERE partition_date <= $as_of AND event_date <= $as_of
        AND payment_method = 'BANK_TRANSFER'
        AND payment_ref IN (SELECT match_key FROM candidates)
),
transfers AS (
    SELECT *
    FROM candidates
    WHERE match_key IS NULL OR match_key NOT IN (SELECT customer_number FROM known)
),
named AS (
    SELECT t.*, k.payer_kana
    FROM transfers AS t
    JOIN (
        SELECT payer_name, normalize_kana(payer_name) AS payer_kana
        FROM (SELECT DISTINCT payer_name FROM transfers)
    ) AS k USING (payer_name)
),
valid AS (
    SELECT n.settlement_line_id, n.gross_amount, a.*
    FROM named AS n
    JOIN aliases AS a
        ON a.payer_kana = n.payer_kana AND a.learned_on <= n.paid_date
        AND (a.removed_on IS NULL OR n.paid_date < a.removed_on)
)
SELECT
    settlement_line_id,
    any_value(gross_amount) AS gross_amount,
    count(DISTINCT customer_number) AS customers,
    CASE WHEN count(DISTINCT customer_number) = 1 THEN any_value(customer_number) END
        AS customer_number,
    string_agg(alias_id, ', ' ORDER BY alias_id) AS alias_ids,
    CASE
        WHEN count(DISTINCT customer_number) = 1
            THEN 'payer alias ' || any_value(alias_id) || ': ' || any_value(payer_kana)
                || ' is customer ' || any_value(customer_number) || ' (learned '
                || strftime(any_value(learned_on), '%Y-%m-%d') || ' from '
                || any_value(source) || ' ' || any_value(source_ref) || ')'
        ELSE 'payer name ' || any_value(payer_kana) || ' is an alias of '
            || count(DISTINCT customer_number) || ' customers ('
            || string_agg(customer_number || ' by ' || alias_id, ', '
                ORDER BY customer_number, alias_id)
            || '): a person decides'
    END AS evidence
FROM valid
GROUP BY settlement_line_id
