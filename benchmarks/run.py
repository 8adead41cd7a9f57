"""`make bench`: the pipeline end to end on synthetic files, against DuckDB's own parse.

Prints wall time and peak RSS of `recon run` over the generated days (a child process, so
its peak RSS is its own), DuckDB's full parse of the same files in the same run (the I/O
floor), and their ratio; writes the figures to benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from benchmarks.generate import generate

RESULTS = Path(__file__).with_name("results")


def duckdb_parse_seconds(landing: Path, scratch: Path) -> float:
    """Full parse (typed, materialized) of every file; CP932 files are transcoded untimed first,
    as the pipeline decodes CP932 in Python (DuckDB here has no encodings extension)."""
    utf8 = scratch / "utf8"
    for path in landing.rglob("*.csv"):
        target = utf8 / path.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.parts[-3] == "konbini":
            target.write_text(path.read_bytes().decode("cp932"), encoding="utf-8")
        else:
            shutil.copyfile(path, target)
    con = duckdb.connect()
    started = time.perf_counter()
    for source in ("shipments", "card", "konbini"):
        files = sorted(str(p) for p in (utf8 / source).rglob("*.csv"))
        con.execute(
            f"CREATE TABLE {source} AS SELECT * FROM read_csv($files, header = true, "
            "union_by_name = true)",
            {"files": files},
        )
    return time.perf_counter() - started


def run_pipeline(home: Path, first: dt.date, last: dt.date) -> tuple[float, int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECON_", "DAGSTER_"))}
    env["RECON_HOME"] = str(home)
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "recon_pipeline.cli",
            "run",
            "--from",
            first.isoformat(),
            "--to",
            last.isoformat(),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"pipeline failed: {completed.stderr[-2000:]}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kib * 1024, completed.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="recon-bench-"))
    try:
        first = dt.date(2026, 10, 1)
        last = first + dt.timedelta(days=args.days - 1)
        started = time.perf_counter()
        counts = generate(scratch / "home" / "landing", args.orders, args.days, first)
        generated = time.perf_counter() - started
        rows = sum(counts.values())
        size = sum(p.stat().st_size for p in (scratch / "home" / "landing").rglob("*.csv"))
        floor = duckdb_parse_seconds(scratch / "home" / "landing", scratch)
        wall, peak_rss, _ = run_pipeline(scratch / "home", first, last)
        figures = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, duckdb {duckdb.__version__}",
            "orders": args.orders,
            "days": args.days,
            "input_rows": counts,
            "input_bytes": size,
            "generate_seconds": round(generated, 2),
            "duckdb_parse_seconds": round(floor, 2),
            "pipeline_seconds": round(wall, 2),
            "pipeline_vs_parse_floor": round(wall / floor, 1),
            "pipeline_rows_per_second": round(rows / wall),
            "peak_rss_mib": round(peak_rss / 2**20),
            "peak_rss_bytes_per_input_row": round(peak_rss / rows),
        }
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(figures, indent=2) + "\n")
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
