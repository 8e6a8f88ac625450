"""The shipped spaCy NER models (pipeline/models/ner-ja, ner-zh) through SpacyNER.

All sentences here were written for these tests (not taken from any corpus). No shared data
is needed.
"""

from __future__ import annotations

import pytest

from pipeline.record import Article, Document, Span
from pipeline.ner import MODELS_DIR
from pipeline.ner.decoding import biluo_constraints, tags_to_spans, viterbi_batch
from pipeline.ner.spacy_ner import SpacyNER

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


def test_chinese_names_written_back_to_back_are_separate_persons(zh):
    """Mainland news lists officials without separators; each name is its own PERSON (the
    name-list copies of the ner-zh card)."""
    text = "出席会议的有李明王芳张伟（女）刘洋陈静（满族）等同志。"
    got, _ = _ents(zh, text, "zh")
    assert [g for g in got if g[1] == "PERSON"] == [
        ("李明", "PERSON"), ("王芳", "PERSON"), ("张伟", "PERSON"), ("刘洋", "PERSON"), ("陈静", "PERSON")], got


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
def testfast_features_equal_spacy_doc_features(ja, zh, lang):
    """FastFeatures (used at inference) gives exactly the hashes a spaCy Doc would give."""
    import numpy as np

    from pipeline.ner.features import FastFeatures, make_doc

    ner = ja if lang == "ja" else zh
    text = {"ja": "ＮＨＫの記者が東京 Tower で取材した。", "zh": "ＮＢＡ球星姚明在上海 2024 年说。"}[lang]
    d = _doc(text, lang)
    nlp = ner._get_nlp()
    (arrays,) = ner.sentence_arrays(text, d.sentences, d.tokens)
    ff = FastFeatures(nlp)
    cols = next(n.attrs["columns"] for n in nlp.get_pipe("ner_tagger").model.walk() if n.name == "extract_features")
    ref = make_doc(nlp.vocab, arrays).to_array(cols).astype("uint64")
    assert np.array_equal(ref.reshape(len(arrays[0]), -1), ff.rows(arrays).rows)


# -- the vectorised zh path (pipeline/ner/zh_features.py) and the numpy tagger ------------

ZH_TEXTS = [
    "ＮＢＡ球星姚明在上海 2024 年说。",
    "𠮷野家在 北京  开店。\n\n  ＡＢＣ公司　宣布，王小明说：“好！”",
    "香港特別行政區政府宣佈，陳菊紅將出任署長。",
    "x",
    "  首尾有空格  ",
    "国务院总理李强在北京人民大会堂会见了来访的法国外长。他毕业于清华大学，现在在深圳市工作。",
]


def _sentences(text):
    """Sentence spans that split after 。/！/，, leaving whitespace between them uncovered."""
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch in "。！，" or i == len(text) - 1:
            a, b = start, i + 1
            while a < b and text[a].isspace():
                a += 1
            if a < b:
                spans.append(Span(a, b))
            start = i + 1
    return spans


@pytest.mark.parametrize("text", ZH_TEXTS)
def test_vectorised_zh_rows_equal_per_sentence_rows(zh, text):
    import numpy as np

    from pipeline.ner.features import fast_features

    d = _doc(text, "zh", sentences=_sentences(text))
    tokens = sorted(d.tokens, key=lambda t: (t.start, t.end))
    fast = zh._zh_features().rows(text, d.sentences, tokens)
    ref_arrays = zh.sentence_arrays(text, d.sentences, tokens)
    ff = fast_features(zh._get_nlp())
    assert len(fast) == len(ref_arrays) == len(d.sentences)
    for (rows, pos), arrays in zip(fast, ref_arrays):
        assert pos.tolist() == [o[0] for o in arrays[3]]
        if arrays[0]:
            assert np.array_equal(rows, ff.rows(arrays).rows)
        else:
            assert len(rows) == 0


def test_vectorised_zh_tokens_crossing_sentences_are_ignored(zh):
    """A token that is not wholly inside one sentence gives its characters the tag S1, as in
    ``zh_doc_arrays`` (which only sees the tokens inside the sentence)."""
    import numpy as np

    from pipeline.record import Token
    from pipeline.ner.features import fast_features

    text = "北京大学很好"
    sents = [Span(0, 3), Span(3, 6)]
    tokens = [Token(0, 4), Token(4, 6)]  # 北京大学 crosses the boundary
    fast = zh._zh_features().rows(text, sents, tokens)
    ff = fast_features(zh._get_nlp())
    for (rows, _), arrays in zip(fast, zh.sentence_arrays(text, sents, tokens)):
        assert np.array_equal(rows, ff.rows(arrays).rows)


def test_numpy_tagger_scores_match_thinc(ja, zh):
    import numpy as np

    from pipeline.ner.numpy_tagger import NumpyTagger
    from pipeline.ner.features import _FeatureRows, fast_features
    from pipeline.ner.spacy_ner import _tagger

    for ner, lang, text in ((ja, "ja", "ＮＨＫの記者が東京 Tower で取材した。岸田首相は大阪へ。"), (zh, "zh", ZH_TEXTS[-1])):
        model = _tagger(ner._get_nlp()).model
        nt = NumpyTagger.from_model(model)
        assert nt is not None
        d = _doc(text, lang, sentences=_sentences(text) if lang == "zh" else None)
        arrays = [a for a in ner.sentence_arrays(text, d.sentences, sorted(d.tokens, key=lambda t: (t.start, t.end))) if a[0]]
        rows = [fast_features(ner._get_nlp()).rows(a).rows for a in arrays]
        ref = model.predict([_FeatureRows(r) for r in rows])
        embedded = [nt.embed(r) for r in rows]
        for a, b, c in zip(ref, nt.scores_numpy(embedded), nt.scores_thinc(embedded)):
            assert a.shape == b.shape
            assert np.allclose(a, b, atol=1e-4), float(np.abs(a - b).max())
            assert np.allclose(a, c, atol=1e-4)


def test_numpy_tagger_refuses_other_architectures():
    import spacy

    from pipeline.ner.numpy_tagger import NumpyTagger

    nlp = spacy.blank("xx")
    tagger = nlp.add_pipe("tagger")
    tagger.add_label("X")
    nlp.initialize()
    assert NumpyTagger.from_model(tagger.model) is None


@pytest.mark.parametrize("text", ZH_TEXTS)
def test_cached_zh_embeddings_give_the_same_entities(zh, text):
    d = _doc(text, "zh", sentences=_sentences(text))
    tokens = sorted(d.tokens, key=lambda t: (t.start, t.end))
    cached = zh.predict_zh_article(text, d.sentences, tokens)
    arrays = [a for a in zh.sentence_arrays(text, d.sentences, tokens) if a[0]]
    chars = ["".join(text[s] for s, _ in a[3]) for a in arrays]
    per_sentence = [e for sent in zh.predict_arrays(arrays, chars_list=chars) for e in sent]
    assert sorted(cached) == sorted(per_sentence)
    for s, e, _ in cached:
        assert text[s:e].strip() == text[s:e] != ""
    # thinc's own layers (the uncached path) cannot mix annotation styles: compared with the mix off
    plain = SpacyNER("ner-zh", "zh", style_alpha=0.0)
    uncached = plain.predict_zh_article(text, d.sentences, tokens, cached=False)
    assert sorted(plain.predict_zh_article(text, d.sentences, tokens)) == sorted(uncached)


def test_zh_cache_reset_changes_nothing(zh, monkeypatch):
    from pipeline.ner import zh_features

    text = ZH_TEXTS[-1]
    d = _doc(text, "zh", sentences=_sentences(text))
    tokens = sorted(d.tokens, key=lambda t: (t.start, t.end))
    before = zh.predict_zh_article(text, d.sentences, tokens)
    monkeypatch.setattr(zh_features, "CACHE_KEYS", 8)  # forces a reset on every lookup
    assert zh.predict_zh_article(text, d.sentences, tokens) == before


def test_viterbi_equals_brute_force_on_random_scores():
    import itertools

    import numpy as np

    tags = ["O", "B-X", "I-X", "L-X", "U-X", "B-Y", "I-Y", "L-Y", "U-Y"]
    trans, start, end = biluo_constraints(tags)
    rng = np.random.default_rng(7)
    batch = [rng.normal(size=(n, len(tags))).astype("float32") * 2 for n in (0, 1, 2, 3, 4, 5, 3, 1)]
    got = viterbi_batch(batch, trans, start, end)
    for scores, path in zip(batch, got):
        n = len(scores)
        best, best_path = -np.inf, []
        for cand in itertools.product(range(len(tags)), repeat=n):
            if not n:
                best_path = []
                break
            total = start[cand[0]] + end[cand[-1]] + sum(scores[i, c] for i, c in enumerate(cand))
            total += sum(trans[a, b] for a, b in zip(cand, cand[1:]))
            if total > best:
                best, best_path = total, list(cand)
        assert path == best_path


def test_bigram_table_changes_no_feature(zh, tmp_path):
    """The packaged frequent-bigram table only saves work: rows equal those computed without
    it; a table whose rows do not match the reference code is not used."""
    import numpy as np

    from pipeline.ner import MODELS_DIR
    from pipeline.ner.features import fast_features
    from pipeline.ner.zh_features import ZhBigramFeatures

    packaged = MODELS_DIR / "zh-bigrams.npz"
    if not packaged.exists():
        pytest.skip("no packaged zh-bigrams.npz")
    ff = fast_features(zh._get_nlp())
    with_table = ZhBigramFeatures(ff, table=True)
    without = ZhBigramFeatures(ff, table=None)
    assert with_table._bigrams.preloaded is not None and without._bigrams.preloaded is None
    for text in ZH_TEXTS:
        d = _doc(text, "zh", sentences=_sentences(text))
        tokens = sorted(d.tokens, key=lambda t: (t.start, t.end))
        for (a, pa), (b, pb) in zip(with_table.rows(text, d.sentences, tokens), without.rows(text, d.sentences, tokens)):
            assert np.array_equal(a, b) and np.array_equal(pa, pb)
    with np.load(packaged) as data:
        keys, rows = data["keys"], data["rows"].copy()
    rows[len(keys) // 2, 1] += 1
    bad = tmp_path / "bad.npz"
    np.savez(bad, keys=keys, rows=rows)
    assert ZhBigramFeatures(ff, table=bad)._bigrams.preloaded is None


def test_vectorised_zh_rows_property(zh):
    """Arbitrary text (NFKC expansions such as ㍿, full-width forms, astral characters,
    whitespace runs) and arbitrary sentence splits: vectorised rows == per-sentence rows."""
    import numpy as np
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pipeline.ner.features import fast_features
    from pipeline.stages.tokenize_zh import JiebaTokenizer

    ff = fast_features(zh._get_nlp())
    feats = zh._zh_features()
    tok = JiebaTokenizer()
    alphabet = st.one_of(
        st.sampled_from("北京上海公司陈菊红说。，！ \n\t\u3000㍿ⅲＡｂ１𠮷ßİ"),
        st.characters(min_codepoint=0x20, max_codepoint=0x2FFFF, blacklist_categories=("Cs",)),
    )

    @settings(max_examples=150, deadline=None)
    @given(st.text(alphabet=alphabet, min_size=1, max_size=40), st.lists(st.integers(0, 40), max_size=4))
    def check(text, cuts):
        bounds = sorted({0, len(text), *(c for c in cuts if c < len(text))})
        sents = [Span(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
        tokens = tok.tokenize(text, sents)
        fast = feats.rows(text, sents, tokens)
        for (rows, pos), arrays in zip(fast, zh.sentence_arrays(text, sents, tokens)):
            assert pos.tolist() == [o[0] for o in arrays[3]]
            if arrays[0]:
                assert np.array_equal(rows, ff.rows(arrays).rows)

    check()


def _cascade_ner(threshold):
    if not (MODELS_DIR / "ner-zh-accurate" / "teacher.npz").exists():
        pytest.skip("pipeline/models/ner-zh-accurate missing")
    ner = SpacyNER("ner-zh-accurate", "zh", cascade_threshold=min(threshold, 1.0))
    assert ner.cascade is not None
    if threshold > 1.0:  # beyond the option's range: every sentence (tests only)
        ner.cascade = dict(ner.cascade, threshold=threshold)
    return ner


CASCADE_TEXT = "香港特別行政區政府宣佈，陳菊紅將出任署長。国务院总理李强在北京人民大会堂会见了来访的法国外长。𠮷野家在 北京  开店。"


def test_cascade_threshold_zero_is_the_model_alone():
    ner = _cascade_ner(0.0)
    alone = SpacyNER("ner-zh-accurate", "zh", second_network=False)
    assert alone.cascade is None and "+" not in alone.version
    assert ner.version == "ner-zh-accurate 0.8.0 + teacher.npz (threshold 0)"
    assert SpacyNER("ner-zh-accurate", "zh").version == "ner-zh-accurate 0.8.0 + teacher.npz"
    assert SpacyNER("ner-zh-accurate", "zh").cascade["threshold"] == 0.8  # the model's own
    assert SpacyNER("ner-zh", "zh").cascade["threshold"] == 0.6  # the default reads fewer sentences twice
    assert SpacyNER("ner-zh", "zh").version == "ner-zh 0.8.0 + teacher.npz"
    assert SpacyNER("ner-zh", "zh").style == {"flag": "c", "alpha": 0.3}
    assert SpacyNER("ner-zh", "zh", second_network=False).cascade is None
    assert SpacyNER("ner-zh", "zh", second_network=False, cascade_threshold=0.5).cascade is None
    with pytest.raises(ValueError, match="cascade_threshold"):
        SpacyNER("ner-zh-accurate", "zh", cascade_threshold=1.5)
    d = _doc(CASCADE_TEXT, "zh", sentences=_sentences(CASCADE_TEXT))
    assert ner(d) == alone(d)


def test_cascade_always_is_the_average_of_both_networks():
    """Threshold above 1: every sentence gets the average of the two networks' probabilities;
    recomputed here from the parts."""
    import numpy as np

    from pipeline.ner.gru_tagger import CharBiGRUTagger
    from pipeline.ner.decoding import decode_batch
    from pipeline.ner.features import fast_features
    from pipeline.ner.spacy_ner import _decoder

    ner = _cascade_ner(2.0)
    text = CASCADE_TEXT
    d = _doc(text, "zh", sentences=_sentences(text))
    tokens = sorted(d.tokens, key=lambda t: (t.start, t.end))
    arrays = [a for a in ner.sentence_arrays(text, d.sentences, tokens) if a[0]]
    nlp = ner._get_nlp()
    tags, (trans, start, end) = _decoder(nlp)
    logits = ner._numpy_tagger().scores_rows([fast_features(nlp).rows(a).rows for a in arrays])
    second = CharBiGRUTagger(ner.path / ner.cascade["model"])
    chars = ["".join(text[s] for s, _ in a[3]) for a in arrays]
    mixed = []
    for x, q in zip(logits, second.probs(chars)):
        p = np.exp(x - x.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        mixed.append(np.log(np.maximum((p + q[:, [second.tags.index(t) for t in tags]]) / 2, 1e-9)))
    expected = []
    for a, path in zip(arrays, decode_batch(mixed, trans, start, end)):
        expected += [(a[3][s][0], a[3][e - 1][1], lab) for s, e, lab in tags_to_spans(path, tags)]
    got = [(e.start, e.end, e.label) for e in ner(d)]
    assert got == sorted(expected)
    assert ("陳菊紅", "PERSON") in [(text[s:e], lab) for s, e, lab in got]


def _ja_tagger_cascade(tmp_path, threshold, second="ner-ja"):
    """A folder that is ner-ja with a ``tagger`` cascade whose second network is ``second``."""
    import json
    import os

    src = MODELS_DIR / "ner-ja"
    if not src.is_dir():
        pytest.skip("pipeline/models/ner-ja missing")
    d = tmp_path / "ja-cascade"
    d.mkdir()
    for f in ("config.cfg", "ner_tagger", "tokenizer", "vocab"):
        os.symlink(src / f, d / f)
    os.symlink(MODELS_DIR / second if not isinstance(second, type(tmp_path)) else second, d / "second")
    meta = json.loads((src / "meta.json").read_text(encoding="utf-8"))
    meta["shinbun"]["cascade"] = {"model": "second", "kind": "tagger", "threshold": threshold}
    (d / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return SpacyNER(d, "ja")


JA_CASCADE_TEXT = "アリババ集団の研究機関DAMO Academyは、ソニーの半導体事業部と提携した。岸田文雄首相は広島で会見した。"


def test_ja_tagger_cascade_with_itself_is_the_model_alone(tmp_path, ja):
    """The second network is the model itself: the average is its own probabilities, so every
    sentence (threshold above 1) decodes to the same entities; the second network really ran."""
    ner = _ja_tagger_cascade(tmp_path, 2.0)
    calls = []
    second_probs = ner._second_probs

    def counted(chars, arrays):
        f = second_probs(chars, arrays)
        return lambda idx: calls.append(len(idx)) or f(idx)

    ner._second_probs = counted
    d = _doc(JA_CASCADE_TEXT, "ja", sentences=_sentences(JA_CASCADE_TEXT))
    spans = [(e.start, e.end, e.label) for e in ner(d)]
    assert spans == [(e.start, e.end, e.label) for e in ja(d)] and len(spans) >= 4
    assert sum(calls) == 2
    shipped = ja.version.split(" ", 1)[1]  # "ner-ja X.Y.Z": the cascade folder has the same meta
    assert ner.version == f"ja-cascade {shipped} + second"


def test_ja_tagger_cascade_is_the_average_of_both_networks(tmp_path):
    """A second network with other weights (the output layer's bias shifted): the cascade's
    entities are those of the averaged probabilities, recomputed here from the parts."""
    import shutil

    import numpy as np

    from pipeline.ner.decoding import decode_batch
    from pipeline.ner.features import fast_features
    from pipeline.ner.spacy_ner import _decoder

    other = tmp_path / "other"
    shutil.copytree(MODELS_DIR / "ner-ja", other)
    ner = _ja_tagger_cascade(tmp_path, 2.0, second=other)
    alone = SpacyNER(MODELS_DIR / "ner-ja", "ja")
    second = SpacyNER(other, "ja")
    tagger2 = second._numpy_tagger()
    tags, (trans, start, end) = _decoder(alone._get_nlp())
    tagger2.out_b = tagger2.out_b + np.where(np.array(tags) == "O", 8.0, 0.0).astype(np.float32)
    ner._second = (tagger2, fast_features(second._get_nlp()), list(range(len(tags))))
    text = JA_CASCADE_TEXT
    d = _doc(text, "ja", sentences=_sentences(text))
    tokens = sorted(d.tokens, key=lambda t: (t.start, t.end))
    arrays = [a for a in alone.sentence_arrays(text, d.sentences, tokens) if a[0]]

    def probs(tagger, nlp):
        out = []
        for x in tagger.scores_rows([fast_features(nlp).rows(a).rows for a in arrays]):
            e = np.exp(x - x.max(axis=1, keepdims=True))
            out.append(e / e.sum(axis=1, keepdims=True))
        return out

    mixed = [np.log(np.maximum((p + q) / 2, 1e-9)) for p, q in
             zip(probs(alone._numpy_tagger(), alone._get_nlp()), probs(tagger2, second._get_nlp()))]
    expected = []
    for a, path in zip(arrays, decode_batch(mixed, trans, start, end)):
        expected += [(a[3][s][0], a[3][e - 1][1], lab) for s, e, lab in tags_to_spans(path, tags)]
    got = [(e.start, e.end, e.label) for e in ner(d)]
    assert got == sorted(expected)
    assert got != [(e.start, e.end, e.label) for e in alone(d)]  # the second network counted


def test_cascade_needs_the_characters():
    ner = _cascade_ner(0.8)
    text = "陈菊红在北京。"
    d = _doc(text, "zh")
    arrays = ner.sentence_arrays(text, d.sentences, d.tokens)
    with pytest.raises(ValueError, match="second network"):
        ner.predict_arrays(arrays)


def test_accurate_config_runs_the_second_network():
    """configs/zh_accurate.toml as shipped: the zh recogniser is ner-zh-accurate with its second
    network; Japanese is unchanged."""
    from pathlib import Path

    from pipeline.core import load
    from pipeline.record import Article

    if not (MODELS_DIR / "ner-zh-accurate" / "teacher.npz").exists():
        pytest.skip("pipeline/models/ner-zh-accurate missing")
    pipe = load(Path(__file__).resolve().parents[2] / "configs" / "zh_accurate.toml")
    text = "国务院总理李强在北京人民大会堂会见了来访的法国外长。"
    record = pipe.process(Article(id="a", text=text, lang="zh-Hans"))
    ents = {(e["text"], e["label"]) for e in record["entities"]}
    assert {("李强", "PERSON"), ("国务院", "ORG")} <= ents
    sources = {e["source"] for e in record["entities"] if e["label"] == "PERSON"}
    assert sources == {"spacy:ner-zh-accurate"}
    # the threshold from the config, and in the record's list of models
    cfg = Path(__file__).resolve().parents[2] / "configs" / "zh_accurate.toml"
    text_cfg = cfg.read_text(encoding="utf-8").replace("# cascade_threshold = 0.6", "cascade_threshold = 0.6")
    assert "cascade_threshold = 0.6" in text_cfg
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "c.toml"
        other.write_text(text_cfg, encoding="utf-8")
        rec = load(other).process(Article(id="a", text=text, lang="zh-Hans"))
    assert {"name": "spacy:ner-zh-accurate", "version": "ner-zh-accurate 0.8.0 + teacher.npz (threshold 0.6)"} in rec["meta"]["models"]


def test_key_table_lookup_equals_a_dict(monkeypatch):
    """``_KeyTable.lookup_index``: binary search over the merged keys, the dict for new and
    pending ones, merges in between and resets when full give the rows a plain dict gives."""
    import numpy as np

    from pipeline.ner import zh_features

    def compute(key):
        return tuple(int(key) * 7 + j for j in range(3))

    rng = np.random.default_rng(3)
    preload = np.unique(rng.integers(0, 5000, size=300).astype(np.uint64))
    table = zh_features._KeyTable(3, compute, (preload, np.array([compute(k) for k in preload], dtype=np.uint64)))
    monkeypatch.setattr(zh_features, "CACHE_KEYS", 9_000)
    merged_sizes, resets, known = set(), 0, len(table.index)
    for _ in range(60):
        keys = np.unique(rng.integers(0, 12_000, size=700).astype(np.uint64))
        idx = table.lookup_index(keys)
        got = table.table[idx]
        assert got.tolist() == [list(compute(k)) for k in keys.tolist()]
        assert len(table._sorted_keys) + len(table._pending) == len(table.index)
        merged_sizes.add(len(table._sorted_keys))
        resets += len(table.index) < known
        known = len(table.index)
    assert len(merged_sizes) > 2 and resets  # merges happened, and resets


def test_second_network_chunks_change_nothing(monkeypatch):
    """The unsure sentences of all batches go to the second network together, which reads them
    in groups of at most ``MAX_CHARS`` characters: tiny groups and tiny batches give the same
    entities."""
    from pipeline.ner import gru_tagger

    ner = _cascade_ner(1.0)  # every sentence with any doubt at all
    text = CASCADE_TEXT * 3
    d = _doc(text, "zh", sentences=_sentences(text))
    expected = ner(d)
    assert expected
    monkeypatch.setattr(gru_tagger, "MAX_CHARS", 5)
    ner.batch_size = 2
    assert ner(d) == expected


def _styled_model(tmp_path, alpha=0.3):
    """ner-zh's student (no second network) with the style mix ``alpha`` in a copy of its
    meta.json (links to its other files): folder ``styled``; ``alpha=None``: no ``style`` entry,
    so the flagged tags are never read (folder ``plain``)."""
    def edit(meta):
        del meta["shinbun"]["cascade"]
        if alpha is None:
            del meta["shinbun"]["style"]
        else:
            meta["shinbun"]["style"] = {"flag": "c", "alpha": alpha}

    return _linked_model(tmp_path / ("plain" if alpha is None else "styled"), "ner-zh", edit)


def _linked_model(out, model: str, edit):
    """Folder ``out``: links to the shipped ``model``'s files and its meta.json changed by ``edit``."""
    import json

    out.mkdir()
    src = MODELS_DIR / model
    for entry in src.iterdir():
        if entry.name != "meta.json":
            (out / entry.name).symlink_to(entry.resolve())
    meta = json.loads((src / "meta.json").read_text(encoding="utf-8"))
    edit(meta)
    (out / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return out


def test_a_zh_model_with_a_tagger_second_network_is_refused_at_load(tmp_path):
    """The Chinese path gives the second network characters (for the BiGRU), not feature rows: a
    zh model packaged with a ``tagger`` second network fails when loaded, in one line, instead
    of turning every article into an error record."""
    from pipeline.config import ConfigError

    if not (MODELS_DIR / "ner-zh").is_dir():
        pytest.skip("pipeline/models/ner-zh missing")

    def tagger_cascade(meta):
        meta["shinbun"]["cascade"] = {"model": "second", "kind": "tagger", "threshold": 0.6}

    d = _linked_model(tmp_path / "zh-tagger-cascade", "ner-zh", tagger_cascade)
    with pytest.raises(ConfigError, match="second network of kind 'tagger' runs with the ja features only"):
        SpacyNER(d, "zh")
    SpacyNER(d, "zh", second_network=False)  # the student alone is fine


STYLE_TEXT = "国务院总理李强在北京人民大会堂会见了来访的法国外长。陈菊红说，腾讯公益慈善基金会在深圳。"


def test_style_mix_embeds_a_weighted_sum_of_plain_and_flagged_tags(tmp_path):
    """The TAG column's embedding is (1 - a) * E(tag) + a * E("c" + tag); the other columns are
    untouched, alpha 0 is the plain model and alpha 1 is the flagged input."""
    import numpy as np
    from spacy.strings import get_string_id

    from pipeline.ner.features import fast_features, WORD_TAGS

    plain = SpacyNER(_styled_model(tmp_path, None), "zh")
    styled = SpacyNER(_styled_model(tmp_path, 0.3), "zh")
    assert styled.version.startswith("styled ")
    tagger = styled._numpy_tagger()
    reference = plain._numpy_tagger()
    assert tagger is not reference
    d = _doc(STYLE_TEXT, "zh", sentences=_sentences(STYLE_TEXT))
    tokens = sorted(d.tokens, key=lambda t: (t.start, t.end))
    arrays = [a for a in plain.sentence_arrays(STYLE_TEXT, d.sentences, tokens) if a[0]]
    ff = fast_features(plain._get_nlp())
    rows = [ff.rows(a).rows for a in arrays]
    column = [kind for kind, _ in ff.plan].index("tag")
    flagged = []
    for a in arrays:
        r = ff.rows((a[0], ["c" + t for t in a[1]], a[2], a[3])).rows
        flagged.append(r)
    assert all(set(a[1]) <= set(WORD_TAGS) for a in arrays)
    everything = list(range(len(tagger.embeds)))
    for r, f in zip(rows, flagged):
        assert not np.array_equal(r[:, column], f[:, column])
        want = 0.7 * reference.column_embedding(r, everything) + 0.3 * reference.column_embedding(f, everything)
        # the non-TAG columns are the same in r and f, so mixing the sums mixes only TAG
        assert np.allclose(tagger.column_embedding(r, everything), want, atol=1e-5)
    tagger.mix_style(column, {get_string_id(t): get_string_id("c" + t) for t in WORD_TAGS}, 1.0)
    for r, f in zip(rows, flagged):
        assert np.allclose(tagger.column_embedding(r, everything), reference.column_embedding(f, everything), atol=1e-6)
    tagger.mix_style(column, {get_string_id(t): get_string_id("c" + t) for t in WORD_TAGS}, 0.0)
    for a, b in zip(tagger.scores_rows(rows), reference.scores_rows(rows)):
        assert np.allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match="alpha"):
        tagger.mix_style(column, {}, 1.5)


def test_style_mix_cached_path_equals_rows_path(tmp_path):
    """The zh pipeline's cached per-key embeddings (20 tag vectors) give the same entities and
    scores as embedding every row, with the mix on."""
    import numpy as np

    from pipeline.ner.features import fast_features

    styled = SpacyNER(_styled_model(tmp_path, 0.6), "zh")
    plain = SpacyNER(_styled_model(tmp_path, None), "zh")
    d = _doc(STYLE_TEXT, "zh", sentences=_sentences(STYLE_TEXT))
    tokens = sorted(d.tokens, key=lambda t: (t.start, t.end))
    tagger = styled._numpy_tagger()
    feats = styled._zh_features()
    cached = [x for x, _ in feats.embedded(STYLE_TEXT, d.sentences, tokens, tagger)]
    arrays = [a for a in styled.sentence_arrays(STYLE_TEXT, d.sentences, tokens) if a[0]]
    rows = [fast_features(styled._get_nlp()).rows(a).rows for a in arrays]
    for x, r in zip(cached, rows):
        assert np.allclose(x, tagger.embed(r), atol=1e-4)
    by_rows = [e for sent in styled.predict_arrays(arrays) for e in sent]
    by_article = styled.predict_zh_article(STYLE_TEXT, d.sentences, tokens)
    assert by_article == by_rows
    assert ("李强", "PERSON") in [(STYLE_TEXT[s:e], lab) for s, e, lab in by_article]
    # the mix changes the model's input, so with a flag the model never saw the scores move
    assert not np.allclose(tagger.embed(rows[0]), plain._numpy_tagger().embed(rows[0]))


def test_style_alpha_option(tmp_path):
    model = _styled_model(tmp_path, 0.3)
    unflagged = _styled_model(tmp_path, None)
    assert SpacyNER(model, "zh").style == {"flag": "c", "alpha": 0.3}
    ner = SpacyNER(model, "zh", style_alpha=0.0)
    assert ner.style["alpha"] == 0.0 and ner.version.endswith("(style 0)")
    with pytest.raises(ValueError, match="style_alpha"):
        SpacyNER(model, "zh", style_alpha=1.5)
    with pytest.raises(ValueError, match="style flag"):
        SpacyNER(unflagged, "zh", style_alpha=0.2)
    # thinc's embedding cannot mix: the thinc path refuses a mixed model, allows alpha 0
    d = _doc(STYLE_TEXT, "zh", sentences=_sentences(STYLE_TEXT))
    tokens = sorted(d.tokens, key=lambda t: (t.start, t.end))
    arrays = [a for a in ner.sentence_arrays(STYLE_TEXT, d.sentences, tokens) if a[0]]
    assert ner.predict_arrays(arrays, numpy_tagger=False) == SpacyNER(unflagged, "zh").predict_arrays(
        arrays, numpy_tagger=False
    )
    with pytest.raises(ValueError, match="numpy tagger"):
        SpacyNER(model, "zh").predict_arrays(arrays, numpy_tagger=False)
    with pytest.raises(ValueError, match="numpy tagger"):
        SpacyNER(model, "zh").predict_zh_article(STYLE_TEXT, d.sentences, tokens, cached=False)


def test_style_alpha_from_the_config(tmp_path):
    from pipeline.stages.entities import make_spacy_ner

    rec = make_spacy_ner(model=str(_styled_model(tmp_path, 0.3)), model_lang="zh", langs=["zh-Hans"], style_alpha=0.1)
    assert rec.inner.style == {"flag": "c", "alpha": 0.1}
    assert rec.version == "styled 0.8.0 (style 0.1)"


JA_STYLE_TEXT = "岸田文雄首相は東京の首相官邸でトヨタ自動車の社長と会談した。"


def _styled_ja_model(tmp_path, style: dict | None, name: str = "ja-styled"):
    """ner-ja (links to its files) with ``style`` in a copy of its meta.json: folder ``name``."""

    def edit(meta):
        meta["shinbun"].pop("style", None)
        if style is not None:
            meta["shinbun"]["style"] = style

    return _linked_model(tmp_path / name, "ner-ja", edit)


def test_ja_style_mix_uses_the_models_list_of_tags(tmp_path):
    """A ja model's style (TAG = the dictionary's part of speech, an open set) names its tags
    (``style.tags``, written by train_ner.py): those embed as (1 - a) * E(tag) + a * E("g" + tag),
    any other tag as itself; without the list the style is refused."""
    import numpy as np

    from pipeline.ner.features import fast_features

    plain = SpacyNER(_styled_ja_model(tmp_path, None, "ja-plain"), "ja")
    d = _doc(JA_STYLE_TEXT, "ja", sentences=_sentences(JA_STYLE_TEXT))
    tokens = sorted(d.tokens, key=lambda t: (t.start, t.end))
    arrays = [a for a in plain.sentence_arrays(JA_STYLE_TEXT, d.sentences, tokens) if a[0]]
    seen = sorted({t for a in arrays for t in a[1]})
    assert len(seen) >= 3
    mixed, kept = seen[1:], seen[0]  # one tag left out of the list embeds as itself
    styled = SpacyNER(_styled_ja_model(tmp_path, {"flag": "g", "alpha": 0.3, "tags": mixed}), "ja")
    tagger, reference = styled._numpy_tagger(), plain._numpy_tagger()
    ff = fast_features(plain._get_nlp())
    everything = list(range(len(reference.embeds)))
    for a in arrays:
        r = ff.rows(a).rows
        f = ff.rows((a[0], ["g" + t if t in mixed else t for t in a[1]], a[2], a[3])).rows
        want = 0.7 * reference.column_embedding(r, everything) + 0.3 * reference.column_embedding(f, everything)
        assert np.allclose(tagger.column_embedding(r, everything), want, atol=1e-5)
        if kept in a[1]:
            i = a[1].index(kept)
            assert np.allclose(tagger.column_embedding(r[i : i + 1], everything),
                               reference.column_embedding(r[i : i + 1], everything), atol=1e-6)
    with pytest.raises(ValueError, match="style.tags"):
        SpacyNER(_styled_ja_model(tmp_path, {"flag": "g", "alpha": 0.3}, "ja-no-tags"), "ja")
