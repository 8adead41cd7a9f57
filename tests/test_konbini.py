"""The konbini barcode: the spec's examples, check digits, and build/parse agreeing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon_pipeline import konbini

SPEC_EXAMPLE = "91912345012345678901234567890101033101230003"
SAMPLE_FILE_BARCODE = "EAN91929023123451000000000000102026101500038004"


def test_spec_examples_are_valid():
    assert konbini.barcode_problem(SPEC_EXAMPLE) is None
    assert konbini.barcode_problem(SAMPLE_FILE_BARCODE) is None


def test_parse_splits_the_fields_of_the_sample():
    parsed = konbini.parse(SAMPLE_FILE_BARCODE)
    assert parsed.payment_ref == "1000000000000102"
    assert (parsed.reissue_no, parsed.due_date, parsed.amount) == (0, dt.date(2026, 10, 15), 3800)
    assert (parsed.user_field_1, parsed.user_field_2) == ("100000", "00000001020")


@pytest.mark.parametrize("position", range(43))
def test_any_changed_digit_breaks_the_check_digit(position):
    digits = list(SPEC_EXAMPLE)
    digits[position] = str((int(digits[position]) + 1) % 10)
    problem = konbini.barcode_problem("".join(digits))
    assert problem is not None


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1234", "44 digits"),
        ("9" * 44, "start with AI 91"),
        ("91" + "0" * 28 + "261399" + "0" * 8, "not a date"),
    ],
)
def test_problems_are_named(raw, fragment):
    if "date" in fragment:
        raw = raw[:43] + konbini.check_digit(raw[:43])
    assert fragment in konbini.barcode_problem(raw)


def test_build_round_trips_and_sets_stamp_flag_from_50000_yen():
    code = konbini.build(
        company_code="929023",
        shop_code="12345",
        payment_ref="1000000000000102",
        reissue_no=2,
        due_date=dt.date(2026, 11, 4),
        amount=50_000,
    )
    parsed = konbini.parse(code)
    assert konbini.barcode_problem(code) is None
    assert (parsed.reissue_no, parsed.due_date, parsed.amount, parsed.stamp_flag) == (
        2,
        dt.date(2026, 11, 4),
        50_000,
        "1",
    )


def test_build_refuses_amounts_the_barcode_cannot_carry():
    with pytest.raises(ValueError, match="does not fit"):
        konbini.build(
            company_code="929023",
            shop_code="12345",
            payment_ref="1" * 16,
            reissue_no=0,
            due_date=None,
            amount=1_000_000,
        )


def _shop_barcode(ref: str, reissue: int, due: dt.date | None, amount: int) -> str:
    """``konbini.build`` for the sample shop (929023 / 12345)."""
    return konbini.build(
        company_code="929023",
        shop_code="12345",
        payment_ref=ref,
        reissue_no=reissue,
        due_date=due,
        amount=amount,
    )


def _near_barcodes() -> st.SearchStrategy[str]:
    """Valid barcodes, and ones with a digit, the length, the AI or the due date broken."""
    valid = st.builds(
        _shop_barcode,
        st.from_regex(r"[0-9]{16}", fullmatch=True),
        st.integers(0, 9),
        st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))),
        st.integers(0, konbini.MAX_AMOUNT),
    )
    broken = st.tuples(valid, st.integers(0, 43), st.sampled_from("0123456789X")).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]
    )
    odd = st.one_of(
        st.from_regex(r"(EAN)?9[0-9]{43}", fullmatch=True),
        st.from_regex(r"91[0-9]{28}[0-9]{6}[0-9]{8}", fullmatch=True),
        st.text("0123456789", max_size=46),
    )
    return st.one_of(valid, valid.map(lambda b: "EAN" + b), broken, odd)


@settings(max_examples=300, deadline=None)
@given(st.lists(_near_barcodes(), min_size=1, max_size=20))
def test_the_column_check_agrees_with_the_one_barcode_check(barcodes):
    checked = konbini.check_column(pd.Series(barcodes, dtype=object))
    for position, raw in enumerate(barcodes):
        valid = konbini.barcode_problem(raw) is None
        assert bool(checked.valid[position]) is valid, raw
        if valid:
            parsed = konbini.parse(raw)
            assert checked.amount[position] == parsed.amount
            assert checked.user_field_1[position] == parsed.user_field_1
            assert checked.user_field_2[position] == parsed.user_field_2


_slips = st.tuples(
    st.one_of(st.from_regex(r"[0-9]{16}", fullmatch=True), st.text("0123456789x", max_size=17)),
    st.integers(-1, 10),
    st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))),
    st.one_of(
        st.integers(-1, konbini.MAX_AMOUNT + 1),
        st.sampled_from([konbini.STAMP_DUTY_THRESHOLD - 1, konbini.STAMP_DUTY_THRESHOLD]),
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_slips, min_size=1, max_size=20))
def test_the_column_build_agrees_with_the_one_slip_build(slips):
    refs, reissues, dues, amounts = zip(*slips, strict=True)
    barcodes, problems = konbini.build_column(
        company_code="929023",
        shop_code="12345",
        payment_refs=pd.Series(refs, dtype=object),
        reissue_nos=pd.Series(reissues),
        due_dates=pd.Series(pd.to_datetime(pd.Series(dues, dtype=object))),
        amounts=pd.Series(amounts),
    )
    for position, (ref, reissue, due, amount) in enumerate(slips):
        if due is None:
            assert barcodes[position] is None
            assert problems[position] == "no due date for the slip"
            continue
        try:
            expected = _shop_barcode(ref, reissue, due, amount)
        except ValueError as error:
            assert (barcodes[position], problems[position]) == (None, str(error))
        else:
            assert (barcodes[position], problems[position]) == (expected, None)
