-- rules: manual_match
-- An operator's MANUAL_MATCH disposition links its line to its receivable, before any other
-- rule (it also confirms a name + amount suggestion): a person looked at the line and decided.
-- It reads every line that can pay (match_lines), an IGNOREd one too: the operator named it.
-- The first valid disposition per line wins (the earliest to take effect, then the lowest
-- id); one that names a receivable unknown as of the day links nothing
-- (marts.disposition_outcomes rejects it).
SELECT
    d.receivable_id,
    d.settlement_line_id,
    'manual_match' AS rule,
    l.gross_amount AS matched_amount,
    1 AS candidates
FROM staging.dispositions_as_of($as_of) AS d
JOIN match_lines AS l USING (settlement_line_id)
WHERE d.action = 'MANUAL_MATCH'
    AND d.receivable_id IN (SELECT receivable_id FROM scope_receivables_as_of)
QUALIFY row_number() OVER (
    PARTITION BY d.settlement_line_id ORDER BY d.effective_on, d.disposition_id) = 1
