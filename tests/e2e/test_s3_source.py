"""The S3 source against a real S3-compatible server (moto in server mode, HTTP on loopback):
the samples are pulled from a bucket, landed with their checksums and reconciled exactly as
from the local folder; keys that would leave the landing dir are refused, never followed."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import boto3
import dagster as dg
import duckdb
import pytest
from moto.server import ThreadedMotoServer

from recon_pipeline.settings import load_settings
from tests.conftest import run_job

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="ap-northeast-1")
    name = f"recon-{_free_port()}"
    client.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    for path in SAMPLES.rglob("*"):
        if path.is_file() and path.name != "README.md":
            client.upload_file(str(path), name, f"inbound/{path.relative_to(SAMPLES)}")
    return client, name


def test_a_month_lands_from_s3_and_reconciles(bucket, s3_endpoint, tmp_path):
    client, name = bucket
    client.put_object(Bucket=name, Key="inbound/card/2026-10-01/../../escape.csv", Body=b"x")
    client.put_object(Bucket=name, Key="inbound/card/2026-10-01/sub/nested.csv", Body=b"x")
    settings = load_settings(
        {
            "RECON_HOME": str(tmp_path / "home"),
            "RECON_SOURCE": "s3",
            "RECON_S3_BUCKET": name,
            "RECON_S3_PREFIX": "inbound",
            "RECON_S3_ENDPOINT_URL": s3_endpoint,
        }
    )
    with dg.instance_for_test() as instance:
        run_job(settings, instance, "2026-10-01", "2026-10-07")
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
    assert sha == (hashlib.sha256(original.read_bytes()).hexdigest(),)
    assert set(refused) == {"../../escape.csv", "sub/nested.csv"}
    assert not (tmp_path / "home" / "escape.csv").exists()
    assert paid["ORD-0000103"] == "PAID" and paid["ORD-0000101"] == "PAID"
