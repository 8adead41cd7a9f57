-- Every settlement line as of a day, one row per settlement_line_id: when a payment came in
-- several records (konbini 速報, 確報, 速報取消), the highest version_rank wins, so a payment
-- counts once. Lines dated after the day are not known yet. Only ids with several records
-- are ranked; the others are their own latest version. scoped := true keeps only the lines
-- the day recomputes (audit.reconcile_scope).
CREATE OR REPLACE MACRO staging.settlement_lines_as_of(as_of_date, scoped := false) AS TABLE
WITH visible AS (
    SELECT *
    FROM staging.settlement_lines
    WHERE partition_date <= as_of_date AND paid_date <= as_of_date
        AND (NOT scoped OR settlement_line_id IN (
            SELECT item_id FROM audit.reconcile_scope
            WHERE as_of = as_of_date AND side = 'SETTLEMENT'))
),
versioned AS (
    SELECT settlement_line_id FROM visible GROUP BY settlement_line_id HAVING count(*) > 1
)
SELECT * FROM visible WHERE settlement_line_id NOT IN (SELECT settlement_line_id FROM versioned)
UNION ALL
(
    SELECT * FROM visible WHERE settlement_line_id IN (SELECT settlement_line_id FROM versioned)
    QUALIFY row_number() OVER (
        PARTITION BY settlement_line_id ORDER BY version_rank DESC, partition_date DESC, path DESC, line_no DESC
    ) = 1
)
