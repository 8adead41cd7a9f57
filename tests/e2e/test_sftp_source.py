"""The SFTP source against a real OpenSSH server on loopback: a month lands byte for byte as
from the local folder and a week reconciles; the host key is checked against known_hosts and
an unknown or changed one is refused; unsafe names are refused; a connection dropped in the
middle of a transfer is retried and lands once; the slip-request and ship-hold files are
pushed back to ``outbound/`` exactly once."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import paramiko
import pytest

from recon_pipeline.assets.ingest import LANDED_FILES
from recon_pipeline.cli import failure_reason
from recon_pipeline.demo_month import generate_month
from recon_pipeline.settings import Settings, load_settings
from tests import landing as lz
from tests.conftest import SAMPLES, land_days, landed_summary, run_job, run_range
from tests.e2e.conftest import SshServer, keygen


def sftp_settings(tmp_path: Path, server: SshServer, root: Path, **extra: str) -> Settings:
    environ = {
        "RECON_HOME": str(tmp_path / "home"),
        "RECON_SOURCE": "sftp",
        "RECON_SFTP_HOST": "127.0.0.1",
        "RECON_SFTP_PORT": str(server.port),
        "RECON_SFTP_USER": server.user,
        "RECON_SFTP_KEY_FILE": str(server.client_key),
        "RECON_SFTP_KNOWN_HOSTS": str(server.known_hosts),
        "RECON_SFTP_ROOT": str(root),
    }
    return load_settings({**environ, **extra})


@pytest.fixture
def remote_root(sshd: SshServer, request) -> Path:
    """A fresh folder on the server for one test."""
    root = sshd.root / request.node.name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    return root


def open_sftp(server: SshServer) -> paramiko.SFTPClient:
    client = paramiko.SSHClient()
    client.load_host_keys(str(server.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        "127.0.0.1",
        port=server.port,
        username=server.user,
        key_filename=str(server.client_key),
        look_for_keys=False,
        allow_agent=False,
    )
    return client.open_sftp()


def test_a_month_lands_from_sftp_exactly_as_from_the_local_folder(
    sshd, remote_root, tmp_path, instance, landed_locally
):
    summary = generate_month(remote_root)
    first, last = summary.start.isoformat(), summary.end.isoformat()
    remote = sftp_settings(tmp_path / "sftp", sshd, remote_root)
    land_days(remote, instance, first, last)
    landed = landed_summary(remote)
    # the same month landed from a local folder (once a session, tests/e2e/conftest.py)
    assert landed == landed_summary(landed_locally)
    assert len(landed) == summary.files
    for source, path, sha256, *_ in landed:
        if sha256:
            copy = remote.landed_dir / path
            assert hashlib.sha256(copy.read_bytes()).hexdigest() == sha256, source


def test_a_week_reconciles_from_sftp_and_exports_are_pushed_once(
    sshd, remote_root, tmp_path, instance
):
    shutil.copytree(SAMPLES, remote_root, dirs_exist_ok=True)
    settings = sftp_settings(tmp_path, sshd, remote_root)
    run_range(settings, instance, "2026-10-01", "2026-10-07")  # one run, as `recon run` does
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        status = dict(
            con.execute(
                "SELECT receivable_id, status FROM marts.receivables WHERE as_of = '2026-10-07'"
            ).fetchall()
        )
        pushes = con.execute(
            "SELECT kind, file_name, sha256, target FROM audit.outbound_pushes ORDER BY ALL"
        ).fetchall()
    assert status["ORD-0000103"] == "PAID" and status["ORD-0000104"] == "PAID"
    slip = settings.export_dir / "slip_requests" / "slip_requests_20261001.csv"
    kinds = {(kind, name) for kind, name, _, _ in pushes}
    assert ("slip_requests", slip.name) in kinds
    assert ("ship_hold", "ship_hold_20261007.csv") in kinds
    assert ("journal", "journal_20261001.csv") in kinds
    sftp = open_sftp(sshd)
    remote_slip = f"{remote_root}/outbound/slip_requests/{slip.name}"
    with sftp.open(remote_slip, "rb") as pushed:
        assert pushed.read() == slip.read_bytes()
    assert b"ORD-0000102" in slip.read_bytes()
    assert not [n for n in sftp.listdir(f"{remote_root}/outbound/slip_requests") if n[0] == "."]
    pushed_at = sftp.stat(remote_slip).st_mtime

    os.utime(remote_slip, (1, 1))
    run_job(settings, instance, "2026-10-01")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        again = con.execute(
            "SELECT kind, file_name, sha256, target FROM audit.outbound_pushes ORDER BY ALL"
        ).fetchall()
        requests = con.execute("SELECT count(*) FROM exports.slip_requests").fetchone()
    assert again == pushes
    assert sftp.stat(remote_slip).st_mtime == 1 != pushed_at
    assert requests == (1,)
    sftp.close()


def test_an_unknown_or_changed_host_key_is_refused_and_never_added(
    sshd, remote_root, tmp_path, instance
):
    shutil.copytree(SAMPLES, remote_root, dirs_exist_ok=True)
    kind, key = keygen(tmp_path / "other_host_key").split()[:2]
    changed = tmp_path / "known_hosts_changed"
    changed.write_text(f"[127.0.0.1]:{sshd.port} {kind} {key}\n")
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("")
    for known_hosts, words in ((changed, "differs from"), (empty, "is not in")):
        settings = sftp_settings(
            tmp_path / f"run-{known_hosts.name}",
            sshd,
            remote_root,
            RECON_SFTP_KNOWN_HOSTS=str(known_hosts),
        )
        before = known_hosts.read_bytes()
        (result,) = run_job(settings, instance, "2026-10-01", expect_success=False)
        assert not result.success
        message = failure_reason(result)
        assert message.startswith(f"step {LANDED_FILES.to_python_identifier()} failed: ")
        assert "SourceRefused: refusing 127.0.0.1:" in message
        assert words in message
        assert known_hosts.read_bytes() == before
        assert not settings.landed_dir.exists() or not any(settings.landed_dir.rglob("*.csv"))


def test_unsafe_remote_names_are_refused_and_nothing_leaves_the_landing_dir(
    sshd, remote_root, tmp_path, instance
):
    folder = remote_root / "card" / "2026-10-01"
    folder.mkdir(parents=True)
    for name in ("..evil.csv", "bell\x07.csv", "tab\tname.csv"):
        (folder / name).write_bytes(b"balance_transaction_id\n")
    (folder / "passwd.csv").symlink_to("/etc/passwd")
    lz.card(remote_root, "2026-10-01", [lz.charge("txn_1", "ORD-1", 1000)], name="good.csv")
    settings = sftp_settings(tmp_path, sshd, remote_root)
    run_job(settings, instance, "2026-10-01")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        statuses = dict(con.execute("SELECT file_name, status FROM audit.landed_files").fetchall())
        reasons = dict(
            con.execute(
                "SELECT file_name, reason FROM audit.landed_files WHERE status = 'REFUSED'"
            ).fetchall()
        )
    assert statuses == {
        "..evil.csv": "REFUSED",
        "bell\x07.csv": "REFUSED",
        "tab\tname.csv": "REFUSED",
        "passwd.csv": "REFUSED",
        "good.csv": "LANDED",
    }
    assert "'..'" in reasons["..evil.csv"] and "control" in reasons["bell\x07.csv"]
    assert "symbolic link" in reasons["passwd.csv"]
    landed = sorted(p.name for p in settings.landed_dir.rglob("*") if p.is_file())
    assert landed == ["good.csv"]


def test_a_connection_dropped_mid_transfer_is_retried_and_lands_once(
    sshd, remote_root, tmp_path, instance, cutting_proxy
):
    rows = [lz.charge(f"txn_{n:06d}", f"ORD-X{n:06d}", 1000 + n) for n in range(6000)]
    big = lz.card(remote_root, "2026-10-01", rows, name="big.csv")
    assert big.stat().st_size > 400_000
    proxy = cutting_proxy(sshd.port, cut_after=150_000)
    known_hosts = tmp_path / "known_hosts_proxy"
    known_hosts.write_text(sshd.known_hosts_line(proxy.port))
    settings = sftp_settings(
        tmp_path,
        sshd,
        remote_root,
        RECON_SFTP_PORT=str(proxy.port),
        RECON_SFTP_KNOWN_HOSTS=str(known_hosts),
    )
    run_job(settings, instance, "2026-10-01")
    assert proxy.cuts_made == 1 and proxy.connections >= 2

    copy = settings.landed_dir / "card" / "2026-10-01" / "big.csv"
    assert copy.read_bytes() == big.read_bytes()
    assert not [p for p in settings.landed_dir.rglob(".*")]

    def counts() -> tuple:
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            return con.execute(
                "SELECT (SELECT count(*) FROM audit.landed_files), "
                "(SELECT count(*) FROM raw.card), "
                "(SELECT count(*) FROM staging.settlement_lines), "
                "(SELECT sum(gross_amount) FROM staging.settlement_lines)"
            ).fetchone()

    expected_gross = sum(1000 + n for n in range(6000))
    assert counts() == (1, 6000, 6000, expected_gross)
    (copy.parent / ".big.csv.partial").write_bytes(b"half a file from a crashed run")
    run_job(settings, instance, "2026-10-01")
    assert counts() == (1, 6000, 6000, expected_gross)
    assert not (copy.parent / ".big.csv.partial").exists()
