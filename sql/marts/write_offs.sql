-- What was written off (貸倒) as of the day, with the disposition that decided it.
SELECT
    r.as_of,
    r.receivable_id,
    r.customer_id,
    r.payment_method,
    r.written_off_amount,
    d.disposition_id,
    d.decided_by,
    d.decided_at,
    d.note
FROM marts.receivables AS r
JOIN (
    SELECT *
    FROM staging.dispositions_as_of($as_of)
    WHERE action = 'WRITE_OFF'
    QUALIFY row_number() OVER (
        PARTITION BY receivable_id ORDER BY effective_on, disposition_id) = 1
) AS d USING (receivable_id)
WHERE r.as_of = $as_of AND r.written_off_amount > 0
