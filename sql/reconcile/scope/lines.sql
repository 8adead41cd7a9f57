-- Settlement lines the scope reaches and does not hold yet, from what the last steps added
-- (scope_new_receivables: this round's receivables; scope_new_lines: the last round's lines,
-- the seed lines in the first round): every line with the key of one of them, the lines that
-- dispositions of those receivables name, and the lines that paid one of those receivables
-- across keys the day before (scope_cross_links: the links of the rules with "scope: links",
-- recon_pipeline.rules). The seed lines are in the scope before the first round.
WITH scope_keys AS (
    SELECT payment_method, match_key FROM scope_new_receivables WHERE match_key IS NOT NULL
    UNION
    SELECT payment_method, match_key FROM scope_new_lines WHERE match_key IS NOT NULL
)
SELECT DISTINCT s.settlement_line_id, s.payment_method,
    coalesce(a.customer_number, s.match_key) AS match_key
FROM staging.settlement_lines AS s
-- a transfer a payer alias speaks for has its customer's number (sql/reconcile/alias_lines.sql)
LEFT JOIN alias_lines AS a USING (settlement_line_id)
WHERE s.partition_date <= $as_of AND s.paid_date <= $as_of
    AND settlement_line_id NOT IN (SELECT settlement_line_id FROM scope_lines)
    AND (
        (s.payment_method, coalesce(a.customer_number, s.match_key))
            IN (SELECT payment_method, match_key FROM scope_keys)
        OR settlement_line_id IN (
            SELECT settlement_line_id FROM staging.dispositions_as_of($as_of)
            WHERE receivable_id IN (SELECT receivable_id FROM scope_new_receivables)
        )
        OR settlement_line_id IN (
            SELECT settlement_line_id FROM scope_cross_links
            WHERE receivable_id IN (SELECT receivable_id FROM scope_new_receivables)
        )
    )
