-- The lines the rules start from (recon_pipeline.rules takes each rule's lines out of them):
-- every line that can pay (match_lines) but those an operator's IGNORE set aside.
SELECT *
FROM match_lines
WHERE settlement_line_id NOT IN (
    SELECT settlement_line_id FROM staging.dispositions_as_of($as_of) WHERE action = 'IGNORE')
