-- The payer aliases as of the day (staging.payer_aliases_as_of), each with how many transfers
-- it matched as of the day (the links of rule learned_alias that name it), written by the
-- reconcile step after the matches: the table marts.payer_aliases.
WITH used AS (
    SELECT regexp_extract(evidence, 'payer alias (alias-[0-9a-f]+)', 1) AS alias_id,
        count(DISTINCT settlement_line_id) AS transfers
    FROM marts.matches
    WHERE as_of = $as_of AND rule = 'learned_alias'
    GROUP BY ALL
)
SELECT
    CAST($as_of AS DATE) AS as_of,
    a.*,
    coalesce(u.transfers, 0) AS transfers_matched
FROM staging.payer_aliases_as_of($as_of) AS a
LEFT JOIN used AS u USING (alias_id)
