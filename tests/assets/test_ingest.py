"""Landing: a day's files are copied side by side, and judged in the order they are listed."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import ClassVar

import dagster as dg
import duckdb

from recon_pipeline.assets.ingest import landed_files
from recon_pipeline.resources.contracts import ContractsResource
from recon_pipeline.resources.sources import LocalSource, RemoteFile
from recon_pipeline.resources.warehouse import WarehouseResource

DAY = dt.date(2026, 10, 1)


class FirstListedLandsLast(LocalSource):
    """A local folder that lands ``a.csv`` only once every other file has landed: landed one
    after another, in the listed order, the day would never finish."""

    others_landed: ClassVar[threading.Event] = threading.Event()

    def land(self, remote: RemoteFile) -> tuple[Path, str, int]:
        if remote.name == "a.csv":
            assert self.others_landed.wait(timeout=30), "the files were not landed side by side"
            return super().land(remote)
        try:
            return super().land(remote)
        finally:
            self.others_landed.set()


def test_a_day_lands_side_by_side_and_the_first_listed_copy_is_the_one_kept(tmp_path):
    FirstListedLandsLast.others_landed.clear()
    folder = tmp_path / "landing" / "card" / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / "a.csv").write_bytes(b"the same bytes, delivered twice\n")
    (folder / "b.csv").write_bytes(b"the same bytes, delivered twice\n")
    (folder / "..hidden").write_bytes(b"never followed\n")
    warehouse = tmp_path / "recon.duckdb"

    result = dg.materialize(
        [landed_files],
        partition_key=DAY.isoformat(),
        resources={
            "source": FirstListedLandsLast(
                root=str(tmp_path / "landing"), landed_dir=str(tmp_path / "landed")
            ),
            "warehouse": WarehouseResource(database=str(warehouse)),
            "contracts": ContractsResource(),
        },
    )

    assert result.success
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT file_name, status, reason FROM audit.landed_files ORDER BY file_name"
        ).fetchall()
    assert rows == [
        ("..hidden", "REFUSED", "file name contains '..'"),
        ("a.csv", "LANDED", None),
        ("b.csv", "DUPLICATE", f"same bytes as card/{DAY.isoformat()}/a.csv"),
    ]
    assert (tmp_path / "landed" / "card" / DAY.isoformat() / "a.csv").is_file()
