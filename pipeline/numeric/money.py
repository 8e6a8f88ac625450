"""Layer 2/3 of the numeric grammar: amounts and money.

::

    RANGE   = "~" | "-" | "—" | "至" | "到"          (〜 ～ － – are normalised to ~ -)
    AMOUNT  = NUM ( SUFCUR )? ( RANGE PRECUR? NUM )?  # 3〜5億  3億円〜5億円
    MONEY   = PRECUR? AMOUNT SUFCUR?                  # at least one currency
    PRECUR  = ¥ $ € £ ₩ US$ HK$ NT$ S$ A$ C$ NZ$ RMB CNY USD ... 人民币 新台幣 港币 ...
    SUFCUR  = 円 日元 元 人民元 人民币 ドル 美元 美金 港元 ... (longest first)

``money_at`` tries MONEY at one position and returns
``(start, end, norm)`` or None.  Implicit amounts (no currency word; currency
taken from the sentence) are resolved by the scanner in ``__init__``.
"""
from __future__ import annotations

import re

from .numbers import BG_CHARS, KD_CHARS, KS_CHARS, NUM, parse_number, fmt_decimal
from .qualifiers import prefix_qualifier, qualifier_around, suffix_qualifier

__all__ = ["money_at", "amount_at", "SUFFIX_CURRENCIES", "PREFIX_CURRENCIES"]

# Suffix currency words (after the number) -> ISO 4217.
SUFFIX_CURRENCIES = {
    # JPY
    "円": "JPY", "日元": "JPY", "日圓": "JPY", "日圆": "JPY", "日币": "JPY", "日幣": "JPY",
    "日本円": "JPY",
    # CNY
    "元": "CNY", "人民元": "CNY", "人民币": "CNY", "人民幣": "CNY", "元人民币": "CNY",
    "元人民幣": "CNY", "人民币元": "CNY", "人民幣元": "CNY", "块钱": "CNY", "塊錢": "CNY",
    "块": "CNY", "塊": "CNY", "CNY": "CNY", "RMB": "CNY",
    # USD
    "ドル": "USD", "米ドル": "USD", "美元": "USD", "美金": "USD", "元美金": "USD",
    "USD": "USD", "米国ドル": "USD",
    # HKD
    "港元": "HKD", "港币": "HKD", "港幣": "HKD", "香港ドル": "HKD", "元港币": "HKD",
    "元港幣": "HKD", "香港元": "HKD", "HKD": "HKD",
    # TWD
    "新台币": "TWD", "新台幣": "TWD", "新臺幣": "TWD", "台币": "TWD", "台幣": "TWD", "臺幣": "TWD", "台湾ドル": "TWD",
    "台湾元": "TWD", "新台湾ドル": "TWD", "元新台币": "TWD", "元新台幣": "TWD", "TWD": "TWD",
    # EUR / GBP / KRW
    "ユーロ": "EUR", "欧元": "EUR", "歐元": "EUR", "EUR": "EUR",
    "ポンド": "GBP", "英ポンド": "GBP", "英镑": "GBP", "英鎊": "GBP", "GBP": "GBP",
    "ウォン": "KRW", "韩元": "KRW", "韓元": "KRW", "韩币": "KRW", "韓幣": "KRW", "韓国ウォン": "KRW",
    "KRW": "KRW",
    # others
    "ルーブル": "RUB", "卢布": "RUB", "盧布": "RUB", "RUB": "RUB",
    "ルピー": "INR", "卢比": "INR", "盧比": "INR", "印度卢比": "INR", "INR": "INR",
    "豪ドル": "AUD", "オーストラリアドル": "AUD", "澳元": "AUD", "澳币": "AUD", "澳幣": "AUD",
    "澳大利亚元": "AUD", "AUD": "AUD",
    "カナダドル": "CAD", "加元": "CAD", "加币": "CAD", "加幣": "CAD", "加拿大元": "CAD", "CAD": "CAD",
    "スイスフラン": "CHF", "瑞士法郎": "CHF", "瑞郎": "CHF", "CHF": "CHF",
    "シンガポールドル": "SGD", "新加坡元": "SGD", "新币": "SGD", "新幣": "SGD", "SGD": "SGD",
    "NZドル": "NZD", "ニュージーランドドル": "NZD", "纽元": "NZD", "新西兰元": "NZD", "NZD": "NZD",
    "バーツ": "THB", "泰铢": "THB", "泰銖": "THB", "THB": "THB",
    "ルピア": "IDR", "印尼盾": "IDR", "IDR": "IDR",
    "リンギ": "MYR", "令吉": "MYR", "马币": "MYR", "MYR": "MYR",
    "越南盾": "VND", "VND": "VND",
    "澳门元": "MOP", "澳門元": "MOP", "澳门币": "MOP", "澳門幣": "MOP", "パタカ": "MOP", "MOP": "MOP",
    "レアル": "BRL", "雷亚尔": "BRL", "BRL": "BRL",
    "ランド": "ZAR", "兰特": "ZAR", "ZAR": "ZAR",
    "JPY": "JPY",
}
# Prefix currencies (before the number). ¥ is resolved by language/context.
PREFIX_CURRENCIES = {
    "US$": "USD", "HK$": "HKD", "NT$": "TWD", "NZ$": "NZD", "S$": "SGD", "A$": "AUD",
    "C$": "CAD", "$": "USD", "€": "EUR", "£": "GBP", "₩": "KRW", "¥": "¥",
    "RMB": "CNY", "CNY": "CNY", "USD": "USD", "JPY": "JPY", "EUR": "EUR", "HKD": "HKD",
    "TWD": "TWD", "GBP": "GBP", "KRW": "KRW",
    "人民币": "CNY", "人民幣": "CNY", "新台币": "TWD", "新台幣": "TWD", "新臺幣": "TWD", "港币": "HKD",
    "港幣": "HKD", "美金": "USD",
}


def _alt(words):
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_ASCII_CODES = [w for w in SUFFIX_CURRENCIES if w.isascii()]
_CJK_SUF = [w for w in SUFFIX_CURRENCIES if not w.isascii()]


def _cjk_alt(words):
    out = []
    for w in sorted(words, key=len, reverse=True):
        if w == "元":
            # 元 is currency only when it does not start another word (一元化, 二元論, 元素...)
            out.append("元(?![化気氣素首旦帅帥宵凶论論次])")
        else:
            out.append(re.escape(w))
    return "|".join(out)


_SUFCUR = rf"(?:{_cjk_alt(_CJK_SUF)}|\s?(?:{_alt(_ASCII_CODES)})(?![A-Za-z]))"
_PRECUR = rf"(?:(?:{_alt(PREFIX_CURRENCIES)})(?:(?<=[A-Z])\s)?)"
_RANGE = r"\s?(?:[~\-—]|至|到)\s?"

MONEY_RE = re.compile(
    rf"(?P<pre>{_PRECUR})?(?P<n1>{NUM})(?P<c1>{_SUFCUR})?"
    rf"(?:(?P<sep>{_RANGE})(?P<pre2>{_PRECUR})?(?P<n2>{NUM}))?(?P<c2>{_SUFCUR})?"
)

_HAN_BEFORE_BLOCK = frozenset("数數几幾何")
_DIGITS_AND_NUMERALS = frozenset("0123456789" + KD_CHARS + KS_CHARS + BG_CHARS)
_YEN_CONTEXT = re.compile(r"円")
_CNY_CONTEXT = re.compile(r"元|人民")
_JPY_ZH_CONTEXT = re.compile(r"日元|日圓|日圆|日币|日幣")


def _resolve_yen(text: str, pos: int, is_ja: bool, sent) -> str:
    s, e = sent(pos)
    seg = text[s:e]
    if is_ja:
        if _YEN_CONTEXT.search(seg) or not _CNY_CONTEXT.search(seg):
            return "JPY"
        return "CNY"
    if _JPY_ZH_CONTEXT.search(seg) and "人民" not in seg:
        return "JPY"
    return "CNY"


def _currency(word: str | None, prefix: bool) -> str | None:
    if not word:
        return None
    word = word.strip()
    return (PREFIX_CURRENCIES if prefix else SUFFIX_CURRENCIES).get(word)


def money_at(text: str, pos: int, is_ja: bool, sent):
    """Try MONEY at ``pos``. ``sent(pos) -> (start, end)`` gives the sentence."""
    m = MONEY_RE.match(text, pos)
    if m is None:
        return None
    pre, c1, c2, pre2 = m.group("pre"), m.group("c1"), m.group("c2"), m.group("pre2")
    n2s = m.group("n2")
    if n2s is not None:
        if pre2 is None and c2 is None:
            if pre is not None and c1 is None:       # $3-5
                end = m.end()
            else:                                    # not a money range
                n2s = None
        else:
            end = m.end()
    if n2s is None:
        c2 = pre2 = None
        end = m.end("c1") if c1 is not None else m.end("n1")
        if pre is None and c1 is None:
            return None
    if end < len(text) and (text[end] in _DIGITS_AND_NUMERALS) and c1 is None and n2s is None:
        return None                     # 人民币六6万: the numeral does not end here
    start = m.start()
    if start > 0 and (text[start - 1] in _HAN_BEFORE_BLOCK or text[start - 2:start] == "ウン"):
        return None                     # 数千円, 几万元, ウン十万円: value unknown
    n1s = m.group("n1")
    if len(n1s) > 1 and n1s[0] == "0" and n1s[1] in "0123456789,":
        return None                     # "000元" after a stray comma, codes like 0120
    p1 = parse_number(n1s)
    if p1 is None:
        return None
    # currency
    cur_word, is_pre = None, False
    if pre is not None:
        cur_word, is_pre = pre, True
    elif c1 is not None:
        cur_word = c1
    elif c2 is not None:
        cur_word = c2
    elif pre2 is not None:
        cur_word, is_pre = pre2, True
    cw = cur_word.strip()
    if not is_pre and cw in ("块", "塊"):
        if is_ja or not p1.has_arabic:
            return None
    if is_pre and cw == "¥":
        iso = _resolve_yen(text, start, is_ja, sent)
    else:
        iso = _currency(cw, is_pre)
    if iso is None:
        return None
    # single-kanji "一元" etc. directly after a Han character is too often a word/name
    if (not is_pre and cw == "元" and n2s is None and len(n1s) == 1 and p1.kanji_only
            and start > 0 and "\u4e00" <= text[start - 1] <= "\u9fff"
            and text[start - 1] not in "约約花付共计計值价價仅僅只为為是了和到至近超逾每"):
        return None
    norm: dict = {}
    qualifier = "over" if p1.more else None
    if n2s is not None:
        p2 = parse_number(n2s)
        if p2 is None:
            return None
        v1 = p1.value
        if not p1.has_big and p2.scale is not None:
            v1 = v1 * p2.scale
        norm["value_min"] = fmt_decimal(v1)
        norm["value_max"] = fmt_decimal(p2.value)
        if p2.more:
            qualifier = "over"
    else:
        norm["value"] = fmt_decimal(p1.value)
    norm["currency"] = iso
    if qualifier is None:
        qualifier = qualifier_around(text, start, end)
    if qualifier is not None:
        norm["qualifier"] = qualifier
    return start, end, norm


# Implicit amounts: a bare NUM with a big unit or thousands separators,
# followed by punctuation / a particle / a qualifier (not by a counter like 人, 件).
_AMOUNT_RE = re.compile(NUM)
_HAS_BIG = re.compile(f"[{BG_CHARS}]")
_IMPLICIT_FOLLOW = re.compile(
    r"(?:$|[、。，,.！？!?\s)」』）]|[でにをはとがもへやだ](?![0-9])|から|まで|的|了)"
)


def amount_at(text: str, pos: int):
    """A bare amount usable as implicit money: returns (start, end, ParsedNumber, qualifier)."""
    m = _AMOUNT_RE.match(text, pos)
    if m is None:
        return None
    s = m.group()
    if "," not in s and not _HAS_BIG.search(s):
        return None
    p = parse_number(s)
    if p is None or not (p.has_big or p.has_comma) or not p.has_arabic and not p.has_big:
        return None
    start, end = m.start(), m.end()
    if start > 0 and text[start - 1] in _HAN_BEFORE_BLOCK:
        return None
    qualifier = "over" if p.more else None
    after = end
    sq = suffix_qualifier(text, end)
    if sq is not None:
        after = sq[1]
        qualifier = qualifier or sq[0]
    if not _IMPLICIT_FOLLOW.match(text, after):
        return None
    if qualifier is None:
        qualifier = prefix_qualifier(text, start)
    return start, end, p, qualifier
