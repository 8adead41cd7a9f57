"""How much of a bad input is ever quoted: a few hundred bytes, whatever its size."""

from __future__ import annotations

import pandas as pd

from recon_pipeline.limits import QUOTED_BYTES, clip, preview


def test_a_long_text_is_cut_at_a_character_boundary_and_says_how_long_it_was():
    text = "あ" * 10_000_000
    cut = clip(text)
    assert cut is not None
    assert len(cut.encode()) <= QUOTED_BYTES + 40
    assert cut.endswith("[cut: 30,000,000 bytes in all]")
    assert cut.startswith("あ" * 100)


def test_short_texts_and_none_are_unchanged():
    assert clip("line 3: amount must be an integer") == "line 3: amount must be an integer"
    assert clip(None) is None


def test_a_preview_is_bounded_in_rows_and_in_bytes_per_cell():
    frame = pd.DataFrame({"path": [f"f{n}.csv" for n in range(100)], "reason": ["x" * 10**6] * 100})
    shown = preview(frame)
    assert len(shown.encode()) < 20 * (QUOTED_BYTES + 100)
    assert shown.endswith("_first 20 of 100 rows_")
    assert preview(frame.iloc[0:0], "_nothing_") == "_nothing_"
