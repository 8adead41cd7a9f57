-- Every settlement line as of a day, one row per settlement_line_id: when a payment came in
-- several records (konbini 速報, 確報, 速報取消), the highest version_rank wins, so a payment
-- counts once. Lines dated after the day are not known yet.
CREATE OR REPLACE MACRO staging.settlement_lines_as_of(as_of_date) AS TABLE
SELECT *
FROM staging.settlement_lines
WHERE partition_date <= as_of_date AND paid_date <= as_of_date
QUALIFY row_number() OVER (
    PARTITION BY settlement_line_id ORDER BY version_rank DESC, partition_date DESC, line_no DESC
) = 1
