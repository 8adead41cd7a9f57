"""Staging assets: every landed file read through its data contract (the engine is
``recon_pipeline.loading``), then mapped to the canonical tables the reconciliation works
on, and the freshness gate.

Contract validation and the file manifest are one asset so that one transaction covers a
day's files: rows in raw tables, rejected rows in quarantine, the counts in the manifest.
Adding a contract file adds its ``raw/<family>`` asset here without code.
"""

from collections.abc import Iterator

import dagster as dg
import pandas as pd

from recon_pipeline.assets.snapshot import (
    daily_table,
    day_results,
    snapshot_run,
)
from recon_pipeline.contracts import Contract, ContractSet
from recon_pipeline.freshness import holding_sources
from recon_pipeline.limits import clip, preview
from recon_pipeline.loading import REJECT_COLUMNS, FileOutcome, stage_window
from recon_pipeline.packaged import packaged_dir
from recon_pipeline.partitions import (
    SINGLE_RUN,
    daily_partitions,
    partition_days,
    stage_group,
    table_key,
    table_metadata,
)
from recon_pipeline.resources.contracts import ContractsResource
from recon_pipeline.resources.policy import PolicyResource
from recon_pipeline.resources.sources import InboundSource
from recon_pipeline.resources.warehouse import WarehouseResource, clear_partition

FILE_MANIFEST = table_key("staging", "audit.file_manifest")
REJECTED_ROWS = table_key("staging", "quarantine.rejected_rows")
RECEIVABLE_EVENTS = table_key("staging", "staging.receivable_events")
SETTLEMENT_LINES = table_key("staging", "staging.settlement_lines")
DISPOSITIONS = table_key("staging", "staging.dispositions")
PAYER_ALIASES = table_key("staging", "staging.payer_aliases")
LANDED_FILES = table_key("ingest", "audit.landed_files")
SOURCE_FRESHNESS = table_key("staging", "audit.source_freshness")


def raw_key(family: str) -> dg.AssetKey:
    return table_key("staging", f"raw.{family}", f"raw_{family}")


def _validated_specs(contract_set: ContractSet) -> list[dg.AssetSpec]:
    specs = [
        dg.AssetSpec(
            FILE_MANIFEST,
            group_name=stage_group("staging"),
            metadata=table_metadata(FILE_MANIFEST),
            deps=[LANDED_FILES],
            kinds={"duckdb"},
            description="One row per delivered file: status, reason, rows total / "
            "loaded / quarantined. Completeness is checked on it.",
        ),
        dg.AssetSpec(
            REJECTED_ROWS,
            group_name=stage_group("staging"),
            metadata=table_metadata(REJECTED_ROWS),
            deps=[LANDED_FILES],
            kinds={"duckdb"},
            description="Every rejected row with its file, line, raw text and reason; "
            "line 0 means the whole file was quarantined.",
        ),
    ]
    for family, members in contract_set.families().items():
        layouts = ", ".join(c.layout for c in members)
        specs.append(
            dg.AssetSpec(
                raw_key(family),
                group_name=stage_group("staging"),
                metadata=table_metadata(raw_key(family)),
                deps=[LANDED_FILES],
                kinds={"duckdb", "pandera"},
                description=f"Rows of the {family} layouts ({layouts}) that passed their data "
                f"contract, typed, with file and line.",
            )
        )
    return specs


def _mapping_sql(target: str, family: str, members: list[Contract]) -> str:
    """The family's mapping: a contract may name its own (``mapping``, next to it), else
    ``sql/staging/<target>/<family>.sql``."""
    for contract in members:
        if contract.mapping:
            return (contract.path.parent / contract.mapping).read_text("utf-8")
    return (packaged_dir("sql") / "staging" / target / f"{family}.sql").read_text("utf-8")


def _map_target(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    contracts: ContractsResource,
    target: str,
) -> dict:
    """Map each day's raw rows to ``staging.<target>``; returns each day's row count."""
    counts = {}
    with warehouse.connect() as con:
        contracts.ensure_raw_tables(con)
        for day in partition_days(context):
            con.begin()
            clear_partition(con, f"staging.{target}", "partition_date", day)
            for family, members in contracts.load().families(target).items():
                mapping = _mapping_sql(target, family, members)
                con.execute(
                    f"INSERT INTO staging.{target} BY NAME {mapping}", {"partition_date": day}
                )
            counted = con.execute(
                f"SELECT count(*) FROM staging.{target} WHERE partition_date = $day", {"day": day}
            ).fetchone()
            con.commit()
            counts[day] = int(counted[0]) if counted else 0
    return counts


STAGED_TABLES = {
    RECEIVABLE_EVENTS: (
        "receivable_events",
        "Order events (SHIP/CANCEL/RETURN) with the amount each adds to or takes off the "
        "receivable (expected_delta), one row per valid shipment-file row.",
    ),
    SETTLEMENT_LINES: (
        "settlement_lines",
        "Payments from every channel in one shape: key, customer-side gross, provider fee, "
        "paid date, with a settlement_line_id derived from the file's content.",
    ),
    DISPOSITIONS: (
        "dispositions",
        "Operators' resolutions of exceptions (顛末管理): manual matches, write-offs, disputes, "
        "releases, refunds, ignored lines, each with who decided it and from which day.",
    ),
    PAYER_ALIASES: (
        "payer_aliases",
        "Payer names (振込依頼人名) added to or removed from a customer by hand (the "
        "payer_aliases file), with who decided it and from which day; MANUAL_MATCH "
        "dispositions teach aliases too (staging.payer_aliases_as_of).",
    ),
}


def _staged_table(key: dg.AssetKey, contract_set: ContractSet) -> dg.AssetsDefinition:
    target, description = STAGED_TABLES[key]

    @dg.asset(
        key=key,
        group_name=stage_group("staging"),
        metadata=table_metadata(key),
        partitions_def=daily_partitions,
        backfill_policy=SINGLE_RUN,
        pool="duckdb",
        kinds={"duckdb"},
        description=description,
        deps=[raw_key(family) for family in contract_set.families(target)],
    )
    def staged(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        contracts: ContractsResource,
    ):
        rows = _map_target(context, warehouse, contracts, target)
        yield from day_results(
            context, {key: {d: {"dagster/row_count": n} for d, n in rows.items()}}
        )

    return staged


def build_staging_assets(contract_set: ContractSet) -> list[dg.AssetsDefinition]:
    """The staging stage for the contracts in force: one ``raw/<family>`` per family."""

    @dg.multi_asset(
        specs=_validated_specs(contract_set),
        partitions_def=daily_partitions,
        backfill_policy=SINGLE_RUN,
        pool="duckdb",
        name="validated_files",
    )
    def validated_files(
        context: dg.AssetExecutionContext,
        source: InboundSource,
        warehouse: WarehouseResource,
        contracts: ContractsResource,
    ):
        """Read each landed file with its contract: decode, header, pandera row checks."""
        in_force = contracts.load()
        with warehouse.connect() as con:
            contracts.ensure_raw_tables(con)
            all_outcomes = stage_window(con, source, partition_days(context), in_force)
        yield from _validated_results(context, all_outcomes, in_force, partition_days(context))

    return [
        validated_files,
        *(_staged_table(key, contract_set) for key in STAGED_TABLES),
        source_freshness,
    ]


@daily_table(SOURCE_FRESHNESS, "staging", deps=[FILE_MANIFEST])
def source_freshness(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
) -> Iterator[dg.MaterializeResult]:
    """The freshness gate: per settlement source, whether it delivered what its calendar
    (the policy's ``deliveries``) expects for the day. A source MISSING or STALE holds the
    day's dunning and slip export — a missing file is not "nobody paid" — and the next
    complete day issues what is then due."""

    def figures(con, day, rows):
        frame = con.execute(
            "SELECT source, status, files_today, newest_file_on, age_days, max_age_days "
            "FROM audit.source_freshness WHERE partition_date = $d ORDER BY source",
            {"d": day},
        ).df()
        held = holding_sources(con, day)
        return {
            "dagster/row_count": rows,
            "dunning_held": bool(held),
            "holding_sources": ", ".join(held) or "none",
            "sources": dg.MetadataValue.md(frame.to_markdown(index=False)),
        }

    yield from snapshot_run(
        context,
        warehouse,
        SOURCE_FRESHNESS,
        "audit.source_freshness",
        "staging/source_freshness",
        figures,
        key_column="partition_date",
        prepare=policy.write_tables,
    )


def _validated_results(context, all_outcomes: list[FileOutcome], in_force: ContractSet, days):
    quarantined_files = [o.manifest for o in all_outcomes if o.manifest["status"] == "QUARANTINED"]
    for file in quarantined_files:
        context.log.warning(f"file quarantined: {file['path']}: {clip(file['reason'])}")
    layouts = {c.layout: c.family for c in in_force}
    by_key: dict[dg.AssetKey, dict] = {FILE_MANIFEST: {}, REJECTED_ROWS: {}}
    by_key |= {raw_key(family): {} for family in in_force.families()}
    for day in days:
        outcomes = [o for o in all_outcomes if o.manifest["partition_date"] == day]
        for key, metadata in _day_metadata(outcomes, in_force, layouts).items():
            by_key[key][day] = metadata
    yield from day_results(context, by_key)


def _day_metadata(outcomes: list[FileOutcome], in_force: ContractSet, layouts: dict) -> dict:
    """One day's figures of the manifest, the quarantine and each raw table."""
    manifest = pd.DataFrame([o.manifest for o in outcomes])
    quarantined_files = sum(1 for o in outcomes if o.manifest["status"] == "QUARANTINED")
    rejected = pd.concat([o.rejected for o in outcomes] or [pd.DataFrame(columns=REJECT_COLUMNS)])
    rows_quarantined = int(manifest["rows_quarantined"].sum()) if len(manifest) else 0
    metadata = {
        FILE_MANIFEST: {
            "dagster/row_count": len(manifest),
            "files_in": len(manifest),
            "rows_total": int(manifest["rows_total"].sum()) if len(manifest) else 0,
            "rows_loaded": int(manifest["rows_loaded"].sum()) if len(manifest) else 0,
            "rows_quarantined": rows_quarantined,
            "files_quarantined": quarantined_files,
            "preview": dg.MetadataValue.md(
                preview(
                    manifest[["path", "status", "rows_total", "rows_loaded", "rows_quarantined"]]
                    if len(manifest)
                    else manifest,
                    "_no files_",
                )
            ),
        },
        REJECTED_ROWS: {
            "dagster/row_count": len(rejected),
            "preview": dg.MetadataValue.md(
                preview(rejected[["path", "line_no", "reason"]], "_nothing rejected_")
            ),
        },
    }
    for family in in_force.families():
        loaded = sum(
            o.manifest["rows_loaded"]
            for o in outcomes
            if layouts.get(o.manifest["layout"]) == family
        )
        metadata[raw_key(family)] = {"dagster/row_count": int(loaded)}
    return metadata
