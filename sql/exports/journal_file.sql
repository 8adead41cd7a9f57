-- A day's journal in the 弥生会計 import format (弥生会計 05 以降: 25 columns, no header, one
-- row per slip line; freee's and マネーフォワード's importers take it too), each row as its
-- text: 識別フラグ (2111 a one-line slip; 2110 first, 2100 middle, 2101 last line of a slip),
-- 伝票No., 決算 (blank), 取引日付 (YYYY/MM/DD), 借方 勘定科目 補助科目 部門 税区分 金額 税金額,
-- 貸方 the same six, 摘要 (64 bytes), 番号, 期日, タイプ 0, 生成元, 仕訳メモ (the entry and
-- its ids, 180 bytes), 付箋1 0, 付箋2 0, 調整 no. Amounts are never negative (a reversal
-- swaps the sides); 税金額 is left for the accounting software to compute from 税区分.
-- No field needs quoting: account names are checked when the accounts file is loaded, free
-- text goes through exports.cp932_text. Each row ends in CRLF, so the rows of a batch are the
-- file's text as they come (recon_pipeline.assets.exports.journal_file).
-- The two macros run a regular expression per value (~4 s of a 1M-order backlog's 2.8M
-- lines): a text with no comma, double quote or control character is its own cp932_text, and
-- one of at most N UTF-8 bytes fits N bytes of CP932 (no character takes more bytes there).
WITH day_lines AS (
    SELECT
        *,
        count(*) OVER (PARTITION BY slip_no) AS slip_lines,
        CASE
            WHEN regexp_matches(description, '[\x00-\x1f\x7f,"]')
                THEN exports.cp932_text(description)
            ELSE coalesce(description, '')
        END AS description_text,
        concat_ws(
            ' ', entry_type, correction, receivable_id, settlement_line_id, source_event
        ) AS memo,
        CASE
            WHEN regexp_matches(memo, '[\x00-\x1f\x7f,"]') THEN exports.cp932_text(memo)
            ELSE memo
        END AS memo_text
    FROM marts.journal_lines
    WHERE partition_date = $partition_date
)
SELECT
    slip_no,
    line_no,
    concat_ws(
        ',',
        CASE
            WHEN slip_lines = 1 THEN '2111'
            WHEN line_no = 1 THEN '2110'
            WHEN line_no = slip_lines THEN '2101'
            ELSE '2100'
        END,
        CAST(slip_no AS VARCHAR),
        '',
        strftime(CAST($partition_date AS DATE), '%Y/%m/%d'),
        debit_account,
        coalesce(debit_sub_account, ''),
        '',
        coalesce(debit_tax_class, ''),
        CAST(debit_amount AS VARCHAR),
        '',
        credit_account,
        coalesce(credit_sub_account, ''),
        '',
        coalesce(credit_tax_class, ''),
        CAST(credit_amount AS VARCHAR),
        '',
        CASE
            WHEN strlen(description_text) <= 64 THEN description_text
            ELSE exports.cp932_left(description_text, 64)
        END,
        '',
        '',
        '0',
        '',
        CASE
            WHEN strlen(memo_text) <= 180 THEN memo_text
            ELSE exports.cp932_left(memo_text, 180)
        END,
        '0',
        '0',
        'no' || chr(13) || chr(10)
    ) AS line
FROM day_lines
ORDER BY slip_no, line_no
