-- The settlement lines a matching rule may link: the day's scope's lines as of the day
-- (scope_lines_as_of) but fees and cancellations (速報取消, 組戻し), which pay nothing.
SELECT *
FROM scope_lines_as_of
WHERE line_type NOT IN ('FEE', 'KONBINI_CANCEL', 'BANK_CANCEL')
