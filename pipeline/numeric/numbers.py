"""Layer 1 of the numeric grammar: numerals.

``NUM`` (a regex source string, no capturing groups) finds one written
number: a run of number tokens.  :func:`parse_number` reads the tokens with
place values and returns the exact value as :class:`decimal.Decimal`, a pair
of bounds, or the reason why the value cannot be known.  Everything here works
on *normalised* text (see :func:`normalise`), which differs from the input
only by same-length, one-code-point-for-one-code-point substitutions, so
offsets are preserved.

Tokens::

    AR    = 1234 | 1,234 | 1,234.5 | 3.5 | 4·8 | 10・9    (· ・ between digits are a decimal point)
            | zh only: 56，300.50 | 12，345  (full-width comma as a thousands separator: with a
              decimal part, or after a first group of one or two digits)
    KD    = 〇 零 一 二 三 四 五 六 七 八 九 两 兩, financial 壹 壱 贰 貳 弐 叁 參 参 肆 伍
            陆 陸 柒 漆 捌 玖;  廿 卄 卅 卌 (= 二十 三十 四十)
    VAGUE = 几 幾 数 數 ("some": 数十亿, 十几亿, 十数億)
    KS    = 十 拾 百 佰 陌 千 仟 阡          (small units, 10 100 1000)
    BG    = 万 萬 億 亿 兆 京 垓             (big units, 10^4 10^8 10^12 10^16 10^20)
    MORE  = 多 余 餘                         (三千多万, 2亿余: "and more")
    PT    = 点 點 KD+                        (三点五)
    NUM   = ( AR | (KD|VAGUE)+ | 上 )? ( (KS|BG|MORE)+ ( AR | (KD|VAGUE)+ )? | PT )*
            (non-empty; 上 only before a unit; AR and a kanji digit never touch)

Reading (the way cn2an reads Chinese and kanjize reads Japanese):

* A *section* is digits times small units (三千五百 = 3500, 3千5百 = 3500,
  十五 = 15: a unit without a digit means one).  A big unit multiplies
  everything before it that was counted in smaller big units: 一万二千亿 =
  (1万2千) x 亿 = 1.2 x 10^12, 1万2000億 likewise; 1京2000兆 = 10^16 + 2000 x
  10^12; stacked units multiply (1.2万亿 = 1.2 x 10^12).
* 零/〇 holds an empty place: 三千零十五 = 3015, 3亿零五千120 = 300,005,120.
  Arabic digits after a unit fill that unit's places (五千120 = 5120,
  38億4900万).
* A digit run of three or more kanji, or of two with 〇/零, is positional
  (二〇二一, 一〇〇万 = 100万).
* Two neighbouring kanji digits are an approximate range, not one number:
  七八亿 = 7亿..8亿, 三四千 = 3000..4000, 十七八万 = 17万..18万.  Two other
  kanji digits side by side (二五) have no known value.
* VAGUE (and a leading 上 in Chinese) gives bounds: as a multiplier it is 1..10
  (数十亿 = 10^9..10^10, 几千 = 1000..10000, 上千万 = 10^7..10^8: the decade that
  holds every reading of "several", so the bounds never exclude the meant
  amount); as the last digit after a unit it is 0..one of that unit (十几亿 =
  10..20 x 10^8, 十数億 the same).
* Spoken short forms.  Chinese: a last kanji digit right after a unit, with no
  零 before it, takes the next lower place: 两万五 = 25000, 五千八 = 5800,
  一百五 = 150, 三亿五 = 3.5亿 (a skipped place must be written 零: 两万零五).
  Japanese has no 零 convention, so a last digit is the ones: 一万五 = 10005,
  二千五 = 2005 (kanjize reads them so).  Arabic digits after a unit with
  fewer digits than the unit's places (1万5, 3亿5000) are a short form in
  Chinese and ones in Japanese: in Chinese their value is left out
  (``note``); a kanji digit inside a section followed by a big unit (三千五万)
  likewise.

Malformed runs (两个数 side by side, units out of order: 五百三千, 1億2億) are
not numbers: :func:`parse_number` returns None.
"""
from __future__ import annotations

import decimal
import re
from decimal import Decimal

__all__ = [
    "NUM", "KD_CHARS", "KS_CHARS", "BG_CHARS", "MORE_CHARS", "VAGUE_CHARS", "LEAD_CHARS",
    "parse_number", "fmt_decimal", "normalise", "ParsedNumber",
]

KD_MAP = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9, "两": 2, "兩": 2,
    "壹": 1, "壱": 1, "贰": 2, "貳": 2, "弐": 2, "叁": 3, "參": 3, "参": 3, "肆": 4, "伍": 5,
    "陆": 6, "陸": 6, "柒": 7, "漆": 7, "捌": 8, "玖": 9,
}
TENS_MAP = {"廿": 2, "卄": 2, "卅": 3, "卌": 4}          # 廿五 = 二十五
KS_MAP = {"十": 10, "拾": 10, "百": 100, "佰": 100, "陌": 100, "千": 1000, "仟": 1000, "阡": 1000}
BG_MAP = {"万": 10**4, "萬": 10**4, "億": 10**8, "亿": 10**8, "兆": 10**12, "京": 10**16,
          "垓": 10**20}
MORE_CHARS = "多余餘"
POINT_CHARS = "点點"
VAGUE_CHARS = "几幾数數"
LEAD_CHARS = "上"          # 上千万: only as the first character, in Chinese
ZERO_CHARS = "〇零"
# Financial (大写) digits: a strong sign of a money amount (伍角陆分).
FINANCIAL_CHARS = "壹壱贰貳弐叁參参肆伍陆陸柒漆捌玖拾佰仟阡"

KD_CHARS = "".join(KD_MAP) + "".join(TENS_MAP)
KS_CHARS = "".join(KS_MAP)
BG_CHARS = "".join(BG_MAP)
_ASCII_DIGITS = frozenset("0123456789")

_AR = (
    r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:[.·・][0-9]+)?"
    r"|[0-9]{1,3}(?:，[0-9]{3})+\.[0-9]+"
    r"|[0-9]{1,2}(?:，[0-9]{3})+(?![0-9])"
    r"|[0-9]+(?:[.·・][0-9]+)?)"
)
_DIG = f"[{KD_CHARS}{VAGUE_CHARS}]"
_UNIT = f"[{KS_CHARS}{BG_CHARS}]"
_PT = f"[{POINT_CHARS}][{''.join(KD_MAP)}]+"
_HEAD = rf"(?:{_AR}|{_DIG}++|[{LEAD_CHARS}](?=[{KS_CHARS}{BG_CHARS}]))"
# Arabic digits and kanji digits never touch (六6万 is two numbers): after a
# head, units and 多/余 alternate with one digit group each.  Atomic group and
# possessive repetition keep backtracking linear on adversarial input.
NUM = (
    rf"(?>(?=[0-9{KD_CHARS}{VAGUE_CHARS}{KS_CHARS}]|[{LEAD_CHARS}][{KS_CHARS}{BG_CHARS}]){_HEAD}?"
    rf"(?:[{KS_CHARS}{BG_CHARS}{MORE_CHARS}]++(?:{_AR}|{_DIG}++)?|{_PT})*+)"
)

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
    ord("﹪"): ord("%"), ord("･"): ord("・"),
})
_TABLE_ZH = dict(_FW)
_TABLE_JA = dict(_FW)
# Full-width comma is a thousands separator in Japanese full-width numbers
# (１，０００円); in Chinese it is also the clause comma, so the zh grammar
# takes it between digits only in the shapes listed under AR above.
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
_ONE = Decimal(1)
_ZERO = Decimal(0)


class ParsedNumber:
    """The reading of one NUM match.

    Exactly one of: ``value`` (exact), ``lo``/``hi`` (an approximate range or a
    vague amount: ``approx`` is True), or ``note`` (why no value can be given)."""
    __slots__ = ("value", "lo", "hi", "note", "approx", "more", "has_big", "has_unit",
                 "has_arabic", "has_comma", "kanji_only", "financial", "lead_mult", "top_unit")

    def __init__(self):
        self.value = self.lo = self.hi = self.note = None
        self.approx = self.more = self.has_big = self.has_unit = False
        self.has_arabic = self.has_comma = self.financial = False
        self.kanji_only = True
        self.lead_mult = None       # what the first digit is multiplied by (10^4 in 1200万)
        self.top_unit = 1           # the first big unit (else small unit) written


class _Malformed(Exception):
    """Not a well-formed number (the run is text, not an amount)."""


class _Unsure(Exception):
    """A well-formed number whose value the writing does not fix."""

    def __init__(self, note: str):
        super().__init__(note)
        self.note = note


_TOKEN_RE = re.compile(rf"(?P<ar>{_AR})|(?P<pt>{_PT})|(?P<ch>.)", re.S)


def _tokens(s: str, p: ParsedNumber) -> list[tuple]:
    """Tokens: ("num", lo, hi, kind, ndigits) with kind in ar kd pair vague pos;
    ("ks"|"bg", unit); ("zero",); ("more",); ("pt", Decimal fraction)."""
    out: list[tuple] = []
    run: list[str] = []

    def flush():
        if not run:
            return
        # leading 零/〇 hold a place (一万零五); what follows is the digit run
        i = 0
        while i < len(run) and run[i] in ZERO_CHARS:
            i += 1
        if i:
            out.append(("zero",))
        rest = run[i:]
        run.clear()
        if not rest:
            return
        if any(c in VAGUE_CHARS for c in rest):
            if len(rest) != 1:
                raise _Malformed
            out.append(("num", _ONE, Decimal(10), "vague", 1))
            return
        digits = [KD_MAP[c] for c in rest]
        if len(digits) == 1:
            out.append(("num", Decimal(digits[0]), Decimal(digits[0]), "kd", 1))
        elif len(digits) == 2 and 0 not in digits:
            if digits[1] != digits[0] + 1:
                raise _Unsure("two kanji digits side by side that are not neighbours")
            out.append(("num", Decimal(digits[0]), Decimal(digits[1]), "pair", 1))
        else:
            v = Decimal("".join(map(str, digits)))
            out.append(("num", v, v, "pos", len(digits)))

    for m in _TOKEN_RE.finditer(s):
        ar = m.group("ar")
        if ar is not None:
            flush()
            if "," in ar or "，" in ar:
                p.has_comma = True
                ar = ar.replace(",", "").replace("，", "")
            ar = ar.replace("·", ".").replace("・", ".")
            p.has_arabic = True
            p.kanji_only = False
            nd = len(ar.partition(".")[0])
            if nd > 40:
                raise _Malformed
            v = Decimal(ar)
            out.append(("num", v, v, "ar", nd))
            continue
        pt = m.group("pt")
        if pt is not None:
            flush()
            out.append(("pt", Decimal("0." + "".join(str(KD_MAP[c]) for c in pt[1:]))))
            continue
        ch = m.group("ch")
        if ch in KD_MAP or ch in VAGUE_CHARS:
            if ch in FINANCIAL_CHARS:
                p.financial = True
            run.append(ch)
        elif ch in TENS_MAP:
            flush()
            d = Decimal(TENS_MAP[ch])
            out.append(("num", d, d, "kd", 1))
            out.append(("ks", 10))
        else:
            flush()
            if ch in KS_MAP:
                if ch in FINANCIAL_CHARS:
                    p.financial = True
                out.append(("ks", KS_MAP[ch]))
            elif ch in BG_MAP:
                out.append(("bg", BG_MAP[ch]))
            elif ch in MORE_CHARS:
                out.append(("more",))
            elif ch in LEAD_CHARS and not out:
                out.append(("num", _ONE, Decimal(10), "vague", 1))
            else:
                raise _Malformed
    flush()
    return out


def _width(unit: int) -> int:
    """How many places a unit's lower part has: 十 1, 百 2, 千 3, 万 4, 亿 8 ..."""
    return len(str(unit)) - 1


def _evaluate(toks: list[tuple], pick: int, zh: bool) -> Decimal:
    """pick 0: lower bound, 1: upper bound, 2: probe (the first digit is 1 and
    every other one 0, which gives what the first group is multiplied by)."""
    ctx = _CTX
    stack: list[list] = []          # [value, magnitude] per big-unit group
    section = _ZERO
    cur = None                      # [value, kind, ndigits, unit right before it or None]
    prev = None                     # kind of the previous token
    prev_unit = None                # value of the last unit token
    last_ks = None                  # smallest small unit so far in this section
    zero = False                    # a 零 since the last unit
    first = True                    # (probe) the first digit is still to come

    def digit(tok):
        nonlocal first
        if pick == 2:
            v = _ONE if first else _ZERO
        else:
            v = tok[2] if pick == 1 else tok[1]
        first = False
        return v

    for tok in toks:
        k = tok[0]
        if k == "num":
            if cur is not None:
                raise _Malformed
            cur = [digit(tok), tok[3], tok[4], prev_unit if prev in ("ks", "bg") else None]
            prev = "num"
        elif k == "pt":
            if cur is None:
                if prev not in ("zero", "ks", "more"):
                    raise _Malformed
                cur = [_ZERO, "dec", 0, None]          # 二十点五: the fraction of the section
            elif cur[1] in ("pair", "vague", "pos") or (cur[3] is not None and cur[3] > 10):
                raise _Malformed
            if pick != 2:
                cur[0] = ctx.add(cur[0], tok[1])
            cur[1] = "dec"
            prev = "pt"
        elif k == "zero":
            if cur is not None:
                raise _Malformed
            zero = True
            prev = "zero"
        elif k == "more":
            if prev in ("more", "zero", None):
                raise _Malformed
            prev = "more"
        elif k == "ks":
            u = tok[1]
            if last_ks is not None and u >= last_ks:
                raise _Malformed                       # 五百三千
            if cur is None:
                mult = digit(("num", _ONE, _ONE))        # 十五: a unit alone means one of it
            else:
                if cur[1] == "pos" or (cur[3] is not None and cur[3] <= u):
                    raise _Malformed
                mult = cur[0]
            section = ctx.add(section, ctx.multiply(mult, u))
            last_ks = u
            cur = None
            zero = False
            prev, prev_unit = "ks", u
        else:                                           # big unit
            b = tok[1]
            if cur is None and prev == "bg":
                # stacked units multiply: 万亿 = 10^12
                stack[-1][0] = ctx.multiply(stack[-1][0], b)
                stack[-1][1] *= b
                if len(stack) > 1 and stack[-2][1] <= stack[-1][1]:
                    raise _Malformed
                prev_unit = stack[-1][1]
                continue
            if cur is not None:
                v, kind, nd, after = cur
                if after is not None or zero:
                    if kind == "vague" and pick == 0:
                        v = _ZERO                      # 十几万: 几 is the ones, 0..10
                    if after in (100, 1000) and not zero:
                        # a digit inside a section right before a big unit: 三千五万, 五千12万
                        if kind == "ar":
                            if nd > _width(after):
                                raise _Malformed
                            if nd < _width(after) and zh:
                                raise _Unsure("Arabic digits after a unit fill fewer places than it has")
                        elif zh:
                            raise _Unsure("a digit after 百/千 and before a big unit: short form or ones")
                    elif kind == "pos":
                        raise _Malformed
                section = ctx.add(section, v)
            elif prev not in ("ks", "more"):
                raise _Malformed
            merged = section
            while stack and stack[-1][1] < b:
                merged = ctx.add(merged, stack.pop()[0])    # 一万二千亿 = (1万2千) x 亿
            if stack and stack[-1][1] == b:
                raise _Malformed                           # 1億2億
            stack.append([ctx.multiply(merged, b), b])
            section = _ZERO
            last_ks = None
            cur = None
            zero = False
            prev, prev_unit = "bg", b
    if cur is not None:
        v, kind, nd, after = cur
        place = _ONE
        if kind == "vague":
            if after is None and not zero:
                raise _Malformed                       # 几 alone
            if pick == 0:
                v = _ZERO
        if kind == "dec" and after == 10:
            pass                                        # 十一点一: the ones, with a fraction
        elif after is not None and not zero:
            if kind == "ar":
                w = _width(after)
                if nd > w:
                    raise _Malformed
                if nd < w and zh and after > 10:
                    raise _Unsure("Arabic digits after a unit fill fewer places than it has")
            elif kind in ("dec", "pos"):
                raise _Malformed
            elif zh:
                place = Decimal(after // 10)             # 两万五 = 25000, 五千八 = 5800
        section = ctx.add(section, ctx.multiply(v, place))
    elif prev == "zero" and (stack or section):
        raise _Malformed                               # a trailing 零
    total = section
    for entry in stack:
        total = ctx.add(total, entry[0])
    return total


def parse_number(s: str, zh: bool = True) -> ParsedNumber | None:
    """Read a string matched by ``NUM``. ``zh``: Chinese reading rules (short
    forms, 零), else Japanese. Returns None when it is not a well-formed
    number; a ParsedNumber with ``note`` when its value cannot be known."""
    if not s or len(s) > 80:
        return None
    p = ParsedNumber()
    try:
        toks = _tokens(s, p)
        if not toks:
            return None
        p.has_big = any(t[0] == "bg" for t in toks)
        p.has_unit = p.has_big or any(t[0] == "ks" for t in toks)
        p.more = any(t[0] == "more" for t in toks)
        approx = any(t[0] == "num" and t[3] in ("pair", "vague") for t in toks)
        lo = _evaluate(toks, 0, zh)
        if approx:
            p.lo, p.hi, p.approx = lo, _evaluate(toks, 1, zh), True
        else:
            p.value = lo
            p.lead_mult = _evaluate(toks, 2, zh)
        units = [t[1] for t in toks if t[0] == "bg"] or [t[1] for t in toks if t[0] == "ks"]
        p.top_unit = units[0] if units else 1
    except _Unsure as e:
        p.value = p.lo = p.hi = None
        p.note = e.note
    except (_Malformed, decimal.InvalidOperation, decimal.Overflow):
        return None
    return p


def fmt_decimal(d: Decimal) -> str:
    """Exact plain decimal string: no exponent, no trailing fractional zeros."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s
