"""Property tests for pipeline.numeric: never raise, offsets sane, no overlaps,
deterministic, JSON-serialisable norms, linear-ish time on adversarial input."""
import json
import time
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from pipeline.numeric import find_numeric

# Characters that exercise the grammar: digits (ASCII, full-width), numerals,
# multipliers, currency words/symbols, separators, astral characters.
_ALPHABET = list(
    "0123456789０１２３４５６７８９.,，．・%％~〜～-－—/"
    "〇零一二三四五六七八九十百千万萬億亿兆两兩壹贰貳叁參拾佰仟多余点點"
    "円元块钱人民币幣日元ドル美金港台新欧ユーロ¥￥$＄€£₩USHKNTRMB"
    "年月日号今昨去明来先上下本前天令和平成昭元割成分パーセント百分之"
    "約约超以上未満左右近不到足逾、。！？!?\n ()（）人件回間间来代"
    "廿卅京垓阡陌漆几幾数數上角毛分钱圆圓块·・—―马克法郎卢比盾青砖"
) + ["𠮷", "𩸽", "😀", "\u0301", "\ufeff", "\x00", "\ud800", "\udfff", "a"]

texts = st.text(alphabet=st.sampled_from(_ALPHABET), max_size=80)
any_texts = st.text(max_size=80)
langs = st.sampled_from(["ja", "zh-Hans", "zh-Hant", "en", ""])
published = st.one_of(st.none(), st.sampled_from(
    ["2021-05-20", "2012-09-12T10:00:00+0900", "0001-01-01", "9999-12-31", "bad", ""]))


def _check(text, lang, pub, spans=None):
    res = find_numeric(text, lang, published=pub, spans=spans)
    last = 0
    for m in res:
        assert 0 <= m.start < m.end <= len(text)
        assert m.start >= last, "overlap or unsorted"
        last = m.end
        assert m.label in ("MONEY", "PERCENT", "DATE")
        json.dumps(m.norm, ensure_ascii=False)
        if "value_min" in m.norm:   # a range never comes out upside down
            assert Decimal(m.norm["value_min"]) < Decimal(m.norm["value_max"]), (text, m)
        if m.label == "MONEY":      # a value, bounds, or a note saying why neither
            assert "value" in m.norm or "value_min" in m.norm or "value_note" in m.norm
        if spans is not None:
            assert any(s <= m.start and m.end <= e for s, e in spans)
    assert res == find_numeric(text, lang, published=pub, spans=spans)  # deterministic
    return res


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, langs, published)
def test_grammar_alphabet_never_raises(text, lang, pub):
    _check(text, lang, pub)


@settings(max_examples=300, deadline=None)
@given(any_texts, langs, published)
def test_arbitrary_unicode_never_raises(text, lang, pub):
    _check(text, lang, pub)


@settings(max_examples=200, deadline=None)
@given(texts, langs, st.lists(st.tuples(st.integers(-5, 90), st.integers(-5, 90)), max_size=3))
def test_spans_never_crossed(text, lang, spans):
    n = len(text)
    clean = [(max(0, s), min(n, e)) for s, e in spans]
    res = find_numeric(text, lang, spans=spans)
    last = 0
    for m in res:
        assert 0 <= m.start < m.end <= n and m.start >= last
        last = m.end
        assert any(s <= m.start and m.end <= e for s, e in clean)


def test_astral_offsets_are_code_points():
    text = "𠮷𠮷500億円と𩸽70%"
    res = find_numeric(text, "ja")
    assert [text[m.start:m.end] for m in res] == ["500億円", "70%"]
    assert res[0].start == 2


def test_adversarial_inputs_are_fast():
    for s in ("1" * 5000, "一" * 5000, "1万" * 3000, "万" * 5000, "1,000" * 2000,
              "3〜" * 3000, "二十" * 3000 + "円", "1." * 4000, "百分之" * 2000,
              "1億" * 2000 + "人"):
        t0 = time.process_time()
        _check(s, "ja", "2021-05-20")
        _check(s, "zh-Hans", None)
        assert time.process_time() - t0 < 10.0, s[:10]  # linear-time guard (CPU time: other processes do not count)


def test_empty_and_odd_arguments():
    assert find_numeric("", "ja") == []
    assert find_numeric("500億円", "ja", spans=[]) == []
    assert find_numeric("500億円", "ja", spans=[(3, 1)]) == []
    assert len(find_numeric("500億円", "ja", spans=[(0, 100)])) == 1
