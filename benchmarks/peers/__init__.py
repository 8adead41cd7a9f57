"""Reference implementations of the key matching, the scripts most teams write first."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

STATUSES = ("PAID", "UNPAID", "SHORT", "OVER", "UNKNOWN_PAYMENT")
# Zengin data record (layouts.md § bank), 0-based character offsets after CP932 decoding.
ZENGIN_REFERENCE = (1, 7)
ZENGIN_AMOUNT = (19, 29)
ZENGIN_PAYER = (49, 97)
ZENGIN_CANCEL = 127


def files(landing: Path, days: list[str], source: str) -> list[Path]:
    """Every file of ``source`` delivered on ``days``, in order."""
    return sorted(p for day in days for p in (landing / source / day).glob("*") if p.is_file())


def main(match: Callable[[Path, list[str]], dict[str, int]]) -> int:
    """Shared command line: ``--landing DIR --day D [--day D …]``; prints JSON with the
    seconds of read + match and the counts per status (keys)."""
    import time

    parser = argparse.ArgumentParser()
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--day", action="append", required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    counts = match(args.landing, args.day)
    seconds = time.perf_counter() - started
    json.dump({"seconds": seconds, "counts": counts}, sys.stdout)
    return 0
