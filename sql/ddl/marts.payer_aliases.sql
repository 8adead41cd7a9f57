-- The payer aliases as of every reconciled day (staging.payer_aliases_as_of): what rule
-- learned_alias knew that day, with who decided, when and from what, and how many transfers
-- each matched as of the day. `recon aliases` and analysts read it.
CREATE TABLE IF NOT EXISTS marts.payer_aliases (
    as_of DATE NOT NULL,
    alias_id VARCHAR NOT NULL,
    payer_kana VARCHAR NOT NULL,
    customer_number VARCHAR NOT NULL,
    source VARCHAR NOT NULL,          -- MANUAL_MATCH FILE
    source_ref VARCHAR NOT NULL,      -- the disposition id, or the file and line
    learned_by VARCHAR,
    learned_on DATE NOT NULL,         -- it speaks for transfers paid from this day on
    removed_on DATE,                  -- … and before this one
    removed_by VARCHAR,
    removed_by_ref VARCHAR,           -- REMOVE_ALIAS <disposition id>, or FILE <file:line>
    transfers_matched BIGINT NOT NULL
)
