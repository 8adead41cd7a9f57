-- Provider fees per source for the lines that arrived on the day (never a shortfall).
SELECT
    partition_date,
    source,
    count(*) AS lines,
    sum(fee_amount) AS fee_amount
FROM staging.settlement_lines
WHERE partition_date = $partition_date
GROUP BY partition_date, source
