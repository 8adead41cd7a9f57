-- `recon aliases`: the payer aliases as of a day (marts.payer_aliases) — in force, or removed
-- too ($all) — with who decided, when and how, and how many transfers each matched.
SELECT alias_id, payer_kana, customer_number, source, source_ref, learned_by, learned_on,
    removed_on, removed_by, transfers_matched
FROM marts.payer_aliases
WHERE as_of = $as_of AND ($all OR removed_on IS NULL OR removed_on > $as_of)
ORDER BY customer_number, payer_kana, learned_on
