"""Bounds on what one bad input may cost: how much of its text is ever quoted.

A rejected row keeps its file and line; the bytes themselves stay in the landing copy. So a
reason, a quarantined row's raw text or a metadata preview cell needs only enough of the
text for a person to recognise it, never a 50 MB line copied into every table, log line and
event that mentions it.
"""

from __future__ import annotations

import pandas as pd

QUOTED_BYTES = 300
"""How much of a raw text a reason, a quarantined row's ``raw`` or a preview cell keeps."""


def clip(text: str | None, limit: int = QUOTED_BYTES) -> str | None:
    """``text`` cut to at most ``limit`` UTF-8 bytes (at a character boundary) plus a marker
    saying how long it was; short texts and None come back unchanged."""
    if text is None:
        return None
    if len(text) * 4 <= limit:  # no character takes more than 4 bytes: nothing to measure
        return text
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return text
    kept = encoded[:limit].decode("utf-8", "ignore")
    return f"{kept}… [cut: {len(encoded):,} bytes in all]"


PREVIEW_ROWS = 20
"""Rows a metadata preview shows; the table itself holds them all."""


def preview(
    frame: pd.DataFrame,
    empty: str = "_none_",
    rows: int = PREVIEW_ROWS,
    cell_bytes: int = QUOTED_BYTES,
) -> str:
    """A markdown preview for an event's metadata, bounded in rows and in bytes per cell, so
    what one run attaches does not grow with the size of a bad input."""
    if frame.empty:
        return empty
    shown = frame.head(rows).map(
        lambda value: clip(value, cell_bytes) if isinstance(value, str) else value
    )
    text = shown.to_markdown(index=False)
    if len(frame) > rows:
        text += f"\n\n_first {rows} of {len(frame):,} rows_"
    return text
