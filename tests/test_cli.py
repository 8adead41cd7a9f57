"""The `recon` command: run prints a per-day summary through the Dagster job, status prints
headline figures, failures exit non-zero with a one-line reason."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from recon_pipeline.assets.reconcile import RECEIVABLES
from recon_pipeline.cli import main
from tests.conftest import SAMPLES


@pytest.fixture
def recon_home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "home"
    shutil.copytree(SAMPLES, home / "landing")
    monkeypatch.setenv("RECON_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    monkeypatch.chdir(tmp_path)
    return home


def _use_home(monkeypatch, home: Path) -> None:
    monkeypatch.setenv("RECON_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    monkeypatch.chdir(home.parent)


@pytest.fixture(scope="module")
def fortnight(samples_fortnight, tmp_path_factory) -> tuple[Path, int, str]:
    """The shared samples' fortnight run by ``recon run`` (once a session, conftest): a copy of
    its home for the module, its exit code and output. Tests read the home, or run more in a
    copy of it."""
    home, code, out = samples_fortnight
    copy = tmp_path_factory.mktemp("fortnight") / "home"
    shutil.copytree(home, copy, symlinks=True)
    return copy, code, out


def test_run_then_status_on_the_shared_samples(fortnight, monkeypatch, capsys):
    recon_home, code, printed = fortnight
    _use_home(monkeypatch, recon_home)
    assert code == 0
    out = printed.splitlines()
    assert "the day" in out[0] and "to date, as of the day" in out[0]
    assert re.split(r"\s{2,}", out[1].strip()) == [
        "day",
        "files in",
        "rows in",
        "rows quarantined",
        "dunning issued",
        "slips sent",
        "lines matched",
        "exceptions open",
    ]
    first = out[2].split()
    # 5 files; 7 shipment rows + 3 card + 5 Amazon items + 1 COD + 1 BNPL; one NEW slip request
    assert first[:3] == ["2026-10-01", "5", "17"] and first[5] == "1"
    [run_line] = [line for line in out if line.startswith("run ")]
    run_id = run_line.split()[1]
    assert run_line.endswith(f"http://127.0.0.1:3000/runs/{run_id}")
    assert dg.DagsterInstance.get().get_run_by_id(run_id) is not None
    assert (recon_home / "exports" / "slip_requests" / "slip_requests_20261001.csv").exists()
    assert main(["status", "--as-of", "2026-10-14"]) == 0
    status = capsys.readouterr().out
    assert "as of 2026-10-14" in status
    assert "NO_RECEIVABLE_FOR_KEY" in status
    freshness = status.split("settlement sources today (freshness gate)")[1].split("\n\n")[0]
    sources = {line.split()[0]: line.split()[1] for line in freshness.strip().splitlines()[1:]}
    assert sources["card"] == "MISSING" and sources["konbini"] == "FRESH"
    customers = status.split("\ncustomers\n")[1].splitlines()
    assert customers[1].split()[0] == "6"
    runs = list((recon_home / "dagster").iterdir())
    assert runs, "runs are recorded in the Dagster instance the UI reads"


def test_a_range_is_planned_once_per_asset_and_every_day_shows_materialized(fortnight, monkeypatch):
    home, code, _ = fortnight  # `recon run --from 2026-10-01 --to 2026-10-14` on the samples
    _use_home(monkeypatch, home)
    assert code == 0
    days = {str(dt.date(2026, 10, 1) + dt.timedelta(days=n)) for n in range(14)}
    instance = dg.DagsterInstance.get()
    planned = instance.fetch_planned_materializations(RECEIVABLES, limit=10).records
    assert len(planned) == 1
    subset = planned[0].event_log_entry.dagster_event.event_specific_data.partitions_subset
    assert set(subset.get_partition_keys()) == days
    assert instance.get_materialized_partitions(RECEIVABLES) == days
    assert "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS" not in os.environ


BROKEN_MAPPING = """
layout: broken
source: broken
target: settlement_lines
mapping: broken.sql
columns:
  - {name: id, type: id, required: true}
"""


@pytest.fixture
def failing_step(tmp_path, monkeypatch):
    """A shop's contract whose staging SQL does not run: every day fails in a step."""
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "broken.yaml").write_text(BROKEN_MAPPING, encoding="utf-8")
    (contracts / "broken.sql").write_text("SELECT no_such_column FROM raw.broken", "utf-8")
    monkeypatch.setenv("RECON_CONTRACTS_DIR", str(contracts))


def test_a_failing_day_exits_non_zero_with_a_one_line_reason(recon_home, failing_step, capsys):
    assert main(["run", "--from", "2026-10-01"]) == 1
    captured = capsys.readouterr()
    assert "2026-10-01  FAILED" in captured.out
    error_lines = captured.err.strip().splitlines()
    assert len(error_lines) == 1
    assert error_lines[0].startswith("recon: 2026-10-01: step ")
    assert "no_such_column" in error_lines[0]
    # the run calendar says so, with the failed run's id and why; status shows it
    [run_line] = [line for line in captured.out.splitlines() if " run " in line]
    run_id = run_line.split()[1].rstrip(":")
    with duckdb.connect(str(recon_home / "recon.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT partition_date, status, run_id, failure FROM audit.runs"
        ).fetchall()
    assert [row[:3] for row in rows] == [(dt.date(2026, 10, 1), "FAILED", run_id)]
    assert "no_such_column" in rows[0][3]
    assert dg.DagsterInstance.get().get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE


def test_a_broken_policy_is_refused_on_start_in_one_line(recon_home, tmp_path, monkeypatch, capsys):
    broken = tmp_path / "policy.yaml"
    broken.write_text("stages: []\n", encoding="utf-8")
    monkeypatch.setenv("RECON_DUNNING_POLICY", str(broken))
    assert main(["run", "--from", "2026-10-01"]) == 2
    error_lines = capsys.readouterr().err.strip().splitlines()
    assert len(error_lines) == 1 and "needs a list of stages" in error_lines[0]


def test_a_failing_range_is_rerun_day_by_day_to_name_the_first_failing_day(
    recon_home, failing_step, capsys
):
    assert main(["run", "--from", "2026-10-01", "--to", "2026-10-02"]) == 1
    out = capsys.readouterr().out
    assert "the range failed as one run" in out
    assert "2026-10-01  FAILED" in out and "2026-10-02" not in out
    planned = dg.DagsterInstance.get().fetch_planned_materializations(RECEIVABLES, limit=10)
    # newest first: the day-by-day rerun planned its day (so the UI marks that day failed),
    # after the range planned once for both days
    assert [r.partition_key for r in planned.records] == ["2026-10-01", None]


def test_status_without_a_warehouse_says_what_to_do(recon_home, capsys):
    assert main(["status"]) == 1
    assert "run `recon run` first" in capsys.readouterr().err


def test_a_bad_source_setting_is_refused(recon_home, monkeypatch, capsys):
    monkeypatch.setenv("RECON_SOURCE", "ftp")
    assert main(["run", "--from", "2026-10-01"]) == 2
    assert "RECON_SOURCE must be one of" in capsys.readouterr().err


def test_s3_without_a_bucket_says_so(recon_home, monkeypatch, capsys):
    monkeypatch.setenv("RECON_SOURCE", "s3")
    assert main(["run", "--from", "2026-10-01"]) == 2
    assert capsys.readouterr().err.strip() == "recon: RECON_SOURCE=s3 needs RECON_S3_BUCKET"


def _aliases_file(landing: Path, day: str, rows: list[str]) -> None:
    folder = landing / "payer_aliases" / day
    folder.mkdir(parents=True)
    header = "alias_row_id,action,payer_name,customer_number,note,decided_by,decided_at"
    (folder / "aliases.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def test_aliases_lists_the_payer_aliases_with_who_when_and_how(recon_home, capsys):
    _aliases_file(
        recon_home / "landing",
        "2026-10-01",
        [
            "PA-1,ADD,ｷﾀｶﾞﾜ ｼｽﾞｴ,0000901,家族名義,keiri02,2026-10-01",
            "PA-2,ADD,ﾐﾅﾐﾔﾏ ｹﾝｼﾞ,0000902,経理代行,keiri02,2026-10-01",
        ],
    )
    _aliases_file(
        recon_home / "landing", "2026-10-02", ["PA-3,REMOVE,ﾐﾅﾐﾔﾏ ｹﾝｼﾞ,0000902,,keiri03,2026-10-02"]
    )
    assert main(["run", "--from", "2026-10-01", "--to", "2026-10-02"]) == 0
    capsys.readouterr()
    assert main(["aliases"]) == 0
    listed = capsys.readouterr().out
    assert "payer aliases as of 2026-10-02" in listed
    assert "キタガワシズエ" in listed and "0000901" in listed and "keiri02" in listed
    assert "ミナミヤマケンジ" not in listed
    assert main(["aliases", "--all"]) == 0
    every = capsys.readouterr().out
    assert "ミナミヤマケンジ" in every and "keiri03" in every


def test_a_rerun_says_nothing_was_re_sent_and_status_shows_the_pipelines_health(
    fortnight, tmp_path, monkeypatch, capsys
):
    home, code, _ = fortnight
    assert code == 0
    shutil.copytree(home, tmp_path / "home", symlinks=True)  # the fortnight run, then:
    _use_home(monkeypatch, tmp_path / "home")
    assert main(["run", "--from", "2026-10-01", "--day-by-day"]) == 0
    out = capsys.readouterr().out.splitlines()
    day = out[2].split()
    assert day[0] == "2026-10-01" and day[5] == "0"  # slips sent by this run
    assert out[3].strip().startswith("re-run: nothing re-sent (1 slip request(s) went out")
    assert out[4].strip().startswith("run ") and "/runs/" in out[4]
    assert main(["status"]) == 0
    status = capsys.readouterr().out
    assert status.startswith("as of 2026-10-14\n")
    health = status.split("pipeline health (audit.runs)\n")[1].split("\n\n")[0]
    lines = health.splitlines()
    assert lines[0].startswith("  last day run: 2026-10-14 HELD (") and "card MISSING" in lines[0]
    assert lines[2] == "  failed days (31 days up to it): none"
    assert lines[3].startswith("  held days (31 days up to it): 2026-10-02 (")
    assert "; 2026-10-14 (" in lines[3]


def test_run_help_states_every_default(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "default: the --from day" in text
    assert "default: one run over the whole range" in text
    assert "(required)" in text
    with pytest.raises(SystemExit):
        main(["status", "--help"])
    assert "default: the last day run" in " ".join(capsys.readouterr().out.split())
