-- rules: learned_alias
-- yields: keys
-- A transfer without a known customer number whose payer kana is an alias of exactly one
-- customer (learned from an operator's MANUAL_MATCH or the payer_aliases file, valid on its
-- paid date: sql/reconcile/alias_lines.sql) is treated as if it carried that customer's
-- number: every bank rule after this one (bank_exact, customer_sum, customer_subset,
-- transfer_fee, the allocation, the overpayment) applies to it unchanged, and its links are
-- named learned_alias with the alias in their evidence, followed by the rule that allocated.
-- An alias two customers claim only suggests (settlement_status: PAYER_ALIAS_SUGGESTION).
-- Before bank_exact, after the key rules: an alias never overrides a typed number of a
-- customer.
SELECT
    settlement_line_id,
    customer_number AS match_key,
    evidence
FROM alias_lines
WHERE customers = 1
