-- Release 0.4: every settlement line's status carries the line's key (match_key), so
-- marts.settlement_status answers "which order / customer did this payment name" without a
-- join. Existing versions are filled from the record reconcile read for them: the line's
-- winning record (highest version_rank) known on the version's first day. (A fresh reconcile
-- also starts a version on a day only the key changed; an upgraded warehouse keeps the key
-- of each version's first day.)
-- requires: marts.settlement_status_history, staging.settlement_lines
ALTER TABLE marts.settlement_status_history ADD COLUMN IF NOT EXISTS match_key VARCHAR;
UPDATE marts.settlement_status_history AS h
SET match_key = w.match_key
FROM (
    SELECT
        v.settlement_line_id,
        v.valid_from,
        arg_max(l.match_key, (l.version_rank, l.partition_date, l.path, l.line_no)) AS match_key
    FROM (SELECT DISTINCT settlement_line_id, valid_from FROM marts.settlement_status_history) AS v
    JOIN staging.settlement_lines AS l
        ON l.settlement_line_id = v.settlement_line_id
        AND l.partition_date <= v.valid_from AND l.paid_date <= v.valid_from
    GROUP BY v.settlement_line_id, v.valid_from
) AS w
WHERE h.settlement_line_id = w.settlement_line_id AND h.valid_from = w.valid_from;
