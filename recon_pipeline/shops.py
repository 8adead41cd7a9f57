"""Many shops in one deployment: one validated YAML file per shop, and each shop's Settings.

A shop's Settings is the deployment's (``RECON_*``) with the shop's own fields from its file
and the shop's own paths under ``<RECON_HOME>/shops/<NAME>/`` — warehouse, published copy,
landed copy, exports — so no two shops can share a file by construction (docs/scale-out.md).
Shops are configured when the shops folder (``RECON_SHOPS_DIR``, default
``<RECON_HOME>/shops``) holds at least one ``<NAME>.yaml``; without one, the pipeline is the
embedded single shop, partitioned by day only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import yaml

from recon_pipeline.settings import SOURCES, Settings

SHOP_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
"""Lower-case letters, digits, ``_`` and ``-``: the name is a folder, a partition key (where
``|`` and ``,`` mean something) and a run tag, and two spellings of one shop (``Acme``,
``acme``) would be two warehouses on a case-insensitive disk."""
SHOP_TAG = "recon/shop"
"""Every run of a shop carries it; the deployment's run queue allows one run per value (one
writer per warehouse file)."""
FIELDS = {
    "source",
    "agent_company_code",
    "agent_shop_code",
    "bank_accounts",
    "accounts",
    "dunning_policy",
    "contracts_dir",
}
SOURCE_FIELDS = {
    "local": {"type", "root"},
    "s3": {"type", "bucket", "prefix", "endpoint_url"},
    "sftp": {"type", "host", "port", "user", "key_file", "known_hosts", "root"},
}
BANK_ACCOUNT = re.compile(r"[0-9]{4}-[0-9]{3}-[0-9]{7}")


class ShopConfigError(ValueError):
    """A shop file that cannot be used; the message is one line naming the file and field."""


def shops_dir(settings: Settings) -> Path:
    return settings.shops_dir or settings.home / "shops"


def shop_files(settings: Settings) -> dict[str, Path]:
    """``name → file`` of every ``*.yaml`` in the shops folder (broken ones too: a file that
    fails to load fails its own shop, not the listing)."""
    folder = shops_dir(settings)
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.yaml")) if path.is_file()}


def shops_configured(settings: Settings) -> bool:
    """The switch between the embedded single shop and shop × day partitions."""
    return bool(shop_files(settings))


def shop_home(settings: Settings, name: str) -> Path:
    return settings.home / "shops" / name


def check_name(name: str) -> str:
    if not SHOP_NAME.fullmatch(name):
        raise ShopConfigError(
            f"shop name {name!r}: lower-case letters, digits, '_' and '-', at most 40, "
            "starting with a letter or digit"
        )
    return name


def _fail(path: Path, field: str, why: str) -> ShopConfigError:
    return ShopConfigError(f"{path}: {field}: {why}")


def _text(path: Path, raw: dict, field: str, required: bool = False) -> str | None:
    value = raw.get(field)
    if value is None:
        if required:
            raise _fail(path, field, "missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, field, f"must be non-empty text, not {value!r}")
    return value.strip()


def _digits(path: Path, raw: dict, field: str, width: int, what: str) -> str:
    """Barcode digits, quoted: YAML reads an unquoted ``012345`` as a number (losing the
    leading zero, or as octal), and a barcode with wrong digits cannot be paid."""
    value = raw.get(field)
    if value is None:
        raise _fail(path, field, f"missing ({what}, {width} digits, quoted)")
    if not isinstance(value, str):
        raise _fail(path, field, f"must be {width} digits in quotes ({what}), not {value!r}")
    if not re.fullmatch(rf"[0-9]{{{width}}}", value):
        raise _fail(path, field, f"must be {width} digits ({what}), not {value!r}")
    return value


def _file(path: Path, raw: dict, field: str, folder: bool = False) -> Path | None:
    """A path relative to the shop file, which must exist (checked now, not mid-run)."""
    text = _text(path, raw, field)
    if text is None:
        return None
    found = (path.parent / Path(text).expanduser()).resolve()
    if not (found.is_dir() if folder else found.is_file()):
        raise _fail(path, field, f"no {'folder' if folder else 'file'} {found}")
    return found


def _source(path: Path, raw: Any) -> dict[str, Any]:
    """The Settings fields of the shop's source."""
    if not isinstance(raw, dict):
        raise _fail(path, "source", "must be a mapping with type: local, s3 or sftp")
    kind = raw.get("type")
    if kind not in SOURCES:
        raise _fail(path, "source.type", f"must be one of {', '.join(SOURCES)}, not {kind!r}")
    unknown = sorted(set(raw) - SOURCE_FIELDS[kind])
    if unknown:
        raise _fail(path, f"source.{unknown[0]}", f"not a field of a {kind} source")
    fields: dict[str, Any] = {"source": kind}
    if kind == "local":
        root = _text(path, raw, "root", required=True)
        assert root is not None
        fields["landing_dir"] = (path.parent / Path(root).expanduser()).resolve()
    elif kind == "s3":
        bucket = _text(path, raw, "bucket", required=True)
        fields |= {
            "s3_bucket": bucket,
            "s3_prefix": raw.get("prefix") or "",
            "s3_endpoint_url": _text(path, raw, "endpoint_url"),
        }
    else:
        port = raw.get("port", 22)
        if not isinstance(port, int) or not 0 < port < 65536:
            raise _fail(path, "source.port", f"must be a port number, not {port!r}")
        for field in ("host", "user", "key_file", "known_hosts"):
            if _text(path, raw, field) is None:
                raise _fail(path, f"source.{field}", "missing (an sftp source needs it)")
        fields |= {
            "sftp_host": raw["host"],
            "sftp_port": port,
            "sftp_user": raw["user"],
            "sftp_key_file": str((path.parent / raw["key_file"]).resolve()),
            "sftp_known_hosts": str((path.parent / raw["known_hosts"]).resolve()),
            "sftp_root": _text(path, raw, "root") or ".",
        }
    return fields


def load_shop(settings: Settings, name: str, path: Path | None = None) -> Settings:
    """The shop's Settings from its file (``<shops dir>/<name>.yaml`` by default).

    Strict: an unknown field is refused (a misspelt ``dunning_polcy`` would silently leave
    the shop on the packaged policy), so are missing barcode codes (the demo's codes on a
    real shop's slips cannot be paid) and paths that do not exist."""
    check_name(name)
    path = (path or shops_dir(settings) / f"{name}.yaml").resolve()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ShopConfigError(f"{path}: cannot be read ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "YAML"
        raise ShopConfigError(f"{path}: {where}: not valid YAML") from None
    if not isinstance(raw, dict):
        raise ShopConfigError(f"{path}: must be a mapping of fields (see docs/scale-out.md)")
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise _fail(path, unknown[0], f"not a shop field ({', '.join(sorted(FIELDS))})")
    if "source" not in raw:
        raise _fail(path, "source", "missing")
    accounts = raw.get("bank_accounts") or []
    if not isinstance(accounts, list) or not all(
        isinstance(a, str) and BANK_ACCOUNT.fullmatch(a) for a in accounts
    ):
        raise _fail(
            path,
            "bank_accounts",
            "must be a list of 'bank-branch-account' numbers such as '0001-001-1234567'",
        )
    home = shop_home(settings, name)
    return dataclasses.replace(
        settings,
        **_source(path, raw["source"]),
        agent_company_code=_digits(
            path, raw, "agent_company_code", 6, "the collection agent's invoicing company code"
        ),
        agent_shop_code=_digits(path, raw, "agent_shop_code", 5, "the shop's code at the agent"),
        bank_accounts=tuple(accounts),
        accounts=_file(path, raw, "accounts") or settings.accounts,
        dunning_policy=_file(path, raw, "dunning_policy") or settings.dunning_policy,
        contracts_dir=_file(path, raw, "contracts_dir", folder=True) or settings.contracts_dir,
        landed_dir=home / "landed",
        warehouse=home / "recon.duckdb",
        published_warehouse=home / "published" / "recon.duckdb",
        export_dir=home / "exports",
        shop=name,
    )


def check_shop_files(settings: Settings, name: str) -> Settings:
    """:func:`load_shop` and the files it names loaded as a run would load them (policy,
    accounts), so a broken one is found before a run, with its one line."""
    from recon_pipeline.contracts import load_contracts
    from recon_pipeline.definitions import check_settings_files

    shop = load_shop(settings, name)
    path = shops_dir(settings) / f"{name}.yaml"
    try:
        if shop.contracts_dir != settings.contracts_dir:
            known = {c.family for c in load_contracts(str(settings.contracts_dir or ""))}
            added = {c.family for c in load_contracts(str(shop.contracts_dir))} - known
            if added:
                raise _fail(
                    path,
                    "contracts_dir",
                    f"adds the family {sorted(added)[0]!r}, which the deployment's contracts "
                    "(RECON_CONTRACTS_DIR) do not have: a family is an asset of every shop",
                )
        check_settings_files(shop)
    except ShopConfigError:
        raise
    except ValueError as error:
        raise ShopConfigError(f"{path}: {error}") from None
    return shop


# --- the shop dimension in the Definitions -------------------------------------------------


def _within_shop(dep: dg.AssetDep) -> dg.AssetDep:
    """A dependency on the previous day stays within the shop: the day's mapping on ``day``,
    the identity on ``shop``. Same-day dependencies keep the default (identity)."""
    mapping = dep.partition_mapping
    if not isinstance(mapping, dg.TimeWindowPartitionMapping):
        return dep
    return dg.AssetDep(
        dep.asset_key,
        partition_mapping=dg.MultiPartitionMapping(
            {
                "day": dg.DimensionPartitionMapping("day", mapping),
                "shop": dg.DimensionPartitionMapping("shop", dg.IdentityPartitionMapping()),
            }
        ),
    )


def by_shop(asset: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The asset partitioned by shop × day instead of by day (the same code: it reads its days
    from the partition's time window, and its resources are the run's shop's)."""
    from recon_pipeline.partitions import shop_day_partitions

    def respec(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.partitions_def is None:
            return spec
        return spec.replace_attributes(
            partitions_def=shop_day_partitions, deps=[_within_shop(dep) for dep in spec.deps]
        )

    return asset.map_asset_specs(respec)


def by_shop_checks(checks: dg.AssetChecksDefinition) -> dg.AssetChecksDefinition:
    """The check partitioned by shop × day (a check spec's partitions are its own)."""
    from recon_pipeline.partitions import shop_day_partitions

    return dg.AssetChecksDefinition.create(
        keys_by_input_name=checks.keys_by_input_name,
        node_def=checks.node_def,
        check_specs_by_output_name={
            name: spec._replace(partitions_def=shop_day_partitions)
            for name, spec in checks.check_specs_by_output_name.items()
        },
        can_subset=checks.can_subset,
        resource_defs=checks.resource_defs,
    )


RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def run_shop(tags: Mapping[str, str]) -> str:
    """The shop of a run, from its tags: ``recon/shop``, or its partition's (or range's) shop.
    A run without one shop is refused: a run writes one shop's warehouse."""
    found = set()
    if SHOP_TAG in tags:
        found.add(tags[SHOP_TAG])
    if "dagster/partition/shop" in tags:
        found.add(tags["dagster/partition/shop"])
    for tag in RANGE_TAGS:
        if "|" in tags.get(tag, ""):
            found.add(tags[tag].split("|")[1])
    if len(found) != 1:
        raise ShopConfigError(
            "a run of a shops deployment is one shop's days: "
            + (f"this one names {sorted(found)}" if found else "this one names no shop")
            + f" (tag {SHOP_TAG})"
        )
    return found.pop()


def shop_resources(settings: Settings) -> dict[str, dg.ResourceDefinition]:
    """Each resource as the run's shop's: at run start it reads the run's shop, loads the
    shop's file (a broken one fails this run only, with its one line) and yields the resource
    the single shop would have, wired to the shop's settings and paths."""
    from recon_pipeline.definitions import make_resources

    def shop_resource(key: str) -> dg.ResourceDefinition:
        @dg.resource(description=f"the run's shop's {key} (recon_pipeline/shops.py)")
        def resolve(context: dg.InitResourceContext) -> Iterator[Any]:
            run = context.dagster_run
            name = run_shop(run.tags if run else {})
            shop = check_shop_files(settings, name)
            if key == "warehouse":
                context.log.info(f"shop {name}: warehouse {shop.warehouse}")
            resource = make_resources(shop)[key]
            bound = resource.with_replaced_resource_context(context)
            with bound.yield_for_execution(context) as value:
                yield value

        return resolve

    return {key: shop_resource(key) for key in make_resources(settings)}


def build_shop_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """06:00 Asia/Tokyo: the previous day of every shop, one run each (tagged with its shop,
    so the deployment's queue runs one at a time per shop)."""
    from recon_pipeline.partitions import SHOPS, TIMEZONE
    from recon_pipeline.sensors import SCHEDULE_CRON

    @dg.schedule(
        name="daily_reconciliation_schedule",
        job=job,
        cron_schedule=SCHEDULE_CRON,
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="06:00 Asia/Tokyo: reconcile the previous day of every shop, a run each.",
    )
    def daily_schedule(context: dg.ScheduleEvaluationContext):
        scheduled = context.scheduled_execution_time.astimezone(ZoneInfo(TIMEZONE))
        day = (scheduled - dt.timedelta(days=1)).date().isoformat()
        for shop in SHOPS.get_partition_keys(dynamic_partitions_store=context.instance):
            yield dg.RunRequest(
                run_key=f"schedule:{shop}:{day}",
                partition_key=dg.MultiPartitionKey({"day": day, "shop": shop}),
                tags={SHOP_TAG: shop},
            )

    return daily_schedule


def add_shop(settings: Settings, name: str, config: Path, instance: dg.DagsterInstance) -> Path:
    """Validate ``config`` as shop ``name``'s file, copy it into the shops folder (paths in it
    are rewritten absolute: they were relative to where it was) and add the shop's partition."""
    check_name(name)
    load_shop(settings, name, config)  # one line naming the file and field when it is broken
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    base = config.resolve().parent
    for field in ("accounts", "dunning_policy", "contracts_dir"):
        if raw.get(field):
            raw[field] = str((base / Path(raw[field]).expanduser()).resolve())
    source = raw["source"]
    for field in ("root", "key_file", "known_hosts"):
        if source.get(field) and not (source["type"] == "sftp" and field == "root"):
            source[field] = str((base / Path(source[field]).expanduser()).resolve())
    folder = shops_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.yaml"
    partial = folder / f".{name}.yaml.partial"
    partial.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    partial.replace(target)
    load_shop(settings, name)  # the copy reads as the original did
    instance.add_dynamic_partitions("shops", [name])
    return target
