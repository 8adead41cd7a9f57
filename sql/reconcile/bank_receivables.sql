-- The bank rules' receivables: the scope's BANK_TRANSFER receivables with an amount to pay,
-- by the customer number a transfer names (their match_key), with candidates (how many
-- BANK_TRANSFER receivables the customer has, paid or not) and linked (an earlier rule of
-- the day linked it; an operator's manual_match aside: the operator linked one named line,
-- not all the customer paid). A view (recon_pipeline.rules): each rule reads the links as
-- they are when it runs.
SELECT
    *,
    receivable_id IN (SELECT receivable_id FROM links WHERE rule <> 'manual_match') AS linked
FROM (
    SELECT receivable_id, match_key AS customer_number, expected_amount, due_date,
        count(*) OVER (PARTITION BY match_key) AS candidates
    FROM scope_receivables_as_of
    WHERE payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL
)
WHERE expected_amount > 0
