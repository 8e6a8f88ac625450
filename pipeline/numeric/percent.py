"""PERCENT grammar::

    PCTUNIT = "%" | "パーセント"                         (％ is normalised to %)
    PERCENT = ( NUM PCTUNIT? RANGE )? NUM PCTUNIT       # 70%  3〜5%  3%~5%
            | "百分之" NUM "%"?                          # 百分之三点五
            | NUM "割" ( NUM "分" )?                      # 7割  7割5分
            | NUM "成" "半"?                             # 3成  三成  四成半 (45)

Percentage *points* (ポイント, %ポイント, 个百分点, 百分点) are not PERCENT:
they are a difference, not a ratio, and are left unannotated.
"""
from __future__ import annotations

import re
from decimal import Decimal

from .numbers import NUM, parse_number, fmt_decimal
from .qualifiers import qualifier_around

__all__ = ["percent_at"]

_UNIT = r"(?:%|パーセント)(?!ポイント|pt|ﾎﾟｲﾝﾄ)"
_RANGE = r"\s?(?:[~\-—]|至|到)\s?"

PERCENT_RE = re.compile(
    rf"(?:(?P<a>{NUM})(?:%|パーセント)?{_RANGE})?(?P<b>{NUM}){_UNIT}"
    rf"|(?P<g>[0-9]+・[0-9]+){_UNIT}"
    rf"|百分之(?P<c>{NUM})(?![个個]?百分[点點])%?"
    rf"|(?P<d>{NUM})割(?:(?P<e>{NUM})分)?"
    rf"|(?P<f>{NUM})成(?P<half>半)?(?![为為功立长長员員本交果绩績都分年人品型形就熟不])"
)
_BLOCK_BEFORE = frozenset("数數几幾何")
_TEN = Decimal(10)


def _point(p, norm):
    """Put a parsed number's value (or bounds, or note) into norm; False if not a number."""
    if p is None:
        return False
    if p.value is not None:
        norm["value"] = fmt_decimal(p.value)
    elif p.lo is not None:
        norm["value_min"] = fmt_decimal(p.lo)
        norm["value_max"] = fmt_decimal(p.hi)
    else:
        norm["value_note"] = p.note
    return True


def percent_at(text: str, pos: int, is_ja: bool = False):
    zh = not is_ja
    m = PERCENT_RE.match(text, pos)
    if m is None:
        return None
    start, end = m.start(), m.end()
    if start > 0 and text[start - 1] in _BLOCK_BEFORE or is_ja and text[start] == "上":
        return None
    norm: dict = {}
    more = False
    if m.group("b") is not None:
        pb = parse_number(m.group("b"), zh)
        if pb is None:
            return None
        more = pb.more
        if m.group("a") is not None:
            pa = parse_number(m.group("a"), zh)
            if pa is None:
                return None
            if pa.value is not None and pb.value is not None and pa.value < pb.value:
                norm["value_min"] = fmt_decimal(pa.value)
                norm["value_max"] = fmt_decimal(pb.value)
            else:
                norm["value_note"] = pa.note or pb.note or "range bounds out of order or approximate"
        else:
            _point(pb, norm)
    elif m.group("g") is not None:
        norm["value"] = fmt_decimal(Decimal(m.group("g").replace("・", ".")))
    elif m.group("c") is not None:
        pc = parse_number(m.group("c"), zh)
        if pc is None:
            return None
        more = pc.more
        _point(pc, norm)
    elif m.group("d") is not None:
        pd = parse_number(m.group("d"), zh)
        if pd is None or pd.value is None or pd.has_big or pd.value > 10:
            return None
        v = pd.value * _TEN
        if m.group("e") is not None:
            pe = parse_number(m.group("e"), zh)
            if pe is None or pe.value is None or pe.has_big:
                return None
            v += pe.value
        norm["value"] = fmt_decimal(v)
    else:
        pf = parse_number(m.group("f"), zh)
        if pf is None or pf.value is None or pf.has_big or pf.value > 10:
            return None
        if is_ja and pf.kanji_only:
            return None      # ja 成 with kanji is rare as a ratio and common in names (石田三成)
        v = pf.value * _TEN
        if m.group("half") is not None:
            v += 5                       # 四成半 = 45%
        norm["value"] = fmt_decimal(v)
    q = "over" if more else qualifier_around(text, start, end)
    if q is None and ("value_min" in norm and m.group("a") is None):
        q = "approx"                     # 数十% / 七八成: bounds of a vague amount
    if q is not None:
        norm["qualifier"] = q
    return start, end, norm
