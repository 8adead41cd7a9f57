"""Collections marts through the real daily job: provider follow-ups (what to chase with the
card gateway, the mall, COD and BNPL providers), the customer payment profile with its R/F/M
scores, and the aging chart in the aging materialization's metadata."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from recon_pipeline.assets.marts import AGING, CUSTOMER_PROFILE
from recon_pipeline.settings import Settings, load_settings
from tests import landing as lz
from tests.conftest import run_range

FAST_STAGES = """
stages:
  - {stage: REMINDER_1, min_days_past_due: 1, slip_action: REISSUE_SLIP, letter_action: LETTER,
     form_type: REMINDER, new_due_days: 14}
  - {stage: REMINDER_2, min_days_since_previous: 1, slip_action: REISSUE_SLIP,
     letter_action: LETTER, form_type: REMINDER_RED, new_due_days: 10}
  - {stage: FINAL_NOTICE, min_days_since_previous: 1, slip_action: FINAL_NOTICE,
     letter_action: FINAL_NOTICE}
  - {stage: COLLECTION_AGENCY, min_days_since_previous: 1, slip_action: COLLECTION_AGENCY,
     letter_action: COLLECTION_AGENCY, blacklist: true}
  - {stage: WRITE_OFF_CANDIDATE, min_days_past_due: 365, slip_action: WRITE_OFF_CANDIDATE,
     letter_action: WRITE_OFF_CANDIDATE}
"""


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The default settlement lags (CARD 7, MALL 14, COD 10, BNPL 30; a test may pass its
    own CARD lag) with dunning that moves one stage a day from 1 day past due, so a customer
    reaches COLLECTION_AGENCY (blacklisted) within a few partitions."""
    card_lag = getattr(request, "param", 7)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "minimum_amount: 1\n"
        "dunned_methods: [KONBINI, BANK_TRANSFER]\n"
        f"settlement_lag_days: {{CARD: {card_lag}, MALL: 14, COD: 10, BNPL: 30}}\n" + FAST_STAGES,
        encoding="utf-8",
    )
    return load_settings(
        {"RECON_HOME": str(tmp_path / "home"), "RECON_DUNNING_POLICY": str(policy)}
    )


def at(day: str) -> str:
    """A card ``created`` timestamp on ``day``."""
    return f"{day}T10:00:00+09:00"


def rows(con, query: str, day: str) -> list[tuple]:
    return con.execute(query, {"d": day}).fetchall()


# --- provider follow-ups --------------------------------------------------------------------


def write_provider_landing(landing: Path) -> None:
    """Orders shipped 2026-10-01, looked at as of 2026-10-13 (CARD due 10-08, COD 10-11)."""
    day = "2026-10-01"
    lz.shipments(
        landing,
        day,
        [
            lz.ship("E1", "ORD-0000001", day, "CARD", 5000),  # never settled
            lz.ship("E2", "ORD-0000002", day, "CARD", 5000),  # settled in full
            lz.ship("E3", "ORD-0000003", day, "CARD", 5000),  # settled short
            lz.ship("E4", "ORD-0000004", day, "CARD", 5000),  # charged back
            lz.ship("E5", "ORD-0000005", day, "COD", 3000, tracking="400000000005"),
            lz.ship(
                "E6",
                "ORD-0000006",
                day,
                "KONBINI",
                3000,
                payment_ref=lz.slip_ref(6),
                due="2026-10-05",
            ),
        ],
    )
    lz.card(
        landing,
        day,
        [
            lz.charge("txn_2", "ORD-0000002", 5000, created=at(day)),
            lz.charge("txn_3", "ORD-0000003", 4000, created=at(day)),
            lz.charge("txn_4", "ORD-0000004", 5000, created=at(day)),
        ],
    )
    lz.card(
        landing,
        "2026-10-03",
        [lz.charge("txn_4d", "ORD-0000004", -5000, category="dispute", created=at("2026-10-03"))],
    )
    lz.deliver_daily(landing, day, "2026-10-22", ("card",))


def assert_png_chart(instance: dg.DagsterInstance) -> None:
    """The last aging materialization carries its chart as a base64 PNG markdown image."""
    event = instance.get_latest_materialization_event(AGING)
    assert event is not None and event.asset_materialization is not None
    chart = event.asset_materialization.metadata["aging_chart"].value
    prefix = "![aging](data:image/png;base64,"
    assert chart.startswith(prefix) and chart.endswith(")")
    png = base64.b64decode(chart[len(prefix) : -1])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) < 60_000  # a small chart, not a poster


def test_unsettled_provider_receivables_are_followed_up_not_dunned(
    landing, run_days, warehouse, instance
):
    """Also checks the aging chart of the same run (one landing zone, fewer Dagster runs)."""
    write_provider_landing(landing)
    for day in ("2026-10-01", "2026-10-03", "2026-10-13"):  # the days with files, and today
        run_days(day)
    with warehouse() as con:
        followups = {
            r[0]: r[1:]
            for r in rows(
                con,
                "SELECT receivable_id, payment_method, source, outstanding_amount, days_past_due,"
                " expected_settlement_date, status, followup_reason "
                "FROM marts.provider_followups WHERE as_of = $d",
                "2026-10-13",
            )
        }
        dunned = {
            r[0]
            for r in con.execute("SELECT receivable_id FROM marts.dunning_candidates").fetchall()
        }
        before_due = rows(
            con, "SELECT receivable_id FROM marts.provider_followups WHERE as_of = $d", "2026-10-03"
        )
    oct8, oct11 = dt.date(2026, 10, 8), dt.date(2026, 10, 11)
    assert followups == {
        # shipped 10-01 + CARD lag 7 = 10-08: 5 days past due on 10-13
        "ORD-0000001": ("CARD", "card", 5000, 5, oct8, "UNPAID", "NOT_SETTLED"),
        "ORD-0000003": ("CARD", "card", 1000, 5, oct8, "PARTIALLY_PAID", "SHORT_SETTLED"),
        # a chargeback is worked with the card provider: kept, with its status
        "ORD-0000004": ("CARD", "card", 5000, 5, oct8, "IN_DISPUTE", "CHARGEBACK"),
        # COD lag 10: due 10-11
        "ORD-0000005": ("COD", "cod", 3000, 2, oct11, "UNPAID", "NOT_SETTLED"),
    }
    # the paid card order is not followed up; the unpaid konbini slip is dunned, not followed up
    assert "ORD-0000002" not in followups and "ORD-0000006" not in followups
    assert dunned == {"ORD-0000006"}
    # before the expected settlement date nothing is overdue
    assert before_due == []
    assert_png_chart(instance)


@pytest.mark.parametrize("settings", [20], indirect=True)
def test_settlement_lag_comes_from_the_policy(landing, run_days, warehouse):
    write_provider_landing(landing)
    run_days("2026-10-01")
    run_days("2026-10-22")
    with warehouse() as con:
        followups = dict(
            rows(
                con,
                "SELECT receivable_id, days_past_due FROM marts.provider_followups "
                "WHERE as_of = $d AND payment_method = 'CARD'",
                "2026-10-22",
            )
        )
    # CARD lag 20: due 10-21, one day past due on 10-22 (with lag 7 it would be 14); the
    # chargeback file of 10-03 is not run here, so ORD-0000004 is paid
    assert followups == {"ORD-0000001": 1, "ORD-0000003": 1}


# --- customer payment profile ----------------------------------------------------------------

# Hand computation, as of 2026-10-06 (runs 10-01 … 10-06; dunning one stage a day from one
# day past due; on time = fully paid by the due date, the payment date being the day the
# matched payments first add up to the expected amount).
#
# C000001, good card payer:
#   A1 CARD 30,000 shipped 08-01 (due 08-08) paid 08-03 → on time
#   A2 CARD 40,000 shipped 09-20 (due 09-27) paid 09-21 → on time
#   A3 CARD 35,000 shipped 10-01 (due 10-08) paid 10-01 → not due yet, not judged
#   A4 CARD  9,000 shipped 10-01, cancelled 10-02       → CANCELLED, not an order
#   orders 3, billed 105,000, outstanding 0, judged 2, on time 2 → rate 1.0, avg late 0.0
#   recency 10-06 − 10-01 = 5 ≤ 30 → R5; 3 orders ≥ 3 → F3; 105,000 ≥ 100,000 → M5
# C000002, late konbini payer:
#   B1 KONBINI 12,000 due 09-10 paid 09-16 → 6 days late
#   B2 KONBINI 12,000 due 09-20 paid 09-20 → on time
#   B3 KONBINI 12,000 due 10-04 unpaid → 2 days past due; dunned stage 1 on 10-05, 2 on 10-06
#   orders 3, billed 36,000, outstanding 12,000, judged 3, on time 1 → rate 1/3,
#   avg late (6 + 2) / 2 = 4.0; times dunned 2, max stage 2
#   raw: last order 09-28, 8 days → R5; 3 orders → F3; 36,000 ≥ 20,000 → M3
#   rate < 0.5 (and stage ≥ 2) → LATE_PAYER: F, M capped at 2 → R5 F2 M2
# C000003, blacklisted:
#   C1 KONBINI 20,000 due 09-30 unpaid → 6 days past due; stages 1..4 on 10-01..10-04
#   C2 CARD 8,000 shipped 10-02 paid 10-02 → not due yet
#   orders 2, billed 28,000, outstanding 20,000, judged 1, on time 0 → rate 0.0, avg 6.0
#   times dunned 4, max stage 4 (COLLECTION_AGENCY, blacklist) → R1 F1 M1
# C000004, one old order paid twice:
#   D1 CARD 5,000 shipped 05-01 (due 05-08) charged 05-02 and again 05-20 → settled 05-02,
#   on time (the later double payment does not make it late); overpaid, outstanding 0
#   orders 1, billed 5,000, rate 1.0, avg 0.0; 158 days ≤ 180 → R2; 1 order → F1;
#   5,000 ≥ 5,000 → M2
PROFILE_EXPECTED = {
    # customer: (orders, billed, outstanding, on_time_rate, avg_days_late, times_dunned,
    #            max_stage, blacklisted, r, f, m, penalty)
    "C000001": (3, 105000, 0, 1.0, 0.0, 0, 0, False, 5, 3, 5, None),
    "C000002": (3, 36000, 12000, 1 / 3, 4.0, 2, 2, False, 5, 2, 2, "LATE_PAYER"),
    "C000003": (2, 28000, 20000, 0.0, 6.0, 4, 4, True, 1, 1, 1, "BLACKLISTED"),
    "C000004": (1, 5000, 0, 1.0, 0.0, 0, 0, False, 2, 1, 2, None),
}


def write_profile_landing(landing: Path) -> None:
    day = "2026-10-01"
    slip = {n: lz.slip_ref(n) for n in (21, 22, 23, 31)}

    def konbini(event: str, order: int, shipped: str, due: str, customer: str, amount: int):
        return lz.ship(
            event,
            f"ORD-00000{order}",
            shipped,
            "KONBINI",
            amount,
            customer=customer,
            payment_ref=slip[order],
            due=due,
        )

    lz.shipments(
        landing,
        day,
        [
            lz.ship("A1", "ORD-0000011", "2026-08-01", "CARD", 30000, customer="C000001"),
            lz.ship("A2", "ORD-0000012", "2026-09-20", "CARD", 40000, customer="C000001"),
            lz.ship("A3", "ORD-0000013", day, "CARD", 35000, customer="C000001"),
            lz.ship("A4", "ORD-0000014", day, "CARD", 9000, customer="C000001"),
            konbini("B1", 21, "2026-09-01", "2026-09-10", "C000002", 12000),
            konbini("B2", 22, "2026-09-10", "2026-09-20", "C000002", 12000),
            konbini("B3", 23, "2026-09-28", "2026-10-04", "C000002", 12000),
            konbini("C1", 31, "2026-09-20", "2026-09-30", "C000003", 20000),
            lz.ship("D1", "ORD-0000041", "2026-05-01", "CARD", 5000, customer="C000004"),
        ],
    )
    lz.card(
        landing,
        day,
        [
            lz.charge("txn_11", "ORD-0000011", 30000, created=at("2026-08-03")),
            lz.charge("txn_12", "ORD-0000012", 40000, created=at("2026-09-21")),
            lz.charge("txn_13", "ORD-0000013", 35000, created=at(day)),
            lz.charge("txn_41a", "ORD-0000041", 5000, created=at("2026-05-02")),
            lz.charge("txn_41b", "ORD-0000041", 5000, created=at("2026-05-20")),
        ],
    )
    lz.konbini_file(
        landing,
        day,
        [
            lz.collection("02", slip[21], 12000, "20260916", due=dt.date(2026, 9, 10)),
            lz.collection("02", slip[22], 12000, "20260920", due=dt.date(2026, 9, 20)),
        ],
    )
    lz.shipments(
        landing,
        "2026-10-02",
        [
            lz.ship("A4C", "ORD-0000014", "2026-10-02", "CARD", 9000, event_type="CANCEL"),
            lz.ship("C2", "ORD-0000032", "2026-10-02", "CARD", 8000, customer="C000003"),
        ],
    )
    lz.card(
        landing,
        "2026-10-02",
        [lz.charge("txn_32", "ORD-0000032", 8000, created=at("2026-10-02"))],
    )
    lz.deliver_daily(landing, day, "2026-10-06", ("card", "konbini"))


def test_customer_profile_matches_the_hand_computation(settings, landing, warehouse, instance):
    """Also checks the figures of the last materialization against the view."""
    write_profile_landing(landing)
    # one single-run backfill: each asset walks the days in order (the tables of the days one
    # by one, tests/assets/test_backfill.py); the last day's materialization comes last
    run_range(settings, instance, "2026-10-01", "2026-10-06")
    with warehouse() as con:
        profile = {
            r[0]: r[1:]
            for r in rows(
                con,
                "SELECT customer_id, orders, billed_amount, outstanding_amount, on_time_rate, "
                "avg_days_late, times_dunned, max_stage, blacklisted, r_score, f_score, "
                "m_score, score_penalty FROM marts.customer_profile WHERE as_of = $d",
                "2026-10-06",
            )
        }
        detail = dict(
            rows(
                con,
                "SELECT customer_id, (paid_orders, late_orders, due_orders, highest_stage, "
                "last_order_on, days_since_last_order) FROM marts.customer_profile "
                "WHERE as_of = $d",
                "2026-10-06",
            )
        )
        first_day = rows(
            con,
            "SELECT customer_id, on_time_rate, avg_days_late, times_dunned "
            "FROM marts.customer_profile WHERE as_of = $d ORDER BY customer_id",
            "2026-10-01",
        )
        [view_figures] = rows(
            con,
            "SELECT count(*), count(*) FILTER (WHERE blacklisted), "
            "count(*) FILTER (WHERE late_orders > 0), sum(on_time_orders) / sum(due_orders) "
            "FROM marts.customer_profile WHERE as_of = $d",
            "2026-10-06",
        )
        worst_payers = con.execute(
            "SELECT customer_id, orders, outstanding_amount, on_time_rate, avg_days_late, "
            "max_stage, blacklisted, r_score, f_score, m_score FROM marts.customer_profile "
            "WHERE as_of = $d AND (late_orders > 0 OR blacklisted) "
            "ORDER BY outstanding_amount DESC, customer_id LIMIT 10",
            {"d": dt.date(2026, 10, 6)},
        ).df()
    event = instance.get_latest_materialization_event(CUSTOMER_PROFILE)
    assert event is not None and event.asset_materialization is not None
    metadata = event.asset_materialization.metadata
    assert view_figures[:3] == (len(PROFILE_EXPECTED), 1, 2)
    assert (
        metadata["dagster/row_count"].value,
        metadata["blacklisted_customers"].value,
        metadata["late_paying_customers"].value,
    ) == view_figures[:3]
    assert metadata["on_time_rate"].value == pytest.approx(view_figures[3], abs=1e-4)
    assert len(worst_payers) == 2
    assert metadata["worst_payers"].value == worst_payers.to_markdown(index=False)
    assert profile.keys() == PROFILE_EXPECTED.keys()
    for customer, expected in PROFILE_EXPECTED.items():
        got = profile[customer]
        assert got[:3] == expected[:3], customer
        assert got[3] == pytest.approx(expected[3]), customer
        assert got[4] == pytest.approx(expected[4]), customer
        assert got[5:] == expected[5:], customer
    assert detail["C000002"] == (2, 2, 3, "REMINDER_2", dt.date(2026, 9, 28), 8)
    assert detail["C000003"] == (1, 1, 1, "COLLECTION_AGENCY", dt.date(2026, 10, 2), 4)
    # as of 10-01: B3 not due yet (B: 1 of 2 on time, 6 days late), C1 one day late and just
    # dunned (stage 1), and C000003's card order of 10-02 not known yet
    assert first_day == [
        ("C000001", 1.0, 0.0, 0),
        ("C000002", 0.5, 6.0, 0),
        ("C000003", 0.0, 1.0, 1),
        ("C000004", 1.0, 0.0, 0),
    ]
