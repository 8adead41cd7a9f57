-- The auto-match rate over a range of days (marts.auto_match_rate): of the payments that
-- arrived, the share of lines and of yen a rule matched without a person, per channel and in
-- total (ALL), as the demo and `make bench` report it; settled_rate: of the lines, those
-- matched without a person whose receivables are all PAID.
SELECT
    channel,
    CAST(sum(lines) AS BIGINT) AS payments,
    CAST(sum(auto_matched_lines) AS BIGINT) AS auto_matched,
    round(sum(auto_matched_lines) / sum(lines), 4) AS line_rate,
    CAST(sum(amount) AS BIGINT) AS yen,
    CAST(sum(auto_matched_amount) AS BIGINT) AS auto_matched_yen,
    round(sum(auto_matched_amount) / sum(amount), 4) AS yen_rate,
    round(sum(auto_settled_lines) / sum(lines), 4) AS settled_rate
FROM marts.auto_match_rate
WHERE partition_date BETWEEN $first AND $last
GROUP BY channel
ORDER BY channel = 'ALL', channel
