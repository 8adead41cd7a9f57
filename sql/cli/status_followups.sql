SELECT payment_method, followup_reason, count(*) AS receivables,
    CAST(sum(outstanding_amount) AS BIGINT) AS outstanding, max(days_past_due) AS max_days_past_due
FROM marts.provider_followups WHERE as_of = $as_of GROUP BY ALL ORDER BY ALL
