-- Release 0.3: matching that learns (domain.md § Matching that learns). A link's evidence in
-- words and the bank fee a payer deducted (rule transfer_fee), which settles the receivable
-- like a payment; the fees mart keeps the deducted part; a settlement line's candidate
-- subsets (customer_subset suggestions). New tables (config.transfer_fees, the payer aliases,
-- marts.auto_match_rate) come whole from sql/ddl right after. IF EXISTS: a warehouse from
-- before some of these tables gets them whole from sql/ddl too.
ALTER TABLE IF EXISTS marts.matches_history ADD COLUMN IF NOT EXISTS evidence VARCHAR;
ALTER TABLE IF EXISTS marts.matches_history ADD COLUMN IF NOT EXISTS fee_deducted_amount BIGINT DEFAULT 0;
ALTER TABLE IF EXISTS marts.receivables_history ADD COLUMN IF NOT EXISTS fee_deducted_amount BIGINT DEFAULT 0;
ALTER TABLE IF EXISTS marts.fees ADD COLUMN IF NOT EXISTS deducted_fee_amount BIGINT DEFAULT 0;
ALTER TABLE IF EXISTS marts.settlement_status_history ADD COLUMN IF NOT EXISTS candidate_subsets VARCHAR[][];
