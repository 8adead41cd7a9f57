-- Release 0.2: real files vary. The manifest says what a file did differently without loss;
-- a quarantined row keeps the key that names the receivable it may pay (its dunning waits);
-- the policy's quarantine hold; a settlement line's evidence. IF EXISTS: a warehouse from
-- before some of these tables gets them whole from sql/ddl right after.
ALTER TABLE IF EXISTS audit.file_manifest ADD COLUMN IF NOT EXISTS notes VARCHAR;
ALTER TABLE IF EXISTS quarantine.rejected_rows ADD COLUMN IF NOT EXISTS payment_key VARCHAR;
ALTER TABLE IF EXISTS quarantine.rejected_rows ADD COLUMN IF NOT EXISTS payment_key_kind VARCHAR;
ALTER TABLE IF EXISTS marts.settlement_status_history ADD COLUMN IF NOT EXISTS evidence VARCHAR;
ALTER TABLE IF EXISTS config.collections ADD COLUMN IF NOT EXISTS quarantine_hold_days INTEGER;
