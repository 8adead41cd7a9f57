"""Where one partition's time goes, statement by statement, on a kept warehouse.

Runs the daily job for ``--day`` in process against an existing ``RECON_HOME`` (a
``benchmarks.run --scratch DIR`` run's ``DIR/with_history``, say). A re-run changes nothing
(every write replaces the day), so the same day can be profiled before and after a change.
Each DuckDB statement is timed and named by the asset or check that ran it and the
``sql/`` file it came from; prints the statements that took longest and the totals per
asset::

    .venv/bin/python -m benchmarks.profile_day --home /work/scratch/b10m/with_history \\
        --landing /work/scratch/b10m/landing --day 2026-10-03
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
import traceback
import warnings
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from recon_pipeline import packaged

_SQL_NAMES: dict[str, str] = {}
_original_sql = packaged.sql


def _named_sql(name: str) -> str:
    text = _original_sql(name)
    _SQL_NAMES[text] = name
    return text


packaged.sql = _named_sql  # before the assets import it by name

TIMINGS: list[tuple[str, str, float]] = []
STEP_MODULES = (
    "/recon_pipeline/assets/",
    "/recon_pipeline/checks.py",
    "/recon_pipeline/expectations.py",
)


def _caller() -> str:
    """The outermost pipeline function on the stack under Dagster (the asset or check)."""
    names = [
        frame.f_code.co_name
        for frame, _ in traceback.walk_stack(None)
        if any(part in frame.f_code.co_filename for part in STEP_MODULES)
    ]
    return names[-1] if names else "?"


def _label(query: str) -> str:
    for text, name in _SQL_NAMES.items():
        if text in query:
            return name
    return re.sub(r"\s+", " ", query.strip())[:90]


class TimedConnection:
    """Delegates to a DuckDB connection; times ``execute``."""

    def __init__(self, con: Any) -> None:
        self._con = con

    def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        # DuckDB finds a frame a statement names (``FROM frame``) among the locals of the
        # Python frame that calls execute: run it in a frame with the caller's locals
        caller = sys._getframe(1)
        names = {
            **caller.f_locals,
            "_run": self._con.execute,
            "_query": query,
            "_args": args,
            "_kwargs": kwargs,
        }
        started = time.perf_counter()
        try:
            return eval("_run(_query, *_args, **_kwargs)", caller.f_globals, names)
        finally:
            seconds = time.perf_counter() - started
            TIMINGS.append((_caller(), _label(query), seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="the run's RECON_HOME")
    parser.add_argument("--landing", type=Path, help="RECON_LANDING_DIR, if not under home")
    parser.add_argument("--day", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    os.environ["RECON_HOME"] = str(args.home)
    os.environ["DAGSTER_HOME"] = str(args.home / "dagster")
    if args.landing:
        os.environ["RECON_LANDING_DIR"] = str(args.landing)

    import dagster as dg

    from recon_pipeline.cli import run_days
    from recon_pipeline.resources.warehouse import WarehouseResource
    from recon_pipeline.settings import load_settings

    # as `recon` does: the beta warning of single-run backfills repeats for every asset
    warnings.filterwarnings("ignore", category=dg.BetaWarning)

    original_connect = WarehouseResource.connect

    @contextmanager
    def timed_connect(self: WarehouseResource) -> Iterator[Any]:
        with original_connect(self) as con:
            yield TimedConnection(con)

    WarehouseResource.connect = timed_connect  # type: ignore[method-assign]
    started = time.perf_counter()
    code = run_days(load_settings(), args.day, args.day)
    wall = time.perf_counter() - started

    per_caller: dict[str, float] = defaultdict(float)
    per_statement: dict[tuple[str, str], list[float]] = defaultdict(list)
    for caller, label, seconds in TIMINGS:
        per_caller[caller] += seconds
        per_statement[(caller, label)].append(seconds)
    print(f"\n{args.day}: run {wall:.1f} s, DuckDB statements {sum(per_caller.values()):.1f} s")
    print("\nper asset or check (s):")
    for caller, seconds in sorted(per_caller.items(), key=lambda item: -item[1]):
        print(f"  {seconds:7.2f}  {caller}")
    print("\nslowest statements (s, calls):")
    ranked = sorted(per_statement.items(), key=lambda item: -sum(item[1]))
    for (caller, label), times in ranked[: args.top]:
        print(f"  {sum(times):7.2f}  {len(times):3d}  {caller}: {label}")
    return code


if __name__ == "__main__":
    sys.exit(main())
