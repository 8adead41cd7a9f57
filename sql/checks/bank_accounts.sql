-- The day's bank statements are of the shop's own accounts (none listed: not judged). A
-- statement of another account — another shop's, delivered to the wrong folder — would match
-- its transfers to this shop's customers, who may share numbers and names with that shop's.
SELECT path, bank_code || '-' || branch_code || '-' || account_number AS account,
    count(*) AS lines
FROM raw.bank
WHERE partition_date = $day
    AND len($accounts) > 0
    AND NOT list_contains($accounts, bank_code || '-' || branch_code || '-' || account_number)
GROUP BY ALL
ORDER BY ALL
