-- rules: customer_subset
-- A transfer equal to the sum of exactly one proper subset (2 to 5 receivables, fewer than
-- all) of its customer's open BANK_TRANSFER receivables pays that subset (消込組合せ): the
-- customer paid some of their orders in one transfer, and oldest-first would spread it over
-- the wrong ones. When two or more subsets fit, nothing is allocated: the transfer leaves the
-- waterfall as a suggestion (rows with `suggestion` = the candidate's number, the first 10
-- by size, then receivable ids; `candidates` = how many subsets fit), SUGGESTED in
-- marts.settlement_status with the candidates, until an operator decides. After bank_exact (one receivable) and
-- customer_sum (all of them), before transfer_fee and the allocation.
-- The search is bounded, and the bound is safe: only customers with at most 12 open
-- receivables are searched, subsets of at most 5: 2^12 = 4,096 bitmasks a customer, of which
-- at most 1,573 are subsets of 2-5, so a day costs at most that per customer with a transfer
-- left, whatever the history. A customer beyond the bound is not guessed at: the transfer goes
-- to the oldest-first allocation as before this rule, and the fewer-than-5 limit only means a
-- rarer combination is allocated oldest-first, never that a wrong subset is picked (a subset
-- is only taken when it is the only one of 2-5 that fits).
-- Set-based: every transfer of the customer is tried against the same open receivables. A
-- transfer with exactly one fitting subset pays it unless a receivable of it is in the one
-- subset of an earlier transfer (paid date, then id) — that transfer has it; this one is left
-- to the allocation. Open: as in bank_allocation.
WITH transfers AS (
    SELECT settlement_line_id, match_key AS customer_number, gross_amount, paid_date
    FROM lines_left
    WHERE payment_method = 'BANK_TRANSFER' AND match_key IS NOT NULL AND gross_amount > 0
),
open_receivables AS (
    SELECT *,
        count(*) OVER (PARTITION BY customer_number) AS open_count,
        row_number() OVER (
            PARTITION BY customer_number ORDER BY due_date, receivable_id) - 1 AS bit
    FROM bank_receivables
    WHERE NOT linked AND customer_number IN (SELECT customer_number FROM transfers)
),
customers AS (
    SELECT customer_number, any_value(open_count) AS open_count
    FROM open_receivables
    GROUP BY customer_number
    HAVING any_value(open_count) BETWEEN 3 AND 12
),
masks AS (
    SELECT customer_number, mask
    FROM (
        SELECT customer_number, open_count, unnest(range(1, 1 << open_count)) AS mask
        FROM customers
    )
    WHERE bit_count(mask) BETWEEN 2 AND least(5, open_count - 1)
),
subsets AS (
    SELECT m.customer_number, m.mask, sum(r.expected_amount) AS amount,
        list(r.receivable_id ORDER BY r.receivable_id) AS receivables
    FROM masks AS m
    JOIN open_receivables AS r
        ON r.customer_number = m.customer_number AND (m.mask >> r.bit) & 1 = 1
    GROUP BY m.customer_number, m.mask
),
fits AS (
    SELECT t.settlement_line_id, t.customer_number, t.gross_amount, t.paid_date, s.mask,
        s.receivables,
        count(*) OVER (PARTITION BY t.settlement_line_id) AS fitting,
        row_number() OVER (
            PARTITION BY t.settlement_line_id ORDER BY len(s.receivables), s.receivables)
            AS candidate
    FROM transfers AS t
    JOIN subsets AS s ON s.customer_number = t.customer_number AND s.amount = t.gross_amount
),
unique_fits AS (
    SELECT f.*, r.receivable_id, r.expected_amount, r.candidates,
        arg_min(f.settlement_line_id, (f.paid_date, f.settlement_line_id))
            OVER (PARTITION BY r.receivable_id) = f.settlement_line_id AS first_claim
    FROM fits AS f
    JOIN open_receivables AS r
        ON r.customer_number = f.customer_number AND (f.mask >> r.bit) & 1 = 1
    WHERE f.fitting = 1
),
taken AS (
    SELECT settlement_line_id
    FROM unique_fits
    GROUP BY settlement_line_id
    HAVING bool_and(first_claim)
)
SELECT
    receivable_id,
    settlement_line_id,
    'customer_subset' AS rule,
    expected_amount AS matched_amount,
    candidates,
    'the only subset of the customer''s open receivables that the transfer equals: '
        || array_to_string(receivables, ' + ') AS evidence,
    CAST(NULL AS INTEGER) AS suggestion
FROM unique_fits
WHERE settlement_line_id IN (SELECT settlement_line_id FROM taken)
UNION ALL
SELECT
    r.receivable_id,
    f.settlement_line_id,
    'customer_subset' AS rule,
    r.expected_amount AS matched_amount,
    CAST(f.fitting AS INTEGER) AS candidates,
    f.fitting || ' subsets of the customer''s open receivables equal the transfer: '
        || 'candidate ' || f.candidate || ' is ' || array_to_string(f.receivables, ' + ')
        AS evidence,
    CAST(f.candidate AS INTEGER) AS suggestion
FROM fits AS f
JOIN open_receivables AS r
    ON r.customer_number = f.customer_number AND (f.mask >> r.bit) & 1 = 1
WHERE f.fitting > 1 AND f.candidate <= 10
