"""The variance corpus: a small canonical month, rendered plainly and in every spelling real
files carry (tests/variance.py: BOM or none, CRLF or LF, no final newline, trailing blank
lines, quoted fields, columns in another order, extra columns, padded header names, CP932
NEC/IBM characters, Zengin records without line ends, a blank 取消区分, customer numbers typed
every way), reconciles to the same marts, hash for hash. Spellings that carry a wrong
meaning are still rejected, each with its file, line and reason."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from recon_pipeline.contracts import load_contracts
from recon_pipeline.contracts.validate import validate
from recon_pipeline.demo_month import generate_month
from recon_pipeline.kana import normalize_kana
from recon_pipeline.layouts import FileRejected, read_file
from recon_pipeline.loading import frame_of
from recon_pipeline.resources.warehouse import create_tables
from recon_pipeline.settings import load_settings
from tests import variance
from tests.conftest import memory_instance, run_range

DAYS, ORDERS_PER_DAY = 16, 20
"""Long enough for a settlement report, dispositions and the first dunning; small enough
that a month runs in seconds."""
FIRST, LAST = "2026-10-01", "2026-10-16"
MARTS = (
    "marts.receivables",
    "marts.settlement_status",
    "marts.matches",
    "marts.aging",
    "marts.dunning_candidates",
    "marts.dunning_holds",
    "exports.slip_requests",
)
CONTRACTS = load_contracts().by_source()


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> Path:
    """The canonical month: the demo generator's files, each spelled as its layout asks."""
    root = tmp_path_factory.mktemp("corpus") / "plain"
    generate_month(root, days=DAYS, orders_per_day=ORDERS_PER_DAY)
    for path in variance.files_of(root, "bank"):
        path.write_bytes(variance.plain("bank", path.read_bytes()))
    return root


def render(month: Path, target: Path, variants: dict[str, list[str]]) -> Path:
    """A copy of the month with each source's files spelled in its ``variants`` (in turn)."""
    shutil.copytree(month, target)
    for source, names in variants.items():
        for path in variance.files_of(target, source):
            data = path.read_bytes()
            try:
                for name in names:
                    data = variance.apply(source, name, data)
            except (UnicodeDecodeError, ValueError):
                continue  # the month's undecodable file stays as it is
            path.write_bytes(data)
    return target


def marts_of(landing: Path, home: Path) -> dict[str, str]:
    settings = load_settings({"RECON_HOME": str(home), "RECON_LANDING_DIR": str(landing)})
    with memory_instance() as instance:
        run_range(settings, instance, FIRST, LAST)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return {table: fingerprint(con, table) for table in MARTS}


def fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """sha256 of a table's or view's rows, the wall-clock columns (sent_at) left out."""
    columns = [
        f'"{name}"'
        for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall()
        if kind != "TIMESTAMP"
    ]
    rows = con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").fetchall()
    assert rows or table == "marts.dunning_holds", f"{table} is empty: nothing compared"
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def macros():
    """The warehouse's SQL macros, to read a payer name as the staging SQL does."""
    con = duckdb.connect()
    create_tables(con)
    yield con
    con.close()


def staged(source: str, data: bytes, macros) -> tuple[list, list] | str:
    """What the contract makes of a file: its typed rows and rejected lines (or the gist of
    why the whole file is refused), each value as the pipeline reads it: a payer name as its
    customer number and normalized kana, a blank 取消区分 as 0, a name without the CP932
    characters a variant added to it."""
    contract = CONTRACTS[source]
    try:
        parsed = read_file(contract, data)
    except FileRejected as rejected:
        return rejected.reason.split(" (")[0]
    result = validate(contract, frame_of(contract, [parsed]))
    rows = result.rows.drop(columns=["file_no"]).to_dict("records")
    for row in rows:
        if "payer_name" in row:
            name = row.pop("payer_name")
            number = macros.execute("SELECT staging.payer_customer_number($1)", [name]).fetchone()
            row["payer"] = (number[0], normalize_kana(name))
            row["cancel_flag"] = row["cancel_flag"] or "0"
        for column in ("chain_name", "customer_name"):
            if isinstance(row.get(column), str):
                row[column] = row[column].removesuffix(variance.EXTENDED)
    return rows, sorted(result.rejected[["line_no", "reason"]].itertuples(index=False))


@pytest.mark.parametrize(("source", "variant"), variance.VARIANTS)
def test_each_spelling_reads_as_the_plain_file(month, macros, source, variant):
    """Per layout and variant: every file of the month gives the same rows, line numbers and
    rejections as its plain spelling."""
    changed = 0
    for path in variance.files_of(month, source):
        data = path.read_bytes()
        try:
            spelled = variance.apply(source, variant, data)
        except (UnicodeDecodeError, ValueError):
            continue
        assert staged(source, spelled, macros) == staged(source, data, macros), path.name
        changed += spelled != data
    assert changed, f"{variant} changed no file of {source}"


COMPOSED = {
    "one": {
        **{s: ["bom", "line_end", "no_final_newline", "reordered"] for s in ("card", "shipments")},
        "dispositions": ["bom", "line_end", "quoted", "spaced_header"],
        "amazon": ["bom", "line_end", "reordered", "extra_columns"],
        "konbini": ["line_end", "extended_characters", "extra_columns", "no_final_newline"],
        "cod": ["quoted", "spaced_header", "trailing_blank_lines"],
        "bnpl": ["reordered", "extra_columns", "line_end"],
        "bank": ["number_spellings", "cancel_flag_blank", "no_newlines"],
    },
    "two": {
        **{
            s: ["quoted", "extra_columns", "spaced_header", "trailing_blank_lines"]
            for s in (
                "card",
                "shipments",
            )
        },
        "dispositions": ["reordered", "extra_columns", "no_final_newline", "trailing_blank_lines"],
        "amazon": ["spaced_header", "no_final_newline", "trailing_blank_lines"],
        "konbini": ["quoted", "reordered", "spaced_header", "trailing_blank_lines"],
        "cod": ["reordered", "extra_columns", "line_end", "no_final_newline"],
        "bnpl": ["quoted", "spaced_header", "trailing_blank_lines", "no_final_newline"],
        "bank": ["number_spellings", "line_end", "trailing_blank_lines"],
    },
}
"""Every variant of the corpus, composed two ways: each source's files carry several at once."""


def test_composed_variants_cover_every_variant():
    used = {
        (s, v) for spelling in COMPOSED.values() for s, names in spelling.items() for v in names
    }
    assert set(variance.VARIANTS) - used == set()


@pytest.fixture(scope="module")
def plain_marts(month, tmp_path_factory) -> dict[str, str]:
    return marts_of(month, tmp_path_factory.mktemp("plain_home"))


@pytest.mark.parametrize("spelling", sorted(COMPOSED))
def test_the_month_in_every_spelling_reconciles_to_the_plain_marts(
    month, plain_marts, spelling, tmp_path
):
    landing = render(month, tmp_path / "landing", COMPOSED[spelling])
    assert marts_of(landing, tmp_path / "home") == plain_marts
    with duckdb.connect(str(tmp_path / "home" / "recon.duckdb"), read_only=True) as con:
        notes = con.execute(
            "SELECT count(*) FROM audit.file_manifest WHERE notes LIKE '%unknown columns%'"
        ).fetchone()[0]
    assert notes > 0, "extra columns are listed in the manifest"


def _first(month: Path, source: str) -> bytes:
    """The month's first file of a source with a data row."""
    for path in variance.files_of(month, source):
        data = path.read_bytes()
        if source == "bank":
            if any(r[:1] == b"2" for r in variance.zengin_records(data)):
                return data
        elif data.count(b"\n") > 1 and path.name != "cvs_sokuho_broken.csv":
            return data
    raise AssertionError(f"no {source} file")


def _first_barcode(month: Path) -> str:
    return variance.parse(CONTRACTS["konbini"], _first(month, "konbini")).rows[0][3]


def _cell(source: str, data: bytes, column: str, value: str) -> bytes:
    """The file with ``column`` of its first data row set to ``value``."""
    contract = CONTRACTS[source]
    table = variance.parse(contract, data)
    table.rows[0][table.header.index(column)] = value
    return table.render(contract)


def _without_column(source: str, data: bytes, column: str) -> bytes:
    contract = CONTRACTS[source]
    table = variance.parse(contract, data)
    at = table.header.index(column)
    table.header.pop(at)
    for row in table.rows:
        row.pop(at)
    return table.render(contract)


def _zengin_records(data: bytes, change) -> bytes:
    records = variance.zengin_records(data)
    change(records)
    return b"".join(bytes(r) + b"\r\n" for r in records)


def _first_data(records: list[bytearray]) -> bytearray:
    return next(r for r in records if r[:1] == b"2")


def _trailer(records: list[bytearray]) -> bytearray:
    return next(r for r in records if r[:1] == b"8")


def _wrong_check_digit(barcode: str) -> str:
    return barcode[:43] + str((int(barcode[43]) + 1) % 10)


REJECTED = {
    "thousands_separator": (
        "card",
        lambda m: _cell("card", _first(m, "card"), "gross", "1,200"),
        2,
        "gross: '1,200' is not an integer (digits only)",
    ),
    "full_width_digits": (
        "cod",
        lambda m: _cell("cod", _first(m, "cod"), "代引金額", "３４３０"),
        2,
        "代引金額: '３４３０' is not an integer (digits only)",
    ),
    "impossible_date": (
        "shipments",
        lambda m: _cell("shipments", _first(m, "shipments"), "event_date", "2026-02-30"),
        2,
        "event_date: '2026-02-30' is not a date in the form %Y-%m-%d",
    ),
    "control_character": (
        "shipments",
        lambda m: _cell("shipments", _first(m, "shipments"), "address", "東京都\x00渋谷区"),
        2,
        "address: '東京都\\x00渋谷区' contains a control character",
    ),
    "missing_required_column": (
        "card",
        lambda m: _without_column("card", _first(m, "card"), "gross"),
        0,
        "header lacks required column(s): gross",
    ),
    "zengin_control_totals": (
        "bank",
        lambda m: _zengin_records(
            _first(m, "bank"),
            lambda rs: _trailer(rs).__setitem__(slice(7, 19), b"000000000001"),
        ),
        0,
        "control totals differ",
    ),
    "zengin_unknown_cancel_code": (
        "bank",
        lambda m: _zengin_records(
            _first(m, "bank"),
            lambda rs: _first_data(rs).__setitem__(slice(127, 128), b"9"),
        ),
        2,
        "cancel_flag: '9' is not one of 0, 1",
    ),
    "amazon_control_total": (
        "amazon",
        lambda m: _cell("amazon", _first(m, "amazon"), "total-amount", "1"),
        0,
        "control total differs",
    ),
    "wrong_check_digit": (
        "konbini",
        lambda m: _cell(
            "konbini",
            _first(m, "konbini"),
            "バーコード情報",
            _wrong_check_digit(
                variance.parse(CONTRACTS["konbini"], _first(m, "konbini")).rows[0][3]
            ),
        ),
        2,
        "barcode check digit is",
    ),
    "undecodable_bytes": (
        "bnpl",
        lambda m: _first(m, "bnpl").replace(b"\r\n", b"\r\n\x82\xff", 1),
        0,
        "does not decode as cp932",
    ),
}
"""Spellings that change what a file means, or cannot be read: quarantined, never guessed."""


def test_spellings_that_change_meaning_are_quarantined_with_file_line_and_reason(month, tmp_path):
    settings = load_settings({"RECON_HOME": str(tmp_path / "home")})
    for case, (source, spell, _, _) in REJECTED.items():
        target = settings.landing_dir / source / FIRST / f"{case}.dat"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(spell(month))
    with memory_instance() as instance:
        run_range(settings, instance, FIRST, FIRST)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for case, (source, _, line, reason) in REJECTED.items():
            # (the other rows of a copy repeat the month's file: "already loaded")
            found = con.execute(
                "SELECT line_no, reason FROM quarantine.rejected_rows WHERE path = $p "
                "AND reason NOT LIKE 'already loaded from %'",
                {"p": f"{source}/{FIRST}/{case}.dat"},
            ).fetchall()
            assert len(found) == 1, (case, found)
            assert found[0][0] == line and reason in found[0][1], (case, found)
        unbalanced = con.execute(
            "SELECT path FROM audit.file_manifest "
            "WHERE status = 'LOADED' AND rows_total <> rows_loaded + rows_quarantined"
        ).fetchall()
    assert unbalanced == []
