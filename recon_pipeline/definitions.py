"""The one Definitions object: assets by stage, checks, resources, the daily job, its
schedule and the new-file sensors."""

from __future__ import annotations

from functools import cache

import dagster as dg

from recon_pipeline.assets import exports, ingest, marts, reconcile
from recon_pipeline.assets.staging import build_staging_assets
from recon_pipeline.checks import CHECKS, SHOP_CHECKS, build_expectation_checks
from recon_pipeline.contracts import load_contracts
from recon_pipeline.expectations import load_suites
from recon_pipeline.partitions import daily_partitions, shop_day_partitions
from recon_pipeline.resources.accounts import AccountsResource
from recon_pipeline.resources.contracts import ContractsResource
from recon_pipeline.resources.exports import ExportTarget
from recon_pipeline.resources.policy import PolicyResource
from recon_pipeline.resources.sources import InboundSource, LocalSource, S3Source, SFTPSource
from recon_pipeline.resources.warehouse import WarehouseResource
from recon_pipeline.sensors import build_daily_schedule, build_file_sensor
from recon_pipeline.settings import Settings, load_settings
from recon_pipeline.shops import shops_configured

DAILY_JOB = "daily_reconciliation"

daily_reconciliation = dg.define_asset_job(
    DAILY_JOB,
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Every asset of one day, in data-flow order: ingest → staging → reconcile → "
    "marts → exports. Blocking checks stop the exports of a day that does not add up.",
)


def make_source(settings: Settings) -> InboundSource:
    limits = {
        "max_file_bytes": settings.max_file_bytes,
        "max_line_bytes": settings.max_line_bytes,
    }
    if settings.source == "local":
        return LocalSource(
            root=str(settings.landing_dir), landed_dir=str(settings.landed_dir), **limits
        )
    if settings.source == "s3":
        if not settings.s3_bucket:
            raise ValueError("RECON_SOURCE=s3 needs RECON_S3_BUCKET")
        return S3Source(
            bucket=settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            landed_dir=str(settings.landed_dir),
            **limits,
        )
    missing = [
        name
        for name, value in (
            ("RECON_SFTP_HOST", settings.sftp_host),
            ("RECON_SFTP_USER", settings.sftp_user),
            ("RECON_SFTP_KEY_FILE", settings.sftp_key_file),
            ("RECON_SFTP_KNOWN_HOSTS", settings.sftp_known_hosts),
        )
        if not value
    ]
    if missing:
        raise ValueError(f"RECON_SOURCE=sftp needs {', '.join(missing)}")
    return SFTPSource(
        host=settings.sftp_host,
        port=settings.sftp_port,
        user=settings.sftp_user,
        key_file=settings.sftp_key_file,
        known_hosts=settings.sftp_known_hosts,
        root=settings.sftp_root,
        landed_dir=str(settings.landed_dir),
        **limits,
    )


def _duckdb_config(settings: Settings) -> dict[str, int | str]:
    """The memory limit always (the settings default it to half the machine's); threads only
    when set, DuckDB's default (the cores) otherwise."""
    config: dict[str, int | str] = {"memory_limit": settings.duckdb_memory_limit}
    if settings.duckdb_threads:
        config["threads"] = settings.duckdb_threads
    return config


def check_settings_files(settings: Settings) -> None:
    """Load the policy and the accounts file as a run will: a broken one fails here, with one
    line, not in the middle of a run."""
    contracts_dir = str(settings.contracts_dir) if settings.contracts_dir else ""
    PolicyResource(
        path=str(settings.dunning_policy) if settings.dunning_policy else "",
        contracts_dir=contracts_dir,
    ).load()
    AccountsResource(
        path=str(settings.accounts) if settings.accounts else "", contracts_dir=contracts_dir
    ).load()


def make_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every resource of a run, wired to ``settings`` (the single shop's, or one shop's)."""
    contracts_dir = str(settings.contracts_dir) if settings.contracts_dir else ""
    return {
        "source": make_source(settings),
        "warehouse": WarehouseResource(
            database=str(settings.warehouse),
            published_database=str(settings.published_warehouse),
            connection_config=_duckdb_config(settings),
        ),
        "contracts": ContractsResource(extra_dir=contracts_dir),
        "exporter": ExportTarget(
            export_dir=str(settings.export_dir),
            company_code=settings.agent_company_code,
            shop_code=settings.agent_shop_code,
        ),
        "policy": PolicyResource(
            path=str(settings.dunning_policy) if settings.dunning_policy else "",
            contracts_dir=contracts_dir,
            bank_accounts=list(settings.bank_accounts),
        ),
        "accounts": AccountsResource(
            path=str(settings.accounts) if settings.accounts else "",
            contracts_dir=contracts_dir,
        ),
    }


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """Definitions wired to ``settings`` (the environment by default); tests pass their own.

    With shops configured (recon_pipeline/shops.py) every asset and check is partitioned by
    shop × day and the resources resolve the run's shop; otherwise the embedded single shop,
    partitioned by day."""
    settings = settings or load_settings()
    contracts_dir = str(settings.contracts_dir) if settings.contracts_dir else ""
    contracts = load_contracts(contracts_dir)
    check_settings_files(settings)
    assets = [
        *dg.load_assets_from_modules([ingest]),
        *build_staging_assets(contracts),
        *dg.load_assets_from_modules([reconcile, marts, exports]),
    ]
    upstream = [key for asset in assets for key in asset.keys]
    runs = exports.build_runs(upstream)
    assets = [*assets, runs, exports.build_published_warehouse([*upstream, exports.RUNS])]
    checks = [*CHECKS, *build_expectation_checks(load_suites(), assets)]
    if shops_configured(settings):
        return _shop_definitions(settings, assets, checks)
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[daily_reconciliation],
        # A run's steps share one DuckDB file with one writer, so they follow each other
        # anyway: a process per step buys nothing, costs a start-up each, and cannot be
        # forked inside a Celery worker (recon_pipeline/deploy/dagster.yaml).
        executor=dg.in_process_executor,
        schedules=[build_daily_schedule(daily_reconciliation)],
        sensors=[
            build_file_sensor(source, daily_reconciliation)
            for source in sorted(contracts.by_source())
        ],
        resources=make_resources(settings),
    )


def _shop_definitions(
    settings: Settings, assets: list[dg.AssetsDefinition], checks: list[dg.AssetChecksDefinition]
) -> dg.Definitions:
    """The same assets and checks, partitioned by shop × day; each resource is the run's
    shop's (:func:`recon_pipeline.shops.shop_resources`). The file sensors list one source
    each and are left out: a shop's deliveries are run by ``recon run --shop`` or the
    schedule, which requests each shop's day."""
    from recon_pipeline.shops import build_shop_schedule, by_shop, by_shop_checks, shop_resources

    job = dg.define_asset_job(
        DAILY_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=shop_day_partitions,
        description=daily_reconciliation.description,
    )
    return dg.Definitions(
        assets=[by_shop(asset) for asset in assets],
        asset_checks=[by_shop_checks(check) for check in [*checks, *SHOP_CHECKS]],
        jobs=[job],
        executor=dg.in_process_executor,
        schedules=[build_shop_schedule(job)],
        resources=shop_resources(settings),
    )


@cache
def _from_the_environment() -> dg.Definitions:
    return build_definitions()


def __getattr__(name: str) -> dg.Definitions:
    """``defs`` (what ``dagster dev`` and the webserver load) is built from the environment on
    first use, not on import: ``recon`` imports this module and builds Definitions of its own,
    so a bad policy or accounts file reaches it as its one-line error, not as a traceback of
    the import."""
    if name == "defs":
        return _from_the_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "defs"])
