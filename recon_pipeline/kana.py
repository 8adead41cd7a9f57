"""Payer-name normalization for bank transfers (振込依頼人名), so a Zengin half-width name and
a customer's full-width kana compare equal.

jaconv does the width conversion and joins separate voiced marks (ｶﾞ → ガ); the rules no
library has are Zengin conventions: small kana are written large (ｷﾖｳｺ for キョウコ), legal
forms are abbreviated (ｶ) / (ｶ for 株式会社, ﾕ) for 有限会社, ﾄﾞ) for 合同会社 …), and the payer
types a customer number before or after the name. Used for suggestions only, never automatic
matches.
"""

from __future__ import annotations

import re

import jaconv

SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
LEGAL_FORMS = (
    "カブシキガイシヤ",
    "ユウゲンガイシヤ",
    "ゴウドウガイシヤ",
    "ゴウシガイシヤ",
    "ゴウメイガイシヤ",
    "イツパンシヤダンホウジン",
    "イリヨウホウジン",
    "ガツコウホウジン",
)
ABBREVIATIONS = re.compile(
    r"\((?:カ|ユ|ド|シ|メ|ザイ|シヤ|イ|ガク)\)|\((?:カ|ユ|ド|シ|メ|イ)|"
    r"(?:カ|ユ|ド|シ|メ|イ)\)"
)
SEPARATORS = r"[\s\u3000\-\uff0d\u2010,\uff0c\u3001.\uff0e/\uff0f]*"
NUMBER_FIRST = re.compile(rf"^\s*[0-9\uff10-\uff19]+{SEPARATORS}")
NUMBER_LAST = re.compile(rf"{SEPARATORS}[0-9\uff10-\uff19]+\s*$")
"""A number typed before or after the name (the customer number, or one that is nobody's) and
the separator beside it: not part of the name (staging.payer_customer_number reads it)."""
SPACES = re.compile(r"[\s\u3000]+")


def normalize_kana(name: str | None) -> str | None:
    """``0000103 ｽｽﾞｷ ｷﾖｳｺ``, ``ｽｽﾞｷ ｷﾖｳｺ/0000103`` and ``スズキ キョウコ`` all become
    ``スズキキヨウコ``."""
    if name is None:
        return None
    text = NUMBER_LAST.sub("", NUMBER_FIRST.sub("", name.strip()))
    text = jaconv.h2z(text, kana=True, ascii=False, digit=False)
    text = jaconv.z2h(text, kana=False, ascii=True, digit=True)
    text = text.translate(SMALL_TO_LARGE)
    text = ABBREVIATIONS.sub("", text)
    for form in LEGAL_FORMS:
        text = text.replace(form, "")
    return SPACES.sub("", text) or None
