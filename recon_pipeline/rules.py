"""The matching waterfall (消込), one SQL file per rule, composed in order.

A rule is ``sql/reconcile/rules/NN_<name>.sql``, run in the order of ``NN``: one SELECT of
the links it makes (``receivable_id, settlement_line_id, rule, matched_amount,
candidates``, and where it has them ``evidence``, ``fee_deducted_amount`` and
``suggestion``). It reads

* ``lines_left``: the day's lines that can pay (no fee, no cancellation) that no operator's
  IGNORE set aside and no earlier rule took;
* ``links``: what the earlier rules linked, with the ``step`` (1, 2, …) of the rule that
  made each link (customer_sum leaves bank_exact's receivables);
* ``bank_receivables`` (the bank rules' open receivables by customer number, and whether an
  earlier rule linked them: ``sql/reconcile/bank_receivables.sql``, a view over ``links``);
* ``scope_receivables_as_of``, ``match_lines`` (every line that can pay, set aside or not:
  the operators' MANUAL_MATCH reads it), ``alias_lines`` (the bank lines a payer alias
  speaks for, ``sql/reconcile/alias_lines.sql``), the warehouse, and ``$as_of``.

:func:`link` runs the rules in order, each into ``links``, and takes each rule's lines out
of ``lines_left``: set-based, one statement a rule. ``sql/reconcile/matches.sql`` then
adds ``amount_delta`` to ``links``.

What a link may say besides the five columns: ``evidence``, the learned fact the rule used
in words (the fee, the subset, the alias); ``fee_deducted_amount``, a bank fee the payer took
off that the receivable is settled for (``transfer_fee``); ``suggestion``, a number: the row
is not a link but one receivable of a candidate a person must choose (``customer_subset``
when several subsets fit). Suggestion rows go to the temp table ``suggestions``; their line
leaves ``lines_left`` too and pays nothing (nothing is allocated on doubt).

A rule file starts with a header, then says in comments what the rule does and why::

    -- rules: key_exact, key_difference
    -- scope: links
    -- yields: keys

``rules:`` names the rule names its links carry; :func:`link` refuses a link of another
name. The header, not the file name, is the rule's name because the two do not always
match: one computation may decide between two names (a receivable's key lines are summed,
and the sum decides key_exact or key_difference), and one name may be made at two points of
the waterfall (bank_allocation's overpayment waits until cross_channel took its transfers).
:func:`rule_names`, the names of every file in order, is therefore every rule
``marts.matches`` can hold; the scope, the tests and the README's table read it.

``yields: keys`` (default ``links``) makes a rule that links nothing itself but gives lines
a key the later rules match by: one SELECT of ``settlement_line_id, match_key, evidence``.
The line stays in ``lines_left`` with that key, and whatever later rule links it, the link
carries this rule's name (one name) and its evidence, followed by the rule that allocated.
``learned_alias`` is one: a transfer from a payer alias is treated as if it carried the
customer's number, so every bank rule (exact, sum, subset, fee, oldest first, overpayment)
applies to it unchanged, and the link says which alias made that possible. Rules that read
an effective number instead would each have to repeat the alias look-up.

``scope:`` says how the day's scope (:mod:`recon_pipeline.scope`) reaches the rule's
links. ``keys`` (the default): the rule links a line only to a receivable of its key
(payment method + match key; a bank transfer's customer number is the key of the customer's
BANK_TRANSFER receivables) or one a disposition names with it; the scope follows keys and
dispositions, so it holds both sides of every such link. ``links``: the rule links across
keys (cross_channel: a transfer to a konbini order of the same customer); the scope then
follows the rule's links of the day before, so such a link can move or end. Which
receivables a rule across keys may reach next is the scope's own SQL
(``sql/reconcile/scope/``): a rule that joins along anything the scope does not follow
needs the scope taught too — more than one file (the scope follows an alias line's
customer number from ``alias_lines``).

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
SUGGESTIONS = "suggestions"
"""The temp table of the day's suggestion rows (links a person must choose among), same
columns as ``links``; ``reconcile/match_suggestions`` reads it, the caller drops it."""
LINK_COLUMNS = (
    ("receivable_id", "VARCHAR"),
    ("settlement_line_id", "VARCHAR"),
    ("rule", "VARCHAR"),
    ("matched_amount", "BIGINT"),
    ("candidates", "INTEGER"),
)
OPTIONAL_LINK_COLUMNS = (
    ("evidence", "VARCHAR"),
    ("fee_deducted_amount", "BIGINT"),
    ("suggestion", "INTEGER"),
)
"""Columns a rule may add to its links (absent: NULL, and 0 for the fee)."""
KEY_COLUMNS = ("settlement_line_id", "match_key", "evidence")
"""What a ``yields: keys`` rule selects."""
SCOPES = ("keys", "links")
YIELDS = ("links", "keys")
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
    yields: str = "links"
    """``links`` or ``keys``, from ``-- yields:`` (see the module)."""


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
        if colon and key.strip() in ("rules", "scope", "yields"):
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
    yields = header.get("yields", "links")
    if yields not in YIELDS:
        raise RuleError(f"{path}: '-- yields: {yields}' is none of {', '.join(YIELDS)}")
    if yields == "keys" and len(names) != 1:
        raise RuleError(f"{path}: a rule that yields keys has one name, its links carry it")
    return Rule(path=path, names=names, scope=scope, yields=yields)


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
    """The day's links: every rule in waterfall order into the temp table ``links`` (and
    suggestion rows into ``suggestions``).

    Needs ``scope_receivables_as_of``, ``scope_lines_as_of`` (made by
    :func:`recon_pipeline.assets.reconcile.reconcile_day`) and ``alias_lines``; runs in the
    caller's transaction and leaves only ``links`` and ``suggestions``."""
    params = {"as_of": as_of}
    con.execute(f"CREATE OR REPLACE TEMP VIEW match_lines AS {sql('reconcile/match_lines')}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE lines_left AS {sql('reconcile/lines_left')}", params)
    columns = ", ".join(f"{name} {kind}" for name, kind in (*LINK_COLUMNS, *OPTIONAL_LINK_COLUMNS))
    for table in (LINKS, SUGGESTIONS):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} ({columns}, step INTEGER); "
            f"ALTER TABLE {table} ALTER fee_deducted_amount SET DEFAULT 0"
        )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW bank_receivables AS {sql('reconcile/bank_receivables')}"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rekeyed (settlement_line_id VARCHAR, match_key VARCHAR, "
        "evidence VARCHAR, rule VARCHAR, step INTEGER)"
    )
    waterfall = rule_files()
    for step, rule in enumerate(waterfall, start=1):
        query, used = _statement(con, rule)
        arguments = {"step": step} | {name: params[name] for name in used}
        if rule.yields == "keys":
            _rekey(con, rule, step, query, arguments)
            continue
        con.execute(
            f"/* {rule.path.name} */ INSERT INTO {LINKS} BY NAME "
            f"SELECT *, $step AS step FROM (\n{query}\n)",
            arguments,
        )
        for statement in (
            f"INSERT INTO {SUGGESTIONS} SELECT * FROM {LINKS} "
            f"WHERE step = $step AND suggestion IS NOT NULL",
            f"DELETE FROM {LINKS} WHERE step = $step AND suggestion IS NOT NULL",
            f"UPDATE {LINKS} SET fee_deducted_amount = 0 "
            f"WHERE step = $step AND fee_deducted_amount IS NULL",
        ):
            con.execute(statement, {"step": step})
        con.execute(
            f"DELETE FROM lines_left WHERE settlement_line_id IN "
            f"(SELECT settlement_line_id FROM {LINKS} WHERE step = $step "
            f"UNION ALL SELECT settlement_line_id FROM {SUGGESTIONS} WHERE step = $step)",
            {"step": step},
        )
    made = con.execute(
        f"SELECT DISTINCT step, rule FROM {LINKS} UNION SELECT DISTINCT step, rule FROM "
        f"{SUGGESTIONS}"
    ).fetchall()
    for step, name in sorted(made):
        rule = waterfall[step - 1]
        if name not in rule.names:
            raise RuleError(f"{rule.path}: links of rule {name}, not declared in '-- rules:'")
    # the links of re-keyed lines carry the name of the rule that gave the key, and say which
    # rule then linked them
    for table in (LINKS, SUGGESTIONS):
        con.execute(
            f"UPDATE {table} AS t SET rule = CASE WHEN t.suggestion IS NULL THEN k.rule "
            f"ELSE t.rule END, evidence = k.evidence || ' → ' || t.rule "
            f"|| coalesce(': ' || t.evidence, '') "
            f"FROM rekeyed AS k WHERE k.settlement_line_id = t.settlement_line_id"
        )
    con.execute(
        "DROP TABLE lines_left; DROP VIEW match_lines; DROP VIEW bank_receivables; "
        "DROP TABLE rekeyed"
    )


def _rekey(
    con: duckdb.DuckDBPyConnection, rule: Rule, step: int, query: str, arguments: dict
) -> None:
    """A ``yields: keys`` rule: its lines take the key it gives them, in ``lines_left``."""
    listed = ", ".join(KEY_COLUMNS)
    con.execute(
        f"/* {rule.path.name} */ INSERT INTO rekeyed SELECT {listed}, $rule, $step "
        f"FROM (\n{query}\n) WHERE settlement_line_id IN (SELECT settlement_line_id "
        f"FROM lines_left)",
        arguments | {"rule": rule.names[0]},
    )
    con.execute(
        "UPDATE lines_left AS l SET match_key = k.match_key FROM rekeyed AS k "
        "WHERE k.step = $step AND k.settlement_line_id = l.settlement_line_id",
        {"step": step},
    )


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
