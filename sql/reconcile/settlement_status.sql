-- Every settlement line known as of a day in exactly one status, with the reason a line
-- stayed unmatched and, where a reason needs it, the evidence in words. A bank transfer
-- without a customer number of a known customer (none typed, or one that belongs to nobody:
-- it counts as none) whose normalized kana name and amount fit a customer's open
-- receivable is SUGGESTED (name_amount_suggestion; of several,
-- the oldest due date, then the lowest receivable id, so a rerun names the same one):
-- it counts nowhere until a disposition confirms it. A transfer that several subsets of its
-- customer's open receivables equal (rule customer_subset: the temp table suggestions of
-- recon_pipeline.rules) is SUGGESTED too (SUBSET_SUGGESTION), with the candidate subsets
-- (candidate_subsets, and in words in evidence) and no receivable: nothing is allocated on
-- doubt. A transfer whose payer name is an alias of two or more customers (alias_lines of
-- reconcile/alias_lines.sql) is SUGGESTED (PAYER_ALIAS_SUGGESTION) with the aliases in
-- evidence, unless a name + amount suggestion names a receivable. Only the day's scope is
-- recomputed;
-- the open bank receivables a suggestion may name come from the ledger as of the day.
-- scope_receivables_as_of / scope_lines_as_of: see reconcile/matches.sql.
WITH receivables AS NOT MATERIALIZED (
    SELECT * FROM scope_receivables_as_of
),
keys AS (
    -- only the keys several receivables share (AMBIGUOUS_KEY): joined onto every line, the
    -- key of each receivable would be a hash table of the whole scope (10M rows at 10M
    -- orders, out of memory at a 1GB limit beside the matched lines')
    SELECT payment_method, match_key, count(*) AS candidates
    FROM receivables
    WHERE match_key IS NOT NULL
    GROUP BY payment_method, match_key
    HAVING count(*) > 1
),
lines AS NOT MATERIALIZED (
    SELECT * FROM scope_lines_as_of
),
matched AS (
    SELECT settlement_line_id, min(receivable_id) AS receivable_id
    FROM marts.matches
    WHERE as_of = $as_of AND settlement_line_id IN (SELECT settlement_line_id FROM lines)
    GROUP BY settlement_line_id
),
open_bank AS (
    SELECT receivable_id, due_date, kana_match_key AS kana,
        expected_amount - paid_amount - refunded_amount - fee_deducted_amount AS open_amount
    FROM marts.receivables
    WHERE as_of = $as_of AND payment_method = 'BANK_TRANSFER'
        AND expected_amount - paid_amount - refunded_amount - fee_deducted_amount > 0
),
known_numbers AS (
    SELECT DISTINCT match_key
    FROM marts.receivables
    WHERE as_of = $as_of AND payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL
),
bank_numbers AS (
    SELECT l.settlement_line_id, l.match_key AS typed_number,
        l.match_key IN (SELECT match_key FROM known_numbers) AS known
    FROM lines AS l
    WHERE l.payment_method = 'BANK_TRANSFER' AND l.match_key IS NOT NULL
),
set_aside AS (
    SELECT settlement_line_id, arg_min(action, (effective_on, disposition_id)) AS action
    FROM staging.dispositions_as_of($as_of)
    WHERE action IN ('IGNORE', 'REFUNDED')
    GROUP BY settlement_line_id
),
subset_candidates AS (
    SELECT settlement_line_id, suggestion, any_value(candidates) AS fitting,
        list(receivable_id ORDER BY receivable_id) AS receivables
    FROM suggestions
    WHERE rule = 'customer_subset'
    GROUP BY settlement_line_id, suggestion
),
subset_suggestions AS (
    SELECT settlement_line_id,
        list(receivables ORDER BY suggestion) AS candidate_subsets,
        any_value(fitting) || ' subsets of the customer''s open receivables equal the transfer'
            || CASE WHEN any_value(fitting) > count(*) THEN ' (the first ' || count(*) || ')'
                ELSE '' END
            || ', so none is paid until an operator decides: '
            || string_agg(suggestion || ') ' || array_to_string(receivables, ' + '), '; '
                ORDER BY suggestion) AS evidence
    FROM subset_candidates
    GROUP BY settlement_line_id
),
name_suggestions AS (
    SELECT l.settlement_line_id,
        arg_min(o.receivable_id, (o.due_date, o.receivable_id)) AS receivable_id
    FROM lines AS l
    JOIN open_bank AS o
        ON o.kana = normalize_kana(l.payer_name) AND o.open_amount = l.gross_amount
    LEFT JOIN bank_numbers AS b USING (settlement_line_id)
    WHERE l.payment_method = 'BANK_TRANSFER' AND l.line_type = 'PAYMENT'
        AND NOT coalesce(b.known, false)
    GROUP BY l.settlement_line_id
)
SELECT
    l.settlement_line_id,
    l.source,
    l.payment_method,
    l.line_type,
    l.gross_amount,
    l.fee_amount,
    l.paid_date,
    l.match_key,
    CASE
        WHEN l.line_type IN ('KONBINI_CANCEL', 'BANK_CANCEL') THEN 'REVERSED'
        WHEN l.line_type = 'FEE' THEN 'FEE'
        WHEN m.settlement_line_id IS NOT NULL THEN 'MATCHED'
        WHEN i.settlement_line_id IS NOT NULL THEN 'IGNORED'
        WHEN s.settlement_line_id IS NOT NULL OR u.settlement_line_id IS NOT NULL
            OR al.settlement_line_id IS NOT NULL THEN 'SUGGESTED'
        ELSE 'UNMATCHED'
    END AS status,
    -- the receivable a MATCHED line pays or a SUGGESTED line may pay; none for an IGNORED one
    CASE
        WHEN m.settlement_line_id IS NOT NULL THEN m.receivable_id
        WHEN i.settlement_line_id IS NULL THEN s.receivable_id
    END AS receivable_id,
    CASE
        WHEN l.line_type IN ('KONBINI_CANCEL', 'BANK_CANCEL', 'FEE')
            OR m.settlement_line_id IS NOT NULL THEN NULL
        WHEN i.settlement_line_id IS NOT NULL THEN i.action
        WHEN u.settlement_line_id IS NOT NULL THEN 'SUBSET_SUGGESTION'
        WHEN s.settlement_line_id IS NOT NULL THEN 'NAME_AMOUNT_SUGGESTION'
        WHEN al.settlement_line_id IS NOT NULL THEN 'PAYER_ALIAS_SUGGESTION'
        WHEN l.match_key IS NULL AND l.payment_method = 'BANK_TRANSFER' THEN 'NO_CUSTOMER_NUMBER'
        WHEN NOT b.known THEN 'UNKNOWN_CUSTOMER_NUMBER'
        WHEN l.match_key IS NULL THEN 'NO_KEY'
        WHEN k.candidates > 1 AND l.payment_method <> 'BANK_TRANSFER' THEN 'AMBIGUOUS_KEY'
        ELSE 'NO_RECEIVABLE_FOR_KEY'
    END AS reason,
    -- a customer number typed in the payer name that is nobody's was read as no number
    CASE
        WHEN m.settlement_line_id IS NULL AND i.settlement_line_id IS NULL
            AND u.settlement_line_id IS NOT NULL THEN u.evidence
        WHEN m.settlement_line_id IS NULL AND i.settlement_line_id IS NULL
            AND s.settlement_line_id IS NULL AND al.settlement_line_id IS NOT NULL
            THEN al.evidence
        WHEN NOT b.known AND m.settlement_line_id IS NULL
            THEN 'customer number ' || b.typed_number || ' in the payer name belongs to no '
                || 'customer: read as no number'
    END AS evidence,
    CASE
        WHEN m.settlement_line_id IS NULL AND i.settlement_line_id IS NULL
            THEN u.candidate_subsets
    END AS candidate_subsets
FROM lines AS l
LEFT JOIN matched AS m USING (settlement_line_id)
LEFT JOIN name_suggestions AS s USING (settlement_line_id)
LEFT JOIN subset_suggestions AS u USING (settlement_line_id)
LEFT JOIN (SELECT * FROM alias_lines WHERE customers > 1) AS al USING (settlement_line_id)
LEFT JOIN set_aside AS i USING (settlement_line_id)
LEFT JOIN bank_numbers AS b USING (settlement_line_id)
LEFT JOIN keys AS k ON k.payment_method = l.payment_method AND k.match_key = l.match_key
