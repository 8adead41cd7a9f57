-- Release 0.5: marts.unmatched_items is a view over the versioned ledger and line statuses
-- (sql/views/marts.unmatched_items.sql), which hold every open item of every day already: the
-- table stored each day's open items again (at 1M orders ~55k rows a day, growing with what
-- stays open). Its rows are what the view gives for the same days (checked on a 1M-order
-- warehouse, every day, row for row), so the table goes and the view takes its name.
-- requires: marts.unmatched_items
DROP TABLE marts.unmatched_items;
