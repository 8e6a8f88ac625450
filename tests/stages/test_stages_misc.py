"""Tokenizers, the entity merge, grouping and the Traditional->Simplified mapping."""

from __future__ import annotations

import pytest

from pipeline.record import Article, Document, Entity, Span
from pipeline.stages.entities import UnidicProperNouns, merge
from pipeline.stages.grouping import Grouper
from pipeline.stages.tokenize_ja import FugashiTokenizer
from pipeline.stages.tokenize_zh import JiebaTokenizer
from pipeline.stages.zh_script import to_simplified, to_traditional

JA_TOKEN_CASES = [
    ("東京都の陳菊紅氏", ["東京", "都", "の", "陳", "菊", "紅", "氏"]),
    ("　2021年に\n𠮷野家で  500億", ["　", "2021", "年", "に", "𠮷", "野家", "で", "500", "億"]),
    ("ABC  def", ["ABC", "def"]),
]


@pytest.mark.parametrize("text,surfaces", JA_TOKEN_CASES)
def test_fugashi_offsets(text, surfaces):
    toks = FugashiTokenizer().tokenize(text, [Span(0, len(text))])
    assert [text[t.start : t.end] for t in toks] == surfaces


def test_fugashi_features():
    text = "陳氏は東京で話した"
    toks = FugashiTokenizer().tokenize(text, [Span(0, len(text))])
    first = toks[0]
    assert first.pos == "名詞-固有名詞-人名-姓" and first.reading == "チン"
    assert [t.lemma for t in toks][-2:] == ["話す", "た"]


def test_jieba_offsets_in_sentence_spans():
    text = "前言。腾讯公司在北京 发布了𠮷新产品"
    toks = JiebaTokenizer().tokenize(text, [Span(3, len(text))])
    assert [text[t.start : t.end] for t in toks] == ["腾讯", "公司", "在", "北京", "发布", "了", "𠮷", "新", "产品"]


@pytest.mark.parametrize("backend", ["rust", "python"])
def test_jieba_backends_same_words_and_exact_offsets(backend):
    text = "前言。腾讯公司在北京 发布了𠮷新产品，陈菊红说：“很好！”"
    tok = JiebaTokenizer(backend=backend)
    toks = tok.tokenize(text, [Span(3, len(text))])
    words = [text[t.start : t.end] for t in toks]
    assert words[:9] == ["腾讯", "公司", "在", "北京", "发布", "了", "𠮷", "新", "产品"]
    assert "陈菊红" in words
    assert all(not w.isspace() for w in words)
    assert tok.version.startswith("jieba-rs" if backend == "rust" else "jieba ")


def test_jieba_unknown_backend():
    with pytest.raises(ValueError, match="backend"):
        JiebaTokenizer(backend="c++")


def E(start, end, label, source="x"):
    return Entity(start, end, label, source=source)


def test_merge_precedence_and_no_overlap():
    rules = [E(10, 16, "MONEY", "rules")]
    model = [E(0, 3, "ORG", "model"), E(12, 14, "ORG", "model"), E(15, 20, "LOC", "model"), E(20, 22, "PERSON", "model")]
    got = [(e.start, e.end, e.label) for e in merge([rules, model])]
    assert got == [(0, 3, "ORG"), (10, 16, "MONEY"), (20, 22, "PERSON")]


def test_merge_within_one_recogniser_prefers_longer():
    got = [(e.start, e.end) for e in merge([[E(0, 2, "ORG"), E(1, 6, "ORG"), E(6, 8, "LOC")]])]
    assert got == [(1, 6), (6, 8)]


def test_unidic_baseline_joins_surname_and_given_name():
    text = "陳菊紅氏は東京と中国を訪れた"
    doc = Document(article=Article(id="x", text=text), lang="ja", sentences=[Span(0, len(text))])
    doc.tokens = FugashiTokenizer().tokenize(text, doc.sentences)
    got = [(text[e.start : e.end], e.label) for e in UnidicProperNouns()(doc)]
    assert got == [("陳菊紅", "PERSON"), ("東京", "LOC"), ("中国", "GPE")]


def _grouped(text, spans):
    doc = Document(article=Article(id="g", text=text), lang="ja")
    doc.entities = [E(text.index(s, pos), text.index(s, pos) + len(s), label) for s, label, pos in spans]
    doc.entities.sort(key=lambda e: e.start)
    Grouper()(doc)
    return [(text[e.start : e.end], e.cluster, e.canonical) for e in doc.entities]


def test_grouping_variants_short_forms_and_scripts():
    text = "陳菊紅氏と陳菊宏氏、陳菊鴻氏。テンセント慈善財団とテンセント財団。騰訊と腾讯。陳氏は話した。王愛文氏。"
    spans = [
        ("陳菊紅", "PERSON", 0), ("陳菊宏", "PERSON", 0), ("陳菊鴻", "PERSON", 0),
        ("テンセント慈善財団", "ORG", 0), ("テンセント財団", "ORG", text.index("とテンセント財団")),
        ("騰訊", "ORG", 0), ("腾讯", "ORG", 0), ("陳", "PERSON", text.index("陳氏は")), ("王愛文", "PERSON", 0),
    ]
    got = _grouped(text, spans)
    assert got == [
        ("陳菊紅", 0, "陳菊紅"), ("陳菊宏", 0, "陳菊紅"), ("陳菊鴻", 0, "陳菊紅"),
        ("テンセント慈善財団", 1, "テンセント慈善財団"), ("テンセント財団", 1, "テンセント慈善財団"),
        ("騰訊", 2, "騰訊"), ("腾讯", 2, "騰訊"),
        ("陳", 0, "陳菊紅"), ("王愛文", 3, "王愛文"),
    ]


def test_grouping_keeps_different_people_apart():
    text = "王愛文と王小明と李愛文"
    got = _grouped(text, [("王愛文", "PERSON", 0), ("王小明", "PERSON", 0), ("李愛文", "PERSON", 0)])
    assert [c for _, c, _ in got] == [0, 1, 2]


@pytest.mark.parametrize(
    "trad,simp",
    [("臺灣的經濟發展", "台湾的经济发展"), ("騰訊控股", "腾讯控股"), ("陳菊紅", "陈菊红"), ("𠮷野家123", "𠮷野家123")],
)
def test_to_simplified_is_char_level(trad, simp):
    assert to_simplified(trad) == simp
    assert len(to_simplified(trad)) == len(trad)


def test_to_traditional_same_length():
    s = "腾讯公司在北京发布了新产品"
    assert len(to_traditional(s)) == len(s)
    assert to_traditional("腾讯") == "騰訊"
