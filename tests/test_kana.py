"""Payer-name normalization: a Zengin half-width name and a customer's kana compare equal."""

from __future__ import annotations

import pytest

from recon_pipeline.kana import normalize_kana


@pytest.mark.parametrize(
    ("zengin", "customer"),
    [
        ("0000103 ｽｽﾞｷ ｷﾖｳｺ", "スズキ キョウコ"),  # number split off, small kana enlarged
        ("ﾔﾏﾓﾄ ｼﾞﾛｳ", "ヤマモト　ジロウ"),  # voiced marks joined, full-width space
        ("ｶ)ﾐﾄﾞﾘｼﾖｳｼﾞ", "カブシキガイシャ ミドリシヨウジ"),  # 株式会社 abbreviated / spelled out
        ("ﾐﾄﾞﾘｼﾖｳｼﾞ(ｶ", "ミドリショウジ"),
        ("(ｶ)ﾐﾄﾞﾘ ｼﾖｳｼﾞ", "ミドリショウジ"),
        ("ﾕ)ﾊﾟﾝﾉﾔ", "ユウゲンガイシャ パンノヤ"),  # 有限会社, semi-voiced mark
    ],
)
def test_both_sides_normalize_to_the_same_name(zengin, customer):
    assert normalize_kana(zengin) == normalize_kana(customer)


def test_different_people_stay_different():
    assert normalize_kana("ｻﾄｳ ﾊﾅｺ") != normalize_kana("サトウ ハルコ")
    assert normalize_kana(None) is None
    assert normalize_kana("0000001 ") is None
