"""Deterministic recogniser for MONEY, PERCENT and DATE in Japanese and Chinese.

Public API::

    find_numeric(text, lang, *, published=None, spans=None) -> list[NumericMatch]

Grammar (layered; each layer is a regex *source* built from the one below)
--------------------------------------------------------------------------
1. ``numbers.NUM`` -- one written number: groups of digit and unit::

       NUM = ( AR | (KD|VAGUE)+ | 上 )? ( (KS|BG|MORE)+ ( AR | (KD|VAGUE)+ )? | 点 KD+ )*

   AR = Arabic digits (1234, 1,234, 3.5, 4·8; full-width digits are
   normalised), KD = 〇零一二…九 两兩 廿卅 and financial 壹贰貳叁參…玖,
   VAGUE = 几幾数數, KS = 十拾百佰千仟阡, BG = 万萬億亿兆京垓, MORE = 多余餘.
   ``numbers.parse_number`` reads it with place values the way cn2an (zh)
   and kanjize (ja) do -- 一万二千亿 = 1.2 x 10^12, 三千零十五 = 3015, zh
   两万五 = 25000, ja 一万五 = 10005 -- exactly, with ``decimal.Decimal``.
   It returns bounds for approximate and vague amounts (七八亿, 数十亿) and a
   note instead of a value where the writing leaves the value open (zh 1万5).
   The full rules are in docs/numbers.md.
2. ``money``: ``MONEY = PRECUR? NUM SUFCUR? ( RANGE PRECUR? NUM )? SUFCUR? SUB?``
   with at least one currency; RANGE = 〜 ～ ~ - -- — —— ― 至 到; SUB = 角/毛/分
   after 元/圆/块 (3元5角); standalone 伍角陆分 / 五毛钱.
3. ``percent``: ``NUM (%|パーセント)``, ranges, ``百分之NUM``, ``NUM割(NUM分)?``,
   ``NUM成``.
4. ``dates``: numeric (2021/5/20), year-month-day with eras, month-day,
   relative words (今年, 先月, 昨日 ...), and a guarded bare day (20日、).

Scanning: one compiled *anchor* regex finds digit runs, numeral runs,
currency symbols/prefix words, 百分之, era names and relative-date words; the
grammars are only tried at those anchors.  At each anchor the longest match
wins, ties broken MONEY > PERCENT > DATE; scanning resumes after the match.
A second pass turns bare amounts into MONEY when the sentence fixes the
currency (see below).

Annotation rules (what the span covers)
---------------------------------------
* MONEY: number + multiplier + currency word/symbol, both prefix and suffix
  currencies included (``US$5億``, ``人民币500亿元``, ``500億元``, ``10億人民元``,
  ``500亿元人民币``).  Words like 総額/合计/总额 are excluded.
* Qualifiers (約 约 およそ 大约 超 超过 逾 突破 不到 不足 近 / 以上 超 余り 強
  程度 前後 ほど 左右 未満 以下 近く 弱 を超える ...) are OUTSIDE the span and
  recorded as ``norm["qualifier"]`` in {"approx", "over", "under"}.
  ``総額117億元以上`` -> span ``117億元``, qualifier over.  Inside-number
  多/余 (``三千多万元``, ``2亿余元``) stay in the span, qualifier "over".
* Ranges are one entity covering both ends: ``3〜5億円`` -> value_min
  "300000000", value_max "500000000" (no "value"); the unit of the upper
  bound applies to a bare lower bound only where that puts it below the upper
  bound and within a factor 100 of it (从9000到2万 = 9000..20000).  A range
  whose bounds do not fit gets no bounds, only a note.
* Approximate amounts: neighbouring digits (七八亿 = 7亿..8亿) and vague
  amounts (数十亿 = 10^9..10^10, 几千, 上千万, 十几亿, 十数億) have
  value_min/value_max and qualifier "approx", never a point value.
* Where the text does not fix the value (zh 1万5, 三千五万) or the currency
  (法郎, 卢比, ルピー alone), the entity keeps its span and label; the value
  (or currency) is left out and ``norm["value_note"]`` says why.
* Implicit currency: a bare amount with a big unit (万/億/亿) or thousands
  separators, followed by punctuation, a particle or a qualifier (never by a
  counter such as 人/件), preceded within 8 characters by a money word
  (利益, 价格, 売上, 投资, 费, 额 ...), is MONEY when the same sentence (up to
  。！？!? or newline) holds an explicit MONEY; the currency of the nearest
  preceding (else following) one is used and ``norm["implicit_currency"] = True``.
* ¥/￥: JPY in ja unless the sentence talks about 元/人民元 and not 円;
  CNY in zh unless the sentence names 日元 and not 人民币.  元 means CNY
  (also in zh-Hant; a prefix such as 新台幣/港幣 overrides); 圆/圓 likewise
  in zh, 圓 is JPY in ja.  块/塊 is CNY only in zh, as 块钱, before 毛/角,
  or after a money word in the clause and not before a noun (9860块青砖 is
  not money).
* PERCENT: ``70%``, ``７０％``, ``70パーセント``, ``百分之三点五`` -> "3.5",
  ``7割`` -> "70", ``7割5分`` -> "75", ``3成``/``三成`` -> "30" (in ja only
  with Arabic digits: 石田三成 is a name).  Percentage points (ポイント,
  %ポイント, 个百分点) are NOT annotated: they are differences, not ratios.
* DATE: ``norm = {"value": ISO at the written precision or None}``:
  2021年 -> "2021", 令和元年 -> "2019", 2021年5月 -> "2021-05",
  二〇二一年五月二十日 -> "2021-05-20".  Relative words (今年 昨年 去年 来年
  明年 一昨年, zh 前年; 今月 先月 来月 本月 上月 下月; 今日 昨日 明日 一昨日
  本日 今天 昨天 明天 前天) and month-day without a year are resolved against
  ``published``; without it their value is None.  ja 前年 (relative to the
  narrative, not to publication) is not annotated.  A bare day (20日) is a
  DATE when followed by 、 , ( 午前 午後 朝 夜 付 电 ... (news style), in ja also
  before a particle (16日の, 22日に, 10日から; not day 1, a rate, a list or range).
  Value null with a ``value_note``: decades, centuries and ja historical
  periods (1990年代, 17世紀, 江戸時代), dates relative to another date of the
  text (同年5月, 翌年12月, ja 翌20日), ja 10年前 / 3カ月前 and 20周年.
  Weekday suffixes (``20日(木)``) and time words are outside the span.
  Inside the span: fiscal years (2021年度 -> "2021"), parts of a month
  (10月中旬, 3月末, 今月下旬 -> month precision) and of a year (2010年夏,
  2021年底, 上半期 -> year precision).  X月号 (a magazine issue) is not DATE.
  Durations (過去10年間, 5年间, 3か月, 10年来), day counts (1日に3回) and
  bare 元年 are not DATE; 2-digit years (21年) are not handled.
* Never: 円安/円高 as words, 一元化, 元気, 单元, 元素, 张元, 2万人, 9万件,
  phone numbers, 一人/一部, 三角形, 五分钟, 马克思.  A number after 何 or
  ウン (何千円, ウン十万円) is skipped: its value is unknown.

Known limitations: date ranges (10月10日～12日) give only the first date;
2-digit years (21年) and era abbreviations (H30) are not handled; signs
(−3%, ▲5億円) are not recorded; a zh full-width comma after a first group of
three digits without a decimal part is not a thousands separator (100，200元
may be a list); 元 is CNY even in Taiwanese text unless a TWD prefix is
written; から-ranges (3億円から5億円) are two entities.

norm keys, in this order: MONEY ``value`` | ``value_min``,``value_max``;
``currency``?; ``qualifier``?; ``implicit_currency``?; ``value_note``? (a
MONEY without value and bounds, or without currency, always has a note).
PERCENT ``value`` | ``value_min``,``value_max``; ``qualifier``?;
``value_note``?.  DATE ``value``.
Values are exact decimal strings (never via float).

Offsets are code-point offsets into the original ``text``; the text is only
normalised with a same-length one-to-one character map (full-width digits,
％, ～ ...), never rewritten.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Sequence

from .dates import NARR_WORDS, PERIOD_NAMES, REL_WORDS, date_at, parse_published
from .money import PREFIX_CURRENCIES, SUFFIX_CURRENCIES, amount_at, money_at
from .numbers import BG_CHARS, KD_CHARS, KS_CHARS, LEAD_CHARS, NUM, VAGUE_CHARS, fmt_decimal, normalise
from .percent import percent_at

__all__ = ["NumericMatch", "find_numeric"]


@dataclass(slots=True, frozen=True)
class NumericMatch:
    start: int          # code-point offsets into `text`, end exclusive
    end: int
    label: str          # "MONEY" | "PERCENT" | "DATE"
    norm: dict          # normalised values, JSON-serialisable


def _alt(words):
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# The anchor regex: keywords first (relative-date words, era names, 百分之,
# currency prefixes), then digit / numeral runs.  Every branch starts with a
# literal character, so the regex engine can skip non-candidate characters
# with a character-set scan in C (this is the prefilter that makes the scan
# fast); the kind of anchor is recovered from the matched text.
_ERAS = ("令和", "平成", "昭和", "大正", "明治")
_RUN_CLASS = f"[{KD_CHARS}{KS_CHARS}{BG_CHARS}{VAGUE_CHARS}]"
# 京/垓 only continue a number (北京, 东京 are far more frequent than 1京).
_START_CHARS = KD_CHARS + KS_CHARS + BG_CHARS.replace("京", "").replace("垓", "")
_ANCHOR = re.compile(
    "|".join(
        [re.escape(w) for w in sorted({*REL_WORDS, *_ERAS, *PERIOD_NAMES, *NARR_WORDS, "百分之",
                                       *PREFIX_CURRENCIES},
                                      key=len, reverse=True)]
        + [f"{d}[0-9]*" for d in "0123456789"]
        + [f"{re.escape(c)}{_RUN_CLASS}*" for c in _START_CHARS]
        # vague amounts: 数十亿, 几千元, 上千万 (a unit must follow).  One literal per
        # branch: a branch that starts with a character class would turn off the
        # regex engine's first-character prefilter for the whole pattern.
        + [f"{c}(?=[{KS_CHARS}{BG_CHARS}])" for c in VAGUE_CHARS + LEAD_CHARS]
    )
)
_KIND = {**{w: "rel" for w in REL_WORDS}, **{w: "period" for w in PERIOD_NAMES},
         **{w: "narr" for w in NARR_WORDS}, **{w: "era" for w in _ERAS}, "百分之": "pct",
         **{w: "cur" for w in PREFIX_CURRENCIES}}
_NUM_RE = re.compile(NUM)
_RANGE_FIRST = "~-—―至到 "
_MONEY_NEXT = frozenset(
    {w[0] for w in SUFFIX_CURRENCIES} | set(_RANGE_FIRST) | set("\u3000\t角毛分")
)
_PCT_NEXT = frozenset("%パ割成・" + _RANGE_FIRST)
_DATE_NEXT = frozenset("年月日/-.○世周カヶかケ箇")
_NOT_IMPLICIT_NEXT = frozenset("人件名回個个位家台件年月日時时分秒歳岁倍点號号期度")
_SENT_END = re.compile(r"[。！？!?\n]")
_MONEY_CONTEXT = re.compile(
    "[价價値值額额金費费収收益利売卖賣售投資资贷貸債债款税稅賃薪赚賺亏虧損损算支払付融筹籌募賠赔償偿罚罰]"
    # "of which": a part of the money amount just mentioned (そのうち2,000万, 其中2000万)
    "|うち|其中"
)
_PRIORITY = {"MONEY": 0, "PERCENT": 1, "DATE": 2}


class _Sentences:
    """Lazy sentence boundaries for one segment."""
    __slots__ = ("text", "ends")

    def __init__(self, text):
        self.text = text
        self.ends = None

    def __call__(self, pos):
        if self.ends is None:
            self.ends = [m.start() for m in _SENT_END.finditer(self.text)]
        ends = self.ends
        i = bisect.bisect_left(ends, pos)
        start = ends[i - 1] + 1 if i > 0 else 0
        end = ends[i] if i < len(ends) else len(self.text)
        return start, end


def _scan(sub: str, is_ja: bool, pub) -> list[tuple[int, int, str, dict]]:
    out: list[tuple[int, int, str, dict]] = []
    implicit = []
    sent = _Sentences(sub)
    cursor = 0
    for am in _ANCHOR.finditer(sub):
        p = am.start()
        if p < cursor:
            continue
        kind = _KIND.get(am.group(), "num")
        best = None
        if kind == "num":
            # Dispatch on the character right after the numeral: only the
            # grammars that can continue with it are tried.
            nm = _NUM_RE.match(sub, p)
            ne = nm.end() if nm is not None else p
            nxt = sub[ne] if ne < len(sub) else ""
            if nxt in _MONEY_NEXT:
                r = money_at(sub, p, is_ja, sent)
                if r is not None:
                    best = (r[0], r[1], "MONEY", r[2])
            if nxt in _PCT_NEXT:
                r = percent_at(sub, p, is_ja)
                if r is not None and (best is None or r[1] > best[1]):
                    best = (r[0], r[1], "PERCENT", r[2])
            if nxt in _DATE_NEXT:
                r = date_at(sub, p, is_ja, pub, "num")
                if r is not None and (best is None or r[1] > best[1]):
                    best = (r[0], r[1], "DATE", r[2])
            if best is None:
                # Nothing here: no entity can start inside this number, so
                # skip the whole numeral (keeps the scan linear).
                if nm is not None:
                    cursor = ne
                    if nxt not in _NOT_IMPLICIT_NEXT:
                        a = amount_at(sub, p, is_ja)
                        if a is not None:
                            implicit.append(a)
                continue
        elif kind == "cur":
            r = money_at(sub, p, is_ja, sent)
            if r is not None:
                best = (r[0], r[1], "MONEY", r[2])
        elif kind == "pct":
            r = percent_at(sub, p, is_ja)
            if r is not None:
                best = (r[0], r[1], "PERCENT", r[2])
        else:  # rel / era / period / narr
            r = date_at(sub, p, is_ja, pub, kind)
            if r is not None:
                best = (r[0], r[1], "DATE", r[2])
        if best is not None and best[1] > best[0]:
            out.append(best)
            cursor = best[1]
    if implicit:
        out = _resolve_implicit(out, implicit, sent)
    return out


def _resolve_implicit(out, implicit, sent):
    money = [(s, e, n["currency"]) for s, e, lab, n in out if lab == "MONEY"
             and "currency" in n and not n.get("implicit_currency")]
    if not money:
        return out
    starts = [m[0] for m in money]
    added = []
    for start, end, p, qualifier in implicit:
        ss, se = sent(start)
        i = bisect.bisect_left(starts, start)
        cur = None
        if i > 0 and money[i - 1][0] >= ss:
            cur = money[i - 1][2]
        elif i < len(money) and money[i][0] < se:
            cur = money[i][2]
        if cur is None:
            continue
        # the amount itself must sit in a money context (利益, 价格, 売上, 投资 ...)
        if not _MONEY_CONTEXT.search(sent.text, max(ss, start - 8), start):
            continue
        norm = {"value": fmt_decimal(p.value), "currency": cur}
        if qualifier is not None:
            norm["qualifier"] = qualifier
        norm["implicit_currency"] = True
        added.append((start, end, "MONEY", norm))
    if added:
        out = sorted(out + added, key=lambda t: t[0])
    return out


def find_numeric(text: str, lang: str, *, published: str | None = None,
                 spans: Sequence[tuple[int, int]] | None = None) -> list[NumericMatch]:
    """lang: "ja", "zh-Hans" or "zh-Hant". published: the article's date as given
    in input, e.g. "2012-09-12T10:00:00+0900" or "2021-05-20" or None. spans:
    regions of text to search (the article body), default the whole text;
    matches never cross a span edge. Returns sorted, non-overlapping matches."""
    if not text or not isinstance(text, str):
        return []
    is_ja = isinstance(lang, str) and lang.lower().startswith("ja")
    pub = parse_published(published)
    nt = normalise(text, is_ja)
    n = len(text)
    if spans is None:
        regions = [(0, n)]
    else:
        regions = []
        for sp in spans:
            try:
                s, e = int(sp[0]), int(sp[1])
            except (TypeError, ValueError, IndexError):
                continue
            s, e = max(0, s), min(n, e)
            if e > s:
                regions.append((s, e))
        regions.sort()
    found: list[tuple[int, int, str, dict]] = []
    for s, e in regions:
        sub = nt if (s == 0 and e == n) else nt[s:e]
        for a, b, lab, norm in _scan(sub, is_ja, pub):
            found.append((a + s, b + s, lab, norm))
    if len(regions) > 1:
        found.sort(key=lambda t: (t[0], -(t[1] - t[0]), _PRIORITY[t[2]]))
    result: list[NumericMatch] = []
    last = 0
    for a, b, lab, norm in found:
        if a < last or not (0 <= a < b <= n):
            continue
        result.append(NumericMatch(a, b, lab, norm))
        last = b
    return result
