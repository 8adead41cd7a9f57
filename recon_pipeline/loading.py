"""Loading landed files into the raw tables: each file read by its data contract, its rows
validated (pandera), checked for uniqueness against what is loaded, then written with the
rejected rows (quarantine) and the file manifest in one transaction a day. No Dagster here:
the ``validated_files`` asset (``recon_pipeline.assets.staging``) calls :func:`stage_window`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recon_pipeline.contracts import Contract, ContractSet
from recon_pipeline.contracts.validate import validate
from recon_pipeline.layouts import FileRejected, read_file
from recon_pipeline.layouts.base import ParsedFile
from recon_pipeline.limits import clip
from recon_pipeline.resources.sources import InboundSource
from recon_pipeline.resources.warehouse import clear_partition, fetch_dicts, quote

REJECT_COLUMNS = [
    "partition_date",
    "source",
    "layout",
    "path",
    "line_no",
    "raw",
    "reason",
    "key_kind",
    "key_text",
]
"""``key_kind``/``key_text``: the contract's payment key as the row wrote it; the insert turns
them into ``payment_key`` (``staging.payment_key``), so dunning can wait for the row."""
BARCODE_IN_TEXT = re.compile(r"(?:EAN)?([0-9]{44})")


NO_REJECTS = pd.DataFrame(columns=REJECT_COLUMNS)
"""The rejected rows of a file with none (never written to: frames are only concatenated)."""


@dataclass
class FileOutcome:
    manifest: dict
    rejected: pd.DataFrame


def _reject_frame(
    day, contract, path, items: list[tuple[int, str | None, str, str | None]]
) -> pd.DataFrame:
    """Rejected rows; a reason quotes at most ``limits.QUOTED_BYTES`` of the file's text
    (the raw line is kept whole: the landing refused any longer than RECON_MAX_LINE_BYTES).
    A file without one shares an empty frame: building a frame cost ~1.7 ms, 1.3 s over the
    1M backlog's 789 files."""
    if not items:
        return NO_REJECTS
    kind = contract.payment_key.kind if contract.payment_key else None
    return pd.DataFrame(
        [
            [day, contract.source, contract.layout, path, line, raw, clip(reason), kind, key]
            for line, raw, reason, key in items
        ],
        columns=REJECT_COLUMNS,
    )


def _key_in_raw(contract: Contract, raw: str | None) -> str | None:
    """The payment key of a record the reader could not split into fields, where its raw
    text still shows it unambiguously: a konbini barcode (44 digits) names its slip."""
    key = contract.payment_key
    if key is None or raw is None or key.kind != "slip_number":
        return None
    found = BARCODE_IN_TEXT.search(raw)
    return found[1] if found else None


def _quarantined(day: dt.date, contract: Contract, landed: dict, rejected: FileRejected):
    manifest = _manifest_base(day, contract, landed) | {
        "status": "QUARANTINED",
        "reason": clip(rejected.reason),
        "rows_total": rejected.rows_total,
        "rows_loaded": 0,
        "rows_quarantined": rejected.rows_total,
    }
    return FileOutcome(
        manifest, _reject_frame(day, contract, landed["path"], [(0, None, rejected.reason, None)])
    )


def _manifest_base(day: dt.date, contract: Contract, landed: dict) -> dict:
    return {
        "partition_date": day,
        "source": contract.source,
        "layout": contract.layout,
        "path": landed["path"],
        "sha256": landed["sha256"],
        "duplicate_of": None,
    }


def _string_columns(contract: Contract, parsed: ParsedFile) -> list[pa.Array | pa.ChunkedArray]:
    if parsed.columns is not None:
        return parsed.columns
    if not parsed.rows:
        return [pa.array([], type=pa.string()) for _ in contract.columns]
    return [pa.array(values, type=pa.string()) for values in zip(*parsed.rows, strict=True)]


def _chunks(column: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return column.chunks if isinstance(column, pa.ChunkedArray) else [column]


def frame_of(contract: Contract, files: list[ParsedFile]) -> pa.Table:
    """The records of a layout's files as one Arrow table of strings, ``file_no`` telling
    them apart."""
    per_file = [_string_columns(contract, parsed) for parsed in files]
    columns = {
        name: pa.chunked_array(
            [chunk for columns in per_file for chunk in _chunks(columns[position])],
            type=pa.string(),
        )
        for position, name in enumerate(contract.canonical_columns)
    }
    counts = [parsed.record_count for parsed in files]
    columns["file_no"] = pa.array(np.repeat(np.arange(len(files), dtype="int64"), counts))
    columns["line_no"] = pa.array(
        np.concatenate(
            [np.asarray(parsed.line_nos, dtype="int64") for parsed in files]
            or [np.array([], "int64")]
        )
    )
    return pa.table(columns)


def _places_loaded_before(
    con, contract: Contract, day: dt.date, rows: pa.Table, paths: list[str]
) -> list[tuple[int, int, str]]:
    """(file_no, line_no, place) of each row whose unique key was loaded before: in an
    earlier partition (or an earlier batch of the day) first, else an earlier row of the
    same batch (files in path order)."""
    if not rows.num_rows:
        return []
    keys = rows.select(["unique_key", "file_no", "line_no"])  # noqa: F841 - read by DuckDB
    table = f"raw.{quote(contract.family)}"
    return con.execute(
        f"""
        WITH earlier AS (
            SELECT r.unique_key, arg_min(r.path || ' line ' || r.line_no,
                (r.partition_date, r.path, r.line_no)) AS place
            FROM {table} AS r SEMI JOIN keys AS k ON k.unique_key = r.unique_key
            WHERE r.partition_date <= $day AND r.layout = $layout GROUP BY r.unique_key
        ), firsts AS (
            SELECT unique_key, arg_min(file_no, (file_no, line_no)) AS file_no,
                arg_min(line_no, (file_no, line_no)) AS line_no
            FROM keys GROUP BY unique_key HAVING count(*) > 1
        )
        SELECT k.file_no, k.line_no,
            coalesce(e.place, $paths[f.file_no + 1] || ' line ' || f.line_no) AS place
        FROM keys AS k LEFT JOIN earlier AS e USING (unique_key)
        LEFT JOIN firsts AS f USING (unique_key)
        WHERE e.place IS NOT NULL
            OR (f.unique_key IS NOT NULL AND (k.file_no, k.line_no) <> (f.file_no, f.line_no))
        ORDER BY k.file_no, k.line_no
        """,
        {"day": day, "layout": contract.layout, "paths": paths},
    ).fetchall()


@dataclass
class BatchResult:
    """A batch of one layout's files after validation: the rows to insert (``file_no`` tells
    their file) and one outcome per file."""

    rows: pd.DataFrame
    outcomes: list[FileOutcome]


@dataclass
class Checked:
    """A layout's files after their contract, before uniqueness against what is loaded:
    the typed rows (an Arrow table; ``file_no`` = position in the files checked) and the
    failed lines (file_no, line_no, reason, key_text)."""

    rows: pa.Table
    failed: list[tuple[int, int, str, str | None]]

    def files(self, first: int, stop: int) -> Checked:
        """Files ``first`` … ``stop - 1`` of the check, numbered from 0 again."""
        numbers = self.rows["file_no"]
        within = pc.and_(pc.greater_equal(numbers, first), pc.less(numbers, stop))
        rows = self.rows.filter(within)
        rows = rows.set_column(
            rows.column_names.index("file_no"),
            "file_no",
            pc.subtract(rows["file_no"], pa.scalar(first, pa.int64())),
        )
        failed = [(f - first, *rest) for f, *rest in self.failed if first <= f < stop]
        return Checked(rows, failed)


def check_files(contract: Contract, parsed_files: list[ParsedFile]) -> Checked:
    result = validate(contract, frame_of(contract, parsed_files))
    failed = [
        (int(f), int(line), reason, None if pd.isna(key) else key)
        for f, line, reason, key in result.rejected.itertuples(False)
    ]
    return Checked(result.table, failed)


def _read_layout(
    con,
    contract: Contract,
    day: dt.date,
    files: list[tuple[dict, ParsedFile]],
    checked: Checked | None = None,
) -> BatchResult:
    """Validate a layout's files of the day in one pass (unless ``checked`` already has them);
    the rows stay one frame, and only the manifest and the rejected rows are split per file."""
    parsed_files = [parsed for _, parsed in files]
    paths = [landed["path"] for landed, _ in files]
    if checked is None:
        checked = check_files(contract, parsed_files)
    rows = checked.rows
    rejects = [
        [(line, raw, why, _key_in_raw(contract, raw)) for line, raw, why in parsed.malformed]
        for parsed in parsed_files
    ]
    failed = list(checked.failed)
    if contract.unique and rows.num_rows:
        unique = ", ".join(contract.unique)
        repeated = _places_loaded_before(con, contract, day, rows, paths)
        failed += [
            (file_no, line, f"already loaded from {place} ({unique} must be unique)", None)
            for file_no, line, place in repeated
        ]
        if repeated:
            gone = pa.table(
                {
                    "file_no": pa.array([f for f, _, _ in repeated], pa.int64()),
                    "line_no": pa.array([line for _, line, _ in repeated], pa.int64()),
                }
            )
            rows = rows.join(gone, ["file_no", "line_no"], join_type="left anti").sort_by(
                [("file_no", "ascending"), ("line_no", "ascending")]
            )
    for file_no, line, reason, key in failed:
        rejects[file_no].append((line, parsed_files[file_no].raw(line), reason, key))
    loaded = np.bincount(rows["file_no"].to_numpy(), minlength=len(files))
    outcomes = []
    for file_no, (landed, parsed) in enumerate(files):
        file_rejects = sorted(rejects[file_no], key=lambda item: item[0])
        manifest = _manifest_base(day, contract, landed) | {
            "status": "LOADED",
            "reason": None,
            "rows_total": parsed.rows_total,
            "rows_loaded": int(loaded[file_no]),
            "rows_quarantined": len(file_rejects),
            "control": json.dumps(parsed.control, ensure_ascii=False) if parsed.control else None,
            "notes": "; ".join(parsed.notes) or None,
        }
        outcomes.append(
            FileOutcome(manifest, _reject_frame(day, contract, landed["path"], file_rejects))
        )
    return BatchResult(rows, outcomes)


def _skipped(day: dt.date, contract: Contract | None, landed: dict) -> FileOutcome:
    reason = clip(
        landed["reason"] if contract else f"no data contract for source {landed['source']!r}"
    )
    manifest = {
        "partition_date": day,
        "source": landed["source"],
        "layout": contract.layout if contract else None,
        "path": landed["path"],
        "sha256": landed["sha256"],
        "duplicate_of": landed["duplicate_of"],
        "status": landed["status"] if landed["status"] != "LANDED" else "QUARANTINED",
        "reason": reason,
        "rows_total": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
    }
    rejected = pd.DataFrame(columns=REJECT_COLUMNS)
    if landed["status"] == "REFUSED" or contract is None:
        rejected = pd.DataFrame(
            [[day, landed["source"], None, landed["path"], 0, None, reason, None, None]],
            columns=REJECT_COLUMNS,
        )
    return FileOutcome(manifest, rejected)


BATCH_ROWS = 500_000
"""Records of a layout validated in one pandera pass: enough that a pass's fixed cost is
spread thin, few enough that a first load of years of history stays within memory (each
batch is written before the next file is read)."""

GROUP_BYTES = 64 * 2**20
"""Consecutive days of a ranged run whose landed files add up to no more than this are read
together, and each layout's files of all of them go through one pandera pass (a pass costs
tens of milliseconds whatever its rows: a demo month made ~250 of them). The rows are still
written one transaction a day. A bigger day is read on its own, file by file in batches of
``BATCH_ROWS``, so memory stays bounded."""


def _landed(con, day: dt.date) -> list[dict]:
    return fetch_dicts(
        con,
        "SELECT * FROM audit.landed_files WHERE partition_date = $day ORDER BY source, path",
        {"day": day},
    )


def _read_landed(
    source: InboundSource, day: dt.date, contracts: dict[str, Contract], landed: dict
) -> ParsedFile | FileOutcome:
    """A landed file parsed by its contract, or its outcome when there are no rows to check
    (a duplicate, a refused or unreadable file, a source without a contract)."""
    contract = contracts.get(landed["source"])
    if landed["status"] != "LANDED" or contract is None:
        return _skipped(day, contract, landed)
    try:
        return read_file(contract, Path(source.landed_dir) / landed["path"])
    except FileRejected as rejected:
        return _quarantined(day, contract, landed, rejected)


def stage_window(
    con, source: InboundSource, days: list[dt.date], contract_set: ContractSet
) -> list[FileOutcome]:
    """Stage the run's days in order: runs of small days together (``GROUP_BYTES``), a big
    day on its own."""
    landed = {day: _landed(con, day) for day in days}
    outcomes: list[FileOutcome] = []
    group: list[dt.date] = []
    group_bytes = 0
    for day in days:
        size = sum(row["bytes"] or 0 for row in landed[day] if row["status"] == "LANDED")
        if group and group_bytes + size > GROUP_BYTES:
            outcomes += _stage_days(con, source, group, landed, contract_set)
            group, group_bytes = [], 0
        if size > GROUP_BYTES:
            outcomes += _stage_day(con, source, day, landed[day], contract_set)
        else:
            group.append(day)
            group_bytes += size
    if group:
        outcomes += _stage_days(con, source, group, landed, contract_set)
    return outcomes


def _stage_day(
    con,
    source: InboundSource,
    day: dt.date,
    landed_rows: list[dict],
    contract_set: ContractSet,
) -> list[FileOutcome]:
    """Read, check and write every landed file of a big day in one transaction. A layout's
    files are validated together in batches of about ``BATCH_ROWS`` records (files in path
    order), and a batch's rows go to ``raw.<family>`` before the next file is read."""
    contracts = contract_set.by_source()
    loaded_at = _previous_loaded_at(con, day)
    outcomes: dict[int, FileOutcome] = {}
    batch: list[tuple[int, dict, ParsedFile]] = []
    con.begin()
    _clear_day(con, day, contract_set)
    for index, landed in enumerate(landed_rows):
        contract = contracts.get(landed["source"])
        if batch and (
            contract is None
            or contract.source != batch[0][1]["source"]
            or sum(parsed.record_count for _, _, parsed in batch) >= BATCH_ROWS
        ):
            outcomes |= _write_batch(con, contracts[batch[0][1]["source"]], day, batch)
            batch = []
        read = _read_landed(source, day, contracts, landed)
        if isinstance(read, FileOutcome):
            outcomes[index] = read
        else:
            batch.append((index, landed, read))
    if batch:
        outcomes |= _write_batch(con, contracts[batch[0][1]["source"]], day, batch)
    return _finish_day(con, day, outcomes, loaded_at)


def _stage_days(
    con,
    source: InboundSource,
    days: list[dt.date],
    landed: dict[dt.date, list[dict]],
    contract_set: ContractSet,
) -> list[FileOutcome]:
    """Read every file of small days, check each layout's files of all the days in one
    pandera pass, then write day by day as ``_stage_day`` would: one transaction a day, the
    uniqueness check against what earlier days loaded, the same rows, reasons and counts."""
    contracts = contract_set.by_source()
    loaded_at = {day: _previous_loaded_at(con, day) for day in days}
    settled: dict[dt.date, dict[int, FileOutcome]] = {day: {} for day in days}
    parsed: dict[dt.date, list[tuple[int, dict, ParsedFile]]] = {day: [] for day in days}
    for day in days:
        for index, row in enumerate(landed[day]):
            read = _read_landed(source, day, contracts, row)
            if isinstance(read, FileOutcome):
                settled[day][index] = read
            else:
                parsed[day].append((index, row, read))
    checked: dict[tuple[dt.date, str], Checked] = {}
    for name in sorted({row["source"] for files in parsed.values() for _, row, _ in files}):
        per_day = {day: [p for _, row, p in parsed[day] if row["source"] == name] for day in days}
        together = check_files(contracts[name], [p for files in per_day.values() for p in files])
        first = 0
        for day, files in per_day.items():
            checked[day, name] = together.files(first, first + len(files))
            first += len(files)
    staged: list[FileOutcome] = []
    for day in days:
        con.begin()
        _clear_day(con, day, contract_set)
        outcomes = dict(settled[day])
        for name, batch in groupby(parsed[day], key=lambda item: item[1]["source"]):
            outcomes |= _write_batch(con, contracts[name], day, list(batch), checked[day, name])
        staged += _finish_day(con, day, outcomes, loaded_at[day])
    return staged


def _finish_day(
    con, day: dt.date, outcomes: dict[int, FileOutcome], loaded_at: dt.datetime
) -> list[FileOutcome]:
    ordered = [outcomes[index] for index in sorted(outcomes)]
    _write_manifest(con, day, ordered, loaded_at)
    con.commit()
    return ordered


def _write_batch(
    con,
    contract: Contract,
    day: dt.date,
    batch: list[tuple[int, dict, ParsedFile]],
    checked: Checked | None = None,
) -> dict[int, FileOutcome]:
    """Validate a batch of one layout's files (unless ``checked`` has them) and insert its rows
    in one statement; the outcomes keep the manifest and the rejected rows.

    The rows' Arrow columns are made contiguous first: text columns come chunked per file and
    the numeric ones whole, so DuckDB scanned the table in slices cut at every file's edge,
    and the insert took twice as long (the 1M backlog's 2.4M rows: 5.5 s -> 3.3 s). The day,
    source, layout and file path are added by the insert: as pandas columns they were a
    Python object per row and value (2.4M rows: 1.2-1.5 s -> 0.2 s)."""
    files = [(landed, parsed) for _, landed, parsed in batch]
    result = _read_layout(con, contract, day, files, checked)
    if result.rows.num_rows:
        rows = result.rows.combine_chunks()  # noqa: F841 - read by DuckDB's scan
        con.execute(
            f"INSERT INTO raw.{quote(contract.family)} BY NAME "
            "SELECT * EXCLUDE (file_no), $day AS partition_date, $source AS source, "
            "$layout AS layout, $paths[file_no + 1] AS path FROM rows",
            {
                "day": day,
                "source": contract.source,
                "layout": contract.layout,
                "paths": [landed["path"] for _, landed, _ in batch],
            },
        )
    return {index: outcome for (index, _, _), outcome in zip(batch, result.outcomes, strict=True)}


def _clear_day(con, day: dt.date, contract_set: ContractSet) -> None:
    clear_partition(con, "audit.file_manifest", "partition_date", day)
    clear_partition(con, "quarantine.rejected_rows", "partition_date", day)
    for family in contract_set.families():
        clear_partition(con, f"raw.{family}", "partition_date", day)


def _write_manifest(con, day: dt.date, outcomes: list[FileOutcome], loaded_at: dt.datetime) -> None:
    manifest = pd.DataFrame([o.manifest | {"loaded_at": loaded_at} for o in outcomes])
    rejected = pd.concat([o.rejected for o in outcomes if len(o.rejected)] or [NO_REJECTS])
    rejected = rejected.astype({"line_no": "int64"})
    if len(manifest):
        con.execute("INSERT INTO audit.file_manifest BY NAME SELECT * FROM manifest")
    if len(rejected):
        con.execute(
            "INSERT INTO quarantine.rejected_rows BY NAME SELECT * EXCLUDE (key_kind, key_text), "
            "staging.payment_key(key_kind::VARCHAR, key_text::VARCHAR) AS payment_key, "
            "CASE WHEN payment_key IS NOT NULL THEN key_kind END AS payment_key_kind "
            "FROM rejected"
        )


def _previous_loaded_at(con, day: dt.date) -> dt.datetime:
    found = con.execute(
        "SELECT min(loaded_at) FROM audit.file_manifest WHERE partition_date = $day", {"day": day}
    ).fetchone()
    if found and found[0] is not None:
        return found[0]
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
