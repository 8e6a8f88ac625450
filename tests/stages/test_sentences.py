from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.record import Span
from pipeline.stages.sentences import MAX_SENTENCE, QUOTE_LIMIT, split_sentences

# (name, text, lang, expected sentences as text slices, in order)
CASES = [
    ("simple ja", "今日は晴れ。明日は雨！本当？", "ja", ["今日は晴れ。", "明日は雨！", "本当？"]),
    ("quote is one sentence", "彼は「行く。帰る。」と言った。", "ja", ["彼は「行く。帰る。」と言った。"]),
    ("quote then next", "彼は「行く。帰る。」と言った。次の文。", "ja", ["彼は「行く。帰る。」と言った。", "次の文。"]),
    ("quote ends at the closer", "「行くぞ。」彼は言った。", "ja", ["「行くぞ。」", "彼は言った。"]),
    ("quote followed by って", "「無理だ！」って彼は言う。", "ja", ["「無理だ！」って彼は言う。"]),
    ("nested quotes", "「彼は『行く。』と言った。」そして去った。", "ja", ["「彼は『行く。』と言った。」", "そして去った。"]),
    ("parentheses", "価格は上がった（前年比で。推計）。次へ。", "ja", ["価格は上がった（前年比で。推計）。", "次へ。"]),
    ("zh quotes", "他说：“我们赢了。明天再战。”大家都笑了。", "zh-Hans", ["他说：“我们赢了。明天再战。”", "大家都笑了。"]),
    ("zh single quotes", "她说‘好的。’然后走了。", "zh-Hans", ["她说‘好的。’", "然后走了。"]),
    ("newline ends a headline", "新製品を発表\n同社は新製品を発表した。", "ja", ["新製品を発表", "同社は新製品を発表した。"]),
    ("blank lines and indentation", "\u3000一段落目。\n\n\u3000二段落目。\r\n", "ja", ["一段落目。", "二段落目。"]),
    ("unbalanced quote is cut at the newline", "彼は「行く。帰る。と言った。\n次の行。", "ja",
     ["彼は「行く。", "帰る。", "と言った。", "次の行。"]),
    ("stray closer is ignored", "結果は）良かった。次。", "ja", ["結果は）良かった。", "次。"]),
    ("closer after terminator stays", "良かった。）次の文。", "ja", ["良かった。）", "次の文。"]),
    ("ellipsis is not a terminator", "そうか……彼はうなずいた。", "ja", ["そうか……彼はうなずいた。"]),
    ("ellipsis then terminator", "まさか……。本当に。", "ja", ["まさか……。", "本当に。"]),
    ("terminator runs", "本当に！？すごい！！", "ja", ["本当に！？", "すごい！！"]),
    ("fullwidth period", "これは例です．次の例です．", "ja", ["これは例です．", "次の例です．"]),
    ("fullwidth decimal", "成長率は１．５％だった。", "ja", ["成長率は１．５％だった。"]),
    ("ascii decimal and abbreviations", "U.S. Steelの株価は1.5%上昇した。Mr. Smithも来た。", "ja",
     ["U.S. Steelの株価は1.5%上昇した。", "Mr. Smithも来た。"]),
    ("ascii period followed by space", "売上は伸びた. 利益も増えた. ", "ja", ["売上は伸びた.", "利益も増えた."]),
    ("ascii ellipsis", "待って... まだある。", "ja", ["待って... まだある。"]),
    ("url is not split", "詳細はwww.example.comを参照。", "ja", ["詳細はwww.example.comを参照。"]),
    ("Yahoo! is not a terminator", "Yahoo!ニュースによると雨だ。", "ja", ["Yahoo!ニュースによると雨だ。"]),
    ("ascii ! after kana is", "すごい!本当だ?うん。", "ja", ["すごい!", "本当だ?", "うん。"]),
    ("halfwidth ideographic stop", "ﾃｽﾄ｡ﾃｽﾄ｡", "ja", ["ﾃｽﾄ｡", "ﾃｽﾄ｡"]),
    ("no terminator", "终场哨响", "zh-Hans", ["终场哨响"]),
    ("astral characters", "𠮷野家が開店。𠮷田さんが来た。", "ja", ["𠮷野家が開店。", "𠮷田さんが来た。"]),
    ("only whitespace", " \u3000\n\t", "ja", []),
    ("empty", "", "ja", []),
    ("unicode line separator", "一行目\u2028二行目。", "ja", ["一行目", "二行目。"]),
]


@pytest.mark.parametrize("name,text,lang,expected", CASES, ids=[c[0] for c in CASES])
def test_cases(name: str, text: str, lang: str, expected: list[str]) -> None:
    spans = split_sentences(text, 0, len(text), lang)
    assert [text[s.start : s.end] for s in spans] == expected
    # Exact offsets: each expected sentence located left to right.
    pos = 0
    offsets = []
    for sent in expected:
        i = text.index(sent, pos)
        offsets.append(Span(i, i + len(sent)))
        pos = i + len(sent)
    assert spans == offsets
    _check(text, 0, len(text), spans)


def test_region_offsets_are_in_text_coordinates() -> None:
    text = "見出し\n本文一。本文二。\n[[1]]"
    start = text.index("本文一")
    end = text.index("\n[[1]]")
    spans = split_sentences(text, start, end, "ja")
    assert spans == [Span(4, 8), Span(8, 12)]
    assert [text[s.start : s.end] for s in spans] == ["本文一。", "本文二。"]


def test_region_cut_mid_quote() -> None:
    text = "前文「引用。まだ引用。"
    spans = split_sentences(text, 2, len(text), "ja")
    assert [text[s.start : s.end] for s in spans] == ["「引用。", "まだ引用。"]


@pytest.mark.parametrize("start,end", [(-5, 3), (2, 100), (5, 2), (10, 10)])
def test_bad_region_is_clamped(start: int, end: int) -> None:
    text = "あい。うえお。"
    spans = split_sentences(text, start, end, "ja")
    _check(text, max(0, start), min(len(text), max(end, 0)), spans)


def test_unbalanced_quote_capped_by_length() -> None:
    body = "長い文章です。" * 200  # 1,400 chars after a stray opener, no closer, no newline
    text = "彼は「" + body
    spans = split_sentences(text, 0, len(text), "ja")
    # The stray 「 cannot hold back the terminators for more than QUOTE_LIMIT characters.
    assert len(spans) >= 150
    assert all(s.end - s.start <= QUOTE_LIMIT + 10 for s in spans)
    _check(text, 0, len(text), spans)


def test_balanced_long_quote_within_limit_is_one_sentence() -> None:
    inner = "とても長い発言です。" * 40  # 400 chars
    text = "彼は「" + inner + "」と述べた。"
    spans = split_sentences(text, 0, len(text), "ja")
    assert [text[s.start : s.end] for s in spans] == [text]


def test_wall_of_text_cut_at_comma() -> None:
    text = "あ" * 900 + "、" + "い" * 900 + "。"
    spans = split_sentences(text, 0, len(text), "ja")
    assert [text[s.start : s.end] for s in spans] == ["あ" * 900 + "、", "い" * 900 + "。"]


def test_wall_of_text_cut_at_space() -> None:
    text = "x" * 700 + " " + "y" * 700
    spans = split_sentences(text, 0, len(text), "und")
    assert [text[s.start : s.end] for s in spans] == ["x" * 700, "y" * 700]


def test_wall_of_text_hard_cut() -> None:
    text = "無" * 2500
    spans = split_sentences(text, 0, len(text), "ja")
    assert [s.end - s.start for s in spans] == [MAX_SENTENCE, MAX_SENTENCE, 500]
    assert spans[0] == Span(0, MAX_SENTENCE)


def _check(text: str, start: int, end: int, spans: list[Span]) -> None:
    prev = start
    for s in spans:
        assert isinstance(s, Span)
        assert prev <= s.start < s.end <= max(end, start)
        piece = text[s.start : s.end]
        assert piece and not piece[0].isspace() and not piece[-1].isspace()
        assert len(piece) <= MAX_SENTENCE
        prev = s.end
    # Every non-blank character of the region is in some sentence.
    pos = start
    for s in spans:
        assert text[pos : s.start].strip() == ""
        pos = s.end
    assert text[pos:end].strip() == ""


PIECES = st.sampled_from(
    ["。", "！", "？", "!", "?", ".", "．", "…", "……", "「", "」", "『", "』", "“", "”", "‘", "’", "（", "）",
     "(", ")", "\n", "\r\n", "\u2028", " ", "\u3000", "、", "，", "と", "あ", "中", "𠮷", "😀", "\x00", "\x1c",
     "1", "A", "Mr", "U.S"]
)
TEXTS = st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=60).map("".join))


@settings(max_examples=500, deadline=None)
@given(TEXTS, st.data())
def test_properties(text: str, data) -> None:
    n = len(text)
    start = data.draw(st.integers(0, n))
    end = data.draw(st.integers(start, n))
    lang = data.draw(st.sampled_from(["ja", "zh-Hans", "zh-Hant", "und"]))
    spans = split_sentences(text, start, end, lang)
    _check(text, start, end, spans)


@settings(max_examples=50, deadline=None)
@given(st.lists(PIECES, min_size=500, max_size=3000).map("".join))
def test_properties_long(text: str) -> None:
    spans = split_sentences(text, 0, len(text), "ja")
    _check(text, 0, len(text), spans)


def test_two_megabytes_is_fast() -> None:
    para = "政府は今日、新しい経済対策を発表した。「景気を下支えする。」と大臣は述べた（詳細は後日）……そして\n"
    text = para * (2_000_000 // len(para) + 1)
    t0 = time.process_time()  # CPU time: other processes on the machine do not count
    spans = split_sentences(text, 0, len(text), "ja")
    assert time.process_time() - t0 < 10.0  # linear-time guard
    assert len(spans) > 60_000


def test_two_megabytes_single_line_unbalanced_is_fast() -> None:
    text = "“" + "我们赢了，然后回家。" * 200_000
    t0 = time.process_time()  # CPU time: other processes on the machine do not count
    spans = split_sentences(text, 0, len(text), "zh-Hans")
    assert time.process_time() - t0 < 10.0  # linear-time guard
    assert len(spans) >= 199_000


def test_two_megabytes_no_punctuation_is_fast() -> None:
    text = "字" * 2_000_000
    t0 = time.process_time()  # CPU time: other processes on the machine do not count
    spans = split_sentences(text, 0, len(text), "zh-Hans")
    assert time.process_time() - t0 < 10.0  # linear-time guard
    assert len(spans) == 2000
