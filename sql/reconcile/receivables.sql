-- The receivable ledger as of a day, for the receivables in the day's scope: expected, paid
-- (Σ matched gross), a bank fee the payer deducted (Σ fee_deducted_amount of the links, rule
-- transfer_fee: it settles the receivable like a payment, so expected − paid − written off −
-- fee deducted = outstanding), outstanding, status and difference reason. Days past due and
-- aging follow from the day alone: the view marts.receivables computes them.
-- scope_receivables_as_of / scope_lines_as_of: see reconcile/matches.sql.
WITH receivables AS NOT MATERIALIZED (
    SELECT * FROM scope_receivables_as_of
),
linked AS (
    -- the links with their lines; a receivable's amounts are joined only where a few need
    -- them (full_payments, settled): a second hash table of every receivable beside the
    -- lines' ran out of memory at 10M orders and a 1GB limit. Links of receivables out of
    -- the scope fall away in the ledger's join.
    SELECT m.receivable_id, m.matched_amount, m.fee_deducted_amount, l.gross_amount,
        l.line_type, l.paid_date
    FROM marts.matches AS m
    JOIN scope_lines_as_of AS l USING (settlement_line_id)
    WHERE m.as_of = $as_of
),
paid AS (
    SELECT
        receivable_id,
        sum(matched_amount) AS paid_amount,
        sum(fee_deducted_amount) AS fee_deducted_amount,
        count(*) FILTER (WHERE gross_amount > 0) AS payments,
        coalesce(sum(gross_amount) FILTER (
            WHERE line_type IN ('DISPUTE', 'DISPUTE_REVERSAL')
        ), 0) AS dispute_net,
        bool_or(line_type = 'KONBINI_PRELIM') AS paid_in_prelim,
        min(paid_date) AS first_paid_date,
        max(paid_date) AS last_paid_date
    FROM linked
    GROUP BY receivable_id
),
settled AS (
    -- the day the payments first added up to the expected amount (the last payment's date
    -- for single and split payments; a later double payment or refund does not move it).
    -- Paid on one day (most receivables): that day, so the running sum is taken only over
    -- the receivables paid on several (at 1M orders: 2,167 of 926k; over all, ~4 s of CPU)
    SELECT
        receivable_id,
        coalesce(
            min(paid_date) FILTER (WHERE paid_so_far >= expected_amount), max(paid_date)
        ) AS settled_on
    FROM (
        SELECT
            receivable_id,
            paid_date,
            expected_amount,
            sum(amount) OVER (
                PARTITION BY receivable_id ORDER BY paid_date
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS paid_so_far
        FROM (
            SELECT l.receivable_id, l.paid_date, any_value(r.expected_amount) AS expected_amount,
                sum(l.matched_amount + l.fee_deducted_amount) AS amount
            FROM linked AS l
            JOIN paid AS p USING (receivable_id)
            JOIN receivables AS r USING (receivable_id)
            WHERE p.first_paid_date <> p.last_paid_date
            GROUP BY l.receivable_id, l.paid_date
        )
    )
    GROUP BY receivable_id
),
full_payments AS (
    -- the payments of the whole original amount (two make a DOUBLE_PAYMENT), counted only
    -- for the receivables paid more than once (at 1M orders: a few thousand)
    SELECT l.receivable_id, count(*) AS full_payments
    FROM linked AS l
    JOIN paid AS p USING (receivable_id)
    JOIN receivables AS r USING (receivable_id)
    WHERE p.payments >= 2 AND l.gross_amount > 0 AND l.gross_amount = r.original_amount
    GROUP BY l.receivable_id
),
dispositions AS (
    SELECT * FROM staging.dispositions_as_of($as_of)
),
refunds AS (
    SELECT m.receivable_id, sum(d.amount) AS stated_amount,
        bool_or(d.amount IS NULL) AS whole_overpayment
    FROM dispositions AS d
    JOIN marts.matches AS m ON m.as_of = $as_of AND m.settlement_line_id = d.settlement_line_id
    WHERE d.action = 'REFUNDED'
    GROUP BY m.receivable_id
),
disputes AS (
    SELECT receivable_id, arg_max(action, (effective_on, disposition_id)) = 'DISPUTE' AS open_dispute
    FROM dispositions
    WHERE action IN ('DISPUTE', 'RELEASE')
    GROUP BY receivable_id
),
write_offs AS (
    SELECT receivable_id, arg_min(amount, (effective_on, disposition_id)) AS stated_amount
    FROM dispositions
    WHERE action = 'WRITE_OFF'
    GROUP BY receivable_id
),
joined AS (
    -- each receivable with what was paid, refunded, written off and disputed, in one pass of
    -- left joins: only paid is as large as the scope (a join of every receivable with a
    -- table of every receivable, twice, ran out of memory at 10M orders and a 1GB limit)
    SELECT
        r.*,
        coalesce(p.paid_amount, 0) AS matched_amount,
        coalesce(p.fee_deducted_amount, 0) AS fee_deducted_amount,
        coalesce(x.full_payments, 0) AS full_payments,
        coalesce(p.dispute_net, 0) < 0 OR coalesce(d.open_dispute, false) AS in_dispute,
        coalesce(p.paid_in_prelim, false) AS paid_in_prelim,
        p.receivable_id IS NOT NULL AS has_payments,
        CASE
            WHEN p.first_paid_date IS NOT DISTINCT FROM p.last_paid_date THEN p.first_paid_date
            ELSE s.settled_on
        END AS settled_on,
        f.receivable_id IS NOT NULL AS refunded,
        f.whole_overpayment,
        f.stated_amount AS refund_stated,
        w.receivable_id IS NOT NULL AS written_off,
        w.stated_amount AS write_off_stated
    FROM receivables AS r
    LEFT JOIN paid AS p USING (receivable_id)
    LEFT JOIN full_payments AS x USING (receivable_id)
    LEFT JOIN refunds AS f USING (receivable_id)
    LEFT JOIN write_offs AS w USING (receivable_id)
    LEFT JOIN disputes AS d USING (receivable_id)
    LEFT JOIN settled AS s USING (receivable_id)
),
net_paid AS (
    SELECT
        *,
        matched_amount - CASE
            WHEN NOT refunded THEN 0
            WHEN whole_overpayment
                THEN greatest(matched_amount + fee_deducted_amount - expected_amount, 0)
            ELSE least(refund_stated, greatest(matched_amount, 0))
        END AS paid_amount
    FROM joined
),
amounts AS (
    SELECT
        *,
        matched_amount - paid_amount AS refunded_amount,
        CASE
            WHEN NOT written_off THEN CAST(0 AS BIGINT)
            ELSE least(
                coalesce(write_off_stated, expected_amount - paid_amount - fee_deducted_amount),
                greatest(expected_amount - paid_amount - fee_deducted_amount, 0))
        END AS written_off_amount
    FROM net_paid
),
ledger AS (
    SELECT
        *,
        expected_amount - paid_amount - written_off_amount - fee_deducted_amount
            AS outstanding_amount,
        -- what settles the receivable: payments and a bank fee the payer deducted
        paid_amount + fee_deducted_amount AS settled_amount
    FROM amounts
)
SELECT
    receivable_id,
    order_id,
    customer_id,
    payment_method,
    payment_ref,
    match_key,
    customer_kana,
    -- what a transfer's payer name must normalize to for a name + amount suggestion
    CASE WHEN payment_method = 'BANK_TRANSFER' THEN normalize_kana(customer_kana) END
        AS kana_match_key,
    shipped_on,
    original_amount,
    expected_amount,
    paid_amount,
    refunded_amount,
    written_off_amount,
    outstanding_amount,
    CASE
        WHEN written_off_amount > 0 AND outstanding_amount <= 0 THEN 'WRITTEN_OFF'
        WHEN in_dispute THEN 'IN_DISPUTE'
        WHEN expected_amount = 0 AND paid_amount = 0 THEN 'CANCELLED'
        WHEN settled_amount = expected_amount THEN 'PAID'
        WHEN settled_amount > expected_amount THEN 'OVERPAID'
        WHEN settled_amount > 0 THEN 'PARTIALLY_PAID'
        ELSE 'UNPAID'
    END AS status,
    CASE
        WHEN NOT has_payments OR paid_amount = expected_amount THEN NULL
        WHEN fee_deducted_amount > 0 AND settled_amount = expected_amount
            THEN 'TRANSFER_FEE_DEDUCTED'
        WHEN full_payments >= 2 AND settled_amount > expected_amount THEN 'DOUBLE_PAYMENT'
        WHEN expected_amount < original_amount AND settled_amount > expected_amount
            THEN 'REFUND_DUE'
        WHEN discount_amount > 0 AND abs(settled_amount - expected_amount) = discount_amount
            THEN 'COUPON_MISMATCH'
        WHEN settled_amount > expected_amount THEN 'OVER_PAYMENT'
        ELSE 'SHORT_PAYMENT'
    END AS difference_reason,
    due_date,
    paid_in_prelim,
    settled_on,
    fee_deducted_amount
FROM ledger
