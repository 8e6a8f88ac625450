"""DATE grammar (tried in this order at an anchor)::

    NUMERIC = YYYY SEP M SEP D                 # 2021/5/20 2021-05-20 2021.5.20 (same SEP)
    YMD     = ( ERA ( "元" | N ) | YYYY | 〇〇〇〇 ) "年" ( M "月" ( D DAYSUF )? )?
    MD      = M "月" ( D DAYSUF )?             # 5月20日  十二月
    REL     = RELYEAR ( M "月" ( D DAYSUF )? )?  # 今年  去年12月
            | RELMONTH ( D DAYSUF )?            # 先月  上月20日
            | RELDAY                            # 昨日  明天
    BAREDAY = D "日" followed by 、 , ( 午前 午後 朝 夜 付 电 ...   # 政府は20日、
            | ja: D "日" before の に は から まで も 以降 現在 頃     # 16日の (not 1日, lists)
    NARR    = ( 同年 | 翌年 ) M "月" ( D DAYSUF )? | ja: 翌 D "日"  # value null + value_note
    ja only, value null + value_note: N世紀, PERIOD 時代 (江戸時代), N年前 / Nカ月前, N周年

    ERA = 令和 平成 昭和 大正 明治        DAYSUF = 日 | 号 | 號

A bare year is DATE only with four digits (or an era); it is not a DATE when
followed by 間/间/来/前/后/後 (durations: 2000年来; ja 10年前 is a DATE
without value, see above).  Also DATE, with the
suffix inside the span: fiscal years (2004年度, value "2004"), decades (1970年代,
1960年代後半; value None with a value_note: ISO 8601 has no plain decade), parts of a year (2000年春, 2021年末,
2021年底, 上半期: year precision) and of a month (10月中旬, 3月末, 今月下旬,
5月初: month precision).  X月号 (a magazine issue) is not a DATE.  Counts such
as 3か月, 5年间, 1日に3回 are never DATE.  Values are ISO strings at the
precision written; anything needing an unknown anchor (no ``published``)
gets ``None``.  Month-day without a year takes the published year.
Japanese 前年 is relative to the surrounding narrative, not to the
publication date, so it is not annotated in ja (zh 前年 = two years ago).
"""
from __future__ import annotations

import re
from datetime import date, timedelta

__all__ = ["date_at", "parse_published", "REL_WORDS", "PERIOD_NAMES", "NARR_WORDS"]

_MN = r"(?:[0-9]{1,2}|十[一二]?|[一二三四五六七八九])"
_DN = r"(?:[0-9]{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_DAYSUF = r"[日号號]"

NUMERIC_RE = re.compile(
    r"(?P<y>[12][0-9]{3})(?P<s>[/\-.])(?P<m>[0-9]{1,2})(?P=s)(?P<d>[0-9]{1,2})"
    r"(?![0-9]|[/\-.][0-9])"
)
# Part of a month / of a year written after it: kept in the span, value at month / year precision.
# 初め is not followed by て (2021年初めて = "for the first time in 2021").
_MONTH_PART = r"(?:上旬|中旬|下旬|初旬|末|初め(?!て)|初(?![めて])|底)"
_YEAR_PART = r"(?:春|夏|秋|冬|末|初め(?!て)|初頭|初(?![めて])|前半|後半|上半期|下半期|底)"
YMD_RE = re.compile(
    r"(?:(?P<era>令和|平成|昭和|大正|明治)\s?(?P<ey>元|[0-9]{1,2}|[一二三四五六七八九十]{1,3})"
    r"|(?P<y>[0-9]{4}|[〇○零一二三四五六七八九]{4}))年(?P<fy>度)?"
    rf"(?:(?P<m>{_MN})月(?![間间号號])(?:(?P<d>{_DN}){_DAYSUF}|{_MONTH_PART})?"
    rf"|{_YEAR_PART}|(?P<dec>代)(?!表)(?:前半|後半|半ば|末)?|(?![間间来來代前后後]))"
)
MD_RE = re.compile(rf"(?P<m>{_MN})月(?![間间号號])(?:(?P<d>{_DN}){_DAYSUF}|{_MONTH_PART})?")
_REL_Y = {"一昨年": -2, "今年": 0, "本年": 0, "昨年": -1, "去年": -1, "前年": -2,
          "来年": 1, "來年": 1, "明年": 1}
_REL_M = {"今月": 0, "本月": 0, "这个月": 0, "這個月": 0, "先月": -1, "上月": -1,
          "上个月": -1, "上個月": -1, "来月": 1, "下月": 1, "下个月": 1, "下個月": 1}
_REL_D = {"一昨日": -2, "前天": -2, "昨日": -1, "昨天": -1, "今日": 0, "本日": 0,
          "今天": 0, "明日": 1, "明天": 1, "明後日": 2}
REL_WORDS = tuple(sorted([*_REL_Y, *_REL_M, *_REL_D], key=len, reverse=True))


def _alt(words):
    return "|".join(sorted(words, key=len, reverse=True))


_YEAR_ALT = _alt(w for w in _REL_Y if w != "去年")
REL_RE = re.compile(
    rf"(?:(?P<ry>{_YEAR_ALT}|(?<![过過失除回离離死进進上下出归歸拿带帶])去年)"
    r"(?![轻輕纪紀龄齡齢级級华華头頭配少长長金])"
    rf"(?:(?P<m>{_MN})月(?![間间])(?:(?P<d>{_DN}){_DAYSUF})?)?"
    rf"|(?P<rm>{_alt(_REL_M)})(?:(?P<rd>{_DN}){_DAYSUF}|{_MONTH_PART})?"
    rf"|(?P<rdd>{_alt(_REL_D)})(?![香])"
    r")"
)
BAREDAY_RE = re.compile(
    rf"(?P<d>{_DN})日(?=[、,，(（]|午前|午後|未明|夜|朝|付|电|電|晚|晨|上午|下午|凌晨|早)"
)

# Japanese only: conventions on which the KWDLC and GSD-NE training sets agree (every listed
# shape is DATE in both, checked on their training splits).  A bare day followed by a particle
# (20日の / 20日に / 20日から): not day 1 (1日 is also "one day": 1日に3回, 1日の雨量), not a rate
# (三日に一度), not in a list or range (4、5日 / 11～12日) or a stay (7泊8日).
BAREDAY_JA_RE = re.compile(rf"(?P<d>{_DN})日(?=の|に(?![0-9一二三四五六七八九十数何])|は|から|まで|も|以降|現在|ごろ|頃)")
_BAREDAY_JA_BLOCK_BEFORE = frozenset("~～〜-—・泊")
_NUMERAL = frozenset("0123456789〇一二三四五六七八九十")


def _listed(text: str, pos: int) -> bool:
    """The number at ``pos`` continues a list or range (4、5日 / 11～12日 / 7泊8日)."""
    if pos == 0:
        return False
    before = text[pos - 1]
    return before in _BAREDAY_JA_BLOCK_BEFORE or (before in "、," and pos > 1 and text[pos - 2] in _NUMERAL)


# Counted back from a point the text does not fix (10年前, 3カ月前; not 1980年前後, 2000年前半).
# This and the two below, like the Japanese bare day, not after a list or range mark (14、5年前).
AGO_RE = re.compile(
    r"(?:[0-9]{1,4}|[一二三四五六七八九十百]{1,3})(?:年|[カヶかケ箇]月)(?:ほど|くらい|ぐらい|余り)?前(?![後半])"
)
# Not the start of a name (20世紀フォックス, 21世紀FOX).
CENTURY_RE = re.compile(r"(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})世紀末?(?!以上|も|半|[ァ-ヺーA-Za-zＡ-Ｚａ-ｚ])")
ANNIV_RE = re.compile(r"(?:[0-9]{1,4}|[一二三四五六七八九十百]{1,4})周年")
# Historical periods (江戸時代); the anchors are the period names.
PERIOD_NAMES = ("令和", "平成", "昭和", "大正", "明治", "江戸", "安土桃山", "室町", "南北朝", "鎌倉",
                "平安", "奈良", "飛鳥", "古墳", "弥生", "縄文", "戦国")
PERIOD_RE = re.compile(rf"(?:{'|'.join(PERIOD_NAMES)})時代")
# Relative to a date earlier in the text (同年5月, 翌年3月20日, ja 翌20日): the year or month is
# not the publication's, so the value is left out (both languages; 翌 + day is Japanese).
NARR_WORDS = ("同年", "翌年", "翌")
NARR_RE = re.compile(
    rf"(?:同年|翌年)(?P<m>{_MN})月(?![間间号號])(?:(?P<d>{_DN}){_DAYSUF}|{_MONTH_PART})?"
    rf"|翌(?P<d2>{_DN})日"
)
NOTE_PERIOD = "a period (decade, century, era): no single ISO 8601 date"
NOTE_AGO = "counted from a point the text does not fix"
NOTE_ANNIV = "an anniversary count: the year depends on the founding date"
NOTE_NARR = "relative to a date earlier in the text, not resolved"

_MONTH_BLOCK_BEFORE = frozenset("近前后後这這每数數几幾个個第")
_ERA = {"令和": 2019, "平成": 1989, "昭和": 1926, "大正": 1912, "明治": 1868}
_KD = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
       "六": 6, "七": 7, "八": 8, "九": 9}


def _small(s: str) -> int | None:
    """Small numbers used in dates: Arabic, positional kanji or 十-compounds (<100)."""
    if s.isascii():
        return int(s) if s.isdigit() else None
    if "十" in s:
        a, _, b = s.partition("十")
        hi = _KD.get(a, None) if a else 1
        lo = _KD.get(b, None) if b else 0
        if hi is None or lo is None:
            return None
        return hi * 10 + lo
    v = 0
    for ch in s:
        d = _KD.get(ch)
        if d is None:
            return None
        v = v * 10 + d
    return v


_PUB_RE = re.compile(r"\s*([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})")
_PUB_TABLE = {0xFF10 + i: 0x30 + i for i in range(10)}


def parse_published(published) -> date | None:
    if not published or not isinstance(published, str):
        return None
    m = _PUB_RE.match(published.translate(_PUB_TABLE))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _iso(y: int | None, m: int | None = None, d: int | None = None):
    if y is None or not (1 <= y <= 9999):
        return None
    if m is None:
        return f"{y:04d}"
    if d is None:
        return f"{y:04d}-{m:02d}"
    try:
        date(y, m, d)
    except ValueError:
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def _md(m, pub_year):
    """Month/day groups -> (month, day) with validation; (None, None) if absent;
    raises ValueError on out-of-range values (caller rejects the match)."""
    ms, ds = m.group("m"), m.group("d")
    if ms is None:
        return None, None
    mo = _small(ms)
    if mo is None or not 1 <= mo <= 12:
        raise ValueError
    if ds is None:
        return mo, None
    dy = _small(ds)
    if dy is None or not 1 <= dy <= 31:
        raise ValueError
    return mo, dy


def date_at(text: str, pos: int, is_ja: bool, pub: date | None, kind: str):
    """kind: "num" (digit/numeral anchor), "rel" (relative word) or "era"."""
    try:
        if kind == "rel":
            return _rel(text, pos, is_ja, pub)
        if kind in ("era", "period"):  # 平成30年 (era only), else ja 江戸時代 / 平成時代
            r = _ymd(text, pos) if kind == "era" else None
            if r is None and is_ja and (m := PERIOD_RE.match(text, pos)) is not None:
                return m.start(), m.end(), {"value": None, "value_note": NOTE_PERIOD}
            return r
        if kind == "narr":
            m = NARR_RE.match(text, pos)
            if m is None or (m.group("d2") is not None and not is_ja):
                return None
            if m.group("d2") is not None:
                dy = _small(m.group("d2"))
                if dy is None or not 1 <= dy <= 31:
                    return None
            else:
                _md(m, None)  # raises ValueError on an impossible month or day
            return m.start(), m.end(), {"value": None, "value_note": NOTE_NARR}
        if text[pos] in "12":
            m = NUMERIC_RE.match(text, pos)
            if m is not None and not (pos > 0 and text[pos - 1] in "/-.") :
                y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
                if 1 <= mo <= 12 and 1 <= d <= 31:
                    return m.start(), m.end(), {"value": _iso(y, mo, d)}
        r = _ymd(text, pos)
        if r is not None:
            return r
        m = MD_RE.match(text, pos)
        if m is not None:
            mo, dy = _md(m, None)
            if dy is None and pos > 0 and text[pos - 1] in _MONTH_BLOCK_BEFORE:
                return None          # 最近三月 / 这三月: a duration, not a month
            if dy is None and not m.group("m").isascii() and text.startswith("天", m.end()):
                return None          # 五月天 (a band name), not May
            y = pub.year if pub is not None else None
            return m.start(), m.end(), {"value": _iso(y, mo, dy)}
        m = BAREDAY_RE.match(text, pos)
        ja_shapes = is_ja and not _listed(text, pos)
        if m is None and ja_shapes:
            m = BAREDAY_JA_RE.match(text, pos)
            if m is not None and _small(m.group("d")) == 1:
                m = None
        if m is not None:
            dy = _small(m.group("d"))
            if dy is None or not 1 <= dy <= 31:
                return None
            if pub is None:
                return m.start(), m.end(), {"value": None}
            return m.start(), m.end(), {"value": _iso(pub.year, pub.month, dy)}
        if ja_shapes:
            for rx, note in ((AGO_RE, NOTE_AGO), (CENTURY_RE, NOTE_PERIOD), (ANNIV_RE, NOTE_ANNIV)):
                m = rx.match(text, pos)
                if m is not None:
                    return m.start(), m.end(), {"value": None, "value_note": note}
    except ValueError:
        return None
    return None


def _ymd(text, pos):
    m = YMD_RE.match(text, pos)
    if m is None:
        return None
    if m.group("era") is not None:
        ey = m.group("ey")
        n = 1 if ey == "元" else _small(ey)
        if n is None or not 1 <= n <= 99:
            return None
        y = _ERA[m.group("era")] + n - 1
    else:
        y = _small(m.group("y"))
        if y is None or not 1000 <= y <= 2199:
            return None
    if m.group("dec") is not None:
        # A decade (1970年代, 昭和30年代: counted in the era's years): a period, not a duration;
        # ISO 8601 has no plain decade form.
        if (y if m.group("era") is None else n) % 10:
            return None
        return m.start(), m.end(), {"value": None, "value_note": NOTE_PERIOD}
    mo, dy = _md(m, y)
    return m.start(), m.end(), {"value": _iso(y, mo, dy)}


def _rel(text, pos, is_ja, pub):
    m = REL_RE.match(text, pos)
    if m is None:
        return None
    ry, rm, rdd = m.group("ry"), m.group("rm"), m.group("rdd")
    if ry is not None:
        if ry == "前年" and is_ja:
            return None
        mo, dy = _md(m, None)
        y = pub.year + _REL_Y[ry] if pub is not None else None
        return m.start(), m.end(), {"value": _iso(y, mo, dy)}
    if rm is not None:
        if rm == "上月" and pos > 0 and text[pos - 1] in "马馬":
            return None
        ds = m.group("rd")
        dy = None
        if ds is not None:
            dy = _small(ds)
            if dy is None or not 1 <= dy <= 31:
                return None
        if pub is None:
            return m.start(), m.end(), {"value": None}
        k = pub.year * 12 + (pub.month - 1) + _REL_M[rm]
        return m.start(), m.end(), {"value": _iso(k // 12, k % 12 + 1, dy)}
    if pub is None:
        return m.start(), m.end(), {"value": None}
    try:
        d = pub + timedelta(days=_REL_D[rdd])
    except OverflowError:
        return m.start(), m.end(), {"value": None}
    return m.start(), m.end(), {"value": d.isoformat()}
