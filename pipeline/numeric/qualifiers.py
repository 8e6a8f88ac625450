"""Qualifiers around an amount (kept outside the entity span, recorded in norm).

Prefix qualifiers sit immediately before the span (約500億円, 超过500亿元);
suffix qualifiers immediately after it (117億元以上, 5000万元左右).
"""
from __future__ import annotations

import re

__all__ = ["prefix_qualifier", "suffix_qualifier", "qualifier_around", "SUFFIX_QUALIFIER_SRC"]

_PREFIX = {
    "大约": "approx", "大約": "approx", "およそ": "approx", "約": "approx", "约": "approx",
    "大概": "approx",
    "超过": "over", "超過": "over", "突破": "over", "逾": "over", "超": "over",
    "不到": "under", "不足": "under", "将近": "under", "將近": "under", "近": "under",
}
_SUFFIX = {
    "以上": "over", "を超える": "over", "を超え": "over", "を上回る": "over", "超え": "over",
    "超": "over", "余り": "over", "あまり": "over", "余": "over", "強": "over", "多": "over",
    "未満": "under", "未满": "under", "以下": "under", "近く": "under", "近い": "under", "足らず": "under", "弱": "under",
    "不到": "under",
    "程度": "approx", "前後": "approx", "ほど": "approx", "左右": "approx", "上下": "approx",
}


def _alt(words):
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# Prefix: search in the few characters before the span, anchored at the end.
# One linking verb may sit between (约占三成, 约为500亿元, 約で).
_PREFIX_RE = re.compile(rf"(?:{_alt(_PREFIX)})[占为為达達是]?$")
# "多" after an amount only as a bare qualifier (not 多个/多家...).
SUFFIX_QUALIFIER_SRC = _alt(_SUFFIX)
_SUFFIX_RE = re.compile(
    rf"(?:{_alt(w for w in _SUFFIX if w != '多')}|多(?![个個家名位种種項项次年月日人]))"
)


def prefix_qualifier(text: str, start: int) -> str | None:
    if start <= 0:
        return None
    m = _PREFIX_RE.search(text, max(0, start - 4), start)
    if not m:
        return None
    w = m.group()
    return _PREFIX.get(w) or _PREFIX[w[:-1]]


def suffix_qualifier(text: str, end: int) -> tuple[str, int] | None:
    """Returns (qualifier, end of qualifier) or None."""
    m = _SUFFIX_RE.match(text, end)
    if not m:
        return None
    return _SUFFIX[m.group()], m.end()


def qualifier_around(text: str, start: int, end: int) -> str | None:
    """The qualifier of the amount text[start:end]: a word before it wins, then one after it."""
    q = prefix_qualifier(text, start)
    if q is None:
        sq = suffix_qualifier(text, end)
        if sq is not None:
            q = sq[0]
    return q
