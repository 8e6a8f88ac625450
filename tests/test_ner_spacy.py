"""The shipped spaCy NER models (pipeline/models/ner-ja, ner-zh) through SpacyNER.

All sentences here were written for these tests (not taken from any corpus). No shared data
is needed.
"""

from __future__ import annotations

import pytest

from pipeline.record import Article, Document, Span
from pipeline.stages.ner_spacy import (
    MODELS_DIR,
    SpacyNER,
    biluo_constraints,
    tags_to_spans,
    viterbi_batch,
)

pytestmark = pytest.mark.skipif(
    not (MODELS_DIR / "ner-ja" / "meta.json").exists() or not (MODELS_DIR / "ner-zh" / "meta.json").exists(),
    reason="shipped NER models missing from pipeline/models",
)


@pytest.fixture(scope="module")
def ja():
    return SpacyNER("ner-ja", "ja")


@pytest.fixture(scope="module")
def zh():
    return SpacyNER("ner-zh", "zh")


def _doc(text: str, lang: str, sentences=None, tokenize: bool = True) -> Document:
    d = Document(article=Article(id="t", text=text), lang=lang)
    d.sentences = sentences if sentences is not None else ([Span(0, len(text))] if text else [])
    if tokenize and d.sentences:
        if lang == "ja":
            from pipeline.stages.tokenize_ja import FugashiTokenizer

            d.tokens = FugashiTokenizer().tokenize(text, d.sentences)
        else:
            from pipeline.stages.tokenize_zh import JiebaTokenizer

            d.tokens = JiebaTokenizer().tokenize(text, d.sentences)
    return d


def _ents(ner, text, lang, **kw):
    d = _doc(text, lang, **kw)
    ents = ner(d)
    for e in ents:
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start : e.end] == text[e.start : e.end].strip() != ""
        assert e.source == ner.name
    return [(text[e.start : e.end], e.label) for e in ents], ents


def test_metadata(ja, zh):
    assert ja.name == "spacy:ner-ja" and zh.name == "spacy:ner-zh"
    assert ja.version.startswith("ner-ja ") and zh.version.startswith("ner-zh ")
    assert set(ja.labels) == {"PERSON", "ORG", "LOC", "FAC", "PRODUCT", "EVENT"}
    assert set(zh.labels) == {"PERSON", "ORG", "LOC"}
    with pytest.raises(ValueError):
        SpacyNER("ner-ja", "ko")


@pytest.mark.parametrize(
    "text,name",
    [
        ("テンセント慈善財団の陳菊紅氏は、農村の学校への支援を続けると述べた。", "陳菊紅"),
        ("北京大学の邱澤奇教授によると、地方のデジタル化は急速に進んでいる。", "邱澤奇"),
        ("同社の郭開天副総裁は上海で記者団の取材に応じた。", "郭開天"),
        ("村の小学校で教える王愛文さんは、子どもたちの変化に驚いたという。", "王愛文"),
    ],
)
def test_chinese_names_in_japanese_are_whole_person_spans(ja, text, name):
    got, _ = _ents(ja, text, "ja")
    assert (name, "PERSON") in got, got
    # and never split into pieces
    assert not any(lab == "PERSON" and s != name and s in name for s, lab in got), got


def test_japanese_offsets_exact_with_spaces_and_offset_sentences(ja):
    text = "前文です。  トヨタ自動車の豊田章男会長は 名古屋市で 講演した。"
    s2 = text.index("トヨタ")
    got, ents = _ents(ja, text, "ja", sentences=[Span(0, 5), Span(s2, len(text))])
    assert ("トヨタ自動車", "ORG") in got, got
    assert ("名古屋市", "LOC") in got, got
    assert all(e.start >= s2 for e in ents)
    # the stage tokenises by itself when the document has no tokens
    got2, _ = _ents(ja, text, "ja", sentences=[Span(0, 5), Span(s2, len(text))], tokenize=False)
    assert got2 == got


def test_only_inside_sentences(ja):
    text = "東京都庁で会議。大阪府の知事が来た。"
    got, ents = _ents(ja, text, "ja", sentences=[Span(8, len(text))])
    assert all(e.start >= 8 for e in ents)
    assert ("大阪府", "LOC") in got, got


def test_chinese(zh):
    text = "国务院总理李强在北京人民大会堂会见了来访的法国外长。"
    got, _ = _ents(zh, text, "zh")
    assert ("李强", "PERSON") in got, got
    assert ("北京", "LOC") in got or ("北京人民大会堂", "LOC") in got, got
    text2 = "他毕业于清华大学，现在在深圳市工作。"
    got2, _ = _ents(zh, text2, "zh", tokenize=False)
    assert ("清华大学", "ORG") in got2, got2
    assert ("深圳市", "LOC") in got2, got2


def test_empty_documents(ja, zh):
    for ner, lang in ((ja, "ja"), (zh, "zh")):
        assert ner(_doc("", lang)) == []
        assert ner(_doc("   ", lang, sentences=[Span(0, 3)])) == []
        assert ner(_doc("何もない", lang, sentences=[])) == []


def test_viterbi_respects_biluo_constraints():
    import numpy as np

    tags = ["O", "B-X", "I-X", "L-X", "U-X"]
    trans, start, end = biluo_constraints(tags)
    # greedy argmax would give I-X first (invalid); Viterbi must return a valid sequence
    scores = np.log(np.array([[0.1, 0.3, 0.4, 0.1, 0.1], [0.1, 0.1, 0.2, 0.5, 0.1], [0.9, 0.0, 0.0, 0.05, 0.05]]) + 1e-9)
    (path,) = viterbi_batch([scores], trans, start, end)
    assert [tags[i] for i in path] == ["B-X", "L-X", "O"]
    assert tags_to_spans(path, tags) == [(0, 2, "X")]
    paths = viterbi_batch([scores[:1], scores], trans, start, end)
    assert [tags[i] for i in paths[0]] in (["O"], ["U-X"])
    assert paths[1] == path


@pytest.mark.parametrize("lang", ["ja", "zh"])
def test_fast_features_equal_spacy_doc_features(ja, zh, lang):
    """FastFeatures (used at inference) gives exactly the hashes a spaCy Doc would give."""
    import numpy as np

    from pipeline.stages.ner_spacy import FastFeatures, make_doc

    ner = ja if lang == "ja" else zh
    text = {"ja": "ＮＨＫの記者が東京 Tower で取材した。", "zh": "ＮＢＡ球星姚明在上海 2024 年说。"}[lang]
    d = _doc(text, lang)
    nlp = ner._get_nlp()
    (arrays,) = ner.sentence_arrays(text, d.sentences, d.tokens)
    ff = FastFeatures(nlp)
    cols = next(n.attrs["columns"] for n in nlp.get_pipe("ner_tagger").model.walk() if n.name == "extract_features")
    ref = make_doc(nlp.vocab, arrays).to_array(cols).astype("uint64")
    assert np.array_equal(ref.reshape(len(arrays[0]), -1), ff.rows(arrays).rows)
