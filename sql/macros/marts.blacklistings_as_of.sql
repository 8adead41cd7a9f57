-- Blacklistings as of a day: each receivable issued a dunning stage that the policy marks
-- `blacklist` (COLLECTION_AGENCY by default), since that day, and `released_on` when a
-- RELEASE disposition of it took effect afterwards (NULL: the customer is still held).
CREATE OR REPLACE MACRO marts.blacklistings_as_of(as_of_date) AS TABLE
WITH blacklisting AS (
    SELECT c.customer_id, c.receivable_id, c.stage, c.as_of AS since
    FROM marts.dunning_candidates AS c
    JOIN config.dunning_stages AS s ON s.stage = c.stage
    WHERE s.blacklist AND c.as_of <= as_of_date
),
releases AS (
    SELECT receivable_id, effective_on
    FROM staging.dispositions_as_of(as_of_date)
    WHERE action = 'RELEASE'
)
SELECT b.*, min(r.effective_on) AS released_on
FROM blacklisting AS b
LEFT JOIN releases AS r ON r.receivable_id = b.receivable_id AND r.effective_on >= b.since
GROUP BY ALL
