"""The journal's accounts as data: the packaged chart, a shop's own file (``RECON_ACCOUNTS``)
with a gateway's own sub-account, and bad files refused on start with the entry types and
field named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from recon_pipeline.accounts import DEFAULT_ACCOUNTS, AccountsError, load_accounts
from recon_pipeline.policy import PAYMENT_METHODS
from recon_pipeline.settings import load_settings
from tests import landing as lz
from tests.conftest import memory_instance, run_job

SOURCES = ("amazon", "bank", "bnpl", "card", "cod", "konbini")
DAY = "2026-10-01"


def test_the_packaged_chart_is_a_small_business_one():
    accounts = load_accounts(sources=SOURCES)
    assert {accounts.get("receivable", m).account for m in PAYMENT_METHODS} == {"売掛金"}
    assert [accounts.get("settlement", m).sub_account for m in PAYMENT_METHODS] == [
        "カード決済",
        "Amazon",
        "代引",
        "後払い",
        "コンビニ収納",
        None,
    ]
    assert accounts.get("settlement", "BANK_TRANSFER").account == "普通預金"
    assert accounts.get("fee", "CARD").account == "支払手数料"
    assert accounts.get("sales", "CANCEL").account == "売上高"
    assert accounts.get("unknown_payment") == accounts.get("unknown_payment", "")
    assert (accounts.get("overpayment").account, accounts.get("overpayment").sub_account) == (
        "仮受金",
        "過入金",
    )
    assert accounts.get("write_off").account == "貸倒損失"
    # balance-sheet accounts carry 対象外; the P/L ones keep the books' own tax class
    assert accounts.get("receivable", "CARD").tax_class == "対象外"
    assert accounts.get("sales", "SHIP").tax_class is None


def _with(change: dict) -> str:
    spec = yaml.safe_load(DEFAULT_ACCOUNTS.read_text(encoding="utf-8"))
    for dotted, value in change.items():
        *path, last = dotted.split(".")
        node = spec
        for part in path:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return yaml.safe_dump(spec, allow_unicode=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{", "cannot read the accounts"),
        (_with({"write_off": None}), r"write_off \(entry types WRITE_OFF\): the section is"),
        (
            _with({"settlement.KONBINI": None}),
            r"settlement \(entry types RECEIPT, FEE, UNKNOWN_PAYMENT, KONBINI_REMITTANCE\): "
            r"no account for KONBINI",
        ),
        (
            _with({"receivable.CARD.account": None}),
            r"receivable.CARD \(entry types SALE, RECEIPT, TRANSFER_FEE, REFUND, OVERPAYMENT, "
            r"WRITE_OFF\): account is missing",
        ),
        (
            _with({"sales.RETURN.account": "売上戻り高、売上値引及び割戻し"}),
            r"sales.RETURN \(entry types SALE\): account .* is 30 bytes in CP932; 弥生会計 "
            "takes 24",
        ),
        (_with({"overpayment.sub_account": "過入金,返金待ち"}), "may not hold commas"),
        (_with({"refund.account": "普通預金🏦"}), "a character CP932 cannot write"),
        (_with({"fee.paypay": {"account": "支払手数料"}}), r"unknown keys \['paypay'\]"),
        (_with({"receivable.card": {"account": "売掛金"}}), r"unknown keys \['card'\]"),
        (_with({"write_off.department": "本社"}), r"write_off .*unknown fields \['department'\]"),
        (_with({"journal": {"account": "x"}}), r"unknown sections \['journal'\]"),
    ],
)
def test_bad_accounts_are_refused_with_the_entry_types_and_field(tmp_path: Path, text, message):
    path = tmp_path / "accounts.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AccountsError, match=message):
        load_accounts(path, SOURCES)


def test_recon_exits_with_one_line_on_a_bad_accounts_file(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_text(_with({"write_off": None}), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "recon_pipeline.cli", "run", "--from", DAY],
        env=os.environ | {"RECON_HOME": str(tmp_path / "home"), "RECON_ACCOUNTS": str(path)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert "write_off (entry types WRITE_OFF): the section is missing" in run.stderr


def test_a_shops_own_accounts_and_a_gateways_own_sub_account(tmp_path):
    """``RECON_ACCOUNTS`` names the file; the card source's own settlement account wins over
    the CARD method's, and the sales account is the shop's."""
    path = tmp_path / "accounts.yaml"
    path.write_text(
        _with(
            {
                "settlement.card": {"account": "未収入金", "sub_account": "Stripe"},
                "sales.SHIP": {"account": "売上", "tax_class": "課税売上内10%"},
            }
        ),
        encoding="utf-8",
    )
    settings = load_settings({"RECON_HOME": str(tmp_path / "home"), "RECON_ACCOUNTS": str(path)})
    lz.shipments(settings.landing_dir, DAY, [lz.ship("E1", "ORD-1", DAY, "CARD", 5000)])
    lz.card(settings.landing_dir, DAY, [lz.charge("txn_1", "ORD-1", 5000)])
    with memory_instance() as instance:
        run_job(settings, instance, DAY)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        lines = con.execute(
            "SELECT entry_type, debit_account, debit_sub_account, credit_account, "
            "credit_sub_account, credit_tax_class FROM marts.journal_lines "
            "ORDER BY slip_no, line_no"
        ).fetchall()
    assert lines == [
        ("SALE", "売掛金", "カード決済", "売上", None, "課税売上内10%"),
        ("RECEIPT", "未収入金", "Stripe", "売掛金", "カード決済", "対象外"),
        ("FEE", "支払手数料", "カード決済", "未収入金", "Stripe", None),
    ]
