"""Incremental reconcile = reconcile from nothing. Random histories over several days (orders
of three methods shipped and cancelled on different days, card payments and refunds, bank
transfers with and without customer number, konbini 速報 followed by 確報 or 取消, and
dispositions of every action) are reconciled day by day as the pipeline does — each day
recomputes only its scope and stores what changed — and every day's matches, ledger and
line statuses must equal a recompute of that day from nothing, and so must the journal each
day books (only the keys its scope reaches, against every key). Re-running a day afterwards
changes no row. Real DuckDB files, the real SQL."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recon_pipeline import versions
from recon_pipeline.assets.marts import journal_day
from recon_pipeline.assets.reconcile import reconcile_day
from recon_pipeline.checks import offending_rows
from recon_pipeline.contracts import load_contracts
from recon_pipeline.resources.accounts import AccountsResource
from recon_pipeline.resources.contracts import ContractsResource
from recon_pipeline.resources.policy import PolicyResource
from recon_pipeline.resources.warehouse import WarehouseResource
from recon_pipeline.scope import JournalScope, journal_scope

FIRST = dt.date(2026, 10, 1)
DAYS = [FIRST + dt.timedelta(days=n) for n in range(4)]
AMOUNTS = [500, 1000, 1500, 2000]
KANA = {1: "ヤマダ タロウ", 2: "スズキ ハナコ", 3: "タナカ イチロウ"}
METHODS = ["BANK_TRANSFER", "CARD", "KONBINI"]
EXAMPLES = int(os.environ.get("RECON_INCREMENTAL_EXAMPLES", "40"))
HISTORY_TABLES = [table.history for table in versions.RECONCILE_TABLES]
ACCOUNTS = AccountsResource().load().parameter()


def day_of(draw) -> int:
    return draw(st.integers(0, len(DAYS) - 1))


@st.composite
def histories(draw):
    events, lines, dispositions = [], [], []
    orders = draw(st.integers(1, 8))
    for number in range(orders):
        order_id = f"ORD-{number:03d}"
        customer = draw(st.integers(1, 3))
        method = draw(st.sampled_from(METHODS))
        amount = draw(st.sampled_from(AMOUNTS))
        shipped = day_of(draw)
        ref = {"BANK_TRANSFER": f"{customer:07d}", "KONBINI": f"S{number:03d}"}.get(method)
        base = {
            "order_id": order_id,
            "customer_id": f"C{customer}",
            "customer_kana": KANA[customer],
            "payment_method": method,
            "payment_ref": ref,
            "tracking_no": None,
            "due_date": DAYS[shipped] + dt.timedelta(days=draw(st.integers(-3, 3))),
            "coupon_discount": 0,
            "points_used": 0,
        }
        events.append(
            base
            | {
                "event_id": f"{order_id}-SHIP",
                "event_type": "SHIP",
                "event_date": DAYS[shipped] - dt.timedelta(days=draw(st.integers(0, 2))),
                "expected_delta": amount,
                "partition_date": DAYS[shipped],
            }
        )
        if draw(st.integers(0, 3)) == 0:
            cancelled = draw(st.integers(shipped, len(DAYS) - 1))
            events.append(
                base
                | {
                    "event_id": f"{order_id}-CANCEL",
                    "event_type": "CANCEL",
                    "event_date": DAYS[cancelled],
                    "expected_delta": -draw(st.sampled_from([amount // 2, amount])),
                    "partition_date": DAYS[draw(st.integers(0, cancelled))],
                }
            )
    for number in range(draw(st.integers(0, 10))):
        arrived = day_of(draw)
        paid = DAYS[arrived] - dt.timedelta(days=draw(st.integers(0, 2)))
        kind = draw(st.sampled_from(["card", "bank", "bank_no_number", "konbini"]))
        line = {
            "settlement_line_id": f"{kind}:{number:03d}",
            "source": kind.split("_")[0],
            "fee_amount": 0,
            "paid_date": paid,
            "version_rank": 1,
            "payer_name": None,
            "partition_date": DAYS[arrived],
        }
        if kind == "card":
            gross = draw(st.sampled_from([*AMOUNTS, -500, -1000]))
            lines.append(
                line
                | {
                    "payment_method": "CARD",
                    "match_key": f"ORD-{draw(st.integers(0, 9)):03d}",
                    "gross_amount": gross,
                    "line_type": "CHARGE" if gross > 0 else "REFUND",
                }
            )
        elif kind.startswith("bank"):
            customer = draw(st.integers(1, 4))
            lines.append(
                line
                | {
                    "payment_method": "BANK_TRANSFER",
                    "match_key": f"{customer:07d}" if kind == "bank" else None,
                    "payer_name": KANA.get(customer, "サトウ ジロウ"),
                    "gross_amount": draw(st.sampled_from([*AMOUNTS, 2500, 3000, 4500])),
                    "line_type": "PAYMENT",
                }
            )
        else:
            prelim = line | {
                "payment_method": "KONBINI",
                "match_key": f"S{draw(st.integers(0, 9)):03d}",
                "gross_amount": draw(st.sampled_from(AMOUNTS)),
                "line_type": "KONBINI_PRELIM",
            }
            lines.append(prelim)
            follow = draw(st.sampled_from([None, "KONBINI_CONFIRMED", "KONBINI_CANCEL"]))
            if follow:
                later = draw(st.integers(arrived, len(DAYS) - 1))
                lines.append(
                    prelim
                    | {
                        "line_type": follow,
                        "version_rank": 3 if follow == "KONBINI_CONFIRMED" else 2,
                        "partition_date": DAYS[later],
                    }
                )
                if follow == "KONBINI_CONFIRMED":  # the agent's 振込日: that day, later, none
                    remitted = draw(st.sampled_from([0, 1, 1, 2, None]))
                    lines[-1]["transfer_on"] = (
                        "0"
                        if remitted is None
                        else (DAYS[later] + dt.timedelta(days=remitted)).strftime("%Y%m%d")
                    )
    line_ids = sorted({line["settlement_line_id"] for line in lines}) or ["card:999"]
    order_ids = [f"ORD-{n:03d}" for n in range(orders + 1)]
    for number in range(draw(st.integers(0, 4))):
        action = draw(
            st.sampled_from(
                ["MANUAL_MATCH", "IGNORE", "WRITE_OFF", "DISPUTE", "RELEASE", "REFUNDED"]
            )
        )
        on_line = action in ("MANUAL_MATCH", "IGNORE", "REFUNDED")
        on_receivable = action in ("MANUAL_MATCH", "WRITE_OFF", "DISPUTE", "RELEASE")
        decided = day_of(draw)
        dispositions.append(
            {
                "disposition_id": f"D{number}",
                "action": action,
                "receivable_id": draw(st.sampled_from(order_ids)) if on_receivable else None,
                "settlement_line_id": draw(st.sampled_from(line_ids)) if on_line else None,
                "amount": None,
                "note": None,
                "decided_by": "test",
                "decided_at": DAYS[decided],
                "partition_date": DAYS[draw(st.integers(0, decided))],
            }
        )
    return events, lines, dispositions


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with its tables, policy and raw tables and no rows, made once a module:
    every example copies it rather than creating every table again."""
    return _empty(tmp_path_factory.mktemp("incremental") / "empty.duckdb")


def _empty(path: Path) -> Path:
    with WarehouseResource(database=str(path)).connect() as con:
        PolicyResource().write_tables(con)
        ContractsResource().ensure_raw_tables(con)
    return path


def load(path: Path, events, lines, dispositions, empty: Path | None = None) -> WarehouseResource:
    """A new warehouse file (hypothesis reuses ``tmp_path`` across examples): a copy of
    ``empty`` when given, else made here."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if empty:
        shutil.copyfile(empty, path)
    else:
        _empty(path)
    warehouse = WarehouseResource(database=str(path))
    provenance = {"source": "test", "path": "p"}
    # a konbini 確報's 振込日 is read from its raw row (the journal books the remittance)
    remitted = [
        {
            "partition_date": row["partition_date"],
            "path": "p",
            "line_no": n + 2,
            "transfer_on": row["transfer_on"],
        }
        for n, row in enumerate(lines)
        if "transfer_on" in row
    ]
    lines = [{k: v for k, v in row.items() if k != "transfer_on"} for row in lines]
    with warehouse.connect() as con:
        if remitted:
            frame = pd.DataFrame(remitted)
            con.execute("INSERT INTO raw.konbini BY NAME SELECT * FROM frame")
        for table, rows in (
            ("staging.receivable_events", events),
            ("staging.settlement_lines", lines),
            ("staging.dispositions", dispositions),
        ):
            if rows:
                frame = pd.DataFrame(  # noqa: F841 - read by DuckDB
                    [row | provenance | {"line_no": n + 2} for n, row in enumerate(rows)]
                )
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")
    return warehouse


def reconcile(con: duckdb.DuckDBPyConnection, day: dt.date) -> None:
    """One day as the reconcile asset does it."""
    con.begin()
    reconcile_day(con, day)
    con.commit()


def book(con: duckdb.DuckDBPyConnection, day: dt.date) -> list[tuple]:
    """The day's journal as the journal asset books it; returns its lines."""
    con.begin()
    journal_day(con, day, ACCOUNTS)
    con.commit()
    return con.execute(
        "SELECT * EXCLUDE (file_name, sent_at) FROM marts.journal_lines "
        "WHERE partition_date = $d ORDER BY ALL",
        {"d": day},
    ).fetchall()


def state(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, list]:
    return {
        table.view: con.execute(
            f"SELECT * EXCLUDE (as_of) FROM {table.view} WHERE as_of = $d ORDER BY ALL",
            {"d": day},
        ).fetchall()
        for table in versions.RECONCILE_TABLES
    }


def history(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    return {
        name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
        for name in [*HISTORY_TABLES, "marts.snapshot_days", "audit.reconcile_scope"]
    }


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=histories(), rerun=st.sampled_from(DAYS))
def test_each_day_equals_a_reconcile_from_nothing(world, rerun, tmp_path, empty):
    incremental = load(tmp_path / "incremental.duckdb", *world, empty=empty)
    shutil.copyfile(tmp_path / "incremental.duckdb", tmp_path / "from_nothing.duckdb")
    from_nothing = WarehouseResource(database=str(tmp_path / "from_nothing.duckdb"))
    contracts = load_contracts()
    with incremental.connect() as con, from_nothing.connect() as reference:
        for day in DAYS:
            reconcile(con, day)
            for table in [*HISTORY_TABLES, "marts.snapshot_days", "audit.reconcile_scope"]:
                reference.execute(f"DELETE FROM {table}")
            reconcile(reference, day)
            ours, theirs = state(con, day), state(reference, day)
            for view, rows in theirs.items():
                assert ours[view] == rows, f"{view} as of {day}"
            for check in ("balance", "conservation"):
                assert offending_rows(con, f"checks/{check}", day, contracts).empty, check
            # the journal books only what the day's scope can have changed; the reference,
            # reconciled from nothing, compares every key: the same lines
            assert book(con, day) == book(reference, day), f"journal of {day}"
        links = con.execute(
            "SELECT as_of, receivable_id, settlement_line_id, count(*) FROM marts.matches "
            "GROUP BY ALL HAVING count(*) > 1"
        ).fetchall()
        assert links == []
        before, booked = history(con), book(con, DAYS[-1])
        reconcile(con, rerun)
        assert history(con) == before
        assert book(con, DAYS[-1]) == booked


def two_card_orders() -> list[dict]:
    """ORD-A (customer C1) and ORD-B (C2), ¥1,000 by card each, shipped on the first day."""
    base = {
        "customer_kana": "ヤマダ タロウ",
        "payment_method": "CARD",
        "payment_ref": None,
        "tracking_no": None,
        "due_date": None,
        "coupon_discount": 0,
        "points_used": 0,
        "event_type": "SHIP",
        "event_date": DAYS[0],
        "expected_delta": 1000,
        "partition_date": DAYS[0],
    }
    return [
        base | {"event_id": "A", "order_id": "ORD-A", "customer_id": "C1"},
        base | {"event_id": "B", "order_id": "ORD-B", "customer_id": "C2"},
    ]


def test_a_day_recomputes_what_it_touches_and_stores_what_changed(tmp_path, empty):
    """Two card orders on day one; day two brings the payment of one: the other order is
    neither recomputed nor given a new version."""
    events = two_card_orders()
    payment = {
        "settlement_line_id": "card:1",
        "source": "card",
        "payment_method": "CARD",
        "match_key": "ORD-A",
        "gross_amount": 1000,
        "fee_amount": 30,
        "paid_date": DAYS[1],
        "line_type": "CHARGE",
        "version_rank": 1,
        "payer_name": None,
        "partition_date": DAYS[1],
    }
    warehouse = load(tmp_path / "w.duckdb", events, [payment], [], empty)
    with warehouse.connect() as con:
        reconcile(con, DAYS[0])
        reconcile(con, DAYS[1])
        scope = con.execute(
            "SELECT side, item_id FROM audit.reconcile_scope WHERE as_of = $d ORDER BY ALL",
            {"d": DAYS[1]},
        ).fetchall()
        assert scope == [("RECEIVABLE", "ORD-A"), ("SETTLEMENT", "card:1")]
        assert con.execute(
            "SELECT receivable_id, valid_from, valid_to FROM marts.receivables_history ORDER BY ALL"
        ).fetchall() == [
            ("ORD-A", DAYS[0], DAYS[1]),
            ("ORD-A", DAYS[1], versions.CURRENT),
            ("ORD-B", DAYS[0], versions.CURRENT),
        ]
        assert con.execute(
            "SELECT as_of, receivable_id, status, outstanding_amount FROM marts.receivables "
            "ORDER BY ALL"
        ).fetchall() == [
            (DAYS[0], "ORD-A", "UNPAID", 1000),
            (DAYS[0], "ORD-B", "UNPAID", 1000),
            (DAYS[1], "ORD-A", "PAID", 0),
            (DAYS[1], "ORD-B", "UNPAID", 1000),
        ]


def test_a_changed_policy_recomputes_everything_over_the_kept_history(tmp_path, empty):
    """New settlement lags move provider due dates: the next day is reconciled from nothing
    (no scope rows, every item compared with its version in force) and equals a warehouse
    that never had the old policy."""
    events = two_card_orders()
    warehouse = load(tmp_path / "w.duckdb", events, [], [], empty)
    with warehouse.connect() as con:
        reconcile(con, DAYS[0])
        reconcile(con, DAYS[1])
        con.execute(
            "UPDATE config.collections SET settlement_lag_days = 3 WHERE payment_method = 'CARD'"
        )
        con.execute("CHECKPOINT")
        shutil.copyfile(tmp_path / "w.duckdb", tmp_path / "reference.duckdb")
        con.begin()
        scope, _ = reconcile_day(con, DAYS[1])
        con.commit()
        assert scope.since is None and scope.receivables == 2
        assert con.execute(
            "SELECT count(*) FROM audit.reconcile_scope WHERE as_of = $d", {"d": DAYS[1]}
        ).fetchone() == (0,)
        ours = state(con, DAYS[1])
        assert {
            row[0]: row[-1]
            for row in con.execute(
                "SELECT receivable_id, due_date FROM marts.receivables WHERE as_of = $d",
                {"d": DAYS[1]},
            ).fetchall()
        } == {"ORD-A": DAYS[0] + dt.timedelta(days=3), "ORD-B": DAYS[0] + dt.timedelta(days=3)}
    reference = WarehouseResource(database=str(tmp_path / "reference.duckdb"))
    with reference.connect() as con:
        for table in [*HISTORY_TABLES, "marts.snapshot_days", "audit.reconcile_scope"]:
            con.execute(f"DELETE FROM {table}")
        reconcile(con, DAYS[1])
        assert state(con, DAYS[1]) == ours


def test_a_konbini_remittance_is_booked_on_its_transfer_day_when_nothing_else_changed(
    tmp_path, empty
):
    """A konbini 確報 on day two names 振込日 day four: nothing is delivered on day four, so
    the reconcile scope of that day is empty, and still the day books the remittance (普通預金 /
    未収入金) — the journal's scope takes the collections whose 振込日 came since it last
    booked."""
    order = two_card_orders()[0] | {"payment_method": "KONBINI", "payment_ref": "S1"}
    prelim = {
        "settlement_line_id": "konbini:1",
        "source": "konbini",
        "payment_method": "KONBINI",
        "match_key": "S1",
        "gross_amount": 1000,
        "fee_amount": 0,
        "paid_date": DAYS[0],
        "line_type": "KONBINI_PRELIM",
        "version_rank": 1,
        "payer_name": None,
        "partition_date": DAYS[0],
    }
    confirmed = prelim | {
        "line_type": "KONBINI_CONFIRMED",
        "version_rank": 3,
        "partition_date": DAYS[1],
        "transfer_on": DAYS[3].strftime("%Y%m%d"),
    }
    warehouse = load(tmp_path / "w.duckdb", [order], [prelim, confirmed], [], empty)
    with warehouse.connect() as con:
        booked = {}
        for day in DAYS:
            reconcile(con, day)
            booked[day] = [(line[3], line[19]) for line in book(con, day)]
        assert con.execute(
            "SELECT count(*) FROM audit.reconcile_scope WHERE as_of = $d", {"d": DAYS[3]}
        ).fetchone() == (0,)
    assert booked == {
        DAYS[0]: [("SALE", None), ("RECEIPT", "konbini:1")],
        DAYS[1]: [],
        DAYS[2]: [],
        DAYS[3]: [("KONBINI_REMITTANCE", "konbini:1")],
    }


def test_the_journal_compares_every_key_unless_the_write_log_vouches_for_its_scope(tmp_path, empty):
    """Each day's journal takes the scope of the days reconciled since it last booked; every
    key when nothing was booked before, when a day was reconciled from nothing, or when an
    earlier day was booked again after a later one."""
    warehouse = load(tmp_path / "w.duckdb", two_card_orders(), [], [], empty)
    with warehouse.connect() as con:
        assert journal_scope(con, DAYS[0]).everything
        reconcile(con, DAYS[0])
        book(con, DAYS[0])
        reconcile(con, DAYS[1])
        assert journal_scope(con, DAYS[1]) == JournalScope(False, DAYS[0], (DAYS[1],))
        book(con, DAYS[1])
        reconcile(con, DAYS[2])
        reconcile(con, DAYS[1])  # reconciled again after the journal booked it
        assert journal_scope(con, DAYS[2]) == JournalScope(False, DAYS[1], (DAYS[1], DAYS[2]))
        book(con, DAYS[0])  # an earlier day booked again after a later one
        assert journal_scope(con, DAYS[2]).everything
        book(con, DAYS[1])
        assert not journal_scope(con, DAYS[2]).everything
        con.execute(
            "UPDATE config.collections SET settlement_lag_days = 3 WHERE payment_method = 'CARD'"
        )
        reconcile(con, DAYS[2])  # from nothing: the policy changed
        assert journal_scope(con, DAYS[2]).everything
