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
SELECT DISTINCT settlement_line_id, payment_method, match_key
FROM staging.settlement_lines
WHERE partition_date <= $as_of AND paid_date <= $as_of
    AND settlement_line_id NOT IN (SELECT settlement_line_id FROM scope_lines)
    AND (
        (payment_method, match_key) IN (SELECT payment_method, match_key FROM scope_keys)
        OR settlement_line_id IN (
            SELECT settlement_line_id FROM staging.dispositions_as_of($as_of)
            WHERE receivable_id IN (SELECT receivable_id FROM scope_new_receivables)
        )
        OR settlement_line_id IN (
            SELECT settlement_line_id FROM scope_cross_links
            WHERE receivable_id IN (SELECT receivable_id FROM scope_new_receivables)
        )
    )
