"""Differential tests: numbers rendered by independent libraries, read back by the grammar.

cn2an (``an2cn``) renders Chinese numerals, lower case (一万零五) and financial upper
case (壹万零伍), with the 零 patterns of standard writing; kanjize (``number2kanji``)
renders Japanese numerals: kanji (一万五 = 10005), mixed (1万5, 223兆4千億4256万6千,
with and without 千) and daiji (壱萬伍).  Hypothesis draws the values, the
rendering is wrapped in a money phrase, and the test asserts the exact span and
the exact decimal value.  The oracles are test-only dependencies (the ``dev``
extra); the pipeline does not import them.

Where the strategies are narrower than "any value", it is because of what the
oracle can render or what the press writes:

* zh integers stop below 10^16: cn2an's documented range, and Chinese has no unit
  above 万亿 in use (10^16 would be 亿亿).  Larger Chinese amounts are written
  with Arabic digits and 万亿 (12345.6789万亿); ``test_zh_arabic_coefficient``
  covers them up to 10^20.
* zh decimals are a coefficient below 10^4 with a unit after it (三点五亿): cn2an
  also renders 一百万点五 (a point after a big unit), which the press never writes.
* ja: kanjize's positional style (二〇三〇一) is left out: the press writes
  positional kanji for years and codes, not amounts, and two-digit positional
  numbers (一二 = 12) collide with approximate ranges (一二 = one or two).
  Japanese decimals are Arabic (3.25億円); kanjize renders integers only.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pipeline.numeric import find_numeric
from pipeline.numeric.numbers import fmt_decimal

cn2an = pytest.importorskip("cn2an", reason="cn2an (dev extra) is the Chinese oracle")
kanjize = pytest.importorskip("kanjize", reason="kanjize (dev extra) is the Japanese oracle")

EXAMPLES = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ZH_PREFIX = st.sampled_from(["金额为", "共计", "，", "价值", "投资"])
ZH_CURRENCY = st.sampled_from(["元", "美元", "日元", "港元", "欧元", "圆", "马克"])
ZH_ISO = {"元": "CNY", "美元": "USD", "日元": "JPY", "港元": "HKD", "欧元": "EUR", "圆": "CNY",
          "马克": "DEM"}
ZH_SUFFIX = st.sampled_from(["。", "，", "的", ""])
ZH_UNITS = {"": 1, "万": 10**4, "亿": 10**8, "万亿": 10**12}

JA_PREFIX = st.sampled_from(["総額", "、", "約", "は", "費用は"])
JA_CURRENCY = st.sampled_from(["円", "ドル", "ユーロ", "元", "マルク"])
JA_ISO = {"円": "JPY", "ドル": "USD", "ユーロ": "EUR", "元": "CNY", "マルク": "DEM"}
JA_SUFFIX = st.sampled_from(["を", "の", "。", ""])
JA_UNITS = {"": 1, "万": 10**4, "億": 10**8, "兆": 10**12, "京": 10**16}


def _one_money(text: str, lang: str, start: int, end: int) -> dict:
    res = find_numeric(text, lang)
    got = [(m.start, m.end, m.label) for m in res]
    assert got == [(start, end, "MONEY")], (text, got)
    return res[0].norm


def _lone_digit_prefix(prefix: str, rendered: str, currency: str, punct: str) -> str:
    """A lone kanji digit before 元/圆 right after a Han character (投资一元, 総額零元) is
    not taken as money on purpose (张一元, 一元化 are names and words): such a phrase
    is not a money phrase, so the prefix becomes punctuation."""
    if len(rendered) == 1 and not rendered.isascii() and currency in ("元", "圆"):
        return punct
    return prefix


def _check_integer(value, rendered, prefix, currency, suffix, lang, iso):
    """``prefix + rendered + currency + suffix`` holds exactly one MONEY: the rendered number and
    its currency word, with the oracle's value and the currency's ISO code."""
    text = prefix + rendered + currency + suffix
    norm = _one_money(text, lang, len(prefix), len(prefix) + len(rendered) + len(currency))
    assert norm.get("value") == str(value), (text, norm)
    assert norm["currency"] == iso[currency]


@EXAMPLES
@given(st.integers(0, 10**16 - 1), st.sampled_from(["low", "up"]), ZH_PREFIX, ZH_CURRENCY, ZH_SUFFIX)
def test_zh_integers_from_cn2an(value, mode, prefix, currency, suffix):
    rendered = cn2an.an2cn(str(value), mode)
    _check_integer(value, rendered, _lone_digit_prefix(prefix, rendered, currency, "，"), currency, suffix, "zh-Hans", ZH_ISO)


@EXAMPLES
@given(st.integers(0, 9999), st.integers(1, 9999), st.integers(1, 4),
       st.sampled_from(sorted(ZH_UNITS)), st.sampled_from(["low", "up"]), ZH_PREFIX, ZH_CURRENCY)
def test_zh_decimals_from_cn2an(whole, frac, places, unit, mode, prefix, currency):
    coef = Decimal(whole) + Decimal(frac % 10**places or 1) / Decimal(10**places)
    rendered = cn2an.an2cn(format(coef, "f"), mode) + unit
    text = prefix + rendered + currency + "。"
    norm = _one_money(text, "zh-Hans", len(prefix), len(prefix) + len(rendered) + len(currency))
    assert Decimal(norm["value"]) == coef * ZH_UNITS[unit], (text, norm)
    assert norm["value"] == fmt_decimal(coef * ZH_UNITS[unit])


@EXAMPLES
@given(st.integers(1, 99999), st.integers(0, 9999), st.sampled_from(["万", "亿", "万亿"]),
       st.sampled_from(["", ",", "，"]), ZH_PREFIX, ZH_CURRENCY)
def test_zh_arabic_coefficient(whole, frac, unit, sep, prefix, currency):
    """Arabic coefficient and a unit, up to 10^20 (99999.9999万亿)."""
    head = len(str(whole)) % 3 or 3
    if sep == "，" and not frac and head == 3:
        sep = ""    # 123，456亿: without a decimal part the zh grammar reads ， as a clause comma
    w = f"{whole:,}".replace(",", sep)
    coef_s = f"{w}.{frac}" if frac else w
    value = (Decimal(whole) + (Decimal(f"0.{frac}") if frac else 0)) * ZH_UNITS[unit]
    text = prefix + coef_s + unit + currency + "。"
    norm = _one_money(text, "zh-Hans", len(prefix), len(text) - 1)
    assert norm["value"] == fmt_decimal(value), (text, norm)


def _kanjize(value: int, style: str) -> str:
    K = kanjize
    if style == "kanji":
        return K.number2kanji(value)
    if style == "mixed":
        return K.number2kanji(value, config=K.KanjizeConfiguration(style=K.KanjizeStyle.MIXED))
    if style == "mixed-arabic-thousands":
        return K.number2kanji(value, config=K.KanjizeConfiguration(
            style=K.KanjizeStyle.MIXED, kanji_thousand=False))
    return K.number2kanji(value, config=K.KanjizeConfiguration(use_daiji=True))


@EXAMPLES
@given(st.integers(0, 10**20), st.sampled_from(["kanji", "mixed", "mixed-arabic-thousands", "daiji"]),
       JA_PREFIX, JA_CURRENCY, JA_SUFFIX)
def test_ja_integers_from_kanjize(value, style, prefix, currency, suffix):
    rendered = _kanjize(value, style)
    _check_integer(value, rendered, _lone_digit_prefix(prefix, rendered, currency, "、"), currency, suffix, "ja", JA_ISO)


@EXAMPLES
@given(st.integers(0, 9999), st.integers(1, 99), st.sampled_from(sorted(JA_UNITS)), JA_PREFIX,
       JA_CURRENCY)
def test_ja_decimal_coefficient(whole, frac, unit, prefix, currency):
    """Arabic decimal with a kanji unit (3.25億円), and the unit's name checked against kanjize."""
    if unit:
        assert kanjize.kanji2number("一" + unit) == JA_UNITS[unit]
    coef = Decimal(f"{whole}.{frac:02d}")
    text = prefix + f"{whole}.{frac:02d}" + unit + currency + "を"
    norm = _one_money(text, "ja", len(prefix), len(text) - 1)
    assert norm["value"] == fmt_decimal(coef * JA_UNITS[unit]), (text, norm)
