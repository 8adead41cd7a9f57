"""Payer names as payers type them (振込依頼人名): the customer number is found first or last,
with or without a separator, in half- or full-width digits; a name of kana alone never
yields one; the name itself normalizes the same with the number anywhere."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon_pipeline.kana import normalize_kana
from recon_pipeline.resources.warehouse import create_tables

HALF_KANA = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝﾞﾟｰ"
SEPARATORS = ["", " ", "\u3000", "-", "－", ",", "，", ".", "．", "/", "／"]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

WORD = st.text(st.sampled_from(HALF_KANA), min_size=1, max_size=8)
NAME = st.builds(
    lambda words, corporate: ("ｶ)" if corporate else "") + " ".join(words),
    st.lists(WORD, min_size=1, max_size=3),
    st.booleans(),
).filter(lambda name: not name.startswith("ﾞ") and len(name.encode("cp932")) <= 38)
NUMBER = st.integers(min_value=0, max_value=9_999_999).map(lambda n: f"{n:07d}")


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    create_tables(connection)
    yield connection
    connection.close()


def read_number(con, payer_name: str) -> str | None:
    return con.execute("SELECT staging.payer_customer_number($1)", [payer_name]).fetchone()[0]


@settings(max_examples=600, deadline=None)
@given(
    NUMBER,
    NAME,
    st.sampled_from(SEPARATORS),
    st.sampled_from(["first", "last"]),
    st.booleans(),
)
def test_a_customer_number_is_read_wherever_and_however_it_is_typed(
    con, number, name, separator, position, full_width
):
    typed = number.translate(FULL_WIDTH) if full_width else number
    payer = f"{typed}{separator}{name}" if position == "first" else f"{name}{separator}{typed}"
    assert read_number(con, payer) == number
    assert normalize_kana(payer) == normalize_kana(name)


@settings(max_examples=600, deadline=None)
@given(NAME)
def test_a_name_of_kana_alone_never_yields_a_customer_number(con, name):
    assert read_number(con, name) is None


@pytest.mark.parametrize(
    "payer",
    [
        "12345678 ﾔﾏﾀﾞ ﾀﾛｳ",  # eight digits: an account or member number, not ours
        "ﾔﾏﾀﾞ ﾀﾛｳ 09012345678",  # a phone number
        "123456 ﾔﾏﾀﾞ",  # six digits
        "ﾔﾏﾀﾞ 123 4567",  # split digits
    ],
)
def test_a_number_that_is_not_seven_digits_alone_is_no_customer_number(con, payer):
    assert read_number(con, payer) is None
