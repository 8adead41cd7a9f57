-- Provider-collected receivables (the methods config.collections does not dun: CARD, MALL,
-- COD, BNPL by default) still open past their expected settlement date as of the day: the
-- money is owed by the provider (or was charged back through it), so finance asks the
-- provider, not the customer. The expected settlement date is the receivable's due date:
-- shipped + the policy's settlement lag, or the due date of the shipment data (BNPL).
-- IN_DISPUTE (a card chargeback) is kept: the dispute is worked with the card provider.
SELECT
    CAST($as_of AS DATE) AS as_of,
    r.receivable_id,
    r.order_id,
    r.customer_id,
    r.payment_method,
    CASE r.payment_method
        WHEN 'CARD' THEN 'card'
        WHEN 'MALL' THEN 'amazon'
        WHEN 'COD' THEN 'cod'
        WHEN 'BNPL' THEN 'bnpl'
        ELSE lower(r.payment_method)
    END AS source,
    r.expected_amount,
    r.paid_amount,
    r.outstanding_amount,
    r.status,
    r.difference_reason,
    CASE
        WHEN r.status = 'IN_DISPUTE' THEN 'CHARGEBACK'
        WHEN r.paid_amount > 0 THEN 'SHORT_SETTLED'
        ELSE 'NOT_SETTLED'
    END AS followup_reason,
    r.shipped_on,
    r.due_date AS expected_settlement_date,
    r.days_past_due,
    r.aging_bucket
FROM marts.receivables AS r
JOIN config.collections AS c USING (payment_method)
WHERE r.as_of = $as_of
    AND NOT c.dunned
    AND r.outstanding_amount > 0
    AND r.days_past_due > 0
