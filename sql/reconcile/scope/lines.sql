-- Settlement lines the scope reaches and does not hold yet: seeds, every line with the key of
-- a receivable or line in scope, the lines that dispositions of receivables in scope name,
-- and the lines that paid a receivable in scope across channels the day before.
WITH scope_keys AS (
    SELECT payment_method, match_key FROM scope_receivables WHERE match_key IS NOT NULL
    UNION
    SELECT payment_method, match_key FROM scope_lines WHERE match_key IS NOT NULL
)
SELECT DISTINCT settlement_line_id, payment_method, match_key
FROM staging.settlement_lines
WHERE partition_date <= $as_of AND paid_date <= $as_of
    AND settlement_line_id NOT IN (SELECT settlement_line_id FROM scope_lines)
    AND (
        settlement_line_id IN (SELECT item_id FROM scope_seeds WHERE side = 'SETTLEMENT')
        OR (payment_method, match_key) IN (SELECT payment_method, match_key FROM scope_keys)
        OR settlement_line_id IN (
            SELECT settlement_line_id FROM staging.dispositions_as_of($as_of)
            WHERE receivable_id IN (SELECT receivable_id FROM scope_receivables)
        )
        OR settlement_line_id IN (
            SELECT settlement_line_id FROM scope_cross_links
            WHERE receivable_id IN (SELECT receivable_id FROM scope_receivables)
        )
    )
