"""The spellings real files carry, as byte transformations of a landed file: a file of the
demo month turned into the same content spelled another way (another line end, quoting,
column order, extra columns, a payer who types the customer number elsewhere …), and into
spellings that must still be rejected. Used by ``tests/layouts/test_variance.py``."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from recon_pipeline.contracts import Contract, load_contracts

CONTRACTS = load_contracts().by_source()
DELIMITED = ("shipments", "card", "dispositions", "konbini", "cod", "bnpl", "amazon")
EXTENDED = "㈱髙﨑①"
"""NEC and IBM extensions of CP932: in names real files carry."""
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class Table:
    """A delimited file taken apart: header, rows, and how it was written."""

    header: list[str]
    rows: list[list[str]]
    line_end: str
    bom: bool
    final_newline: bool = True
    quoting: int = csv.QUOTE_MINIMAL
    trailing_blank_lines: int = 0

    def render(self, contract: Contract) -> bytes:
        buffer = io.StringIO(newline="")
        writer = csv.writer(
            buffer,
            delimiter=contract.delimiter,
            lineterminator=self.line_end,
            quoting=csv.QUOTE_NONE if contract.quoting == "none" else self.quoting,
            escapechar=None,
        )
        writer.writerow(self.header)
        writer.writerows(self.rows)
        text = buffer.getvalue()
        if not self.final_newline:
            text = text.removesuffix(self.line_end)
        text += self.line_end * self.trailing_blank_lines
        encoding = "utf-8" if codecs.lookup(contract.encoding).name.startswith("utf") else "cp932"
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode(encoding)


def parse(contract: Contract, data: bytes) -> Table:
    bom = data.startswith(codecs.BOM_UTF8)
    text = data.decode(contract.encoding)
    line_end = "\r\n" if "\r\n" in text else "\n"
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=contract.delimiter,
        quoting=csv.QUOTE_NONE if contract.quoting == "none" else csv.QUOTE_MINIMAL,
    )
    header, *rows = [row for row in reader if row]
    return Table(header, rows, line_end, bom)


Variant = Callable[[Table, Contract], None]


def _toggle_bom(table: Table, contract: Contract) -> None:
    table.bom = not table.bom


def _toggle_line_end(table: Table, contract: Contract) -> None:
    table.line_end = "\n" if table.line_end == "\r\n" else "\r\n"


def _no_final_newline(table: Table, contract: Contract) -> None:
    table.final_newline = False


def _trailing_blank_lines(table: Table, contract: Contract) -> None:
    table.trailing_blank_lines = 2


def _quoted(table: Table, contract: Contract) -> None:
    table.quoting = csv.QUOTE_ALL


def _reordered(table: Table, contract: Contract) -> None:
    table.header.reverse()
    for row in table.rows:
        row.reverse()


def _extra_columns(table: Table, contract: Contract) -> None:
    table.header[:0] = ["memo"]
    table.header.append("備考")
    for number, row in enumerate(table.rows):
        row[:0] = [f"m{number}"]
        row.append(f"{EXTENDED}{number}")


def _spaced_header(table: Table, contract: Contract) -> None:
    table.header = [
        f" {name}\u3000" if number % 2 else f"  {name} " for number, name in enumerate(table.header)
    ]


def _extended_characters(table: Table, contract: Contract) -> None:
    """Names with NEC/IBM characters where the layout has a name of its own."""
    for column in ("コンビニ名", "customer_name"):
        if column in table.header:
            at = table.header.index(column)
            for row in table.rows:
                row[at] = f"{row[at]}{EXTENDED}"


DELIMITED_VARIANTS: dict[str, tuple[Variant, tuple[str, ...]]] = {
    "bom": (_toggle_bom, ("shipments", "card", "dispositions", "amazon")),
    "line_end": (_toggle_line_end, DELIMITED),
    "no_final_newline": (_no_final_newline, DELIMITED),
    "trailing_blank_lines": (_trailing_blank_lines, DELIMITED),
    "quoted": (_quoted, ("shipments", "card", "dispositions", "konbini", "cod", "bnpl")),
    "reordered": (_reordered, DELIMITED),
    "extra_columns": (_extra_columns, DELIMITED),
    "spaced_header": (_spaced_header, DELIMITED),
    "extended_characters": (_extended_characters, ("konbini",)),
}
"""Name → (change, the layouts it applies to). ``extended_characters`` is for CP932 files;
the UTF-8 shipments file of the month carries 髙 and 﨑 in names already."""


def zengin_records(data: bytes) -> list[bytearray]:
    body = data.rstrip(b"\x1a").replace(b"\r\n", b"\n")
    return [bytearray(line) for line in body.split(b"\n") if line.strip()]


PAYER = slice(49, 97)
CANCEL_FLAG = 127
NUMBER_FIRST = re.compile(r"^([0-9]{7}) (.*)$")


def _payer_names(records: list[bytearray], spell: Callable[[int, str, str], str]) -> None:
    """Rewrite every data record's payer name that starts with a customer number."""
    for number, record in enumerate(r for r in records if r[:1] == b"2"):
        name = bytes(record[PAYER]).decode("cp932").rstrip()
        found = NUMBER_FIRST.match(name)
        if found:
            spelled = spell(number, found[1], found[2]).encode("cp932")
            assert len(spelled) <= 48, spelled
            record[PAYER] = spelled.ljust(48)


def canonical_zengin(data: bytes) -> bytes:
    """The demo's notice spelled as the layout asks: `1234567 ﾔﾏﾀﾞ ﾀﾛｳ`, 取消区分 0, CRLF."""
    records = zengin_records(data)
    for record in records:
        if record[:1] == b"2":
            name = bytes(record[PAYER]).decode("cp932").rstrip()
            number = _number_in(name)
            if number:
                rest = name.replace(number.translate(WIDE), "").replace(number, "").strip()
                record[PAYER] = f"{number} {rest}".encode("cp932").ljust(48)
            if record[CANCEL_FLAG : CANCEL_FLAG + 1] == b" ":
                record[CANCEL_FLAG : CANCEL_FLAG + 1] = b"0"
    return b"".join(bytes(r) + b"\r\n" for r in records)


def _number_in(name: str) -> str | None:
    digits = name.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    found = re.search(r"(?:^|[^0-9])([0-9]{7})(?:[^0-9]|$)", digits)
    return found[1] if found else None


SPELLINGS = (
    lambda number, name: f"{number}{name}",
    lambda number, name: f"{name} {number}",
    lambda number, name: f"{name}{number}",
    lambda number, name: f"{number.translate(WIDE)}\u3000{name}",
    lambda number, name: f"{number}-{name}",
    lambda number, name: f"{number}/{name}",
    lambda number, name: f"{number},{name}",
    lambda number, name: f"{number}.{name}",
)
"""How payers type the number: without a separator, after the name, in full-width digits
with a full-width space, with a hyphen, slash, comma or dot."""


def _zengin_variant(name: str, data: bytes) -> bytes:
    records = zengin_records(data)
    if name == "line_end":
        return b"".join(bytes(r) + b"\n" for r in records)
    if name == "no_newlines":
        return b"".join(bytes(r) for r in records)
    if name == "trailing_blank_lines":
        return b"".join(bytes(r) + b"\r\n" for r in records) + b"\r\n\r\n\x1a"
    if name == "cancel_flag_blank":
        for record in records:
            if record[:1] == b"2" and record[CANCEL_FLAG : CANCEL_FLAG + 1] == b"0":
                record[CANCEL_FLAG : CANCEL_FLAG + 1] = b" "
    elif name == "number_spellings":
        _payer_names(records, lambda n, number, rest: SPELLINGS[n % len(SPELLINGS)](number, rest))
    return b"".join(bytes(r) + b"\r\n" for r in records)


ZENGIN_VARIANTS = (
    "line_end",
    "no_newlines",
    "trailing_blank_lines",
    "cancel_flag_blank",
    "number_spellings",
)
VARIANTS: list[tuple[str, str]] = [
    *((source, name) for name, (_, sources) in DELIMITED_VARIANTS.items() for source in sources),
    *(("bank", name) for name in ZENGIN_VARIANTS),
]
"""Every (layout, variant) of the corpus."""


def plain(source: str, data: bytes) -> bytes:
    """A file of the demo month as its layout spells it."""
    return canonical_zengin(data) if source == "bank" else data


def apply(source: str, variant: str, data: bytes) -> bytes:
    """``data`` (plain) spelled as ``variant`` says."""
    if source == "bank":
        return _zengin_variant(variant, data)
    contract = CONTRACTS[source]
    table = parse(contract, data)
    change, sources = DELIMITED_VARIANTS[variant]
    assert source in sources, (source, variant)
    change(table, contract)
    return table.render(contract)


def files_of(root: Path, source: str) -> list[Path]:
    return sorted(p for p in (root / source).rglob("*") if p.is_file())
