-- The day's journal lines (temp table journal_day_lines, made by sql/marts/journal.sql)
-- numbered: slips in order of their key (reversals first, by the slip they undo; then
-- shipment events, settlement lines, receivables), lines within a slip by entry type and ids.
-- The numbers are worked out over the keys alone and joined back by row id: a window over
-- whole lines carried ~320 bytes a line through its sort (the 1M-order backlog day's 2.8M
-- lines spilled at a 1GB limit).
WITH slips AS (
    SELECT
        *,
        row_number() OVER (ORDER BY part, group_date, group_slip, group_kind, group_ref)
            AS slip_no
    FROM (
        SELECT DISTINCT part, group_date, group_slip, group_kind, group_ref
        FROM journal_day_lines
    )
),
numbers AS (
    SELECT
        l.rowid AS line_row,
        s.slip_no,
        row_number() OVER (
            PARTITION BY s.slip_no ORDER BY l.line_order, l.receivable_id, l.settlement_line_id
        ) AS line_no
    FROM journal_day_lines AS l
    JOIN slips AS s
        ON s.part = l.part
        AND s.group_date IS NOT DISTINCT FROM l.group_date
        AND s.group_slip IS NOT DISTINCT FROM l.group_slip
        AND s.group_kind IS NOT DISTINCT FROM l.group_kind
        AND s.group_ref IS NOT DISTINCT FROM l.group_ref
)
SELECT
    l.* EXCLUDE (part, group_date, group_slip, group_kind, group_ref, line_order),
    CAST(n.slip_no AS INTEGER) AS slip_no,
    CAST(n.line_no AS INTEGER) AS line_no
FROM journal_day_lines AS l
JOIN numbers AS n ON n.line_row = l.rowid
