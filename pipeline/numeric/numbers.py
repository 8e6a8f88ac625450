"""Layer 1 of the numeric grammar: numerals.

``NUM`` (a regex source string, no capturing groups) recognises one written
number; :func:`parse_number` turns the matched text into an exact
:class:`decimal.Decimal`.  Everything here works on *normalised* text (see
:func:`normalise`), which differs from the input only by same-length,
one-code-point-for-one-code-point substitutions, so offsets are preserved.

Grammar (EBNF-ish, terminals in quotes)::

    AR     = digits ( "," 3digits )+ | digits ) ( "." digits )?   # 1,234.5  1234
    KD     = 〇 零 一 二 三 四 五 六 七 八 九 两 兩 壹 壱 贰 貳 弐 叁 參 参 肆 伍 陆 陸 柒 捌 玖
    KS     = 十 拾 百 佰 千 仟 (small multipliers)
    BG     = 万 萬 億 亿 兆 (big multipliers; stacked 万亿 = 10^12)
    MORE   = 多 余 餘 (inside-number "and more": 三千多万, 2亿余)
    GROUP  = AR ( KS ( AR KS )* )?           # 3  3千  3千5百
           | ( KD | KS )+ ( ("点"|"點") KD+ )? # 一千二百  二〇二一  三点五
    NUM    = GROUP MORE? ( BG+ MORE? GROUP MORE? )* ( BG+ MORE? )?

Evaluation: positional kanji digits (二〇二一) concatenate; otherwise the usual
CJK rule: ``section += digit * KS``; ``total += section * BG``.  Arabic and
kanji may mix (38億4900万, 1.2万亿, 3千万).
"""
from __future__ import annotations

import decimal
import re
from decimal import Decimal

__all__ = [
    "NUM", "KD_CHARS", "KS_CHARS", "BG_CHARS", "MORE_CHARS",
    "parse_number", "fmt_decimal", "normalise", "ParsedNumber",
]

KD_MAP = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9, "两": 2, "兩": 2,
    "壹": 1, "壱": 1, "贰": 2, "貳": 2, "弐": 2, "叁": 3, "參": 3, "参": 3, "肆": 4, "伍": 5,
    "陆": 6, "陸": 6, "柒": 7, "捌": 8, "玖": 9,
}
KS_MAP = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BG_MAP = {"万": 10**4, "萬": 10**4, "億": 10**8, "亿": 10**8, "兆": 10**12}
MORE_CHARS = "多余餘"
POINT_CHARS = "点點"

KD_CHARS = "".join(KD_MAP)
KS_CHARS = "".join(KS_MAP)
BG_CHARS = "".join(BG_MAP)
_ASCII_DIGITS = frozenset("0123456789")

_AR = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?"
_KD = "[" + KD_CHARS + "]"
_KS = "[" + KS_CHARS + "]"
_BG = "[" + BG_CHARS + "]"
_MORE = "[" + MORE_CHARS + "]"
_GROUP = (
    rf"(?:{_AR}(?:{_KS}(?:{_AR}{_KS})*)?"
    rf"|[{KD_CHARS}{KS_CHARS}]++(?:[{POINT_CHARS}]{_KD}++)?)"
)
# Atomic groups keep backtracking linear on adversarial input.
NUM = rf"(?>{_GROUP}{_MORE}?(?:{_BG}++{_MORE}?{_GROUP}{_MORE}?)*+(?:{_BG}++{_MORE}?)?)"

# ---------------------------------------------------------------- normalisation
_FW = {}
for _i in range(10):
    _FW[0xFF10 + _i] = 0x30 + _i                       # ０-９
for _i in range(26):
    _FW[0xFF21 + _i] = 0x41 + _i                       # Ａ-Ｚ
    _FW[0xFF41 + _i] = 0x61 + _i                       # ａ-ｚ
_FW.update({
    ord("．"): ord("."), ord("％"): ord("%"), ord("＄"): ord("$"),
    ord("￥"): ord("¥"), ord("￡"): ord("£"), ord("￦"): ord("₩"),
    ord("～"): ord("~"), ord("〜"): ord("~"), ord("－"): ord("-"),
    ord("−"): ord("-"), ord("–"): ord("-"), ord("／"): ord("/"),
    ord("﹪"): ord("%"),
})
_TABLE_ZH = dict(_FW)
_TABLE_JA = dict(_FW)
# Full-width comma is a thousands separator in Japanese full-width numbers
# (１，０００円); in Chinese it is the ordinary clause comma, so only ja maps it.
_TABLE_JA[ord("，")] = ord(",")


_NEEDS_JA = re.compile("[" + re.escape("".join(map(chr, _TABLE_JA))) + "]")
_NEEDS_ZH = re.compile("[" + re.escape("".join(map(chr, _TABLE_ZH))) + "]")


def normalise(text: str, is_ja: bool) -> str:
    """Same-length normalisation (every mapping is one BMP code point to one).
    Most text contains none of the mapped characters; a C-speed search avoids
    the per-character translate in that case."""
    if is_ja:
        return text.translate(_TABLE_JA) if _NEEDS_JA.search(text) else text
    return text.translate(_TABLE_ZH) if _NEEDS_ZH.search(text) else text


# ---------------------------------------------------------------- evaluation
_CTX = decimal.Context(prec=80, Emax=999, Emin=-999)


class ParsedNumber:
    __slots__ = ("value", "scale", "has_big", "more", "has_arabic", "has_comma", "kanji_only")

    def __init__(self, value, scale, has_big, more, has_arabic, has_comma):
        self.value = value          # Decimal
        self.scale = scale          # multiplier of the leading big-unit group, or None
        self.has_big = has_big      # any 万/億/兆
        self.more = more            # inside-number 多/余
        self.has_arabic = has_arabic
        self.has_comma = has_comma
        self.kanji_only = not has_arabic


def parse_number(s: str) -> ParsedNumber | None:
    """Evaluate a string matched by ``NUM``. Returns None when it is not a
    well-formed number (never raises)."""
    if not s or len(s) > 60:
        return None
    try:
        return _parse(s)
    except (decimal.DecimalException, ValueError, TypeError):
        return None


def _parse(s: str) -> ParsedNumber | None:
    ctx = _CTX
    total = Decimal(0)
    section = Decimal(0)
    cur = None
    prev = ""
    last_group = None
    groups = 0
    scale = None
    has_big = more = has_arabic = has_comma = False
    n = len(s)
    i = 0
    while i < n:
        ch = s[i]
        if ch in _ASCII_DIGITS:
            j = i
            while j < n and (s[j] in _ASCII_DIGITS or s[j] in ".,"):
                j += 1
            tok = s[i:j]
            if "," in tok:
                has_comma = True
                tok = tok.replace(",", "")
            if cur is not None or len(tok) > 40:
                return None
            cur = Decimal(tok)
            has_arabic = True
            prev = "ar"
            i = j
            continue
        d = KD_MAP.get(ch)
        if d is not None:
            if prev == "kd":
                cur = ctx.add(ctx.multiply(cur, 10), d)
            elif cur is not None:
                return None
            else:
                cur = Decimal(d)
            prev = "kd"
            i += 1
            continue
        if ch in POINT_CHARS:
            j = i + 1
            digits = []
            while j < n and s[j] in KD_MAP:
                digits.append(str(KD_MAP[s[j]]))
                j += 1
            if not digits or cur is None:
                return None
            cur = ctx.add(cur, Decimal("0." + "".join(digits)))
            prev = "pt"
            i = j
            continue
        u = KS_MAP.get(ch)
        if u is not None:
            section = ctx.add(section, ctx.multiply(cur if cur is not None else Decimal(1), u))
            cur = None
            prev = "ks"
            i += 1
            continue
        b = BG_MAP.get(ch)
        if b is not None:
            has_big = True
            if prev == "bg":                      # stacked units: 万亿, 万億
                total = ctx.subtract(total, last_group)
                last_group = ctx.multiply(last_group, b)
                total = ctx.add(total, last_group)
                if groups == 1:
                    scale *= b
            else:
                g = ctx.add(section, cur if cur is not None else 0)
                if g == 0 and cur is None and prev != "ks":
                    return None
                last_group = ctx.multiply(g, b)
                total = ctx.add(total, last_group)
                groups += 1
                if scale is None:
                    scale = b
                section = Decimal(0)
                cur = None
            prev = "bg"
            i += 1
            continue
        if ch in MORE_CHARS:
            more = True
            i += 1
            continue
        return None
    total = ctx.add(total, ctx.add(section, cur if cur is not None else 0))
    return ParsedNumber(total, scale, has_big, more, has_arabic, has_comma)


def fmt_decimal(d: Decimal) -> str:
    """Exact plain decimal string: no exponent, no trailing fractional zeros."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s
