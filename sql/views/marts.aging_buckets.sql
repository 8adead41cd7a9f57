-- The aging buckets in their order, with the days past due each holds (NOT_DUE: not due yet).
CREATE OR REPLACE VIEW marts.aging_buckets AS
SELECT * FROM (
    VALUES
        (1, 'NOT_DUE', NULL, 0),
        (2, '1-30', 1, 30),
        (3, '31-60', 31, 60),
        (4, '61-90', 61, 90),
        (5, '91-180', 91, 180),
        (6, '181-365', 181, 365),
        (7, '365+', 366, NULL)
) AS b (bucket_order, aging_bucket, min_days_past_due, max_days_past_due)
