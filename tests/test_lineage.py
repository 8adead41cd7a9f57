"""The lineage the UI draws is the lineage the SQL has: every table an asset's SQL reads
(through the table macros and the day's scope tables too) is one of its declared upstream
assets, so a data engineer who follows the graph finds every input."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import dagster as dg
import pytest
import sqlglot
from sqlglot import exp

from recon_pipeline.definitions import build_definitions
from recon_pipeline.packaged import packaged_dir
from recon_pipeline.partitions import asset_of_table
from recon_pipeline.settings import load_settings

SQL = packaged_dir("sql")
ASSET_SQL: dict[str, tuple[str, ...]] = {
    "audit.source_freshness": ("staging/source_freshness.sql",),
    "staging.receivable_events": ("staging/receivable_events/*.sql",),
    "staging.settlement_lines": ("staging/settlement_lines/*.sql",),
    "staging.dispositions": ("staging/dispositions/*.sql",),
    "staging.payer_aliases": ("staging/payer_aliases/*.sql",),
    "marts.matches": ("reconcile/**/*.sql",),
    "marts.unmatched_items": ("views/marts.unmatched_items.sql",),
    "marts.aging": ("marts/aging.sql",),
    "marts.fees": ("marts/fees.sql",),
    "marts.auto_match_rate": ("marts/auto_match_rate.sql",),
    "marts.dunning_holds": ("marts/dunning_holds.sql",),
    "marts.dunning_candidates": ("marts/dunning_candidates.sql",),
    "marts.write_offs": ("marts/write_offs.sql",),
    "marts.disposition_outcomes": ("marts/disposition_outcomes.sql",),
    "marts.provider_followups": ("marts/provider_followups.sql",),
    "marts.customer_profile": ("marts/customer_profile*.sql",),
    "marts.journal": ("marts/journal*.sql",),
    "exports.slip_requests": ("exports/slip_requests.sql", "exports/slip_corrections.sql"),
    "exports.ship_holds": ("exports/ship_holds.sql",),
    "exports.journal_files": ("exports/journal_file.sql",),
    "audit.runs": ("audit/runs.sql",),
}
"""Which asset (named by the table it writes) runs which SQL files (the reconcile step writes
matches, receivables and settlement status together). Every file of these folders must be
someone's."""
ASSET_FOLDERS = ("staging", "reconcile", "marts", "exports", "audit")
SCOPE_TABLES = {
    "scope_receivables_as_of": "staging.receivables_as_of",
    "scope_lines_as_of": "staging.settlement_lines_as_of",
}
"""Temp tables the reconcile step makes from the table macros for its statements; its other
temp tables (``scope_*`` of ``recon_pipeline/scope.py``) are its own work, not inputs."""
CONFIG = "config"
"""``config.*`` holds the policy: written by the ``policy`` resource before the SQL runs."""


def _files(patterns: tuple[str, ...]) -> list[Path]:
    return sorted({path for pattern in patterns for path in SQL.glob(pattern)})


def _body(text: str) -> str:
    """A macro's SELECT without its ``CREATE MACRO … AS [TABLE]`` head."""
    head = re.search(r"CREATE OR REPLACE MACRO [\w.]+\(.*?\) AS( TABLE)?\s", text, re.S)
    return text[head.end() :] if head else text


def tables_in(text: str) -> set[str]:
    """``schema.table`` of every table, view, table macro or scope table the SQL reads."""
    tree = sqlglot.parse_one(_body(text), dialect="duckdb")
    found = set()
    for table in tree.find_all(exp.Table):
        name = table.this.name if isinstance(table.this, exp.Anonymous) else table.name
        if table.db:
            found.add(f"{table.db}.{name}")
        elif name in SCOPE_TABLES:
            found.add(name)
    return found


@cache
def macros() -> dict[str, set[str]]:
    return {
        path.stem: tables_in(path.read_text("utf-8"))
        for path in (SQL / "macros").glob("*.sql")
        if " AS TABLE" in path.read_text("utf-8")
    }


def expanded(tables: set[str]) -> set[str]:
    """Tables read, with table macros and scope tables replaced by what they read."""
    return set().union(set(), *(_resolve(SCOPE_TABLES.get(name, name), set()) for name in tables))


WORK_TABLES = {
    "audit.reconcile_scope": "marts.matches",
    "marts.snapshot_days": "marts.matches",
    "marts.journal_lines": "marts.journal",
}
"""Tables an asset keeps behind its output: the reconcile step's (which items a day
recomputed, which days the version views show), read downstream as part of its output; the
journal's lines, which the view ``marts.journal`` shows one row per account."""


def _resolve(name: str, seen: set[str]) -> set[str]:
    if name in seen:
        return set()
    if name in macros():
        return set().union(*(_resolve(inner, seen | {name}) for inner in macros()[name]))
    return {name}


def asset_key_of(table: str, definitions: dg.Definitions) -> dg.AssetKey:
    """The asset a warehouse table or view belongs to (its ``dagster/table_name``)."""
    return asset_of_table(
        WORK_TABLES.get(table, table).removesuffix("_history"), definitions.assets
    )


@pytest.fixture(scope="module")
def definitions(tmp_path_factory) -> dg.Definitions:
    return build_definitions(load_settings({"RECON_HOME": str(tmp_path_factory.mktemp("l"))}))


def test_every_sql_file_of_a_stage_belongs_to_an_asset():
    owned = {path for patterns in ASSET_SQL.values() for path in _files(patterns)}
    every = {path for folder in ASSET_FOLDERS for path in (SQL / folder).rglob("*.sql")}
    assert every - owned == set(), "add the new SQL file to ASSET_SQL with its asset"


@pytest.mark.parametrize("written", sorted(ASSET_SQL))
def test_what_an_assets_sql_reads_is_declared_upstream(definitions, written):
    asset = definitions.get_assets_def(asset_of_table(written, definitions.assets))
    graph = definitions.resolve_asset_graph()
    declared = set(asset.keys)
    for own in asset.keys:
        declared |= graph.get(own).parent_keys
    read = set().union(*(tables_in(p.read_text("utf-8")) for p in _files(ASSET_SQL[written])))
    tables = expanded(read)
    if any(t.startswith(f"{CONFIG}.") for t in tables):
        assert "policy" in asset.required_resource_keys, "config.* is the policy resource's"
    missing = {
        table
        for table in tables
        if not table.startswith(f"{CONFIG}.") and asset_key_of(table, definitions) not in declared
    }
    assert missing == set(), f"{written}'s asset reads {sorted(missing)} without declaring them"
