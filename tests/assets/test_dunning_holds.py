"""Never dun on doubt: a bank-transfer row that lands in quarantine holds the dunning of the
customer whose number it carries (PAYMENT_IN_QUARANTINE) until the bank re-delivers it
corrected — then it matches and the receivable is paid, never dunned — or until the policy's
hold runs out, when dunning resumes and the hold is listed as expired."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import duckdb
import pytest

from recon_pipeline.cli import run_days
from recon_pipeline.policy import DEFAULT_POLICY
from recon_pipeline.settings import load_settings
from tests import landing as lz

DAY, LAST = "2026-10-01", "2026-10-13"
DUE = "2026-10-03"
"""REMINDER_1 comes 7 days past due: on 10-10."""
BROKEN = "081399"
"""An impossible 和暦 date: the row is quarantined, the rest of its file loads."""


def bank_order(event: str, order: str, customer: int, amount: int) -> list[object]:
    return lz.ship(
        event,
        order,
        DAY,
        "BANK_TRANSFER",
        amount,
        customer=f"C{customer:06d}",
        payment_ref=f"{customer:07d}",
        due=DUE,
    )


def notice(root: Path, day: str, name: str, transfers: list[tuple[int, int, str, str]]) -> None:
    """A Zengin file of ``(reference, amount, payer, account date)`` transfers."""
    data = [lz.zengin_data(ref, amount, payer, date=on) for ref, amount, payer, on in transfers]
    total = sum(amount for _, amount, _, _ in transfers)
    records = [lz.zengin_header(), *data, lz.zengin_trailer(len(data), total), lz.ZENGIN_END]
    lz.write(root, "bank", day, name, lz.zengin_file(records))


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Three customers, each owing 3,000 by transfer, due 10-03. On 10-10 the bank's notice
    carries payments of customers 1 and 2 with an impossible date: both rows are quarantined.
    Customer 1's is re-delivered corrected on 10-12; customer 2's never is. Customer 3 never
    pays. The policy holds a quarantined payment for 2 days."""
    root = tmp_path_factory.mktemp("holds")
    policy = root / "policy.yaml"
    policy.write_text(
        DEFAULT_POLICY.read_text(encoding="utf-8").replace(
            "quarantine_hold_days: 7", "quarantine_hold_days: 2"
        ),
        encoding="utf-8",
    )
    settings = load_settings(
        {"RECON_HOME": str(root / "home"), "RECON_DUNNING_POLICY": str(policy)}
    )
    lz.shipments(
        settings.landing_dir,
        DAY,
        [bank_order(f"E{n}", f"ORD-{n}", n, 3000) for n in (1, 2, 3)],
    )
    notice(
        settings.landing_dir,
        "2026-10-10",
        "furikomi_20261010.txt",
        [(1, 3000, "0000001ﾔﾏﾀﾞ ﾀﾛｳ", BROKEN), (2, 3000, "ｻﾄｳ ﾊﾅｺ 0000002", BROKEN)],
    )
    notice(
        settings.landing_dir,
        "2026-10-12",
        "furikomi_20261010_corrected.txt",
        [(1, 3000, "0000001ﾔﾏﾀﾞ ﾀﾛｳ", "081009")],
    )
    lz.deliver_daily(settings.landing_dir, "2026-10-02", LAST, ("bank",))
    return root, settings


@pytest.fixture(scope="module")
def ran(home):
    """The days run as `recon run` runs them; its printed summary kept."""
    root, settings = home
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(root / "dagster"))
        code = run_days(settings, dt.date.fromisoformat(DAY), dt.date.fromisoformat(LAST), out=out)
    assert code == 0, out.getvalue()
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield con, out.getvalue()
    con.close()


def holds(con, day: str) -> list[tuple]:
    return con.execute(
        "SELECT receivable_id, status, exclusion_reason, line_no, hold_ends_on::VARCHAR "
        "FROM marts.dunning_holds WHERE as_of = $d ORDER BY ALL",
        {"d": day},
    ).fetchall()


def dunned(con, day: str) -> list[str]:
    return [
        r
        for (r,) in con.execute(
            "SELECT receivable_id FROM marts.dunning_candidates WHERE as_of = $d ORDER BY 1",
            {"d": day},
        ).fetchall()
    ]


def test_the_quarantined_rows_carry_the_customer_numbers_they_name(ran):
    con, _ = ran
    rows = con.execute(
        "SELECT line_no, payment_key, payment_key_kind FROM quarantine.rejected_rows "
        "WHERE partition_date = '2026-10-10' ORDER BY line_no"
    ).fetchall()
    assert rows == [(2, "0000001", "customer_number"), (3, "0000002", "customer_number")]


def test_customers_whose_payment_is_in_quarantine_are_not_dunned(ran):
    con, out = ran
    assert dunned(con, "2026-10-10") == ["ORD-3"], "only the customer with nothing in doubt"
    assert holds(con, "2026-10-10") == [
        ("ORD-1", "HELD", "PAYMENT_IN_QUARANTINE", 2, "2026-10-12"),
        ("ORD-2", "HELD", "PAYMENT_IN_QUARANTINE", 3, "2026-10-12"),
    ]
    day = next(line for line in out.splitlines() if line.startswith("2026-10-10"))
    after = out.splitlines()[out.splitlines().index(day) + 1 :]
    assert any("not dunned: 2 receivable(s)" in line for line in after[:3]), out


def test_the_corrected_redelivery_releases_the_hold_and_pays(ran):
    con, _ = ran
    assert holds(con, "2026-10-11") == [
        ("ORD-1", "HELD", "PAYMENT_IN_QUARANTINE", 2, "2026-10-12"),
        ("ORD-2", "HELD", "PAYMENT_IN_QUARANTINE", 3, "2026-10-12"),
    ]
    status = con.execute(
        "SELECT status, outstanding_amount FROM marts.receivables "
        "WHERE as_of = '2026-10-12' AND receivable_id = 'ORD-1'"
    ).fetchone()
    assert status == ("PAID", 0)
    ever_dunned = con.execute(
        "SELECT count(*) FROM marts.dunning_candidates WHERE receivable_id = 'ORD-1'"
    ).fetchone()
    assert ever_dunned == (0,)


def test_an_unresolved_hold_expires_and_dunning_resumes(ran):
    con, _ = ran
    assert holds(con, "2026-10-12") == [
        ("ORD-2", "EXPIRED", "PAYMENT_IN_QUARANTINE", 3, "2026-10-12")
    ]
    assert dunned(con, "2026-10-12") == ["ORD-2"]
    assert holds(con, "2026-10-13") == []
