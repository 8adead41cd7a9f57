"""`make bench`: the pipeline on synthetic files of every layout, against its references.

One run: generate a backlog day (all history) plus ``--days`` daily partitions
(``benchmarks/generate.py``); measure DuckDB's full parse of the same files (the I/O floor),
the pandas and polars peers on the history, ``recon run`` over backlog + daily days and over
the daily days alone (no history), each a child process through the real CLI, and
``recon demo``. Per-stage times come from the Dagster instance of each run
(``$RECON_HOME/dagster``), per-stage peak RSS from polling the child. Prints the tables and
writes ``benchmarks/results/latest.json`` and ``benchmarks/results/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psutil
from tabulate import tabulate

from benchmarks.generate import Generated, generate
from recon_pipeline import packaged

RESULTS = Path(__file__).with_name("results")
STAGES = ("ingest", "staging", "reconcile", "marts", "exports", "checks")
CP932_SOURCES = ("cod", "bnpl", "konbini", "bank")
MIB = 2**20


@dataclass
class Child:
    """A finished child process: wall seconds, peak RSS, RSS samples.

    ``peak_rss`` is the child's own high-water mark (``VmHWM`` of /proc/<pid>/status, polled
    every 0.1 s, and the RSS samples); ``ru_maxrss`` from ``os.wait4`` is kept too, but on
    Linux it starts from the parent's RSS at fork, so it is only an upper bound."""

    returncode: int
    wall: float
    peak_rss: int
    ru_maxrss: int
    samples: list[tuple[float, int]] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False


def run_child(
    argv: list[str], env: dict[str, str], log: Path, timeout: float | None = None
) -> Child:
    """Run ``argv``; RSS and its high-water mark polled every 0.1 s (so stages get their own
    peak), reaped with ``os.wait4``; killed after ``timeout`` seconds."""
    out, err = log.with_suffix(".out"), log.with_suffix(".err")
    samples: list[tuple[float, int]] = []
    high_water = [0]
    with out.open("w") as stdout, err.open("w") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=stdout, stderr=stderr, cwd=log.parent)
        done = threading.Event()
        timed_out = threading.Event()

        def poll() -> None:
            watched = psutil.Process(proc.pid)
            status = Path(f"/proc/{proc.pid}/status")
            while not done.wait(0.1):
                with contextlib.suppress(psutil.Error):
                    samples.append((time.time(), watched.memory_info().rss))
                with contextlib.suppress(OSError, ValueError):
                    for line in status.read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            high_water[0] = max(high_water[0], int(line.split()[1]) * 1024)
                if timeout and time.perf_counter() - started > timeout:
                    timed_out.set()
                    proc.kill()
                    return

        sampler = threading.Thread(target=poll, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Child(
        returncode=proc.returncode,
        wall=wall,
        peak_rss=max(high_water[0], *(rss for _, rss in samples), 0),
        ru_maxrss=usage.ru_maxrss * 1024,
        samples=samples,
        stdout=out.read_text(),
        stderr=err.read_text(),
        timed_out=timed_out.is_set(),
    )


DUCKDB_MEMORY_LIMIT: dict[str, str] = {}
"""``RECON_DUCKDB_MEMORY_LIMIT`` for every child when ``--duckdb-memory-limit`` is given."""


def recon_env(home: Path, landing: Path | None = None) -> dict[str, str]:
    """The environment without any RECON_/DAGSTER_ variable, pointed at a scratch home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECON_", "DAGSTER_"))}
    env |= DUCKDB_MEMORY_LIMIT
    env["RECON_HOME"] = str(home)
    env["DAGSTER_HOME"] = str(home / "dagster")
    if landing:
        env["RECON_LANDING_DIR"] = str(landing)
    return env


# --- references -------------------------------------------------------------------------


def _data_files(paths: list[Path]) -> list[Path]:
    """Files with at least one data row (header-only deliveries would only confuse sniffing)."""
    keep = []
    for path in paths:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
        if head.count(b"\n") > 1 or (path.parts[-3] == "bank" and len(head) > 800):
            keep.append(path)
    return keep


def parse_floor(gen: Generated, part: str, scratch: Path) -> dict[str, float]:
    """DuckDB's full parse (typed, materialized) of one part's files, seconds per source.
    CP932 files are transcoded to UTF-8 first, untimed (DuckDB here reads UTF-8 only);
    Zengin records are read as one column and cut with substr."""
    by_source: dict[str, list[Path]] = defaultdict(list)
    for path in _data_files(gen.files[part]):
        source = path.parts[-3]
        if source in CP932_SOURCES:
            target = scratch / "utf8" / part / Path(*path.parts[-3:])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_bytes().decode("cp932"), encoding="utf-8")
            path = target
        by_source[source].append(path)
    seconds: dict[str, float] = {}
    con = duckdb.connect()
    for source, paths in sorted(by_source.items()):
        files = [str(p) for p in sorted(paths)]
        if source == "bank":
            statement = (
                "CREATE TABLE bank AS SELECT substr(line, 2, 6) AS reference_no, "
                "substr(line, 8, 6) AS account_date, CAST(substr(line, 20, 10) AS BIGINT) "
                "AS amount, rtrim(substr(line, 50, 48)) AS payer_name, substr(line, 128, 1) "
                "AS cancel_flag FROM read_csv($files, columns = {'line': 'VARCHAR'}, "
                "header = false, delim = '\\x1f', quote = '', escape = '', auto_detect = false) "
                "WHERE substr(line, 1, 1) = '2'"
            )
        elif source == "amazon":
            statement = (
                "CREATE TABLE amazon AS SELECT * FROM read_csv($files, header = true, "
                "delim = '\\t', quote = '')"
            )
        else:
            statement = f"CREATE TABLE {source} AS SELECT * FROM read_csv($files, header = true)"
        started = time.perf_counter()
        con.execute(statement, {"files": files})
        seconds[source] = time.perf_counter() - started
    con.close()
    return seconds


def run_peer(name: str, landing: Path, days: list[dt.date], scratch: Path) -> dict:
    """One peer script as a child process: its JSON, plus peak RSS and process wall time."""
    argv = [sys.executable, "-m", f"benchmarks.peers.{name}", "--landing", str(landing)]
    for day in days:
        argv += ["--day", day.isoformat()]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    child = run_child(argv, env, scratch / f"peer_{name}")
    if child.returncode != 0:
        raise SystemExit(f"{name} failed: {child.stderr[-2000:]}")
    result = json.loads(child.stdout)
    result["peak_rss_bytes"] = child.peak_rss
    result["process_wall_seconds"] = round(child.wall, 3)
    return result


# --- the pipeline -----------------------------------------------------------------------


def step_groups() -> dict[str, str]:
    """Step key → stage: the asset group of the step's assets, ``checks`` for check steps."""
    from recon_pipeline.definitions import defs

    groups: dict[str, str] = {}
    for assets in defs.resolve_asset_graph().assets_defs:
        if not assets.is_executable:
            continue
        # groups are numbered in flow order (``3_reconcile``): the stage is the name after it
        names = sorted({g.split("_", 1)[-1] for g in assets.group_names_by_key.values()})
        groups[assets.node_def.name] = names[0] if names else "checks"
    return groups


def _stage_of(step: str, groups: dict[str, str]) -> str:
    if step in groups:
        return groups[step]
    return "checks" if step.count("__") and "_" in step.rsplit("__", 1)[1] else "other"


def read_runs(home: Path, samples: list[tuple[float, int]], groups: dict[str, str]) -> list[dict]:
    """Every run of the instance under ``home``: partition, duration, and per stage the
    summed step seconds and the peak RSS sampled while its steps ran."""
    import dagster as dg

    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    try:
        instance = dg.DagsterInstance.get()
        runs = []
        for record in sorted(instance.get_run_records(), key=lambda r: r.create_timestamp):
            run = record.dagster_run
            stages: dict[str, dict] = {
                s: {"seconds": 0.0, "peak_rss_bytes": 0, "steps": {}} for s in STAGES
            }
            for stat in instance.get_run_step_stats(run.run_id):
                if stat.start_time is None or stat.end_time is None:
                    continue
                stage = stages.setdefault(
                    _stage_of(stat.step_key, groups),
                    {"seconds": 0.0, "peak_rss_bytes": 0, "steps": {}},
                )
                seconds = stat.end_time - stat.start_time
                stage["seconds"] += seconds
                stage["steps"][stat.step_key] = round(seconds, 3)
                inside = [
                    rss for at, rss in samples if stat.start_time <= at <= stat.end_time + 0.1
                ]
                stage["peak_rss_bytes"] = max([stage["peak_rss_bytes"], *inside])
            start = record.start_time or 0.0
            end = record.end_time or time.time()
            runs.append(
                {
                    "partition": run.tags.get("dagster/partition"),
                    "status": run.status.value,
                    "seconds": end - start,
                    "stages": stages,
                }
            )
        instance.dispose()
        return runs
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous


def warehouse_figures(home: Path) -> dict:
    """Rows per partition from the manifest, receivable statuses of the first day."""
    path = home / "recon.duckdb"
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = {
            str(day): {"rows_total": int(total or 0), "rows_loaded": int(loaded or 0)}
            for day, total, loaded in con.execute(
                "SELECT partition_date, sum(rows_total), sum(rows_loaded) "
                "FROM audit.file_manifest GROUP BY 1 ORDER BY 1"
            ).fetchall()
        }
        statuses: dict[str, dict[str, int]] = defaultdict(dict)
        with contextlib.suppress(duckdb.Error):
            for as_of, status, count in con.execute(
                "SELECT as_of, status, count(*) FROM marts.receivables GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall():
                statuses[str(as_of)][status] = int(count)
        rates: dict[str, dict] = {}
        with contextlib.suppress(duckdb.Error):
            # the auto-match rate over every day run (packaged SQL, as `recon demo` prints it)
            first, last = con.execute(
                "SELECT min(partition_date), max(partition_date) FROM marts.auto_match_rate"
            ).fetchone()
            if first is not None:
                frame = con.execute(
                    packaged.sql("cli/auto_match_rate"), {"first": first, "last": last}
                ).df()
                rates = {
                    str(row["channel"]): {
                        k: (float(v) if isinstance(v, float) else int(v))
                        for k, v in row.items()
                        if k != "channel"
                    }
                    for row in frame.to_dict("records")
                }
        return {"rows": rows, "receivable_status": dict(statuses), "auto_match_rate": rates}
    finally:
        con.close()


def run_pipeline(
    home: Path,
    landing: Path,
    first: dt.date,
    last: dt.date,
    timeout: float | None,
    groups: dict[str, str],
) -> dict:
    """``recon run --from first --to last --day-by-day`` as a child (one Dagster run per
    partition, so the backlog day and the daily days are measured apart); its runs are read
    from its instance."""
    home.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "recon_pipeline.cli",
        "run",
        "--from",
        first.isoformat(),
        "--to",
        last.isoformat(),
        "--day-by-day",
    ]
    child = run_child(argv, recon_env(home, landing), home / "recon_run", timeout)
    result = {
        "command": " ".join(argv[2:]),
        "returncode": child.returncode,
        "timed_out": child.timed_out,
        "wall_seconds": child.wall,
        "peak_rss_bytes": child.peak_rss,
        "ru_maxrss_bytes": child.ru_maxrss,
        "stdout": child.stdout,
        "stderr_tail": child.stderr[-2000:],
        "runs": read_runs(home, child.samples, groups),
    }
    result |= warehouse_figures(home)
    for run in result["runs"]:
        counted = result.get("rows", {}).get(run["partition"], {})
        run["rows_total"] = counted.get("rows_total", 0)
        run["rows_loaded"] = counted.get("rows_loaded", 0)
        for stage in run["stages"].values():
            stage["rows_per_second"] = (
                run["rows_total"] / stage["seconds"] if stage["seconds"] else None
            )
    return result


def run_demo(home: Path, timeout: float | None) -> dict:
    """``recon demo`` in a scratch home, timed as a child process."""
    home.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "recon_pipeline.cli", "demo"]
    child = run_child(argv, recon_env(home), home / "recon_demo", timeout)
    return {
        "returncode": child.returncode,
        "timed_out": child.timed_out,
        "wall_seconds": child.wall,
        "peak_rss_bytes": child.peak_rss,
        "stderr_tail": child.stderr[-2000:],
        "auto_match_rate": warehouse_figures(home).get("auto_match_rate", {}),
    }


# --- figures ----------------------------------------------------------------------------


def machine() -> dict:
    """CPU count and model, RAM, Python and library versions."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break

    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "ram_bytes": psutil.virtual_memory().total,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dagster": version("dagster"),
        "pandas": version("pandas"),
        "polars": version("polars"),
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing."""
    return a / b if a is not None and b else None


def measured_days(scale: dict) -> list[str]:
    """The daily days whose runs the daily figures average: all but the first when there are
    two or more. Without history the first daily day is a first load into an empty warehouse,
    and its process imports Great Expectations in that day's first dataset check (~3 s: the
    check takes 3.2 s then, 0.2 s on the next days), which the run with history paid on the
    backlog day; averaged in, that one-off lowered the ratio with / without history."""
    days = list(scale["daily_days"])
    return days[1:] if len(days) >= 2 else days


def daily_runs(pipeline: dict | None, scale: dict) -> list[dict]:
    """The successful runs of the measured daily days."""
    days = measured_days(scale)
    if not pipeline:
        return []
    return [r for r in pipeline["runs"] if r["partition"] in days and r["status"] == "SUCCESS"]


def _daily_mean(pipeline: dict | None, scale: dict) -> float | None:
    """Mean run seconds of the measured daily days' runs."""
    runs = daily_runs(pipeline, scale)
    return sum(r["seconds"] for r in runs) / len(runs) if runs else None


def figures(report: dict) -> tuple[dict, list[dict]]:
    """The headline ratios, and each target of issue 25 with whether it is met."""
    backlog = report["scale"]["backlog_day"]
    history = report["pipeline"]["history"]
    runs = {r["partition"]: r for r in history["runs"]}
    backlog_run = runs.get(backlog)
    ok = bool(backlog_run and backlog_run["status"] == "SUCCESS")
    reconcile = backlog_run["seconds"] if ok else None
    floor = sum(report["parse_floor"]["backlog"].values())
    pandas = report["peers"]["pandas"]["seconds"]
    polars = report["peers"]["polars"]["seconds"]
    daily_history = _daily_mean(history, report["scale"])
    daily_alone = _daily_mean(report["pipeline"].get("no_history"), report["scale"])
    ingest = None
    if ok:
        seconds = backlog_run["stages"]["ingest"]["seconds"]
        seconds += backlog_run["stages"]["staging"]["seconds"]
        ingest = backlog_run["rows_loaded"] / seconds if seconds else None
    input_rows = report["input"]["backlog"]["rows_total"] + report["input"]["daily"]["rows_total"]
    rss_per_row = history["peak_rss_bytes"] / input_rows if history["returncode"] == 0 else None
    demo = report.get("demo")
    demo_seconds = demo["wall_seconds"] if demo and demo["returncode"] == 0 else None
    values = {
        "backlog_reconcile_seconds": reconcile,
        "parse_floor_backlog_seconds": floor,
        "pipeline_vs_parse_floor": _ratio(reconcile, floor),
        "pandas_vs_pipeline": _ratio(pandas, reconcile),
        "polars_vs_pipeline": _ratio(polars, reconcile),
        "daily_with_history_seconds": daily_history,
        "daily_without_history_seconds": daily_alone,
        "daily_history_vs_no_history": _ratio(daily_history, daily_alone),
        "ingest_rows_per_second": ingest,
        "peak_rss_bytes_per_input_row": rss_per_row,
        "demo_seconds": demo_seconds,
    }
    parse_rate = _ratio(report["input"]["backlog"]["rows_total"], floor)
    values["ingest_vs_parse_rate"] = _ratio(ingest, parse_rate)
    limit = str(report["scale"].get("duckdb_memory_limit") or "")
    values["peak_rss_gib"] = (
        history["peak_rss_bytes"] / 2**30 if history["returncode"] == 0 else None
    )
    big = report["scale"]["orders"] >= 10_000_000
    scale = "10M" if big else "1M"

    def target(number: int, text: str, value: float | None, met: bool | None, note: str = ""):
        return {"target": number, "text": text, "value": value, "met": met, "note": note}

    def at_most(value: float | None, bound: float) -> bool | None:
        return None if value is None else value <= bound

    def at_least(value: float | None, bound: float) -> bool | None:
        return None if value is None else value >= bound

    floor_bound, pandas_bound, polars_bound = (2, 4, 0.5) if big else (3, 1.5, 0.3)
    rss_bound = 2.5 if big else 2
    p_ratio, q_ratio = values["pandas_vs_pipeline"], values["polars_vs_pipeline"]
    one_gb = limit.replace(" ", "").upper() in ("1GB", "1GIB", "1000MB")
    targets = [
        target(
            1,
            f"backlog run ≤ {floor_bound}× the DuckDB parse floor ({scale})",
            values["pipeline_vs_parse_floor"],
            at_most(values["pipeline_vs_parse_floor"], floor_bound),
        ),
        target(
            2,
            f"speed-up over the pandas peer ≥ {pandas_bound}× ({scale})",
            p_ratio,
            at_least(p_ratio, pandas_bound),
        ),
        target(
            3,
            f"speed-up over the polars peer ≥ {polars_bound}× ({scale})",
            q_ratio,
            at_least(q_ratio, polars_bound),
        ),
        target(
            4,
            "ingest incl. validation ÷ bare DuckDB parse rate ≥ 0.5",
            values["ingest_vs_parse_rate"],
            at_least(values["ingest_vs_parse_rate"], 0.5),
            f"{_fmt(ingest, 0)} rows/s against {_fmt(parse_rate, 0)} rows/s",
        ),
        target(
            5,
            "daily day with history ÷ without ≤ 1.5×",
            values["daily_history_vs_no_history"],
            at_most(values["daily_history_vs_no_history"], 1.5),
        ),
        target(
            6,
            f"peak RSS at a 1GB DuckDB limit ≤ {rss_bound} GiB ({scale})",
            values["peak_rss_gib"],
            at_most(values["peak_rss_gib"], rss_bound) if one_gb else None,
            "" if one_gb else "needs --duckdb-memory-limit 1GB",
        ),
        target(
            7,
            "`recon demo` < 60 s",
            demo_seconds,
            None if demo_seconds is None else demo_seconds < 60,
            "" if demo else "skipped (--skip-demo)",
        ),
    ]
    return values, targets


def _fmt(value: float | None, digits: int = 2) -> str:
    """A number for the tables: thousands separators from 1,000 on, "–" when missing."""
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def print_report(report: dict, values: dict, targets: list[dict]) -> None:
    """The tables: input, stages, references, figures, targets."""
    scale = report["scale"]
    print(
        f"\n{scale['orders']:,} orders of history (backlog day {scale['backlog_day']}) + "
        f"{scale['days']} daily partitions of ~{scale['daily_orders']:,} orders; "
        f"generated in {report['generate_seconds']:.1f} s; DuckDB memory limit: "
        f"{scale.get('duckdb_memory_limit', 'default (half the RAM)')}"
    )
    sources = sorted(
        set(report["input"]["backlog"]["rows"]) | set(report["input"]["daily"]["rows"])
    )
    print("\ninput rows")
    backlog_in, daily_in = report["input"]["backlog"], report["input"]["daily"]
    table = [
        [s, f"{backlog_in['rows'].get(s, 0):,}", f"{daily_in['rows'].get(s, 0):,}"] for s in sources
    ]
    table += [
        ["total", f"{backlog_in['rows_total']:,}", f"{daily_in['rows_total']:,}"],
        ["MB", f"{backlog_in['bytes'] / 1e6:,.1f}", f"{daily_in['bytes'] / 1e6:,.1f}"],
        ["files", f"{backlog_in['files']:,}", f"{daily_in['files']:,}"],
    ]
    print(
        tabulate(
            table,
            headers=["source", "backlog day", "daily days (all)"],
            colalign=("left", "right", "right"),
            disable_numparse=True,
        )
    )
    history = report["pipeline"]["history"]
    alone = daily_runs(report["pipeline"].get("no_history"), scale)
    backlog = scale["backlog_day"]
    b_run = next((r for r in history["runs"] if r["partition"] == backlog), None)
    daily = daily_runs(history, scale)
    rows = []
    for stage in (*STAGES, "run total"):

        def daily_mean(runs: list[dict], stage: str = stage) -> float | None:
            if not runs:
                return None
            if stage == "run total":
                return sum(r["seconds"] for r in runs) / len(runs)
            return sum(r["stages"][stage]["seconds"] for r in runs) / len(runs)

        if b_run is None:
            b = {"seconds": None, "rows_per_second": None, "peak_rss_bytes": None}
        elif stage == "run total":
            b = {
                "seconds": b_run["seconds"],
                "rows_per_second": _ratio(b_run["rows_total"], b_run["seconds"]),
                "peak_rss_bytes": history["peak_rss_bytes"],
            }
        else:
            b = b_run["stages"][stage]
        rows.append(
            [
                stage,
                _fmt(b["seconds"]),
                _fmt(b["rows_per_second"], 0),
                _fmt(b["peak_rss_bytes"] / MIB if b["peak_rss_bytes"] else None, 0),
                _fmt(daily_mean(daily)),
                _fmt(daily_mean(alone)),
            ]
        )
    print("\npipeline per stage (Dagster step times; rows/s = the partition's input rows / s)")
    print("daily columns: the mean of " + ", ".join(measured_days(scale)) + " (measured_days)")
    print(
        tabulate(
            rows,
            headers=[
                "stage",
                "backlog s",
                "backlog rows/s",
                "backlog peak MiB",
                "daily s (w/ history)",
                "daily s (no history)",
            ],
        )
    )
    top = sorted(
        (
            (s, t)
            for st in (b_run or {"stages": {}})["stages"].values()
            for s, t in st["steps"].items()
        ),
        key=lambda i: -i[1],
    )[:6]
    if top:
        print("slowest steps of the backlog day: " + ", ".join(f"{s} {t:.1f} s" for s, t in top))
    per_step: dict[str, float] = defaultdict(float)
    for run in daily:
        for stage in run["stages"].values():
            for step, seconds in stage["steps"].items():
                per_step[step] += seconds / len(daily)
    if per_step:
        slowest = sorted(per_step.items(), key=lambda i: -i[1])[:6]
        print(
            "slowest steps of a daily day (w/ history, mean): "
            + ", ".join(f"{s} {t:.1f} s" for s, t in slowest)
        )
    floor = report["parse_floor"]
    peers = report["peers"]
    print("\nreferences (on the backlog day's files)")
    print(
        tabulate(
            [
                [
                    "DuckDB full parse (I/O floor)",
                    _fmt(sum(floor["backlog"].values())),
                    "–",
                    ", ".join(f"{k} {v:.2f}" for k, v in floor["backlog"].items()),
                ],
                [
                    "pandas peer",
                    _fmt(peers["pandas"]["seconds"]),
                    _fmt(peers["pandas"]["peak_rss_bytes"] / MIB, 0),
                    json.dumps(peers["pandas"]["counts"]),
                ],
                [
                    "polars peer",
                    _fmt(peers["polars"]["seconds"]),
                    _fmt(peers["polars"]["peak_rss_bytes"] / MIB, 0),
                    json.dumps(peers["polars"]["counts"]),
                ],
            ],
            headers=["reference", "seconds", "peak MiB", "detail"],
        )
    )
    print(f"peers agree on counts per status: {peers['agree']}")
    for title, rates in (
        ("every day run", history.get("auto_match_rate") or {}),
        ("the demo month", (report.get("demo") or {}).get("auto_match_rate") or {}),
    ):
        if not rates:
            continue
        print(f"\nauto-match rate (payments matched without a person), {title}")
        print(
            tabulate(
                [
                    [
                        channel,
                        r["payments"],
                        r["auto_matched"],
                        r["line_rate"],
                        r["yen_rate"],
                        r["settled_rate"],
                    ]
                    for channel, r in rates.items()
                ],
                headers=["channel", "payments", "auto", "lines", "yen", "settled"],
            )
        )
    pipeline_status = history.get("receivable_status", {}).get(backlog)
    if pipeline_status:
        print(
            f"pipeline marts.receivables as of {backlog} (per receivable): "
            + json.dumps(pipeline_status)
        )
    print("\nfigures")
    print(
        tabulate(
            [
                [
                    "pipeline full reconcile / DuckDB parse floor",
                    _fmt(values["pipeline_vs_parse_floor"]) + "×",
                ],
                [
                    "pandas / pipeline (speed-up over pandas)",
                    _fmt(values["pandas_vs_pipeline"]) + "×",
                ],
                [
                    "polars / pipeline (speed-up over polars)",
                    _fmt(values["polars_vs_pipeline"]) + "×",
                ],
                [
                    "daily with history / daily without history",
                    _fmt(values["daily_history_vs_no_history"]) + "×",
                ],
                ["ingest incl. validation, rows/s", _fmt(values["ingest_rows_per_second"], 0)],
                ["peak RSS bytes per input row", _fmt(values["peak_rss_bytes_per_input_row"], 0)],
                ["`recon demo` wall s", _fmt(values["demo_seconds"], 1)],
            ],
            headers=["figure", "value"],
            disable_numparse=True,
            colalign=("left", "right"),
        )
    )
    print("\ntargets (issue 25; reported, never asserted)")
    print(
        tabulate(
            [
                [
                    t["target"],
                    t["text"],
                    _fmt(t["value"]),
                    {True: "MET", False: "not met", None: "–"}[t["met"]],
                    t["note"],
                ]
                for t in targets
            ],
            headers=["#", "target", "value", "", "note"],
            disable_numparse=True,
            colalign=("right", "left", "right", "left", "left"),
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders of history")
    parser.add_argument("--days", type=int, default=3, help="daily partitions after the backlog")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-demo", action="store_true", help="do not time `recon demo`")
    parser.add_argument(
        "--skip-no-history", action="store_true", help="do not run the daily partitions alone"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds after which a `recon run` child is killed (figures so far)",
    )
    parser.add_argument(
        "--duckdb-memory-limit",
        default=None,
        help="RECON_DUCKDB_MEMORY_LIMIT for the pipeline (e.g. 2GB; default: half the RAM)",
    )
    parser.add_argument("--scratch", type=Path, default=None, help="scratch dir (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch dir")
    parser.add_argument(
        "--report", type=Path, default=None, help="only print the tables of an earlier results JSON"
    )
    args = parser.parse_args(argv)
    if args.report:
        report = json.loads(args.report.read_text())
        print_report(report, report["figures"], report["targets"])
        return 0
    if args.duckdb_memory_limit:
        DUCKDB_MEMORY_LIMIT["RECON_DUCKDB_MEMORY_LIMIT"] = args.duckdb_memory_limit
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="recon-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    landing = scratch / "landing"
    try:
        print(f"scratch: {scratch}", flush=True)
        for leftover in (landing, *(scratch / home for home in ("history", "no_history", "demo"))):
            # a kept scratch holds the last run's warehouses and Dagster runs: start from none
            shutil.rmtree(leftover, ignore_errors=True)
        started = time.perf_counter()
        gen = generate(landing, args.orders, args.days, seed=args.seed)
        generate_seconds = time.perf_counter() - started
        print(f"generated in {generate_seconds:.1f} s", flush=True)
        report: dict = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "scale": {
                "orders": args.orders,
                "days": args.days,
                "history_days": 100,
                "daily_orders": round(args.orders / 100),
                "backlog_day": gen.backlog_day.isoformat(),
                "daily_days": [d.isoformat() for d in gen.days],
                "orders_generated": gen.orders,
                "duckdb_memory_limit": args.duckdb_memory_limit or "default (half the RAM)",
            },
            "generate_seconds": generate_seconds,
            "input": {
                part: {
                    "rows": gen.rows[part],
                    "rows_total": gen.total_rows(part),
                    "bytes": gen.total_bytes(part),
                    "files": len(gen.files[part]),
                }
                for part in ("backlog", "daily")
            },
        }
        report["parse_floor"] = {
            "backlog": parse_floor(gen, "backlog", scratch),
            "daily": parse_floor(gen, "daily", scratch),
        }
        print("parse floor done", flush=True)
        peers = {
            name: run_peer(f"{name}_peer", landing, [gen.backlog_day], scratch)
            for name in ("pandas", "polars")
        }
        peers["agree"] = peers["pandas"]["counts"] == peers["polars"]["counts"]
        report["peers"] = peers
        if not peers["agree"]:
            print("WARNING: the peers disagree on counts per status", file=sys.stderr)
        print(f"peers done (agree: {peers['agree']})", flush=True)
        groups = step_groups()
        last = gen.days[-1] if gen.days else gen.backlog_day
        report["pipeline"] = {
            "history": run_pipeline(
                scratch / "history", landing, gen.backlog_day, last, args.timeout, groups
            )
        }
        print(
            f"pipeline with history: {report['pipeline']['history']['wall_seconds']:.1f} s",
            flush=True,
        )
        if gen.days and not args.skip_no_history:
            report["pipeline"]["no_history"] = run_pipeline(
                scratch / "no_history", landing, gen.days[0], last, args.timeout, groups
            )
        if not args.skip_demo:
            report["demo"] = run_demo(scratch / "demo", args.timeout)
        values, targets = figures(report)
        report["figures"], report["targets"] = values, targets
        RESULTS.mkdir(exist_ok=True)
        text = json.dumps(report, indent=2, default=str) + "\n"
        (RESULTS / "latest.json").write_text(text)
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        (RESULTS / f"{stamp}.json").write_text(text)
        print_report(report, values, targets)
        for name in ("history", "no_history"):
            run = report["pipeline"].get(name)
            if run and run["returncode"] != 0:
                print(
                    f"\n`recon {run['command']}` exited {run['returncode']}"
                    f"{' (timed out)' if run['timed_out'] else ''}: {run['stderr_tail'][-500:]}",
                    file=sys.stderr,
                )
        print(f"\nwritten: {RESULTS / 'latest.json'}, {RESULTS / (stamp + '.json')}")
        failed = report["pipeline"]["history"]["returncode"] != 0
        return 1 if failed or not peers["agree"] else 0
    finally:
        if not (args.keep or args.scratch):
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
