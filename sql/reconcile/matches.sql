-- The day's links, as the matching rules made them: one file per rule in
-- sql/reconcile/rules/, run in waterfall order by recon_pipeline.rules into the temp table
-- links (a line taken by an earlier rule is never offered to a later one). Each link
-- records the rule that made it and the difference left on its receivable: amount_delta =
-- expected − Σ matched of the receivable, the evidence for the rule; what the rule learned or
-- used besides (an alias, a deducted fee, the subset) is in evidence, and a bank fee the
-- payer deducted, which settles the receivable, in fee_deducted_amount.
-- Only the day's scope is matched (audit.reconcile_scope): every receivable and line that
-- shares a key, a customer or a disposition with one in scope is in it too, so each rule
-- sees all it would see over the whole history. scope_receivables_as_of and
-- scope_lines_as_of are the scope's receivables and lines as of the day
-- (staging.receivables_as_of / staging.settlement_lines_as_of), made once a day by
-- recon_pipeline.assets.reconcile for the rules and the three reconcile statements.
WITH paid AS (
    SELECT receivable_id, sum(matched_amount) AS paid_amount FROM links GROUP BY receivable_id
)
SELECT
    l.receivable_id,
    l.settlement_line_id,
    l.rule,
    l.matched_amount,
    r.expected_amount - p.paid_amount AS amount_delta,
    l.candidates,
    l.evidence,
    coalesce(l.fee_deducted_amount, 0) AS fee_deducted_amount
FROM links AS l
JOIN paid AS p USING (receivable_id)
JOIN scope_receivables_as_of AS r USING (receivable_id)
