"""The daily job end to end on a hand-made landing zone: every exception case of the
foundation lands in the right status and reason; re-runs change nothing; bad input is
quarantined with file, line and reason; exports go out exactly once."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from recon_pipeline import konbini
from recon_pipeline.settings import load_settings
from tests import landing as lz
from tests.conftest import memory_instance, run_job, run_range, table_fingerprint

DUE = "2026-10-08"


def write_month(landing):
    """Twelve days of files covering the foundation's scenarios (see each order's comment)."""
    kon = {n: lz.slip_ref(n) for n in (10, 11, 12, 13)}
    lz.shipments(
        landing,
        "2026-10-01",
        [
            lz.ship("E01", "ORD-0000001", "2026-10-01", "CARD", 5000),  # exact
            lz.ship("E02", "ORD-0000002", "2026-10-01", "CARD", 5000),  # short
            lz.ship("E03", "ORD-0000003", "2026-10-01", "CARD", 5000),  # over
            lz.ship("E04", "ORD-0000004", "2026-10-01", "CARD", 5000),  # double
            lz.ship("E05", "ORD-0000005", "2026-10-01", "CARD", 5000, coupon=300, points=200),
            lz.ship("E06", "ORD-0000006", "2026-10-01", "CARD", 5000),  # refund due
            lz.ship("E07", "ORD-0000007", "2026-10-01", "CARD", 5000),  # return+refund
            lz.ship("E08", "ORD-0000008", "2026-10-01", "CARD", 5000),  # cancelled
            lz.ship("E09", "ORD-0000009", "2026-10-01", "CARD", 5000),  # dispute
            lz.ship(
                "E10", "ORD-0000010", "2026-10-01", "KONBINI", 3000, payment_ref=kon[10], due=DUE
            ),
            lz.ship(
                "E11", "ORD-0000011", "2026-10-01", "KONBINI", 3000, payment_ref=kon[11], due=DUE
            ),
            lz.ship(
                "E12",
                "ORD-0000012",
                "2026-10-01",
                "KONBINI",
                3000,
                payment_ref=kon[12],
                due="2026-10-05",
                name='=HYPERLINK("x") 𠮷田',
            ),
            lz.ship(
                "E13", "ORD-0000013", "2026-10-01", "KONBINI", 3000, payment_ref=kon[13], due=DUE
            ),
        ],
    )
    lz.card(
        landing,
        "2026-10-01",
        [
            lz.charge("txn_01", "ORD-0000001", 5000),
            lz.charge("txn_02", "ORD-0000002", 4000),
            lz.charge("txn_03", "ORD-0000003", 6000),
            lz.charge("txn_04a", "ORD-0000004", 5000),
            lz.charge("txn_04b", "ORD-0000004", 5000),
            lz.charge("txn_05", "ORD-0000005", 5000),
            lz.charge("txn_06", "ORD-0000006", 5000),
            lz.charge("txn_07", "ORD-0000007", 5000),
            lz.charge("txn_08", "ORD-0000008", 5000),
            lz.charge("txn_09", "ORD-0000009", 5000),
            lz.charge("txn_99", "ORD-0099999", 3000),  # unknown
            ["txn_fee", "2026-10-01T23:00:00+09:00", "fee", "", 0, 100, -100, "jpy", "po_1", ""],
            lz.charge("txn_bad", "ORD-0000001", 1000, net=1),  # bad row
        ],
    )
    lz.shipments(
        landing,
        "2026-10-02",
        [
            lz.ship("E06R", "ORD-0000006", "2026-10-02", "CARD", 2000, event_type="RETURN"),
            lz.ship("E07R", "ORD-0000007", "2026-10-02", "CARD", 2000, event_type="RETURN"),
            lz.ship("E08C", "ORD-0000008", "2026-10-02", "CARD", 5000, event_type="CANCEL"),
        ],
    )
    lz.card(
        landing,
        "2026-10-02",
        [
            lz.charge(
                "txn_07r",
                "ORD-0000007",
                -2000,
                category="refund",
                created="2026-10-02T11:00:00+09:00",
            ),
            lz.charge(
                "txn_08r",
                "ORD-0000008",
                -5000,
                category="refund",
                created="2026-10-02T11:00:00+09:00",
            ),
            lz.charge(
                "txn_09d",
                "ORD-0000009",
                -5000,
                category="dispute",
                created="2026-10-02T12:00:00+09:00",
            ),
        ],
    )
    lz.write(landing, "konbini", "2026-10-02", "broken.csv", b"\x82\xff\x00garbage\r\n")
    lz.konbini_file(
        landing,
        "2026-10-03",
        [
            lz.collection("01", kon[10], 3000, "20261002"),
            lz.collection("01", kon[11], 3000, "20261002"),
            lz.collection("01", kon[13], 3000, "20261002", reissue_no=1, due=dt.date(2026, 10, 20)),
        ],
        name="sokuho_1003.csv",
    )
    lz.konbini_file(
        landing,
        "2026-10-04",
        [lz.collection("03", kon[11], 3000, "20261002")],
        name="torikeshi_1004.csv",
    )
    lz.konbini_file(
        landing,
        "2026-10-05",
        [lz.collection("02", kon[10], 3000, "20261002")],
        name="kakuho_1005.csv",
    )
    first_card = landing / "card" / "2026-10-01" / "card_2026-10-01.csv"
    (landing / "card" / "2026-10-03").mkdir(parents=True)
    shutil.copyfile(first_card, landing / "card" / "2026-10-03" / "resent.csv")
    lz.deliver_daily(landing, "2026-10-01", "2026-10-12", ("card", "konbini"))
    return landing


DAYS = [f"2026-10-{day:02d}" for day in range(1, 13)]


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """The month written and run once for the module, as ``recon run`` runs a range: one
    single-run backfill whose assets walk the twelve days in order (the tables and export
    files of the days one by one, and check results that each name their day:
    tests/assets/test_backfill.py). Yields (settings, instance, the run's result)."""
    settings = load_settings({"RECON_HOME": str(tmp_path_factory.mktemp("month") / "home")})
    write_month(settings.landing_dir)
    with memory_instance() as instance:
        result = run_range(settings, instance, DAYS[0], DAYS[-1])
        yield settings, instance, result


def connect(settings):
    return duckdb.connect(str(settings.warehouse), read_only=True)


def _receivable(con, order_id: str, day: str = "2026-10-12") -> dict:
    row = con.execute(
        "SELECT * FROM marts.receivables WHERE as_of = $d AND receivable_id = $r",
        {"d": day, "r": order_id},
    ).df()
    assert len(row) == 1, order_id
    return row.iloc[0].to_dict()


@pytest.mark.parametrize(
    ("order_id", "status", "reason", "expected", "paid"),
    [
        ("ORD-0000001", "PAID", None, 5000, 5000),
        ("ORD-0000002", "PARTIALLY_PAID", "SHORT_PAYMENT", 5000, 4000),
        ("ORD-0000003", "OVERPAID", "OVER_PAYMENT", 5000, 6000),
        ("ORD-0000004", "OVERPAID", "DOUBLE_PAYMENT", 5000, 10000),
        ("ORD-0000005", "OVERPAID", "COUPON_MISMATCH", 4500, 5000),
        ("ORD-0000006", "OVERPAID", "REFUND_DUE", 3000, 5000),
        ("ORD-0000007", "PAID", None, 3000, 3000),
        ("ORD-0000008", "CANCELLED", None, 0, 0),
        ("ORD-0000009", "IN_DISPUTE", "SHORT_PAYMENT", 5000, 0),
        ("ORD-0000010", "PAID", None, 3000, 3000),
        ("ORD-0000011", "UNPAID", None, 3000, 0),
        ("ORD-0000012", "UNPAID", None, 3000, 0),
        ("ORD-0000013", "PAID", None, 3000, 3000),
    ],
)
def test_each_case_lands_in_its_status_and_reason(month, order_id, status, reason, expected, paid):
    with connect(month[0]) as con:
        row = _receivable(con, order_id)
    assert (row["status"], row["expected_amount"], row["paid_amount"]) == (status, expected, paid)
    assert (
        row["difference_reason"] if isinstance(row["difference_reason"], str) else None
    ) == reason
    assert row["outstanding_amount"] == expected - paid


def test_settlement_lines_each_have_one_status(month):
    with connect(month[0]) as con:
        status = dict(
            con.execute(
                "SELECT settlement_line_id, status FROM marts.settlement_status "
                "WHERE as_of = '2026-10-12'"
            ).fetchall()
        )
        rules = dict(
            con.execute(
                "SELECT settlement_line_id, rule FROM marts.matches WHERE as_of = '2026-10-12'"
            ).fetchall()
        )
        unmatched = con.execute(
            "SELECT item_id, reason FROM marts.unmatched_items WHERE as_of = '2026-10-12' "
            "AND side = 'SETTLEMENT'"
        ).fetchall()
    assert status["card:txn_99"] == "UNMATCHED"
    assert ("card:txn_99", "NO_RECEIVABLE_FOR_KEY") in unmatched
    assert status["card:txn_fee"] == "FEE"
    assert rules["card:txn_01"] == "key_exact"
    assert rules["card:txn_02"] == "key_difference"
    konbini_lines = {k: v for k, v in status.items() if k.startswith("konbini:")}
    assert sorted(konbini_lines.values()) == ["MATCHED", "MATCHED", "REVERSED"]


def test_prelim_counts_as_paid_and_confirmed_replaces_it(month):
    with connect(month[0]) as con:
        by_day = con.execute(
            "SELECT as_of, paid_amount, paid_in_prelim FROM marts.receivables "
            "WHERE receivable_id = 'ORD-0000010' AND as_of <= '2026-10-05' ORDER BY as_of"
        ).fetchall()
        cancelled = con.execute(
            "SELECT as_of, paid_amount FROM marts.receivables "
            "WHERE receivable_id = 'ORD-0000011' AND as_of <= '2026-10-05' ORDER BY as_of"
        ).fetchall()
    assert [(str(d), p, prelim) for d, p, prelim in by_day] == [
        ("2026-10-01", 0, False),
        ("2026-10-02", 0, False),
        ("2026-10-03", 3000, True),
        ("2026-10-04", 3000, True),
        ("2026-10-05", 3000, False),
    ]
    assert [p for _, p in cancelled] == [0, 0, 3000, 0, 0]


def test_bad_rows_and_files_are_quarantined_with_reasons(month):
    with connect(month[0]) as con:
        rejected = con.execute(
            "SELECT path, line_no, raw, reason FROM quarantine.rejected_rows ORDER BY path"
        ).fetchall()
        manifest = {
            row[0]: row[1:]
            for row in con.execute(
                "SELECT path, status, rows_total, rows_loaded, rows_quarantined, duplicate_of "
                "FROM audit.file_manifest"
            ).fetchall()
        }
        staged_txn = con.execute(
            "SELECT count(*) FROM staging.settlement_lines WHERE settlement_line_id = 'card:txn_01'"
        ).fetchone()[0]
    bad_row = [r for r in rejected if r[0] == "card/2026-10-01/card_2026-10-01.csv"]
    assert len(bad_row) == 1
    _, line_no, raw, reason = bad_row[0]
    assert line_no == 14 and raw.startswith("txn_bad,") and reason == "net must equal gross - fee"
    bad_file = [r for r in rejected if r[0] == "konbini/2026-10-02/broken.csv"]
    assert bad_file[0][1] == 0 and "does not decode as cp932" in bad_file[0][3]
    assert manifest["card/2026-10-01/card_2026-10-01.csv"][:4] == ("LOADED", 13, 12, 1)
    assert manifest["konbini/2026-10-02/broken.csv"][0] == "QUARANTINED"
    resent = manifest["card/2026-10-03/resent.csv"]
    assert resent[0] == "DUPLICATE" and resent[4] == "card/2026-10-01/card_2026-10-01.csv"
    assert staged_txn == 1


def test_checks_pass_on_every_day(month):
    evaluations = month[2].get_asset_check_evaluations()
    by_check: dict[str, dict] = {}
    for e in evaluations:
        if e.partition is not None:
            by_check.setdefault(e.check_name, {})[e.partition] = e
    # every check evaluated once for each of the twelve days, and once over the whole range
    assert all(sorted(per_day) == DAYS for per_day in by_check.values()), by_check
    ranged = sorted(e.check_name for e in evaluations if e.partition is None)
    assert ranged == sorted(by_check)
    assert len(evaluations) == len(by_check) * (len(DAYS) + 1)
    assert set(by_check) == {
        "every_input_row_staged_or_quarantined",
        "balance_expected_paid_written_off_outstanding",
        "every_settlement_line_in_one_status",
        "every_settlement_source_delivered_for_dunning",
        "journal_debits_equal_credits",
        "journal_ties_out_to_the_receivables",
        "settlement_lines_integrity",
        "settlement_lines_sanity",
        "receivable_events_sanity",
    }
    freshness = "every_settlement_source_delivered_for_dunning"
    assert all(e.passed for e in evaluations if e.check_name != freshness)
    # the freshness gate warns on the two days a settlement file was no delivery: konbini's
    # only file of 10-02 is quarantined, card's file of 10-03 re-sends the bytes of 10-01
    held = [DAYS.index(day) + 1 for day, e in sorted(by_check[freshness].items()) if not e.passed]
    assert held == [2, 3]


TABLES = [
    "audit.landed_files",
    "audit.file_manifest",
    "quarantine.rejected_rows",
    "raw.card",
    "raw.konbini",
    "raw.shipments",
    "staging.receivable_events",
    "staging.settlement_lines",
    "marts.matches",
    "marts.settlement_status",
    "marts.receivables",
    "marts.unmatched_items",
    "marts.aging",
    "marts.fees",
    "marts.dunning_candidates",
    "exports.slip_requests",
]


def test_rerunning_days_changes_no_row_and_sends_nothing_twice(month):
    settings, instance, _ = month
    exports = sorted((settings.export_dir / "slip_requests").iterdir())
    before_files = {p.name: p.read_bytes() for p in exports}
    with connect(settings) as con:
        before = {t: table_fingerprint(con, t) for t in TABLES}
    run_job(settings, instance, "2026-10-05")
    run_job(settings, instance, "2026-10-12")
    with connect(settings) as con:
        after = {t: table_fingerprint(con, t) for t in TABLES}
        sent = con.execute(
            "SELECT count(*), count(DISTINCT request_id) FROM exports.slip_requests"
        ).fetchone()
    assert after == before
    assert {p.name: p.read_bytes() for p in exports} == before_files
    assert sent[0] == sent[1]


def test_slip_export_new_and_reissue(month):
    settings = month[0]
    with connect(settings) as con:
        requests = con.execute(
            "SELECT request_id, partition_date, issue_type, form_type, reissue_no, due_date, "
            "amount "
            "FROM exports.slip_requests ORDER BY request_id"
        ).fetchall()
        dunning = con.execute(
            "SELECT as_of, receivable_id, stage, action, new_due_date FROM marts.dunning_candidates"
        ).fetchall()
    new = [r for r in requests if r[2] == "NEW"]
    assert {r[0] for r in new} == {f"ORD-00000{n}-NEW-0" for n in (10, 11, 12, 13)}
    assert all(str(r[1]) == "2026-10-01" for r in new)
    assert [(str(d), r, s, a, str(n)) for d, r, s, a, n in dunning] == [
        ("2026-10-12", "ORD-0000012", "REMINDER_1", "REISSUE_SLIP", "2026-10-26")
    ]
    reissue = [r for r in requests if r[2] == "REISSUE"]
    assert [(r[0], str(r[1]), r[3], r[4], str(r[5]), r[6]) for r in reissue] == [
        ("ORD-0000012-REISSUE-1", "2026-10-12", "REMINDER", 1, "2026-10-26", 3000)
    ]
    data = (settings.export_dir / "slip_requests" / "slip_requests_20261012.csv").read_bytes()
    assert data.endswith(b"\r\n") and b"\r\n" in data
    lines = data.decode("cp932").split("\r\n")
    assert lines[0].startswith('"request_id","issue_type"')
    cells = lines[1].split('","')
    assert cells[0] == '"ORD-0000012-REISSUE-1'
    assert cells[4] == '\'=HYPERLINK(""x"") 〓田'
    barcode = cells[10]
    assert konbini.barcode_problem(barcode) is None
    parsed = konbini.parse(barcode)
    assert (parsed.reissue_no, parsed.due_date, parsed.amount) == (1, dt.date(2026, 10, 26), 3000)
