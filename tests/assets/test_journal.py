"""The journal for the accounting system (仕訳連携), end to end on a small month with every
entry type: sale, cancel, return, a card charge with its fee and a refund, Amazon, COD, BNPL,
konbini (collected, then remitted on its 振込日), a bank transfer that overpays, an unknown
payment (card and bank), an overpayment and an unknown payment paid back, a write-off.

The 弥生 files are read back with ``csv`` over CP932 only (tests/journal_reader.py): every slip
balances, and the books' balances equal the subledger on every day. A re-delivered file that
changes an amount is booked on the next day run as a reversal and the new amount, the earlier
file untouched; a journal that does not add up stops its day's file."""

from __future__ import annotations

import datetime as dt
import hashlib

import dagster as dg
import duckdb
import pytest

from recon_pipeline.assets.exports import JOURNAL_FILES
from recon_pipeline.assets.marts import JOURNAL
from recon_pipeline.checks import JOURNAL_BALANCED, JOURNAL_TIED_OUT
from recon_pipeline.settings import load_settings
from tests import landing as lz
from tests.conftest import memory_instance, run_job, run_range
from tests.journal_reader import balances, read_lines, slips

FIRST, LAST = "2026-10-01", "2026-10-05"
DAYS = [dt.date(2026, 10, day) for day in range(1, 6)]
BANK = "bank:0005-001-1234567:"
KONBINI_DUE = dt.date(2026, 10, 15)


def bank_file(root, day: str, transfers: list[tuple[int, int, str]], date: str) -> None:
    records = [
        lz.zengin_header(),
        *(lz.zengin_data(ref, amount, payer, date=date) for ref, amount, payer in transfers),
        lz.zengin_trailer(len(transfers), sum(amount for _, amount, _ in transfers)),
        lz.ZENGIN_END,
    ]
    lz.write(root, "bank", day, f"furikomi_{day}.txt", lz.zengin_file(records))


def dispositions(root, day: str, rows: list[list[object]]) -> None:
    data = lz.csv_text(lz.DISPOSITION_HEADER, rows).encode()
    lz.write(root, "dispositions", day, f"dispositions_{day}.csv", data)


def write_month(root) -> None:
    """Five days; the comments say which entries each file should bring."""
    kon7, kon10 = lz.slip_ref(7), lz.slip_ref(10)
    lz.shipments(
        root,
        FIRST,
        [
            lz.ship("E1", "ORD-1", FIRST, "CARD", 5000),  # paid, fee
            lz.ship("E2", "ORD-2", FIRST, "CARD", 4000),  # paid, then a return refunded
            lz.ship("E3", "ORD-3", FIRST, "CARD", 3000),  # cancelled before payment
            lz.ship("E4", "249-0000004-0000004", FIRST, "MALL", 5160),
            lz.ship("E5", "ORD-5", FIRST, "COD", 3430, tracking="400000000005"),
            lz.ship("E6", "ORD-6", FIRST, "BNPL", 8800, due="2026-10-31"),
            lz.ship("E7", "ORD-7", FIRST, "KONBINI", 3800, payment_ref=kon7, due="2026-10-15"),
            lz.ship(
                "E8",
                "ORD-8",
                FIRST,
                "BANK_TRANSFER",
                10000,
                customer="C000008",
                payment_ref="0000008",
                due="2026-10-15",
            ),
            lz.ship("E10", "ORD-10", FIRST, "KONBINI", 3000, payment_ref=kon10, due="2026-10-05"),
        ],
    )
    lz.card(
        root,
        FIRST,
        [
            lz.charge("txn_1", "ORD-1", 5000),  # fee 180
            lz.charge("txn_2", "ORD-2", 4000),  # fee 144
            lz.charge("txn_9", "ORD-9999", 2500),  # an order nobody knows: fee 90
        ],
    )
    lz.amazon(
        root,
        FIRST,
        [
            lz.amazon_item("249-0000004-0000004", "Order", "ItemPrice", "Principal", 5160),
            lz.amazon_item("249-0000004-0000004", "Order", "ItemFees", "Commission", -516),
        ],
        name="settlement_1234567890.tsv",
    )
    lz.cp932_csv(
        root,
        "bnpl",
        FIRST,
        "bnpl_20261001.csv",
        lz.BNPL_HEADER,
        [["ORD-6", "NP0006", "売上", 8800, 264, 8536, "2026/10/31"]],
    )
    lz.shipments(
        root,
        "2026-10-02",
        [
            lz.ship("E2R", "ORD-2", "2026-10-02", "CARD", 1000, event_type="RETURN"),
            lz.ship("E3C", "ORD-3", "2026-10-02", "CARD", 3000, event_type="CANCEL"),
        ],
    )
    lz.card(
        root,
        "2026-10-02",
        [
            lz.charge(
                "txn_2r", "ORD-2", -1000, category="refund", created="2026-10-02T09:00:00+09:00"
            )
        ],
    )
    lz.cp932_csv(
        root,
        "cod",
        "2026-10-02",
        "cod_20261002.csv",
        lz.COD_HEADER,
        [["400000000005", "2026/10/02", 3430, 330, 3100, "2026/10/12"]],
    )
    prelim = lz.collection("01", kon7, 3800, "20261001", due=KONBINI_DUE)
    lz.konbini_file(root, "2026-10-02", [prelim], name="sokuho_20261002.csv")
    bank_file(
        root,
        "2026-10-02",
        [(1, 11000, "0000008 ﾔﾏﾀﾞ ﾀﾛｳ"), (2, 7777, "ﾀﾅｶ ｲﾁﾛｳ")],  # 1000 too much; unknown
        date="081002",
    )
    confirmed = lz.collection("02", kon7, 3800, "20261001", due=KONBINI_DUE)
    confirmed[11] = "20261005"  # 振込日: the agent remits on the 5th
    lz.konbini_file(root, "2026-10-03", [confirmed], name="kakuho_20261003.csv")
    day3 = "2026-10-03"
    dispositions(
        root,
        day3,
        [
            ["D-1", "REFUNDED", "", f"{BANK}000001", "", "overpaid", "keiri01", day3],
            ["D-2", "REFUNDED", "", f"{BANK}000002", "", "not ours", "keiri01", day3],
            ["D-3", "WRITE_OFF", "ORD-10", "", "", "", "keiri01", day3],
        ],
    )
    # 10-04: nothing arrives; 10-05: the konbini remittance is due


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    settings = load_settings({"RECON_HOME": str(tmp_path_factory.mktemp("journal") / "home")})
    write_month(settings.landing_dir)
    with memory_instance() as instance:
        result = run_range(settings, instance, FIRST, LAST)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield settings, con, result
    con.close()


def journal_dir(settings):
    return settings.export_dir / "journal"


def entries(con) -> set[tuple]:
    return set(
        con.execute(
            "SELECT partition_date, entry_type, correction, debit_account, debit_sub_account, "
            "credit_account, credit_sub_account, debit_amount, credit_amount, "
            "coalesce(receivable_id, settlement_line_id) FROM marts.journal_lines"
        ).fetchall()
    )


AR_CARD, AR_BANK, AR_KONBINI = (
    ("売掛金", "カード決済"),
    ("売掛金", "銀行振込"),
    ("売掛金", "コンビニ収納"),
)
DUE_CARD, DUE_KONBINI = ("未収入金", "カード決済"), ("未収入金", "コンビニ収納")
FEES_CARD = ("支払手数料", "カード決済")
SALES, BANK_ACCOUNT, BAD_DEBT = ("売上高", None), ("普通預金", None), ("貸倒損失", None)
OVERPAID, UNKNOWN = ("仮受金", "過入金"), ("仮受金", "不明入金")
AMAZON_ORDER = "249-0000004-0000004"
KONBINI_LINE = (
    "konbini:"
    + lz.konbini.build(
        company_code=lz.COMPANY,
        shop_code=lz.SHOP,
        payment_ref=lz.slip_ref(7),
        reissue_no=0,
        due_date=KONBINI_DUE,
        amount=3800,
    )
    + ":20261001:1932"
)
ENTRIES = [
    # (day, entry type, correction, debit, credit, amount, receivable or settlement line)
    # shipment billed; cancel and return booked back
    (DAYS[0], "SALE", None, AR_CARD, SALES, 5000, "ORD-1"),
    (DAYS[1], "SALE", None, SALES, AR_CARD, 3000, "ORD-3"),
    (DAYS[1], "SALE", None, SALES, AR_CARD, 1000, "ORD-2"),
    # provider settlements: 未収入金 per provider / 売掛金, fees to 支払手数料
    (DAYS[0], "RECEIPT", None, DUE_CARD, AR_CARD, 5000, "ORD-1"),
    (DAYS[0], "FEE", None, FEES_CARD, DUE_CARD, 180, "card:txn_1"),
    (DAYS[1], "RECEIPT", None, AR_CARD, DUE_CARD, 1000, "ORD-2"),
    (DAYS[0], "RECEIPT", None, ("未収入金", "Amazon"), ("売掛金", "Amazon"), 5160, AMAZON_ORDER),
    (DAYS[0], "FEE", None, ("支払手数料", "Amazon"), ("未収入金", "Amazon"), 516,
        "amazon:1234567890:249-0000004-0000004:Order:20260930"),
    (DAYS[1], "RECEIPT", None, ("未収入金", "代引"), ("売掛金", "代引"), 3430, "ORD-5"),
    (DAYS[1], "FEE", None, ("支払手数料", "代引"), ("未収入金", "代引"), 330, "cod:400000000005"),
    (DAYS[0], "RECEIPT", None, ("未収入金", "後払い"), ("売掛金", "後払い"), 8800, "ORD-6"),
    (DAYS[0], "FEE", None, ("支払手数料", "後払い"), ("未収入金", "後払い"), 264, "bnpl:NP0006"),
    # konbini: collected (速報), then the agent remits on its 振込日
    (DAYS[1], "RECEIPT", None, DUE_KONBINI, AR_KONBINI, 3800, "ORD-7"),
    (DAYS[4], "KONBINI_REMITTANCE", None, BANK_ACCOUNT, DUE_KONBINI, 3800, KONBINI_LINE),
    # bank: paid 1000 too much (仮受金), paid back (the reclassification undone)
    (DAYS[1], "RECEIPT", None, BANK_ACCOUNT, AR_BANK, 11000, "ORD-8"),
    (DAYS[1], "OVERPAYMENT", None, AR_BANK, OVERPAID, 1000, "ORD-8"),
    (DAYS[2], "REFUND", None, AR_BANK, BANK_ACCOUNT, 1000, "ORD-8"),
    (DAYS[2], "OVERPAYMENT", "REVERSAL", OVERPAID, AR_BANK, 1000, "ORD-8"),
    # unknown payments (仮受金), one paid back
    (DAYS[0], "UNKNOWN_PAYMENT", None, DUE_CARD, UNKNOWN, 2500, "card:txn_9"),
    (DAYS[1], "UNKNOWN_PAYMENT", None, BANK_ACCOUNT, UNKNOWN, 7777, f"{BANK}000002"),
    (DAYS[2], "UNKNOWN_REFUND", None, UNKNOWN, BANK_ACCOUNT, 7777, f"{BANK}000002"),
    # write-off
    (DAYS[2], "WRITE_OFF", None, BAD_DEBT, AR_KONBINI, 3000, "ORD-10"),
]  # fmt: skip


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: f"{entry[1]}-{entry[6]}"[:40])
def test_each_event_books_its_entry(month, entry):
    _, con, _ = month
    day, entry_type, correction, debit, credit, amount, ref = entry
    assert (day, entry_type, correction, *debit, *credit, amount, amount, ref) in entries(con)


def test_every_entry_type_is_in_the_month_and_every_line_has_its_accounts(month):
    _, con, _ = month
    types = {row[0] for row in con.execute("SELECT entry_type FROM marts.journal_lines").fetchall()}
    assert types == {
        "SALE",
        "RECEIPT",
        "FEE",
        "UNKNOWN_PAYMENT",
        "UNKNOWN_REFUND",
        "KONBINI_REMITTANCE",
        "REFUND",
        "OVERPAYMENT",
        "WRITE_OFF",
    }
    # the long table: one debit and one credit row per line, tax class 対象外 on the
    # balance-sheet side, the accounting software's own on 売上高 (blank)
    long = con.execute(
        "SELECT side, account, tax_class FROM marts.journal WHERE entry_type = 'SALE' "
        "AND receivable_id = 'ORD-1'"
    ).fetchall()
    assert sorted(long) == [("CREDIT", "売上高", None), ("DEBIT", "売掛金", "対象外")]


def test_only_days_with_entries_get_a_file(month):
    settings, con, _ = month
    assert sorted(p.name for p in journal_dir(settings).iterdir()) == [
        "journal_20261001.csv",
        "journal_20261002.csv",
        "journal_20261003.csv",
        "journal_20261005.csv",
    ]
    sent = con.execute(
        "SELECT partition_date, lines, debit_amount = credit_amount FROM exports.journal_files "
        "ORDER BY 1"
    ).fetchall()
    assert [day for day, _, _ in sent] == [DAYS[0], DAYS[1], DAYS[2], DAYS[4]]
    assert all(balanced for _, _, balanced in sent)
    unsent = con.execute("SELECT count(*) FROM marts.journal_lines WHERE sent_at IS NULL")
    assert unsent.fetchone() == (0,)


def _files_up_to(settings, day: dt.date) -> list:
    lines = []
    for path in sorted(journal_dir(settings).glob("journal_*.csv")):
        if path.name <= f"journal_{day:%Y%m%d}.csv":
            lines += read_lines(path)
    return lines


def test_the_files_read_back_balance_slip_by_slip_and_tie_out_every_day(month):
    settings, con, _ = month
    for path in sorted(journal_dir(settings).glob("journal_*.csv")):
        day = dt.datetime.strptime(path.stem.split("_")[1], "%Y%m%d").date()
        for slip in slips(read_lines(path)):
            assert sum(line.debit_amount for line in slip) == sum(
                line.credit_amount for line in slip
            ), slip
            assert {line.date for line in slip} == {f"{day:%Y/%m/%d}"}
    for day in DAYS:
        books = balances(_files_up_to(settings, day))
        receivable = sum(v for (account, _), v in books.items() if account == "売掛金")
        overpaid = -books[("仮受金", "過入金")]
        outstanding, positive, negative = con.execute(
            "SELECT sum(outstanding_amount), sum(greatest(outstanding_amount, 0)), "
            "sum(greatest(-outstanding_amount, 0)) FROM marts.receivables WHERE as_of = $d",
            {"d": day},
        ).fetchone()
        assert receivable == positive, day
        assert overpaid == negative, day
        assert receivable - overpaid == outstanding, day
        assert sum(books.values()) == 0, day


def test_providers_owe_what_their_lines_say(month):
    """At month end: each provider's 未収入金 is its lines' gross less fees (payouts are not in
    the data); konbini's was remitted on the 5th; the bank holds what came in less what was
    paid back, plus the agent's remittance."""
    settings, _, _ = month
    books = balances(_files_up_to(settings, DAYS[-1]))
    assert {key: value for key, value in books.items() if key[0] == "未収入金"} == {
        ("未収入金", "カード決済"): 5000 - 180 + 4000 - 144 - 1000 + 2500 - 90,
        ("未収入金", "Amazon"): 5160 - 516,
        ("未収入金", "代引"): 3430 - 330,
        ("未収入金", "後払い"): 8800 - 264,
        ("未収入金", "コンビニ収納"): 0,
    }
    assert books[("普通預金", "")] == 11000 + 7777 - 1000 - 7777 + 3800
    assert books[("仮受金", "不明入金")] == -2500  # the card payment nobody claims
    assert books[("貸倒損失", "")] == 3000
    shipped = 5000 + 4000 + 3000 + 5160 + 3430 + 8800 + 3800 + 10000 + 3000
    assert books[("売上高", "")] == -(shipped - 1000 - 3000)  # a return, a cancel
    # konbini: owed from the collection until the 振込日
    before = balances(_files_up_to(settings, DAYS[3]))
    assert before[("未収入金", "コンビニ収納")] == 3800


def test_the_blocking_checks_passed(month):
    *_, result = month
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations[JOURNAL_BALANCED] and evaluations[JOURNAL_TIED_OUT]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def two_days(tmp_path):
    """Two days run and sent: a card charge of 5000 (fee 180) on the first."""
    settings = load_settings({"RECON_HOME": str(tmp_path / "home")})
    root = settings.landing_dir
    lz.shipments(root, FIRST, [lz.ship("E1", "ORD-1", FIRST, "CARD", 5000)])
    lz.card(root, FIRST, [lz.charge("txn_1", "ORD-1", 5000)], name="card_20261001.csv")
    lz.shipments(root, "2026-10-02", [lz.ship("E2", "ORD-2", "2026-10-02", "CARD", 2000)])
    lz.shipments(root, "2026-10-03", [lz.ship("E3", "ORD-3", "2026-10-03", "CARD", 700)])
    with memory_instance() as instance:
        run_range(settings, instance, FIRST, "2026-10-02")
        yield settings, instance


def test_a_correction_is_booked_as_reversal_and_new_entry_on_the_next_day_run(two_days):
    settings, instance = two_days
    files = {p.name: _digest(p) for p in journal_dir(settings).iterdir()}
    assert sorted(files) == ["journal_20261001.csv", "journal_20261002.csv"]

    # the gateway re-delivers the first day's file: the charge was 4800 (fee 172)
    lz.card(settings.landing_dir, FIRST, [lz.charge("txn_1", "ORD-1", 4800)], "card_20261001.csv")
    run_job(settings, instance, FIRST)  # the first day again: its journal was sent, kept
    assert {p.name: _digest(p) for p in journal_dir(settings).iterdir()} == files
    run_job(settings, instance, "2026-10-03")  # the next day run books the correction
    assert {p.name: _digest(p) for p in journal_dir(settings).iterdir() if p.name in files} == (
        files
    )

    lines = read_lines(journal_dir(settings) / "journal_20261003.csv")
    by_summary = {line.summary: line for line in lines}
    reversal = by_summary["取消 2026/10/01 No.000002 入金 ORD-1 card:txn_1"]
    assert (reversal.debit, reversal.credit, reversal.debit_amount) == (
        ("売掛金", "カード決済"),
        ("未収入金", "カード決済"),
        5000,
    )
    rebooked = by_summary["入金 ORD-1 card:txn_1"]
    assert (rebooked.debit, rebooked.credit, rebooked.debit_amount) == (
        ("未収入金", "カード決済"),
        ("売掛金", "カード決済"),
        4800,
    )
    fee = by_summary["取消 2026/10/01 No.000002 決済手数料 ORD-1 card:txn_1"]
    assert (fee.debit, fee.credit_amount) == (("未収入金", "カード決済"), 180)
    assert by_summary["決済手数料 ORD-1 card:txn_1"].debit_amount == 172
    assert by_summary["売上 ORD-3"].debit_amount == 700
    # the reversal is a slip of its own, before the day's new entries
    assert len(slips(lines)[0]) == 2
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        corrections = con.execute(
            "SELECT entry_type, correction, reverses_date, reverses_slip_no, key_amount "
            "FROM marts.journal_lines WHERE partition_date = '2026-10-03' "
            "AND correction IS NOT NULL ORDER BY slip_no, line_no"
        ).fetchall()
        outstanding = con.execute(
            "SELECT sum(outstanding_amount) FROM marts.receivables WHERE as_of = '2026-10-03'"
        ).fetchone()[0]
    assert corrections == [
        ("RECEIPT", "REVERSAL", DAYS[0], 2, -5000),
        ("FEE", "REVERSAL", DAYS[0], 2, -180),
        ("RECEIPT", "REBOOKED", None, None, 4800),
        ("FEE", "REBOOKED", None, None, 172),
    ]
    books = balances(_files_up_to(settings, dt.date(2026, 10, 3)))
    assert books[("売掛金", "カード決済")] == outstanding == 200 + 2000 + 700


def test_a_journal_that_does_not_add_up_stops_its_days_file(two_days):
    settings, instance = two_days
    with duckdb.connect(str(settings.warehouse)) as con:
        # an earlier line altered on one side: the books no longer balance
        con.execute(
            "UPDATE marts.journal_lines SET debit_amount = debit_amount + 1 "
            "WHERE partition_date = '2026-10-01' AND entry_type = 'SALE'"
        )
    [result] = run_job(settings, instance, "2026-10-03", expect_success=False)
    assert not result.success
    failed = {
        e.check_name
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    }
    assert failed == {JOURNAL_BALANCED, JOURNAL_TIED_OUT}
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert JOURNAL in materialized and JOURNAL_FILES not in materialized
    assert not (journal_dir(settings) / "journal_20261003.csv").exists()


def test_balances_by_account_equal_the_long_table(month):
    """``marts.journal`` (one row per account) is what the files carry."""
    settings, con, _ = month
    books = balances(_files_up_to(settings, DAYS[-1]))
    table = {
        (account, sub or ""): balance
        for account, sub, balance in con.execute(
            "SELECT account, sub_account, sum(debit) - sum(credit) FROM marts.journal GROUP BY ALL"
        ).fetchall()
    }
    assert {key: value for key, value in books.items() if value} == {
        key: value for key, value in table.items() if value
    }
