"""The freshness gate's verdict for a day, as the marts, the exports and ``recon run`` read it
(``audit.source_freshness``, written by the asset of the same name)."""

from __future__ import annotations

import datetime as dt


def holding_sources(con, day: dt.date) -> list[str]:
    """The sources that hold the day's dunning and slips, e.g. ``['konbini MISSING']``."""
    rows = con.execute(
        "SELECT source || ' ' || status FROM audit.source_freshness "
        "WHERE partition_date = $d AND holds_dunning ORDER BY source",
        {"d": day},
    ).fetchall()
    return [held for (held,) in rows]
