"""Layer 2/3 of the numeric grammar: amounts and money.

::

    RANGE   = "~" | "-" | "--" | "—" | "——" | "―" | "至" | "到"   (〜 ～ － – are normalised to ~ -)
    SUB     = 零? D ("角"|"毛") ( 零? D "分" )? | 零? D "分"       (after 元 圆 圓 块 only: 3元5角)
    MONEY   = PRECUR? NUM SUFCUR? ( RANGE PRECUR? NUM )? SUFCUR? SUB?   # at least one currency
            | D ("角"|"毛") ( D "分" )? "钱"? | D "分钱"                # zh: 伍角陆分, 五毛钱
    PRECUR  = ¥ $ € £ ₩ US$ HK$ NT$ S$ A$ C$ NZ$ RMB CNY USD ... 人民币 新台幣 港币 ...
    SUFCUR  = 円 日元 元 圆 圓 元钱 人民元 人民币 ドル 美元 马克 法郎 ... (longest first)

``money_at`` tries MONEY at one position and returns ``(start, end, norm)``
or None.  Implicit amounts (no currency word; currency taken from the
sentence) are resolved by the scanner in ``__init__``.

Currencies are ISO 4217 codes; for currencies that no longer exist the
historic code is used (马克/マルク DEM, 法国法郎 FRF, 比利时法郎 BEF, 意大利里拉
ITL, 比塞塔 ESP, 荷兰盾/ギルダー NLG, 埃居/エキュ XEU ...).  A word that names
the currency of several countries (法郎, 比索, 卢比, 克朗, 第纳尔, 盾, 里拉, 先令 and
フラン, ペソ, ルピー, クローネ, ディナール, リラ ...) or whose code changed with a
redenomination (玻利瓦尔, 土耳其里拉) gets no ``currency``: the entity keeps its
value and says why in ``value_note``.  With a country (瑞士法郎, インドルピー) the
code is given.

块/塊 is a counter of things as well as the spoken yuan: it is money only as
块钱, before 毛/角 (十块三毛), or after a money word in the same clause
(价 钱 花 卖 买 收 付 费 薪 租 罚 赔 捐 斤 涨 贵 票 ...) when no noun follows it
(使用9860块青砖 is bricks).  Standalone 角/毛/分 amounts are money only in
financial numerals (伍角陆分) or before 钱 (五毛钱): 三角, 五分钟, 三毛 are not.
"""
from __future__ import annotations

import re
from decimal import Decimal

from .numbers import (BG_CHARS, FINANCIAL_CHARS, KD_CHARS, KD_MAP, KS_CHARS, NUM, fmt_decimal,
                      parse_number)
from .qualifiers import prefix_qualifier, qualifier_around, suffix_qualifier

__all__ = ["money_at", "amount_at", "SUFFIX_CURRENCIES", "PREFIX_CURRENCIES", "AMBIGUOUS_CURRENCIES"]

# Suffix currency words (after the number) -> ISO 4217, or None where the word
# alone does not fix the country (see AMBIGUOUS_CURRENCIES).
SUFFIX_CURRENCIES = {
    # JPY (圓 is the old form of 円 in Japanese; in Chinese it is the yuan, see _JA_ONLY)
    "円": "JPY", "日元": "JPY", "日圓": "JPY", "日圆": "JPY", "日币": "JPY", "日幣": "JPY",
    "日本円": "JPY", "JPY": "JPY",
    # CNY
    "元": "CNY", "圆": "CNY", "圓": "CNY", "元钱": "CNY", "元錢": "CNY",
    "人民元": "CNY", "人民币": "CNY", "人民幣": "CNY", "元人民币": "CNY",
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
    # others in current use
    "ルーブル": "RUB", "ロシアルーブル": "RUB", "卢布": "RUB", "盧布": "RUB", "俄罗斯卢布": "RUB",
    "RUB": "RUB",
    "印度卢比": "INR", "印度盧比": "INR", "インドルピー": "INR", "INR": "INR",
    "巴基斯坦卢比": "PKR", "パキスタンルピー": "PKR", "斯里兰卡卢比": "LKR", "スリランカルピー": "LKR",
    "尼泊尔卢比": "NPR", "ネパールルピー": "NPR",
    "豪ドル": "AUD", "オーストラリアドル": "AUD", "澳元": "AUD", "澳币": "AUD", "澳幣": "AUD",
    "澳大利亚元": "AUD", "AUD": "AUD",
    "カナダドル": "CAD", "加元": "CAD", "加币": "CAD", "加幣": "CAD", "加拿大元": "CAD", "CAD": "CAD",
    "スイスフラン": "CHF", "瑞士法郎": "CHF", "瑞郎": "CHF", "CHF": "CHF",
    "シンガポールドル": "SGD", "新加坡元": "SGD", "新元": "SGD", "新币": "SGD", "新幣": "SGD", "SGD": "SGD",
    "NZドル": "NZD", "ニュージーランドドル": "NZD", "纽元": "NZD", "新西兰元": "NZD", "NZD": "NZD",
    "バーツ": "THB", "タイバーツ": "THB", "泰铢": "THB", "泰銖": "THB", "铢": "THB", "銖": "THB", "THB": "THB",
    "ルピア": "IDR", "印尼盾": "IDR", "印度尼西亚盾": "IDR", "IDR": "IDR",
    "リンギ": "MYR", "リンギット": "MYR", "令吉": "MYR", "马币": "MYR", "林吉特": "MYR",
    "马来西亚林吉特": "MYR", "MYR": "MYR",
    "越南盾": "VND", "ベトナムドン": "VND", "ドン": "VND", "VND": "VND",
    "澳门元": "MOP", "澳門元": "MOP", "澳门币": "MOP", "澳門幣": "MOP", "パタカ": "MOP", "MOP": "MOP",
    "レアル": "BRL", "雷亚尔": "BRL", "BRL": "BRL",
    "ランド": "ZAR", "南アフリカランド": "ZAR", "兰特": "ZAR", "南非兰特": "ZAR", "ZAR": "ZAR",
    "墨西哥比索": "MXN", "メキシコペソ": "MXN", "阿根廷比索": "ARS", "アルゼンチンペソ": "ARS",
    "菲律宾比索": "PHP", "フィリピンペソ": "PHP", "智利比索": "CLP", "チリペソ": "CLP",
    "哥伦比亚比索": "COP", "コロンビアペソ": "COP",
    "瑞典克朗": "SEK", "スウェーデンクローナ": "SEK", "挪威克朗": "NOK", "ノルウェークローネ": "NOK",
    "丹麦克朗": "DKK", "デンマーククローネ": "DKK", "捷克克朗": "CZK", "チェココルナ": "CZK",
    "冰岛克朗": "ISK", "アイスランドクローナ": "ISK",
    "科威特第纳尔": "KWD", "クウェートディナール": "KWD", "伊拉克第纳尔": "IQD", "イラクディナール": "IQD",
    "约旦第纳尔": "JOD", "ヨルダンディナール": "JOD", "阿尔及利亚第纳尔": "DZD", "突尼斯第纳尔": "TND",
    "利比亚第纳尔": "LYD", "巴林第纳尔": "BHD",
    "福林": "HUF", "フォリント": "HUF", "兹罗提": "PLN", "ズロチ": "PLN",
    "谢克尔": "ILS", "新谢克尔": "ILS", "シェケル": "ILS", "埃及镑": "EGP", "エジプトポンド": "EGP",
    "沙特里亚尔": "SAR", "サウジアラビアリヤル": "SAR", "奈拉": "NGN", "ナイラ": "NGN",
    # historic (replaced by the euro or gone): their own ISO codes
    "马克": "DEM", "馬克": "DEM", "德国马克": "DEM", "德國馬克": "DEM", "西德马克": "DEM",
    "マルク": "DEM", "ドイツマルク": "DEM", "DEM": "DEM",
    "芬兰马克": "FIM", "フィンランドマルク": "FIM",
    "法国法郎": "FRF", "法國法郎": "FRF", "フランスフラン": "FRF", "FRF": "FRF",
    "比利时法郎": "BEF", "比利時法郎": "BEF", "ベルギーフラン": "BEF", "BEF": "BEF",
    "卢森堡法郎": "LUF", "ルクセンブルクフラン": "LUF",
    "西非法郎": "XOF", "中非法郎": "XAF",
    "意大利里拉": "ITL", "義大利里拉": "ITL", "イタリアリラ": "ITL", "ITL": "ITL",
    "比塞塔": "ESP", "西班牙比塞塔": "ESP", "ペセタ": "ESP", "スペインペセタ": "ESP", "ESP": "ESP",
    "荷兰盾": "NLG", "荷蘭盾": "NLG", "ギルダー": "NLG", "オランダギルダー": "NLG", "NLG": "NLG",
    "埃居": "XEU", "欧洲货币单位": "XEU", "エキュ": "XEU", "XEU": "XEU",
    "奥地利先令": "ATS", "オーストリアシリング": "ATS", "德拉克马": "GRD", "ドラクマ": "GRD",
    "葡萄牙埃斯库多": "PTE",
    # one word, several countries (or several codes over time): no currency, a note
    "法郎": None, "フラン": None, "比索": None, "ペソ": None, "卢比": None, "盧比": None,
    "ルピー": None, "克朗": None, "クローネ": None, "クローナ": None, "第纳尔": None,
    "ディナール": None, "盾": None, "里拉": None, "リラ": None, "先令": None, "シリング": None,
    "玻利瓦尔": None, "ボリバル": None, "土耳其里拉": None, "トルコリラ": None,
    "里亚尔": None, "リヤル": None, "迪拉姆": None,
}
AMBIGUOUS_CURRENCIES = {
    "法郎": "franc", "フラン": "franc", "比索": "peso", "ペソ": "peso", "卢比": "rupee", "盧比": "rupee",
    "ルピー": "rupee", "克朗": "krona/krone", "クローネ": "krone", "クローナ": "krona",
    "第纳尔": "dinar", "ディナール": "dinar", "盾": "guilder/dong/rupiah", "里拉": "lira",
    "リラ": "lira", "先令": "shilling", "シリング": "shilling", "里亚尔": "rial/riyal",
    "リヤル": "rial/riyal", "迪拉姆": "dirham",
}
_REDENOMINATED = {"玻利瓦尔": "bolívar (VEB, VEF, VES)", "ボリバル": "bolívar (VEB, VEF, VES)",
                  "土耳其里拉": "Turkish lira (TRL, TRY)", "トルコリラ": "Turkish lira (TRL, TRY)"}
# Read differently in Japanese text.
_JA_ONLY = {"圓": "JPY"}
_YUAN_WORDS = frozenset("元圆圓块塊")

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
# A currency word must not be the start of another word.
_NOT_AFTER = {
    "元": "化気氣素首旦帅帥宵凶论論次",             # 一元化, 二元論, 元素 ...
    "圆": "满周形心顶桌舞梦珠润滑球规弧柱锥",       # 圆满, 圆周 ...
    "圓": "滿満周形心頂桌舞夢珠潤滑球規弧柱錐",
    "马克": "思", "馬克": "思",                     # 马克思 (Marx)
    "盾": "构構牌",                                 # 盾构, 盾牌
    "新元": "素",
}
_KATAKANA_WORD = {"マルク": "ス", "フラン": "スチクケ", "リラ": "ッ", "ドン": "ァ-ヺー", "ランド": "ァ-ヺー"}


def _cjk_alt(words):
    out = []
    for w in sorted(words, key=len, reverse=True):
        if w in _NOT_AFTER:
            out.append(f"{re.escape(w)}(?![{_NOT_AFTER[w]}])")
        elif w in _KATAKANA_WORD:
            out.append(f"{re.escape(w)}(?![{_KATAKANA_WORD[w]}])")
        else:
            out.append(re.escape(w))
    return "|".join(out)


_SUFCUR = rf"(?:{_cjk_alt(_CJK_SUF)}|\s?(?:{_alt(_ASCII_CODES)})(?![A-Za-z]))"
_PRECUR = rf"(?:(?:{_alt(PREFIX_CURRENCIES)})(?:(?<=[A-Z])\s)?)"
_RANGE = r"\s?(?:--?|——?|―|~|至|到)\s?"
# One digit of a sub-unit amount (角 毛 分).
_D1 = "[0-9" + "".join(c for c, v in KD_MAP.items() if v) + "]"
_SUB = (rf"(?:零?(?P<j>{_D1})[角毛](?:零?(?P<f>{_D1})分(?![钟鐘]))?"
        rf"|零?(?P<f2>{_D1})分(?![钟鐘之]))")

MONEY_RE = re.compile(
    rf"(?P<pre>{_PRECUR})?(?P<n1>{NUM})(?P<c1>{_SUFCUR})?"
    rf"(?:(?P<sep>{_RANGE})(?P<pre2>{_PRECUR})?(?P<n2>{NUM}))?(?P<c2>{_SUFCUR})?"
    rf"(?P<sub>{_SUB})?"
)
# Standalone 角/毛/分 (zh): 伍角陆分, 五毛钱, 两分钱.
JIAO_RE = re.compile(
    rf"(?P<j>{_D1})[角毛](?:零?(?P<f>{_D1})分(?![钟鐘]))?(?P<q>[钱錢])?"
    rf"|(?P<f2>{_D1})分(?P<q2>[钱錢])"
)

_HAN_BEFORE_BLOCK = frozenset("数數几幾何")
_DIGITS_AND_NUMERALS = frozenset("0123456789" + KD_CHARS + KS_CHARS + BG_CHARS)
_YEN_CONTEXT = re.compile(r"円")
_CNY_CONTEXT = re.compile(r"元|人民")
_JPY_ZH_CONTEXT = re.compile(r"日元|日圓|日圆|日币|日幣")
# 块 is money after one of these in the same clause (and not before a noun).
_KUAI_CUE = re.compile(
    "[价價钱錢花卖賣买買售收赚賺付费費薪资資租罚罰赔賠捐欠借贷貸奖獎值値补補贴貼挣掙税稅款账帳賬赏賞"
    "斤涨漲跌贵貴宜票]"
)
_CLAUSE_END = re.compile(r"[，,。；;！!？?\n、：:]")
# After 块 (money): punctuation, the end, a digit (3块一斤) or one of these words.
_KUAI_NEXT_OK = frozenset("的了吗嗎呢啊吧呀左上多给給也都就才还還买買卖賣一二三四五六七八九十两兩每")
_TEN = Decimal("0.1")
_HUNDREDTH = Decimal("0.01")


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


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _kuai_is_money(text: str, start: int, end: int, has_sub: bool) -> bool:
    if has_sub:
        return True                                  # 十块三毛
    if end < len(text):
        nx = text[end]
        if nx in "儿兒" or (_is_han(nx) and nx not in _KUAI_NEXT_OK):
            return False                             # 9860块青砖, 一块儿
    lo = max(0, start - 10)
    clause = lo
    for m in _CLAUSE_END.finditer(text, lo, start):
        clause = m.end()
    return _KUAI_CUE.search(text, clause, start) is not None


def _digit1(ch: str | None) -> int:
    if ch is None:
        return 0
    return int(ch) if ch.isascii() else KD_MAP[ch]


def _jiao_at(text: str, pos: int):
    """Standalone 角/毛/分 amount at pos (zh): (start, end, Decimal) or None."""
    m = JIAO_RE.match(text, pos)
    if m is None:
        return None
    digits = m.group(0)
    if m.group("q") is None and m.group("q2") is None and not any(c in FINANCIAL_CHARS for c in digits):
        return None                                  # 三角, 三毛, 五分: not money alone
    if pos > 0 and (text[pos - 1] in _DIGITS_AND_NUMERALS or text[pos - 1] in _HAN_BEFORE_BLOCK):
        return None
    v = _digit1(m.group("j")) * _TEN + (_digit1(m.group("f")) + _digit1(m.group("f2"))) * _HUNDREDTH
    return m.start(), m.end(), v


def _range_bounds(p1, p2):
    """(min, max, note): the bounds of a written range NUM1 RANGE NUM2.

    A lower bound without a unit takes the unit of the upper one when that
    puts it below the upper bound and within a factor of 100 of it: 3-5亿 =
    3亿..5亿, 三到五千 = 3000..5000, 300〜500万; 从9000到2万 stays 9000..20000.
    The multipliers tried, in order: 1, the upper bound's first unit, what its
    first digit is multiplied by (1-2千万 = 1千万..2千万).  No fit, or a lower
    bound at or above the upper one: no bounds (a note)."""
    if p1.value is None or p2.value is None:
        return None, None, p1.note or p2.note or "range of approximate amounts"
    v1, v2 = p1.value, p2.value
    if p1.has_unit:
        if v1 < v2:
            return v1, v2, None
        return None, None, "range bounds out of order"
    for m in (1, p2.top_unit, p2.lead_mult):
        if m is None:
            continue
        c = v1 * m
        if v2 / 100 <= c < v2:
            return c, v2, None
    return None, None, "range: no reading of the lower bound fits below the upper one"


def money_at(text: str, pos: int, is_ja: bool, sent):
    """Try MONEY at ``pos``. ``sent(pos) -> (start, end)`` gives the sentence."""
    m = MONEY_RE.match(text, pos)
    r = _money(m, text, is_ja, sent) if m is not None else None
    if r is None and not is_ja:
        j = _jiao_at(text, pos)
        if j is not None:
            start, end, v = j
            norm = {"value": fmt_decimal(v), "currency": "CNY"}
            q = qualifier_around(text, start, end)
            if q is not None:
                norm["qualifier"] = q
            return start, end, norm
    return r


def _money(m, text, is_ja, sent):
    pre, c1, c2, pre2 = m.group("pre"), m.group("c1"), m.group("c2"), m.group("pre2")
    n1s, n2s = m.group("n1"), m.group("n2")
    zh = not is_ja
    if is_ja and n1s[0] == "上":
        return None
    if n2s is not None:
        if pre2 is None and c2 is None:
            if pre is not None and c1 is None:       # $3-5
                end = m.end("n2")
            else:                                    # not a money range
                n2s = None
        else:
            end = m.end("c2") if c2 is not None else m.end("n2")
    if n2s is None:
        c2 = pre2 = None
        end = m.end("c1") if c1 is not None else m.end("n1")
        if pre is None and c1 is None:
            return None
    if end < len(text) and (text[end] in _DIGITS_AND_NUMERALS) and c1 is None and n2s is None:
        return None                     # 人民币六6万: the numeral does not end here
    start = m.start()
    if start > 0 and (text[start - 1] in _HAN_BEFORE_BLOCK or text[start - 2:start] == "ウン"):
        return None                     # 何千円, ウン十万円: value unknown
    if len(n1s) > 1 and n1s[0] == "0" and n1s[1] in "0123456789,":
        return None                     # "000元" after a stray comma, codes like 0120
    if start > 1 and text[start - 1] in ",，" and text[start - 2].isdigit():
        return None                     # the tail of a list or of a broken number: 1，2，300元
    p1 = parse_number(n1s, zh)
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
    last_word = (c2 if c2 is not None else c1 if n2s is None else None)
    sub = None
    if m.group("sub") is not None and last_word is not None and last_word in _YUAN_WORDS and zh:
        sub = (_digit1(m.group("j")) * _TEN
               + (_digit1(m.group("f")) + _digit1(m.group("f2"))) * _HUNDREDTH)
        end = m.end("sub")
    if not is_pre and cw in ("块", "塊"):
        if is_ja or not _kuai_is_money(text, start, end if sub is None else m.start("sub"),
                                       sub is not None):
            return None
        if n1s in ("一", "两", "兩") and sub is None:
            return None                 # 一块: a piece, together (一块儿)
    norm: dict = {}
    note = None
    if is_pre and cw == "¥":
        iso = _resolve_yen(text, start, is_ja, sent)
    elif is_pre:
        iso = PREFIX_CURRENCIES.get(cw)
    elif is_ja and cw in _JA_ONLY:
        iso = _JA_ONLY[cw]
    elif cw in SUFFIX_CURRENCIES:
        iso = SUFFIX_CURRENCIES[cw]
        if iso is None:
            if cw in _REDENOMINATED:
                note = f"{cw}: the ISO code of the {_REDENOMINATED[cw]} depends on the date"
            else:
                note = f"{cw}: the {AMBIGUOUS_CURRENCIES[cw]} of several countries; currency left out"
    else:
        return None
    # single-kanji "一元" etc. directly after a Han character is too often a word/name
    if (not is_pre and cw in ("元", "圆", "圓") and n2s is None and len(n1s) == 1 and p1.kanji_only
            and sub is None and start > 0 and _is_han(text[start - 1])
            and text[start - 1] not in "约約花付共计計值价價仅僅只为為是了和到至近超逾每"):
        return None
    qualifier = "over" if p1.more else None
    if n2s is not None:
        p2 = parse_number(n2s, zh)
        if p2 is None:
            return None
        lo, hi, rnote = _range_bounds(p1, p2)
        if rnote is None:
            norm["value_min"] = fmt_decimal(lo)
            norm["value_max"] = fmt_decimal(hi)
            if p1.approx or p2.approx:
                qualifier = qualifier or "approx"
        else:
            note = rnote if note is None else f"{rnote}; {note}"
        if p2.more:
            qualifier = "over"
    elif p1.value is not None:
        v = p1.value if sub is None else p1.value + sub
        norm["value"] = fmt_decimal(v)
    elif p1.lo is not None:
        norm["value_min"] = fmt_decimal(p1.lo)
        norm["value_max"] = fmt_decimal(p1.hi)
    else:
        note = p1.note if note is None else f"{p1.note}; {note}"
    if iso is not None:
        norm["currency"] = iso
    if qualifier is None:
        qualifier = qualifier_around(text, start, end)
    if qualifier is None and (p1.approx or n2s is None and p1.lo is not None):
        qualifier = "approx"
    if qualifier is None and n2s is not None and p2.approx:
        qualifier = "approx"
    if qualifier is not None:
        norm["qualifier"] = qualifier
    if note is not None:
        norm["value_note"] = note
    return start, end, norm


# Implicit amounts: a bare NUM with a big unit or thousands separators,
# followed by punctuation / a particle / a qualifier (not by a counter like 人, 件).
_AMOUNT_RE = re.compile(NUM)
_HAS_BIG = re.compile(f"[{BG_CHARS}]")
_IMPLICIT_FOLLOW = re.compile(
    r"(?:$|[、。，,.！？!?\s)」』）]|[でにをはとがもへやだ](?![0-9])|から|まで|的|了)"
)


def amount_at(text: str, pos: int, is_ja: bool = False):
    """A bare amount usable as implicit money: returns (start, end, ParsedNumber, qualifier)."""
    m = _AMOUNT_RE.match(text, pos)
    if m is None:
        return None
    s = m.group()
    if "," not in s and "，" not in s and not _HAS_BIG.search(s):
        return None
    p = parse_number(s, not is_ja)
    if p is None or p.value is None or not (p.has_big or p.has_comma) or not p.has_arabic and not p.has_big:
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
