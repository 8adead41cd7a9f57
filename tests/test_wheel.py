"""The built wheel carries its SQL, contracts and policy: installed (not editable) into a fresh
virtualenv, its `recon` command runs a partition of the shared samples."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import duckdb

from tests.conftest import SAMPLES

REPO = Path(__file__).resolve().parents[1]


def _site_packages(environment: Path) -> Path:
    found = list((environment / "lib").glob("python3*/site-packages"))
    assert len(found) == 1
    return found[0]


def test_wheel_installs_and_runs_a_partition(tmp_path: Path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        check=True,
    )
    wheel = next((tmp_path / "dist").glob("recon_pipeline-*.whl"))
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    # Dependencies come from the test's own environment; recon_pipeline only from the wheel.
    deps = sysconfig.get_paths()["purelib"]
    (_site_packages(environment) / "deps_from_test_env.pth").write_text(deps + "\n")
    python = environment / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], check=True
    )
    home = tmp_path / "home"
    shutil.copytree(SAMPLES, home / "landing")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECON_", "DAGSTER_"))}
    env |= {"RECON_HOME": str(home), "PYTHONPATH": ""}
    located = subprocess.run(
        [str(python), "-c", "import recon_pipeline.packaged as p; print(p.packaged_dir('sql'))"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(located.stdout.strip()).is_relative_to(environment)
    run = subprocess.run(
        [str(environment / "bin" / "recon"), "run", "--from", "2026-10-01"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    [day] = [line.split() for line in run.stdout.splitlines() if line.startswith("2026-10-01")]
    assert day[2] == "17"  # rows in (after the files in)
    with duckdb.connect(str(home / "recon.duckdb"), read_only=True) as con:
        paid = con.execute(
            "SELECT status FROM marts.receivables WHERE receivable_id = 'ORD-0000101'"
        ).fetchall()
    assert paid == [("PAID",)]
