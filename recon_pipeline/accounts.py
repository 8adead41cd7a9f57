"""The accounts of the journal (仕訳) as data: which account and sub-account each side of
each entry type books to, per payment method, settlement source, fee type and event.

Loaded and checked when the Definitions are built (``recon`` exits with one line naming the
entry type and field), then passed to the journal's SQL as a parameter: a list of
``(role, role_key, account, sub_account, tax_class)`` rows. A role is a section of the file
(``receivable``, ``settlement`` …); its key is a payment method, a settlement source, a
shipment event type, or empty for the roles that have one account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from recon_pipeline.packaged import _PACKAGE_ROOT
from recon_pipeline.policy import PAYMENT_METHODS

DEFAULT_ACCOUNTS = _PACKAGE_ROOT / "policies" / "accounts.yaml"
EVENT_TYPES = ("SHIP", "CANCEL", "RETURN")
PER_METHOD = ("receivable", "settlement", "fee")
"""Sections with an account per payment method (every method must be there)."""
PER_SOURCE = ("settlement", "fee")
"""Sections where a settlement source may have its own account, which wins over its method's."""
SINGLE = ("unknown_payment", "overpayment", "refund", "write_off", "konbini_remittance")
SECTIONS = (*PER_METHOD, "sales", *SINGLE)
USED_BY = {
    "receivable": ("SALE", "RECEIPT", "TRANSFER_FEE", "REFUND", "OVERPAYMENT", "WRITE_OFF"),
    "settlement": ("RECEIPT", "FEE", "UNKNOWN_PAYMENT", "KONBINI_REMITTANCE"),
    "fee": ("FEE", "TRANSFER_FEE"),
    "sales": ("SALE",),
    "unknown_payment": ("UNKNOWN_PAYMENT", "UNKNOWN_REFUND"),
    "overpayment": ("OVERPAYMENT",),
    "refund": ("REFUND", "UNKNOWN_REFUND"),
    "write_off": ("WRITE_OFF",),
    "konbini_remittance": ("KONBINI_REMITTANCE",),
}
"""The entry types (docs/journal.md) that book to each section's accounts."""
NAME_BYTES = 24
"""弥生会計 takes 24 half-width characters (CP932 bytes) of an account or sub-account name."""
FIELDS = ("account", "sub_account", "tax_class")
UNSAFE = re.compile(r'[\x00-\x1f\x7f,"]')


class AccountsError(ValueError):
    """An accounts file that cannot be used; the message names the entry types and field."""


@dataclass(frozen=True)
class Account:
    account: str
    sub_account: str | None = None
    tax_class: str | None = None


@dataclass(frozen=True)
class Accounts:
    """Every account of the journal by (role, key); key "" for single-account roles."""

    accounts: dict[tuple[str, str], Account]

    def get(self, role: str, key: str = "") -> Account:
        return self.accounts[(role, key)]

    def parameter(self) -> list[dict[str, str | None]]:
        """The rows the journal's SQL reads (``$accounts``), in a stable order."""
        return [
            {"role": role, "role_key": key, **vars(account)}
            for (role, key), account in sorted(self.accounts.items())
        ]


def _text(value: object, where: str, field: str, *, name: bool) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AccountsError(f"{where}: {field} must be text, not {value!r}")
    if UNSAFE.search(value) or value != value.strip():
        raise AccountsError(
            f"{where}: {field} {value!r} may not hold commas, quotes, control characters "
            "or surrounding spaces"
        )
    try:
        size = len(value.encode("cp932"))
    except UnicodeEncodeError as error:
        raise AccountsError(
            f"{where}: {field} {value!r} has a character CP932 cannot write "
            f"({value[error.start]!r}): the journal file is CP932"
        ) from error
    if name and size > NAME_BYTES:
        raise AccountsError(
            f"{where}: {field} {value!r} is {size} bytes in CP932; 弥生会計 takes {NAME_BYTES}"
        )
    return value


def _account(spec: object, where: str) -> Account:
    if not isinstance(spec, dict):
        raise AccountsError(f"{where}: needs {{account: …, sub_account: …, tax_class: …}}")
    if unknown := set(spec) - set(FIELDS):
        raise AccountsError(f"{where}: unknown fields {sorted(unknown)} (known: {FIELDS})")
    account = _text(spec.get("account"), where, "account", name=True)
    if account is None:
        raise AccountsError(f"{where}: account is missing")
    return Account(
        account=account,
        sub_account=_text(spec.get("sub_account"), where, "sub_account", name=True),
        tax_class=_text(spec.get("tax_class"), where, "tax_class", name=False),
    )


def _where(path: Path, section: str, key: str = "") -> str:
    dotted = f"{section}.{key}" if key else section
    return f"{path}: {dotted} (entry types {', '.join(USED_BY[section])})"


def _keyed(
    path: Path, section: str, spec: object, required: tuple[str, ...], sources: tuple[str, ...]
) -> dict[tuple[str, str], Account]:
    if not isinstance(spec, dict):
        raise AccountsError(f"{_where(path, section)}: must map {', '.join(required)} to accounts")
    allowed = set(required) | (set(sources) if section in PER_SOURCE else set())
    if unknown := set(spec) - allowed:
        hint = f"; settlement sources: {', '.join(sources)}" if section in PER_SOURCE else ""
        raise AccountsError(
            f"{_where(path, section)}: unknown keys {sorted(map(str, unknown))} "
            f"(known: {', '.join(required)}{hint})"
        )
    if missing := [key for key in required if key not in spec]:
        raise AccountsError(f"{_where(path, section)}: no account for {', '.join(missing)}")
    return {(section, key): _account(spec[key], _where(path, section, key)) for key in spec}


def load_accounts(path: Path | None = None, sources: tuple[str, ...] = ()) -> Accounts:
    """Read and check an accounts file (the packaged default when ``path`` is None).
    ``sources`` are the settlement sources of the contracts in force, which ``settlement``
    and ``fee`` may name besides the payment methods."""
    path = Path(path or DEFAULT_ACCOUNTS)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise AccountsError(f"{path}: cannot read the accounts: {error}") from error
    if not isinstance(spec, dict):
        raise AccountsError(f"{path}: the accounts file must map sections to accounts")
    if unknown := set(spec) - set(SECTIONS):
        raise AccountsError(
            f"{path}: unknown sections {sorted(map(str, unknown))} (known: {', '.join(SECTIONS)})"
        )
    accounts: dict[tuple[str, str], Account] = {}
    for section in SECTIONS:
        if section not in spec:
            raise AccountsError(f"{_where(path, section)}: the section is missing")
        if section in PER_METHOD:
            accounts |= _keyed(path, section, spec[section], PAYMENT_METHODS, sources)
        elif section == "sales":
            accounts |= _keyed(path, section, spec[section], EVENT_TYPES, ())
        else:
            accounts[(section, "")] = _account(spec[section], _where(path, section))
    return Accounts(accounts)
