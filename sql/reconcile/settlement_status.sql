-- Every settlement line known as of a day in exactly one status, with the reason a line
-- stayed unmatched.
WITH keys AS (
    SELECT payment_method, match_key, count(*) AS candidates
    FROM staging.receivables_as_of($as_of)
    WHERE match_key IS NOT NULL
    GROUP BY payment_method, match_key
),
matched AS (
    SELECT settlement_line_id, receivable_id
    FROM marts.matches
    WHERE as_of = $as_of
)
SELECT
    CAST($as_of AS DATE) AS as_of,
    l.settlement_line_id,
    l.source,
    l.payment_method,
    l.line_type,
    l.gross_amount,
    l.fee_amount,
    l.paid_date,
    CASE
        WHEN l.line_type IN ('KONBINI_CANCEL', 'BANK_CANCEL') THEN 'REVERSED'
        WHEN l.line_type = 'FEE' THEN 'FEE'
        WHEN m.settlement_line_id IS NOT NULL THEN 'MATCHED'
        ELSE 'UNMATCHED'
    END AS status,
    m.receivable_id,
    CASE
        WHEN l.line_type IN ('KONBINI_CANCEL', 'BANK_CANCEL', 'FEE') OR m.settlement_line_id IS NOT NULL THEN NULL
        WHEN l.match_key IS NULL THEN 'NO_KEY'
        WHEN l.payment_method = 'BANK_TRANSFER' THEN 'NOT_ALLOCATED'
        WHEN k.candidates > 1 THEN 'AMBIGUOUS_KEY'
        ELSE 'NO_RECEIVABLE_FOR_KEY'
    END AS reason
FROM staging.settlement_lines_as_of($as_of) AS l
LEFT JOIN matched AS m USING (settlement_line_id)
LEFT JOIN keys AS k ON k.payment_method = l.payment_method AND k.match_key = l.match_key
