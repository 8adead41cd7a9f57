"""The konbini barcode: the spec's examples, check digits, and build/parse agreeing."""

from __future__ import annotations

import datetime as dt

import pytest

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
