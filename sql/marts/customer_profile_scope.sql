-- The customers whose profile may have changed since the last profiled day ($since,
-- exclusive): a receivable of theirs changed (its payments and the day they added up are
-- part of it), one fell due (a paid one is judged from its due date, an unpaid one from the
-- day after), they were dunned, or a disposition of theirs took effect (a RELEASE lifts a
-- blacklisting). From nothing, $since is the first date there is and every customer is in
-- scope.
SELECT DISTINCT customer_id AS item_id
FROM marts.receivables_history
WHERE (valid_from > $since AND valid_from <= $as_of) OR (valid_to > $since AND valid_to <= $as_of)
UNION
SELECT customer_id
FROM marts.receivables
WHERE as_of = $as_of AND due_date >= $since AND due_date <= $as_of
UNION
SELECT customer_id
FROM marts.dunning_candidates
WHERE as_of > $since AND as_of <= $as_of
UNION
SELECT r.customer_id
FROM staging.dispositions_as_of($as_of) AS d
JOIN marts.receivables AS r ON r.as_of = $as_of AND r.receivable_id = d.receivable_id
WHERE d.effective_on > $since
