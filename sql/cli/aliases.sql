-- `recon aliases`: the payer aliases as of a day (staging.payer_aliases_as_of) — in force, or
-- removed too ($all) — with who decided, when and how, and how many transfers each matched
-- as of the day (the links of rule learned_alias that name it).
WITH aliases AS (
    SELECT * FROM staging.payer_aliases_as_of($as_of)
),
used AS (
    SELECT regexp_extract(evidence, 'payer alias (alias-[0-9a-f]+)', 1) AS alias_id,
        count(DISTINCT settlement_line_id) AS transfers
    FROM marts.matches
    WHERE as_of = $as_of AND rule = 'learned_alias'
    GROUP BY ALL
)
SELECT
    a.alias_id,
    a.payer_kana,
    a.customer_number,
    a.source,
    a.source_ref,
    a.learned_by,
    a.learned_on,
    a.removed_on,
    a.removed_by,
    coalesce(u.transfers, 0) AS transfers_matched
FROM aliases AS a
LEFT JOIN used AS u USING (alias_id)
WHERE $all OR a.removed_on IS NULL OR a.removed_on > $as_of
ORDER BY a.customer_number, a.payer_kana, a.learned_on
