-- Fees per source on the day (never a shortfall): the provider fees of the lines that arrived
-- on the day, and the bank transfer fees payers deducted (振込手数料差引, rule transfer_fee)
-- that the day's matching settled: Σ fee_deducted_amount of the links as of the day less as of
-- the day before, by the source of the line (the bank), so each deducted fee counts once, on
-- the day it is known, and one the matching undoes later is taken back that day, as the
-- journal books it. fee_amount is both; deducted_fee_amount the part payers deducted.
WITH provider AS (
    SELECT source, count(*) AS lines, sum(fee_amount) AS fee_amount
    FROM staging.settlement_lines
    WHERE partition_date = $partition_date
    GROUP BY source
),
deducted_links AS (
    SELECT settlement_line_id,
        CASE WHEN as_of = $partition_date THEN fee_deducted_amount
            ELSE -fee_deducted_amount END AS fee_amount
    FROM marts.matches
    WHERE as_of IN ($partition_date, CAST($partition_date AS DATE) - 1)
        AND fee_deducted_amount <> 0
),
line_sources AS (
    SELECT DISTINCT settlement_line_id, source
    FROM staging.settlement_lines
    WHERE settlement_line_id IN (SELECT settlement_line_id FROM deducted_links)
),
deducted AS (
    SELECT s.source, sum(d.fee_amount) AS fee_amount
    FROM deducted_links AS d
    JOIN line_sources AS s USING (settlement_line_id)
    GROUP BY s.source
    HAVING sum(d.fee_amount) <> 0
)
SELECT
    CAST($partition_date AS DATE) AS partition_date,
    source,
    coalesce(p.lines, 0) AS lines,
    CAST(coalesce(p.fee_amount, 0) + coalesce(d.fee_amount, 0) AS BIGINT) AS fee_amount,
    CAST(coalesce(d.fee_amount, 0) AS BIGINT) AS deducted_fee_amount
FROM provider AS p
FULL JOIN deducted AS d USING (source)
