"""Real servers on loopback for the distributed deployment: a PostgreSQL server (Debian's
package) for the Dagster instance and a Redis server as the Celery broker, each a process of
its own in a temporary folder. Used by the deploy tests' fixtures and by
``benchmarks/shops.py``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, wait_for_port


def _postgres_bin(name: str) -> str:
    """Debian keeps the server's programs (initdb, pg_ctl) out of PATH, per major version."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    found = shutil.which(name) or str((versions[-1] if versions else Path("/usr/bin")) / name)
    if not Path(found).exists():
        pytest.fail(f"{name} is not installed: `apt-get install -y postgresql` (.ci/run does)")
    return found


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the package's ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server on a free loopback port with an empty ``dagster`` database."""
    # not under pytest's temporary folder: the server's user could not reach into root's
    home = Path(tempfile.mkdtemp(prefix="recon-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    data, port = home / "data", free_port()
    subprocess.run(
        _as_postgres_user(
            [_postgres_bin("initdb"), "-D", str(data), "-U", "recon", "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres_user(
            [
                _postgres_bin("pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(home / "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [
                _postgres_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "recon",
                "dagster",
            ],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg2://recon@127.0.0.1:{port}/dagster"
    finally:
        subprocess.run(
            _as_postgres_user(
                [_postgres_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A Redis server on a free loopback port, nothing persisted."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(server).exists():
        pytest.fail(
            "redis-server is not installed: `apt-get install -y redis-server` (.ci/run does)"
        )
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
