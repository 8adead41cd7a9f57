"""The matching waterfall (消込), one SQL file per rule, composed in order.

A rule is ``sql/reconcile/rules/NN_<name>.sql``, run in the order of ``NN``: one SELECT of
the links it makes (``receivable_id, settlement_line_id, rule, matched_amount,
candidates``). It reads

* ``lines_left``: the day's lines that can pay (no fee, no cancellation) that no operator's
  IGNORE set aside and no earlier rule took;
* ``links``: what the earlier rules linked, with the ``step`` (1, 2, …) of the rule that
  made each link (customer_sum leaves bank_exact's receivables);
* ``scope_receivables_as_of``, ``match_lines`` (every line that can pay, set aside or not:
  the operators' MANUAL_MATCH reads it), the warehouse, and ``$as_of``.

:func:`link` runs the rules in order, each into ``links``, and takes each rule's lines out
of ``lines_left``: set-based, one statement a rule. ``sql/reconcile/matches.sql`` then
adds ``amount_delta`` to ``links``.

A rule file starts with a header, then says in comments what the rule does and why::

    -- rules: key_exact, key_difference
    -- scope: links

``rules:`` names the rule names its links carry; :func:`link` refuses a link of another
name. The header, not the file name, is the rule's name because the two do not always
match: one computation may decide between two names (a receivable's key lines are summed,
and the sum decides key_exact or key_difference), and one name may be made at two points of
the waterfall (bank_allocation's overpayment waits until cross_channel took its transfers).
:func:`rule_names`, the names of every file in order, is therefore every rule
``marts.matches`` can hold; the scope, the tests and the README's table read it.

``scope:`` says how the day's scope (:mod:`recon_pipeline.scope`) reaches the rule's
links. ``keys`` (the default): the rule links a line only to a receivable of its key
(payment method + match key; a bank transfer's customer number is the key of the customer's
BANK_TRANSFER receivables) or one a disposition names with it; the scope follows keys and
dispositions, so it holds both sides of every such link. ``links``: the rule links across
keys (cross_channel: a transfer to a konbini order of the same customer); the scope then
follows the rule's links of the day before, so such a link can move or end. Which
receivables a rule across keys may reach next is the scope's own SQL
(``sql/reconcile/scope/``): a rule that joins along anything the scope does not follow
needs the scope taught too — more than one file.

Adding a rule is one file here and its test (``tests/test_rules.py`` adds one to a copy of
the folder). ``RECON_RULES_DIR`` replaces the packaged folder with another (a copy with a
rule of your own; it does not follow upgrades of the package).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from recon_pipeline.packaged import packaged_dir, sql

RULES_DIR_VARIABLE = "RECON_RULES_DIR"
LINKS = "links"
"""The temp table of the day's links that :func:`link` makes and ``reconcile/matches``
reads; the caller drops it."""
LINK_COLUMNS = (
    ("receivable_id", "VARCHAR"),
    ("settlement_line_id", "VARCHAR"),
    ("rule", "VARCHAR"),
    ("matched_amount", "BIGINT"),
    ("candidates", "INTEGER"),
)
SCOPES = ("keys", "links")
PARAMETERS = ("as_of",)
_FILE_NAME = re.compile(r"(\d{2})_[a-z][a-z0-9_]*\.sql")
_RULE_NAME = re.compile(r"[a-z][a-z0-9_]*")


class RuleError(ValueError):
    """A rule file that breaks the rules of this module."""


@dataclass(frozen=True)
class Rule:
    path: Path
    names: tuple[str, ...]
    """The rule names its links may carry, from ``-- rules:``."""
    scope: str
    """``keys`` or ``links``, from ``-- scope:`` (see the module)."""


def rules_dir() -> Path:
    """``RECON_RULES_DIR`` if set, else the packaged ``sql/reconcile/rules``."""
    override = os.environ.get(RULES_DIR_VARIABLE)
    return Path(override) if override else packaged_dir("sql") / "reconcile" / "rules"


def rule_files(directory: Path | None = None) -> tuple[Rule, ...]:
    """Every rule of the folder, in waterfall order (``NN`` of the file names, each once)."""
    folder = directory or rules_dir()
    paths = sorted(folder.glob("*.sql"))
    if not paths:
        raise RuleError(f"{folder}: no rule files")
    orders: dict[str, Path] = {}
    for path in paths:
        named = _FILE_NAME.fullmatch(path.name)
        if not named:
            raise RuleError(f"{path}: a rule file is named NN_<rule>.sql (lower case)")
        if named[1] in orders:
            raise RuleError(f"{path}: {orders[named[1]].name} has the same place {named[1]}")
        orders[named[1]] = path
    return tuple(_parse(path) for path in paths)


def _parse(path: Path) -> Rule:
    header: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        key, colon, value = line[2:].partition(":")
        if colon and key.strip() in ("rules", "scope"):
            header[key.strip()] = value.strip()
    names = tuple(name.strip() for name in header.get("rules", "").split(",") if name.strip())
    if not names:
        raise RuleError(f"{path}: the first lines name its rules: '-- rules: <name>, …'")
    for name in names:
        if not _RULE_NAME.fullmatch(name):
            raise RuleError(f"{path}: {name!r} is not a rule name (lower case, digits, _)")
    scope = header.get("scope", "keys")
    if scope not in SCOPES:
        raise RuleError(f"{path}: '-- scope: {scope}' is none of {', '.join(SCOPES)}")
    return Rule(path=path, names=names, scope=scope)


def rule_names(rules: tuple[Rule, ...] | None = None) -> tuple[str, ...]:
    """Every rule name ``marts.matches`` can hold, in waterfall order (a name two files
    make is where it is first made)."""
    return tuple(dict.fromkeys(name for rule in rules or rule_files() for name in rule.names))


def rules_across_keys(rules: tuple[Rule, ...] | None = None) -> tuple[str, ...]:
    """The rule names whose links the day's scope follows (``-- scope: links``)."""
    return tuple(
        dict.fromkeys(
            name for rule in rules or rule_files() if rule.scope == "links" for name in rule.names
        )
    )


def link(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """The day's links: every rule in waterfall order into the temp table ``links``.

    Needs ``scope_receivables_as_of`` and ``scope_lines_as_of`` (made by
    :func:`recon_pipeline.assets.reconcile.reconcile_day`); runs in the caller's
    transaction and leaves only ``links``."""
    params = {"as_of": as_of}
    con.execute(f"CREATE OR REPLACE TEMP VIEW match_lines AS {sql('reconcile/match_lines')}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE lines_left AS {sql('reconcile/lines_left')}", params)
    columns = ", ".join(f"{name} {kind}" for name, kind in LINK_COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {LINKS} ({columns}, step INTEGER)")
    listed = ", ".join(name for name, _ in LINK_COLUMNS)
    waterfall = rule_files()
    for step, rule in enumerate(waterfall, start=1):
        query, used = _statement(con, rule)
        con.execute(
            f"/* {rule.path.name} */ INSERT INTO {LINKS} SELECT {listed}, $step FROM (\n{query}\n)",
            {"step": step} | {name: params[name] for name in used},
        )
        con.execute(
            f"DELETE FROM lines_left WHERE settlement_line_id IN "
            f"(SELECT settlement_line_id FROM {LINKS} WHERE step = $step)",
            {"step": step},
        )
    made = con.execute(f"SELECT DISTINCT step, rule FROM {LINKS}").fetchall()
    for step, name in sorted(made):
        rule = waterfall[step - 1]
        if name not in rule.names:
            raise RuleError(f"{rule.path}: links of rule {name}, not declared in '-- rules:'")
    con.execute("DROP TABLE lines_left; DROP VIEW match_lines")


def _statement(con: duckdb.DuckDBPyConnection, rule: Rule) -> tuple[str, set[str]]:
    """The rule's SELECT and the parameters it uses (DuckDB refuses a parameter a statement
    does not use)."""
    text = rule.path.read_text(encoding="utf-8").rstrip().removesuffix(";")
    statements = con.extract_statements(text)
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise RuleError(f"{rule.path}: a rule is one SELECT")
    used = set(statements[0].named_parameters)
    if not used <= set(PARAMETERS):
        raise RuleError(f"{rule.path}: a rule's only parameter is $as_of, not {sorted(used)}")
    return text, used
