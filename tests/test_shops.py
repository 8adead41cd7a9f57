"""Many shops: one validated file per shop, shop × day partitions, one run per shop, and no
shop's data in another's warehouse, published copy, exports or run logs."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from recon_pipeline.assets.exports import SLIP_REQUESTS
from recon_pipeline.assets.ingest import LANDED_FILES
from recon_pipeline.assets.marts import JOURNAL
from recon_pipeline.assets.reconcile import RECEIVABLES
from recon_pipeline.assets.staging import raw_key
from recon_pipeline.checks import BANK_ACCOUNTS
from recon_pipeline.cli import QUIET_LOGS, main, run_shops
from recon_pipeline.definitions import DAILY_JOB, build_definitions
from recon_pipeline.partitions import daily_partitions
from recon_pipeline.settings import load_settings
from recon_pipeline.shops import SHOP_TAG, ShopConfigError, load_shop
from tests import landing as lz

FIRST, LAST = "2026-10-01", "2026-10-02"
SHOPS = {
    # name: (shop code at the agent, card order amount, konbini order amount)
    "north": ("11111", 5100, 3300),
    "south": ("22222", 7700, 4400),
}


def shop_file(root: Path, code: str) -> str:
    return (
        f"source:\n  type: local\n  root: {root}\n"
        f"agent_company_code: '929023'\nagent_shop_code: '{code}'\n"
        "bank_accounts: ['0005-001-1234567']\n"
    )


def deliver(landing: Path, card_amount: int, konbini_amount: int) -> None:
    """The same customer (number and name) and order numbers in every shop; the amounts are
    the shop's own."""
    lz.shipments(
        landing,
        FIRST,
        [
            lz.ship("E01", "ORD-0000001", FIRST, "CARD", card_amount),
            lz.ship(
                "E02",
                "ORD-0000002",
                FIRST,
                "KONBINI",
                konbini_amount,
                payment_ref=lz.slip_ref(2),
                due="2026-10-20",
            ),
        ],
    )
    lz.card(landing, FIRST, [lz.charge("txn_1", "ORD-0000001", card_amount)])
    lz.deliver_daily(landing, FIRST, LAST, tuple(lz.EMPTY_REPORTS))


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    """Two shops added with ``recon shops add`` and a third whose file is broken, then
    ``recon run --all-shops`` over two days."""
    root = tmp_path_factory.mktemp("many")
    home = root / "home"
    configs = root / "configs"
    configs.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECON_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        patch.chdir(root)
        added = {}
        for name, (code, card_amount, konbini_amount) in SHOPS.items():
            deliver(root / f"{name}-files", card_amount, konbini_amount)
            # relative to the config file, as an operator writes it
            (configs / f"{name}.yaml").write_text(shop_file(Path(f"../{name}-files"), code))
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                added[name] = main(
                    ["shops", "add", name, "--config", str(configs / f"{name}.yaml")]
                )
        # an operator's edit gone wrong: YAML reads the unquoted code as a number
        (home / "shops" / "broken.yaml").write_text(
            shop_file(root / "north-files", "33333").replace("'33333'", "33333")
        )
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["run", "--all-shops", "--from", FIRST, "--to", LAST])
        listed = io.StringIO()
        with contextlib.redirect_stdout(listed):
            main(["shops", "list"])
        instance = dg.DagsterInstance.get()
        runs = {
            run.tags[SHOP_TAG]: run
            for run in instance.get_runs()
            if SHOP_TAG in run.tags and run.status == dg.DagsterRunStatus.SUCCESS
        }
        logs = {
            name: [entry.message or "" for entry in instance.all_logs(run.run_id)]
            for name, run in runs.items()
        }
        materialized = instance.get_materialized_partitions(RECEIVABLES)
        figures = {}
        for name in SHOPS:
            for day in (FIRST, LAST):
                found = instance.fetch_materializations(
                    dg.AssetRecordsFilter(
                        asset_key=RECEIVABLES, asset_partitions=[f"{day}|{name}"]
                    ),
                    limit=1,
                ).records
                metadata = found[0].asset_materialization.metadata
                figures[name, day] = {key: value.value for key, value in metadata.items()}
        yield {
            "root": root,
            "home": home,
            "added": added,
            "code": code,
            "out": out.getvalue(),
            "err": err.getvalue(),
            "list": listed.getvalue(),
            "runs": runs,
            "logs": logs,
            "materialized": materialized,
            "figures": figures,
            "settings": load_settings({"RECON_HOME": str(home)}),
        }


def read(path: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(query).fetchall()


def test_each_shop_has_its_own_partitions_and_one_run_tagged_with_it(shops):
    assert shops["added"] == {"north": 0, "south": 0}
    assert shops["materialized"] == {
        f"{day}|{shop}" for day in (FIRST, LAST) for shop in ("north", "south")
    }
    for name, run in shops["runs"].items():
        assert run.tags["dagster/asset_partition_range_start"] == f"{FIRST}|{name}"
        assert run.tags["dagster/asset_partition_range_end"] == f"{LAST}|{name}"
    assert set(shops["runs"]) == {"north", "south"}


def test_no_shop_carries_another_shops_data(shops):
    settings = shops["settings"]
    for name, (code, card_amount, konbini_amount) in SHOPS.items():
        shop = load_shop(settings, name)
        assert shop.warehouse == shops["home"] / "shops" / name / "recon.duckdb"
        for database in (shop.warehouse, shop.published_warehouse):
            amounts = read(
                database,
                f"SELECT order_id, customer_id, expected_amount FROM marts.receivables "
                f"WHERE as_of = '{LAST}' ORDER BY order_id",
            )
            assert amounts == [
                ("ORD-0000001", "C000001", card_amount),
                ("ORD-0000002", "C000001", konbini_amount),
            ], (name, database)
            assert read(database, "SELECT sum(gross_amount) FROM staging.settlement_lines") == [
                (card_amount,)
            ]
        # every file landed is one of the shop's own deliveries
        own = {
            hashlib.sha256(path.read_bytes()).hexdigest()
            for path in (shops["root"] / f"{name}-files").rglob("*")
            if path.is_file()
        }
        landed = {row[0] for row in read(shop.warehouse, "SELECT sha256 FROM audit.landed_files")}
        assert landed == own
        # the slip request carries the shop's own code and amount, not the other shop's
        slips = read(shop.warehouse, "SELECT amount, barcode FROM exports.slip_requests")
        assert [amount for amount, _ in slips] == [konbini_amount]
        assert slips[0][1][8:13] == code
        exported = "".join(
            path.read_bytes().decode("cp932", "replace")
            for path in shop.export_dir.rglob("*")
            if path.is_file()
        )
        other = next(n for n in SHOPS if n != name)
        _, other_card, other_konbini = SHOPS[other]
        assert str(card_amount) in exported
        assert str(other_card) not in exported and str(other_konbini) not in exported
        assert SHOPS[other][0] not in exported


def test_each_shops_figures_in_dagster_are_its_own(shops):
    """The metrics the UI shows for a shop's day (its partition's materialization) are its own
    warehouse's, not the other shop's: the two shops' amounts differ."""
    settings = shops["settings"]
    for (name, day), figures in shops["figures"].items():
        warehouse = load_shop(settings, name).warehouse
        query = (
            f"SELECT count(*), sum(expected_amount) FROM marts.receivables WHERE as_of = '{day}'"
        )
        rows, expected = read(warehouse, query)[0]
        assert (figures["dagster/row_count"], figures["expected_amount"]) == (rows, expected)
        other = next(n for n in SHOPS if n != name)
        assert figures["expected_amount"] != shops["figures"][other, day]["expected_amount"]


def test_each_runs_logs_name_only_its_shop(shops):
    for name, messages in shops["logs"].items():
        other = next(n for n in SHOPS if n != name)
        text = "\n".join(messages)
        assert f"shop {name}: warehouse" in text
        assert f"/shops/{name}/" in text
        assert other not in text, f"{name}'s run logs mention {other}"


def test_a_broken_shop_file_fails_that_shop_alone_with_one_line(shops):
    assert shops["code"] == 1
    broken = [line for line in shops["err"].splitlines() if "broken" in line]
    assert broken[0] == (
        f"recon: shop broken: {shops['home'] / 'shops' / 'broken.yaml'}: agent_shop_code: "
        "must be 5 digits in quotes (the shop's code at the agent), not 33333"
    )
    assert broken[1] == "recon: 1 shop(s) failed: broken; the others ran"
    assert not any(key.endswith("|broken") for key in shops["materialized"])
    listing = {line.split()[0]: line for line in shops["list"].splitlines()[1:]}
    assert f"{LAST} OK" in listing["north"] and f"{LAST} OK" in listing["south"]
    assert "BROKEN" in listing["broken"] and "agent_shop_code" in listing["broken"]


def test_a_run_of_a_broken_shop_launched_by_dagster_fails_at_its_start(shops):
    """The UI or the daemon launches runs without ``recon``: the run's resources load the
    shop's file and fail that run, with the same line."""
    settings = shops["settings"]
    job = build_definitions(settings).resolve_job_def(DAILY_JOB)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("shops", ["broken"])
        result = job.execute_in_process(
            partition_key=dg.MultiPartitionKey({"day": FIRST, "shop": "broken"}),
            instance=instance,
            raise_on_error=False,
            run_config=QUIET_LOGS,
            tags={SHOP_TAG: "broken"},
        )
    assert not result.success
    errors = [
        event.event_specific_data.error
        for event in result.all_events
        if event.is_failure and event.event_specific_data.error
    ]
    assert any("broken.yaml: agent_shop_code: must be 5 digits" in str(e) for e in errors)


def test_shop_definitions_partition_by_shop_and_day_within_a_shop(shops):
    graph = build_definitions(shops["settings"]).resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        partitions = graph.get(key).partitions_def
        assert isinstance(partitions, dg.MultiPartitionsDefinition)
        assert {d.name for d in partitions.partitions_defs} == {"day", "shop"}
    for key in (JOURNAL, SLIP_REQUESTS, LANDED_FILES):
        mapping = graph.get(key).partition_mappings[key]
        assert isinstance(mapping, dg.MultiPartitionMapping)
        by_dimension = mapping.downstream_mappings_by_upstream_dimension
        assert isinstance(by_dimension["shop"].partition_mapping, dg.IdentityPartitionMapping)
        day = by_dimension["day"].partition_mapping
        assert (day.start_offset, day.end_offset) == (-1, -1)


def test_without_shops_the_embedded_pipeline_is_partitioned_by_day_only(settings):
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    assert {graph.get(key).partitions_def for key in graph.get_all_asset_keys()} == {
        daily_partitions
    }
    assert defs.resolve_job_def(DAILY_JOB).partitions_def == daily_partitions
    assert {check.partitions_def for check in graph.asset_check_nodes} <= {daily_partitions}


@pytest.mark.parametrize(
    ("text", "field", "why"),
    [
        ("agent_company_code: '929023'\nagent_shop_code: '12345'\n", "source", "missing"),
        ("source: {type: ftp}\n", "source.type", "must be one of local, s3, sftp"),
        ("source: {type: local, root: x, bucket: b}\n", "source.bucket", "not a field of a local"),
        ("source: {type: s3}\n", "bucket", "missing"),
        ("source: {type: local, root: x}\ndunning_polcy: p.yaml\n", "dunning_polcy", "not a shop"),
        (
            "source: {type: local, root: x}\nagent_company_code: '92902'\n",
            "agent_company_code",
            "6",
        ),
        (
            "source: {type: local, root: x}\nagent_company_code: '929023'\n",
            "agent_shop_code",
            "missing",
        ),
        (
            "source: {type: local, root: x}\nagent_company_code: '929023'\nagent_shop_code: "
            "'12345'\ndunning_policy: nowhere.yaml\n",
            "dunning_policy",
            "no file",
        ),
        (
            "source: {type: local, root: x}\nagent_company_code: '929023'\nagent_shop_code: "
            "'12345'\nbank_accounts: ['0005-1-1234567']\n",
            "bank_accounts",
            "must be a list",
        ),
    ],
)
def test_a_shop_file_error_is_one_line_naming_the_file_and_field(settings, text, field, why):
    path = settings.home / "shops" / "acme.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(ShopConfigError) as raised:
        load_shop(settings, "acme")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {field}: ") and why in message


def test_a_shops_paths_are_its_own_and_relative_to_its_file(settings):
    folder = settings.home / "shops"
    (folder / "policies").mkdir(parents=True)
    policy = folder / "policies" / "acme.yaml"
    policy.write_text(
        (Path(__file__).parents[1] / "recon_pipeline/policies/dunning_policy.yaml").read_text()
    )
    (folder / "acme.yaml").write_text(
        shop_file(Path("../landing/acme"), "54321") + "dunning_policy: policies/acme.yaml\n"
    )
    shop = load_shop(settings, "acme")
    assert shop.landing_dir == settings.home / "landing" / "acme"
    assert shop.dunning_policy == policy
    assert (shop.agent_company_code, shop.agent_shop_code) == ("929023", "54321")
    assert shop.bank_accounts == ("0005-001-1234567",)
    own = settings.home / "shops" / "acme"
    for path in (shop.warehouse, shop.published_warehouse, shop.landed_dir, shop.export_dir):
        assert own in path.parents
    with pytest.raises(ShopConfigError, match="shop name 'Acme'"):
        load_shop(settings, "Acme")


def test_a_bank_statement_of_another_account_holds_the_shops_day(settings, monkeypatch, capsys):
    """A shop lists its bank accounts; a statement of another account (another shop's,
    delivered to the wrong folder) fails the blocking check and holds the day."""
    monkeypatch.setenv("DAGSTER_HOME", str(settings.home / "dagster"))
    landing = settings.home / "east-files"
    # west's statement (account 0005-001-7654321), in east's folder
    statement = [
        lz.zengin_header(account="7654321"),
        lz.zengin_data(1, 2000, "ﾔﾏﾀﾞ ﾀﾛｳ", date="081001"),
        lz.zengin_trailer(1, 2000),
        lz.ZENGIN_END,
    ]
    lz.write(landing, "bank", FIRST, "furikomi_west.txt", lz.zengin_file(statement))
    deliver(landing, 1000, 2000)
    (settings.home / "shops").mkdir(parents=True)
    (settings.home / "shops" / "east.yaml").write_text(shop_file(landing, "44444"))
    day = dt.date.fromisoformat(FIRST)
    assert run_shops(settings, ["east"], day, day) == 1
    err = capsys.readouterr().err
    assert f"{raw_key('bank').to_user_string()}:{BANK_ACCOUNTS}" in err and "exports held" in err
    assert "recon: 1 shop(s) failed: east; the others ran" in err
