"""The contract file format: one YAML per inbound layout in ``data_contracts/``.

A contract says how to read a file (reader, encoding, delimiter), what its header is, what
each column means (canonical name, type, required, allowed values, pattern, range) and which
row checks and uniqueness hold. Rows that pass land in ``raw.<family>``; layouts of the same
family (two card gateways) share that table and its staging SQL mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from recon_pipeline.packaged import packaged_dir

COLUMN_TYPES = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "integer": "BIGINT",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
"""``id`` is an opaque identifier (order, customer, transaction, disposition id): any text up
to ``max_length`` (default ``MAX_ID_LENGTH``) without control characters, no pattern. Real
files carry other channels' ids (Rakuten ``338127-20260910-0000000001``, POS, a new site);
an id that only has to equal itself elsewhere has no format worth rejecting a payment for."""
MAX_ID_LENGTH = 128
"""Longer than any id a shop, mall or gateway issues (Amazon 19, Rakuten 26, card 28-64)."""
READERS = ("csv", "zengin", "amazon_v2")
TARGETS = ("receivable_events", "settlement_lines", "dispositions", "payer_aliases")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class ContractError(ValueError):
    """A contract file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Column:
    name: str
    canonical: str
    type: str
    required: bool = False
    required_when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    format: str | None = None
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    strip_prefix: str | None = None
    values: dict[str, str] | None = None
    """Provider value → canonical value (``売上: charge``); the keys are the allowed values."""

    @property
    def sql_type(self) -> str:
        return COLUMN_TYPES[self.type]

    @property
    def is_text(self) -> bool:
        return self.type in ("id", "text")

    @property
    def length_limit(self) -> int | None:
        return self.max_length or (MAX_ID_LENGTH if self.type == "id" else None)


PAYMENT_KEY_KINDS = ("order_id", "tracking_no", "slip_number", "customer_number")
"""How a settlement row names the receivable it pays: the order id itself, a carrier
tracking number, the slip number inside a konbini barcode, a customer number typed in a
payer name (``sql/macros/staging.payment_key.sql`` reads each)."""


@dataclass(frozen=True)
class PaymentKey:
    """The column of a settlement layout that names the receivable a row pays. A row that is
    quarantined keeps it, and that receivable is not dunned while the row may be its payment
    (``marts.dunning_holds``)."""

    column: str
    kind: str


@dataclass(frozen=True)
class RowCheck:
    check: str
    reason: str
    args: dict[str, Any]


@dataclass(frozen=True, eq=False)
class Contract:
    """One inbound layout; compared and hashed by identity (contracts are loaded once)."""

    layout: str
    source: str
    family: str
    target: str
    description: str
    reader: str
    encoding: str
    delimiter: str
    quoting: str
    record_length: int | None
    record_map: dict[str, dict[str, tuple[int, int]]]
    columns: tuple[Column, ...]
    unique: tuple[str, ...]
    row_checks: tuple[RowCheck, ...]
    path: Path
    mapping: str | None = None
    """A staging SQL file next to the contract, for a new family outside the package."""
    payment_key: PaymentKey | None = None

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def canonical_columns(self) -> list[str]:
        return [column.canonical for column in self.columns]

    @property
    def raw_table(self) -> str:
        return f"raw.{self.family}"


def _fail(path: Path, message: str) -> ContractError:
    return ContractError(f"{path.name}: {message}")


def _column(path: Path, spec: dict[str, Any]) -> Column:
    if "name" not in spec:
        raise _fail(path, f"a column has no name: {spec}")
    name = str(spec["name"])
    canonical = str(spec.get("as", name))
    if not IDENTIFIER.match(canonical):
        raise _fail(path, f"column {name!r}: canonical name {canonical!r} must be snake_case")
    column_type = spec.get("type", "text")
    if column_type not in COLUMN_TYPES:
        raise _fail(
            path, f"column {name!r}: type {column_type!r} is not one of {list(COLUMN_TYPES)}"
        )
    if column_type == "date" and not spec.get("format"):
        raise _fail(path, f"column {name!r}: a date needs a format")
    known = {
        "name",
        "as",
        "type",
        "required",
        "required_when",
        "allowed",
        "pattern",
        "format",
        "min",
        "max",
        "max_length",
        "strip_prefix",
        "values",
    }
    if unknown := set(spec) - known:
        raise _fail(path, f"column {name!r}: unknown keys {sorted(unknown)}")
    if spec.get("pattern"):
        re.compile(spec["pattern"])
    return Column(
        name=name,
        canonical=canonical,
        type=column_type,
        required=bool(spec.get("required", False)),
        required_when={k: tuple(map(str, v)) for k, v in (spec.get("required_when") or {}).items()},
        allowed=tuple(map(str, spec.get("allowed") or spec.get("values") or ())) or None,
        pattern=spec.get("pattern"),
        format=spec.get("format"),
        min=spec.get("min"),
        max=spec.get("max"),
        max_length=spec.get("max_length"),
        strip_prefix=spec.get("strip_prefix"),
        values={str(k): str(v) for k, v in spec["values"].items()} if spec.get("values") else None,
    )


def load_contract(path: Path) -> Contract:
    """Parse and check one contract file; every problem is a ``ContractError``."""
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise _fail(path, f"not valid YAML: {error}") from error
    if not isinstance(spec, dict):
        raise _fail(path, "must be a mapping")
    for key in ("layout", "source", "target", "columns"):
        if key not in spec:
            raise _fail(path, f"missing required key {key!r}")
    if spec["target"] not in TARGETS:
        raise _fail(path, f"target {spec['target']!r} is not one of {list(TARGETS)}")
    reader = spec.get("reader", "csv")
    if reader not in READERS:
        raise _fail(path, f"reader {reader!r} is not one of {list(READERS)}")
    quoting = spec.get("quoting", "rfc4180")
    if quoting not in ("rfc4180", "none"):
        raise _fail(path, f"quoting {quoting!r} is not rfc4180 or none")
    family = spec.get("family", spec["layout"])
    if not IDENTIFIER.match(family):
        raise _fail(path, f"family {family!r} must be snake_case")
    columns = tuple(_column(path, column) for column in spec["columns"])
    canonical = [column.canonical for column in columns]
    if len(set(canonical)) != len(canonical):
        raise _fail(path, "two columns share a canonical name")
    for column in columns:
        for other in column.required_when:
            if other not in canonical:
                raise _fail(path, f"column {column.name!r}: required_when names unknown {other!r}")
    unique = tuple(spec.get("unique") or ())
    if missing := [name for name in unique if name not in canonical]:
        raise _fail(path, f"unique names unknown columns {missing}")
    checks = tuple(
        RowCheck(
            check=str(item["check"]), reason=str(item["reason"]), args=dict(item.get("args") or {})
        )
        for item in spec.get("row_checks") or ()
    )
    payment_key = None
    if spec.get("payment_key"):
        key = spec["payment_key"]
        if not isinstance(key, dict) or set(key) != {"column", "kind"}:
            raise _fail(path, "payment_key needs exactly a column and a kind")
        if key["column"] not in canonical:
            raise _fail(path, f"payment_key names unknown column {key['column']!r}")
        if key["kind"] not in PAYMENT_KEY_KINDS:
            raise _fail(path, f"payment_key kind {key['kind']!r} is not one of {PAYMENT_KEY_KINDS}")
        payment_key = PaymentKey(str(key["column"]), str(key["kind"]))
    from recon_pipeline.contracts.checks import ROW_CHECKS

    for row_check in checks:
        if row_check.check not in ROW_CHECKS:
            raise _fail(path, f"row check {row_check.check!r} is not one of {sorted(ROW_CHECKS)}")
    return Contract(
        layout=str(spec["layout"]),
        source=str(spec["source"]),
        family=family,
        target=str(spec["target"]),
        description=str(spec.get("description", "")),
        reader=reader,
        encoding=str(spec.get("encoding", "utf-8-sig")),
        delimiter=str(spec.get("delimiter", ",")),
        quoting=quoting,
        record_length=spec.get("record_length"),
        record_map={
            kind: {name: (int(at[0]), int(at[1])) for name, at in fields.items()}
            for kind, fields in (spec.get("record_map") or {}).items()
        },
        columns=columns,
        unique=unique,
        row_checks=checks,
        path=path,
        mapping=spec.get("mapping"),
        payment_key=payment_key,
    )


@dataclass(frozen=True, eq=False)
class ContractSet:
    """The contracts in force: the packaged ones plus any in ``RECON_CONTRACTS_DIR``."""

    contracts: tuple[Contract, ...]

    def __iter__(self):
        return iter(self.contracts)

    def by_source(self) -> dict[str, Contract]:
        return {c.source: c for c in self.contracts}

    def by_layout(self) -> dict[str, Contract]:
        return {c.layout: c for c in self.contracts}

    def families(self, target: str | None = None) -> dict[str, list[Contract]]:
        grouped: dict[str, list[Contract]] = {}
        for contract in self.contracts:
            if target is None or contract.target == target:
                grouped.setdefault(contract.family, []).append(contract)
        return grouped


@cache
def load_contracts(extra_dir: str = "") -> ContractSet:
    """Every packaged contract, plus those in ``extra_dir``; families must agree on columns,
    and each source folder has one layout."""
    directories = [packaged_dir("data_contracts")] + ([Path(extra_dir)] if extra_dir else [])
    contracts = tuple(
        load_contract(path)
        for directory in directories
        for path in sorted(directory.glob("*.yaml"))
    )
    families: dict[str, Contract] = {}
    for contract in contracts:
        first = families.setdefault(contract.family, contract)
        shape = [(c.canonical, c.sql_type) for c in contract.columns]
        if shape != [(c.canonical, c.sql_type) for c in first.columns]:
            raise _fail(
                contract.path,
                f"family {contract.family!r} must have the same canonical columns and types "
                f"as {first.path.name}",
            )
        if contract.target != first.target:
            raise _fail(contract.path, f"family {contract.family!r} has one target, {first.target}")
    for key in ("layout", "source"):
        values = [getattr(contract, key) for contract in contracts]
        if repeated := sorted({v for v in values if values.count(v) > 1}):
            raise ContractError(f"two contracts declare the same {key}: {', '.join(repeated)}")
    return ContractSet(contracts)
