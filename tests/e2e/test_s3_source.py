"""The S3 source against a real S3-compatible server (moto in server mode, HTTP on loopback):
a month lands byte for byte as from the local folder and a week reconciles; keys that would
leave the landing dir are refused, never followed; a download cut off mid-body is retried and
lands once; the slip-request file is pushed back to ``outbound/`` exactly once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import boto3
import duckdb
import pytest

from recon_pipeline.demo_month import generate_month
from recon_pipeline.settings import Settings, load_settings
from tests import landing as lz
from tests.conftest import SAMPLES, land_days, landed_summary, run_job, run_range
from tests.e2e.conftest import free_port

PREFIX = "shop"


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="ap-northeast-1")
    name = f"recon-{free_port()}"
    client.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    return client, name


def upload_tree(client, bucket: str, tree: Path) -> None:
    for path in sorted(tree.rglob("*")):
        if path.is_file() and path.name != "README.md":
            client.upload_file(str(path), bucket, f"{PREFIX}/{path.relative_to(tree)}")


def s3_settings(home: Path, bucket: str, endpoint: str) -> Settings:
    return load_settings(
        {
            "RECON_HOME": str(home),
            "RECON_SOURCE": "s3",
            "RECON_S3_BUCKET": bucket,
            "RECON_S3_PREFIX": PREFIX,
            "RECON_S3_ENDPOINT_URL": endpoint,
        }
    )


def test_a_month_lands_from_s3_exactly_as_from_the_local_folder(
    bucket, s3_endpoint, tmp_path, instance, landed_locally
):
    client, name = bucket
    summary = generate_month(tmp_path / "tree")
    upload_tree(client, name, tmp_path / "tree")
    first, last = summary.start.isoformat(), summary.end.isoformat()
    remote = s3_settings(tmp_path / "s3", name, s3_endpoint)
    land_days(remote, instance, first, last)
    # the same month landed from a local folder (once a session, tests/e2e/conftest.py)
    assert landed_summary(remote) == landed_summary(landed_locally)
    assert len(landed_summary(remote)) == summary.files


def test_a_week_reconciles_from_s3_unsafe_keys_refused_and_slips_pushed_once(
    bucket, s3_endpoint, tmp_path, instance
):
    client, name = bucket
    upload_tree(client, name, SAMPLES)
    client.put_object(Bucket=name, Key=f"{PREFIX}/card/2026-10-01/../../escape.csv", Body=b"x")
    client.put_object(Bucket=name, Key=f"{PREFIX}/card/2026-10-01/sub/nested.csv", Body=b"x")
    settings = s3_settings(tmp_path / "home", name, s3_endpoint)
    run_range(settings, instance, "2026-10-01", "2026-10-07")  # one run, as `recon run` does
    card = settings.landed_dir / "card" / "2026-10-01" / "balance_transactions_20261001.csv"
    original = SAMPLES / "card" / "2026-10-01" / "balance_transactions_20261001.csv"
    assert card.read_bytes() == original.read_bytes()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        sha = con.execute(
            "SELECT sha256 FROM audit.landed_files WHERE path = $p",
            {"p": "card/2026-10-01/balance_transactions_20261001.csv"},
        ).fetchone()
        refused = dict(
            con.execute(
                "SELECT file_name, reason FROM audit.landed_files WHERE status = 'REFUSED'"
            ).fetchall()
        )
        paid = dict(
            con.execute(
                "SELECT receivable_id, status FROM marts.receivables WHERE as_of = '2026-10-07'"
            ).fetchall()
        )
        pushes = con.execute("SELECT * FROM audit.outbound_pushes ORDER BY ALL").fetchall()
    assert sha == (hashlib.sha256(original.read_bytes()).hexdigest(),)
    assert set(refused) == {"../../escape.csv", "sub/nested.csv"}
    assert not (tmp_path / "home" / "escape.csv").exists()
    assert paid["ORD-0000103"] == "PAID" and paid["ORD-0000101"] == "PAID"

    slip = settings.export_dir / "slip_requests" / "slip_requests_20261001.csv"
    key = f"{PREFIX}/outbound/slip_requests/{slip.name}"
    pushed = client.get_object(Bucket=name, Key=key)
    assert pushed["Body"].read() == slip.read_bytes()
    assert f"s3://{name}/{key}" in {row[5] for row in pushes}
    hold = client.get_object(Bucket=name, Key=f"{PREFIX}/outbound/ship_hold/ship_hold_20261007.csv")
    assert hold["Body"].read().decode() == "customer_id,reason,since,outstanding_amount\n"
    journal = settings.export_dir / "journal" / "journal_20261001.csv"
    pushed = client.get_object(Bucket=name, Key=f"{PREFIX}/outbound/journal/{journal.name}")
    assert pushed["Body"].read() == journal.read_bytes()

    client.delete_object(Bucket=name, Key=key)
    run_job(settings, instance, "2026-10-01")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT * FROM audit.outbound_pushes ORDER BY ALL").fetchall() == pushes
    listed = client.list_objects_v2(Bucket=name, Prefix=f"{PREFIX}/outbound/slip_requests/")
    assert listed.get("KeyCount", 0) == 0, "a re-run must not push the same file again"


def test_a_download_cut_off_mid_body_is_retried_and_lands_once(
    bucket, s3_endpoint, tmp_path, instance, cutting_proxy
):
    client, name = bucket
    rows = [lz.charge(f"txn_{n:06d}", f"ORD-X{n:06d}", 1000 + n) for n in range(6000)]
    big = lz.card(tmp_path / "tree", "2026-10-01", rows, name="big.csv")
    upload_tree(client, name, tmp_path / "tree")
    proxy = cutting_proxy(int(s3_endpoint.rsplit(":", 1)[1]), cut_after=150_000)
    settings = s3_settings(tmp_path / "home", name, f"http://127.0.0.1:{proxy.port}")
    run_job(settings, instance, "2026-10-01")
    assert proxy.cuts_made == 1
    copy = settings.landed_dir / "card" / "2026-10-01" / "big.csv"
    assert copy.read_bytes() == big.read_bytes()
    assert not list(settings.landed_dir.rglob(".*"))
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        counts = con.execute(
            "SELECT (SELECT count(*) FROM audit.landed_files), (SELECT count(*) FROM raw.card)"
        ).fetchone()
    assert counts == (1, 6000)
