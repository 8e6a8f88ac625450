"""The Hugging Face token-classification backend (pipeline/ner/transformers_ner.py).

No network: every model here is built in a temp dir. Two kinds of tiny BERT:
* "biased" models whose encoder is made the identity, so each token's tag depends on the
  token alone (a table below): deterministic, position-independent, for offsets and windows;
* a randomly initialised model over-fitted in the test, for the end-to-end pipeline run.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
np = pytest.importorskip("numpy")

from pipeline.record import Article, Document, Span  # noqa: E402
from pipeline.ner import transformers_ner as nt  # noqa: E402
from pipeline.ner.transformers_ner import TransformersNER  # noqa: E402

ID2LABEL = {0: "O", 1: "B-ORG", 2: "I-ORG", 3: "B-PER", 4: "I-PER"}
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# token -> tag for the biased models (every other token: O)
ZH_TAGS = {"𠮷": "B-ORG", "野": "I-ORG", "家": "I-ORG", "北": "B-ORG", "京": "I-ORG", "大": "I-ORG", "学": "I-ORG",
           "王": "B-PER", "小": "I-PER", "明": "I-PER", "１": "B-PER", "##２": "I-PER"}
ZH_OTHER = ["在", "日", "与", "的", "见", "面", "。", "我", "们", "这", "里", "，"]
# BertJapaneseTokenizer (MeCab words from fugashi + unidic-lite after NFKC, then WordPiece)
JA_TAGS = {"𠮷": "B-ORG", "野家": "I-ORG", "トヨタ": "B-ORG", "自動": "I-ORG", "車": "I-ORG", "田中": "B-PER",
           "1": "B-PER", "##2": "I-PER", "パン": "B-PER"}
JA_OTHER = ["は", "日", "、", "の", "さん", "と", "を", "食べ", "た", "。", "に", "来", "会社", "で", "働く", "今日", "雨", "が", "降る"]

# text, expected (surface, label) entities; the surfaces are found in the text to get offsets
ZH_CASES = [
    ("𠮷野家在１２日与北京大学的王小明见面😀。",
     [("𠮷野家", "ORG"), ("１２", "PERSON"), ("北京大学", "ORG"), ("王小明", "PERSON")]),
    ("😀𠮷野家，鰻王小明。", [("𠮷野家", "ORG"), ("王小明", "PERSON")]),
]
JA_CASES = [
    ("𠮷野家は１２日、トヨタ自動車の田中さんとﾊﾟﾝを食べた。",
     [("𠮷野家", "ORG"), ("１２", "PERSON"), ("トヨタ自動車", "ORG"), ("田中", "PERSON"), ("ﾊﾟﾝ", "PERSON")]),
    ("鰻😀と𠮷野家。　ﾊﾟﾝ", [("𠮷野家", "ORG"), ("ﾊﾟﾝ", "PERSON")]),
]

# BertJapaneseTokenizer as in ku-nlp/deberta-v2-base-japanese-char-wwm: basic words, then characters
JACHAR_TAGS = {"北": "B-ORG", "京": "I-ORG", "1": "B-PER", "2": "I-PER", "パ": "B-ORG", "ン": "I-ORG"}
JACHAR_OTHER = ["今", "日", "、", "で", "。", "に", "行", "く"]
JACHAR_CASES = [
    ("今日、北京で１２ﾊﾟﾝ。", [("北京", "ORG"), ("１２", "PERSON"), ("ﾊﾟﾝ", "ORG")]),
    ("北京に行く𠮷。今日北京", [("北京", "ORG"), ("北京", "ORG")]),
]

# text, slow-tokenizer tokens, expected code-point spans
ALIGN_CASES = [
    ("１２日", ["1", "##2", "日"], [(0, 1), (1, 2), (2, 3)]),
    ("ﾊﾟﾝ", ["パ", "##ン"], [(0, 2), (2, 3)]),
    ("ｶﾞｽ田", ["ガス", "田"], [(0, 3), (3, 4)]),
    ("𠮷野家", ["𠮷", "野", "##家"], [(0, 1), (1, 2), (2, 3)]),
    ("a 𠮷 b", ["a", "[UNK]", "b"], [(0, 1), (2, 3), (4, 5)]),
    ("鰻丼と𠮷", ["[UNK]", "と", "𠮷"], [(0, 2), (2, 3), (3, 4)]),
    ("ab cd ef", ["[UNK]", "[UNK]", "ef"], [(0, 2), (3, 5), (6, 8)]),
    ("𠮷𠮷x", ["[UNK]", "[UNK]", "x"], [(0, 1), (1, 2), (2, 3)]),
    ("ＡＢＣ株式会社", ["abc", "株式", "##会社"], [(0, 3), (3, 5), (5, 7)]),
    ("㍻元年", ["平成", "元", "##年"], [(0, 1), (1, 2), (2, 3)]),
    ("x\u3000y\u200bz", ["x", "y", "z"], [(0, 1), (2, 3), (4, 5)]),
    ("▁東京", ["▁東", "京"], [(1, 2), (2, 3)]),
]

TAG_CASES = [
    ("O", ("O", None)), ("B-PER", ("B", "PER")), ("I-ORG", ("I", "ORG")), ("E-LOC", ("E", "LOC")),
    ("S-LOC", ("S", "LOC")), ("L-LOC", ("E", "LOC")), ("U-LOC", ("S", "LOC")), ("B_人名", ("B", "人名")),
    ("PER", ("I", "PER")), ("PER-B", ("B", "PER")),
]


# --- helpers ------------------------------------------------------------------------------------


def _vocab(tokens):
    seen, out = set(), []
    for t in SPECIALS + list(tokens):
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def _config(vocab, max_pos=64):
    return transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
        max_position_embeddings=max_pos, num_labels=len(ID2LABEL), id2label=ID2LABEL,
        label2id={v: k for k, v in ID2LABEL.items()}, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )


def biased_model(vocab, tags, max_pos=64):
    """A BERT whose output at each position depends only on the token there: tags[token]."""
    torch.manual_seed(0)
    model = transformers.BertForTokenClassification(_config(vocab, max_pos))
    label2id = {v: k for k, v in ID2LABEL.items()}
    h = 32

    def unit(k):
        u = torch.zeros(h)
        u[k], u[16 + k] = 1.0, -1.0  # zero mean: LayerNorm only rescales it
        return u

    with torch.no_grad():
        emb = model.bert.embeddings
        emb.position_embeddings.weight.zero_()
        emb.token_type_embeddings.weight.zero_()
        for i, tok in enumerate(vocab):
            emb.word_embeddings.weight[i] = unit(label2id[tags.get(tok, "O")])
        for layer in model.bert.encoder.layer:  # residual branches off: each layer is LayerNorm(x) = x
            layer.attention.output.dense.weight.zero_()
            layer.attention.output.dense.bias.zero_()
            layer.output.dense.weight.zero_()
            layer.output.dense.bias.zero_()
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        for k in range(len(ID2LABEL)):
            model.classifier.weight[k] = unit(k)
    return model


def write_vocab(path, vocab):
    path.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    return path


def ja_tokenizer(vocab_file):
    return transformers.BertJapaneseTokenizer(
        str(vocab_file), word_tokenizer_type="mecab", mecab_kwargs={"mecab_dic": "unidic_lite"}, do_lower_case=False
    )


def zh_tokenizer(vocab_file):
    tok = transformers.BertTokenizerFast(str(vocab_file), do_lower_case=False)
    assert tok.is_fast
    return tok


def save(model, tokenizer, path):
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def expected(text, pairs):
    out, pos = set(), {}
    for surface, label in pairs:
        start = text.index(surface, pos.get(surface, 0))
        pos[surface] = start + 1
        out.add((start, start + len(surface), label))
    return out


def doc_for(text, lang, spans=None):
    from pipeline.stages.sentences import split_sentences

    return Document(article=Article(id="t", text=text, lang=lang), lang=lang,
                    sentences=spans if spans is not None else split_sentences(text, 0, len(text), lang))


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    # The test machine is small and busy: torch's default thread pool only adds contention.
    # (num_threads = 1 below sets the same process-wide value.) Restored afterwards.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _biased_dir(tmp_path_factory, name, tags, other, make_tokenizer):
    """A saved biased model (see ``biased_model``) with its tokenizer built on a fresh vocab."""
    d = tmp_path_factory.mktemp(name)
    vocab = _vocab(list(tags) + other)
    tok = make_tokenizer(write_vocab(d / "vocab.txt", vocab))
    return save(biased_model(vocab, tags), tok, d / "model")


@pytest.fixture(scope="module")
def zh_dir(tmp_path_factory):
    return _biased_dir(tmp_path_factory, "zh_biased", ZH_TAGS, ZH_OTHER, zh_tokenizer)


@pytest.fixture(scope="module")
def ja_dir(tmp_path_factory):
    return _biased_dir(tmp_path_factory, "ja_biased", JA_TAGS, JA_OTHER, ja_tokenizer)


@pytest.fixture(scope="module")
def jachar_dir(tmp_path_factory):
    def char_tokenizer(vocab_path):
        return transformers.BertJapaneseTokenizer(str(vocab_path), word_tokenizer_type="basic",
                                                  subword_tokenizer_type="character", do_lower_case=False)

    return _biased_dir(tmp_path_factory, "jachar_biased", JACHAR_TAGS, JACHAR_OTHER, char_tokenizer)


# --- unit tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text,tokens,spans", ALIGN_CASES)
def test_align_tokens(text, tokens, spans):
    assert nt.align_tokens(text, tokens) == spans


def test_align_strip_accents():
    assert nt.align_tokens("Café crème", ["cafe", "creme"], strip_accents=True) == [(0, 4), (5, 10)]


GROUP_CASES = [
    # text, tokens, spans, fast-tokenizer word ids (None: slow) -> word index per token
    ("自動車", ["自動", "##車"], [(0, 2), (2, 3)], None, [0, 0]),
    ("自動車", ["自動", "##車"], [(0, 2), (2, 3)], [0, 0], [0, 0]),
    ("北京大学", ["北", "京", "大", "学"], [(0, 1), (1, 2), (2, 3), (3, 4)], None, [0, 1, 2, 3]),  # character tokens
    ("Tokyo", ["to", "##kyo"], [(0, 2), (2, 5)], None, [0, 0]),
    # SentencePiece/BPE, fast: a space-free CJK run is one "word" for the tokenizer; each CJK token is one here
    ("北京大学在", ["\u2581北京", "大学", "在"], [(0, 2), (2, 4), (4, 5)], [0, 0, 0], [0, 1, 2]),
    ("Tokyo Big", ["\u2581To", "kyo", "\u2581Big"], [(0, 2), (2, 5), (6, 9)], [0, 0, 1], [0, 0, 1]),
    # SentencePiece, slow: the marker starts words
    ("Tokyo北京", ["\u2581To", "kyo", "北京"], [(0, 2), (2, 5), (5, 7)], None, [0, 0, 1]),
]


@pytest.mark.parametrize("text,tokens,spans,wids,words", GROUP_CASES)
def test_group_words(text, tokens, spans, wids, words):
    assert nt.group_words(text, tokens, spans, wids) == words


@pytest.mark.parametrize("tag,parsed", TAG_CASES)
def test_parse_tag(tag, parsed):
    assert nt.parse_tag(tag) == parsed


DECODE_CASES = [
    # tags of successive one-character words -> entities (start, end, type)
    (["B-PER", "I-PER", "O", "B-ORG"], [(0, 2, "PERSON"), (3, 4, "ORG")]),
    (["I-PER", "I-PER", "I-ORG"], [(0, 2, "PERSON"), (2, 3, "ORG")]),  # lenient: I starts an entity
    (["B-PER", "B-PER"], [(0, 1, "PERSON"), (1, 2, "PERSON")]),
    (["B-LOC", "E-LOC", "I-LOC", "S-LOC"], [(0, 2, "LOC"), (2, 3, "LOC"), (3, 4, "LOC")]),
    (["PER", "PER", "O", "MISC"], [(0, 2, "PERSON")]),  # IO tags; MISC dropped
]


@pytest.mark.parametrize("tags,ents", DECODE_CASES)
def test_decode_entities(tags, ents):
    names = sorted(set(tags))
    parsed = [nt.parse_tag(t) for t in names]
    words = [(i, i + 1, names.index(t), 0.5) for i, t in enumerate(tags)]
    type_map = {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC", "MISC": None}
    assert [(s, e, lab) for s, e, lab, _ in nt.decode_entities(words, parsed, type_map)] == ents


AGG_CASES = [
    # probs of the 3 subwords of one word over (O, B-PER) -> label chosen by each strategy
    ("first", [[0.2, 0.8], [0.9, 0.1], [0.9, 0.1]], 1, 0.8),
    ("average", [[0.2, 0.8], [0.9, 0.1], [0.9, 0.1]], 0, pytest.approx(2.0 / 3)),
    ("max", [[0.2, 0.8], [0.95, 0.05], [0.9, 0.1]], 0, 0.95),
]


@pytest.mark.parametrize("agg,probs,label,score", AGG_CASES)
def test_aggregate_words(agg, probs, label, score):
    enc = nt.Encoded(ids=[5, 6, 7, 8], spans=[(0, 1), (1, 2), (2, 3), (3, 4)], words=[0, 0, 0, 1])
    p = np.array(probs + [[1.0, 0.0]], dtype=np.float32)
    words = nt.aggregate_words(enc, p, agg)
    assert words[0][:3] == (0, 3, label) and words[0][3] == pytest.approx(score)
    assert words[1][:3] == (3, 4, 0)


@pytest.mark.parametrize("lengths,size,stride", [([3, 4, 2, 40, 1, 9], 10, 4), ([100], 7, 64), ([5] * 9, 5, 0), ([0, 3, 0], 4, 2)])
def test_plan_windows_cover_every_token(lengths, size, stride):
    windows = nt.plan_windows(lengths, size, stride)
    seen = [np.zeros(n, dtype=int) for n in lengths]
    for w in windows:
        assert sum(b - a for _s, a, b in w) <= size
        assert len(w) == 1 or all(a == 0 and b == lengths[s] for s, a, b in w)  # packing keeps sentences whole
        for s, a, b in w:
            seen[s][a:b] += 1
    assert all((x >= 1).all() for x in seen)
    # resolution picks exactly one window per token, the one where it is farthest from an edge
    probs = [np.full((sum(b - a for _s, a, b in w), 1), k, dtype=np.float32) for k, w in enumerate(windows)]
    res = nt.resolve_windows(lengths, windows, probs, 1)
    assert [r.shape[0] for r in res] == list(lengths)


def test_resolve_prefers_window_centre():
    # one sentence of 10 tokens, windows [0,6) and [3,9) and [6,10): token 4 is at distance 1 in the
    # first window and 1 in the second -> the earlier; token 5: 0 vs 2 -> the second.
    windows = [[(0, 0, 6)], [(0, 3, 9)], [(0, 6, 10)]]
    probs = [np.full((6, 1), 0.0, np.float32), np.full((6, 1), 1.0, np.float32), np.full((4, 1), 2.0, np.float32)]
    res = nt.resolve_windows([10], windows, probs, 1)[0][:, 0].tolist()
    assert res == [0, 0, 0, 0, 0, 1, 1, 1, 2, 2]


def test_label_map_and_arguments(zh_dir):
    ner = TransformersNER(str(zh_dir))
    assert ner.type_map == {"ORG": "ORG", "PER": "PERSON"}
    assert ner.name == "transformers:model" and transformers.__version__ in ner.version
    assert ner._loaded is None  # lazy: nothing but the config is read before the first call
    assert TransformersNER(str(zh_dir), label_map={"PER": ""}).type_map["PER"] is None
    for bad in ({"PER": "HUMAN"}, {"MISC": "ORG"}):
        with pytest.raises(ValueError):
            TransformersNER(str(zh_dir), label_map=bad)
    for kwargs in ({"aggregation": "mean"}, {"fp16": True}, {"device": "tpu"}, {"batch_size": 0}, {"num_threads": 0}):
        with pytest.raises(ValueError):
            TransformersNER(str(zh_dir), **kwargs)
    with pytest.raises(ValueError, match="never downloads"):
        TransformersNER(str(zh_dir / "missing"))


def test_missing_dependency_is_a_config_error(zh_dir, monkeypatch):
    from pipeline.config import ConfigError

    monkeypatch.setitem(__import__("sys").modules, "transformers", None)
    with pytest.raises(ConfigError, match="pip install torch transformers"):
        TransformersNER(str(zh_dir))


# --- offsets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,ents", ZH_CASES)
def test_offsets_zh_fast_tokenizer(zh_dir, text, ents):
    ner = TransformersNER(str(zh_dir))
    got = ner(doc_for(text, "zh-Hans"))
    assert {(e.start, e.end, e.label) for e in got} == expected(text, ents)
    for e in got:
        assert e.source == "transformers:model" and 0.5 < e.score <= 1.0


def test_fast_offsets_are_code_points(zh_dir):
    tok = transformers.AutoTokenizer.from_pretrained(zh_dir)
    text = "😀𠮷野家"
    enc = nt.encode_spans(tok, "x" + text, [Span(1, 1 + len(text))])[0]
    assert [("x" + text)[a:b] for a, b in enc.spans] == ["😀", "𠮷", "野", "家"]


@pytest.mark.parametrize("text,ents", JA_CASES)
def test_offsets_ja_bert_japanese_tokenizer(ja_dir, text, ents):
    ner = TransformersNER(str(ja_dir))
    tok = ner._load().tokenizer
    assert type(tok).__name__ == "BertJapaneseTokenizer" and not tok.is_fast
    got = ner(doc_for(text, "ja"))
    assert {(e.start, e.end, e.label) for e in got} == expected(text, ents)


@pytest.mark.parametrize("text,ents", JACHAR_CASES)
def test_offsets_ja_character_tokenizer(jachar_dir, text, ents):
    # every character is a word (not the whole space-free run the basic word splitter returns)
    ner = TransformersNER(str(jachar_dir))
    assert ner._load().tokenizer.subword_tokenizer_type == "character"
    got = ner(doc_for(text, "ja"))
    assert {(e.start, e.end, e.label) for e in got} == expected(text, ents)


def test_ja_tokens_align_exactly(ja_dir):
    tok = TransformersNER(str(ja_dir))._load().tokenizer
    text = "鰻😀と𠮷野家は１２日、ﾊﾟﾝ"
    enc = nt.encode_spans(tok, text, [Span(0, len(text))])[0]
    pieces = [text[a:b] for a, b in enc.spans]
    assert pieces == ["鰻", "😀", "と", "𠮷", "野家", "は", "１", "２", "日", "、", "ﾊﾟﾝ"]
    assert tok.convert_ids_to_tokens(enc.ids)[:2] == ["[UNK]", "[UNK]"]


# --- windows ---------------------------------------------------------------------------------------


def test_long_article_windows_reach_the_end(zh_dir):
    filler = "我们在这里见面。"
    parts = [filler * 24 + "王小明在北京大学。"] * 100 + [filler * 3 + "王小明在北京大学见面。"]
    text = "".join(parts)
    assert len(text) > 20_000
    ner = TransformersNER(str(zh_dir), max_length=32, stride=8, batch_size=16, num_threads=1)
    got = {(e.start, e.end, e.label) for e in ner(doc_for(text, "zh-Hans"))}
    want = set()
    for surface, label in (("王小明", "PERSON"), ("北京大学", "ORG")):
        i = text.find(surface)
        while i >= 0:
            want.add((i, i + len(surface), label))
            i = text.find(surface, i + 1)
    assert got == want and len(want) == 202
    assert max(s for s, _e, _l in got) > len(text) - 10


def test_single_overlong_sentence_is_split_with_stride(zh_dir):
    # 20,000+ characters without a sentence end: split into overlapping windows, no duplicates
    unit = "我们在这里见面" * 7 + "王小明"
    text = unit * 400 + "北京大学"
    ner = TransformersNER(str(zh_dir), max_length=32, stride=10, num_threads=1)
    got = sorted((e.start, e.end, e.label) for e in ner(doc_for(text, "zh-Hans", [Span(0, len(text))])))
    assert len(got) == 401
    assert got[-1] == (len(text) - 4, len(text), "ORG")
    assert all(text[s:e] == "王小明" for s, e, lab in got[:-1])


# --- the pipeline, with a model trained here --------------------------------------------------------

TRAIN = [
    ("トヨタ自動車の田中さんは５月１２日に来た。", [("トヨタ自動車", "ORG"), ("田中", "PER")]),
    ("田中さんはトヨタ自動車で働く。", [("田中", "PER"), ("トヨタ自動車", "ORG")]),
    ("今日は雨が降る。", []),
    ("𠮷野家の田中さん。", [("𠮷野家", "ORG"), ("田中", "PER")]),
]


def overfit_ja_model(path):
    vocab = _vocab(list(JA_TAGS) + JA_OTHER + ["1", "##2", "5", "月", "に", "来", "た", "で", "働く", "今日", "雨", "が", "降る"])
    tok = ja_tokenizer(write_vocab(path.parent / "ja_vocab.txt", vocab))
    torch.manual_seed(0)
    model = transformers.BertForTokenClassification(_config(vocab))
    label2id = {v: k for k, v in ID2LABEL.items()}
    batch_ids, batch_labels = [], []
    for text, ents in TRAIN:
        enc = nt.encode_spans(tok, text, [Span(0, len(text))])[0]
        spans = expected(text, ents)
        labels = []
        for a, _b in enc.spans:
            lab = "O"
            for s, e, typ in spans:
                if s <= a < e:
                    lab = ("B-" if a == s else "I-") + typ
            labels.append(label2id[lab])
        batch_ids.append([2] + enc.ids + [3])
        batch_labels.append([-100] + labels + [-100])
    width = max(map(len, batch_ids))
    ids = torch.tensor([x + [0] * (width - len(x)) for x in batch_ids])
    mask = (ids != 0).long()
    labels = torch.tensor([x + [-100] * (width - len(x)) for x in batch_labels])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(60):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    return save(model, tok, path)


@pytest.fixture(scope="module")
def trained_ja(tmp_path_factory):
    d = tmp_path_factory.mktemp("trained")
    model_dir = overfit_ja_model(d / "ja-tiny")
    cfg = d / "tf.toml"
    cfg.write_text(
        '[[recognizers]]\nfactory = "numeric"\n\n[[recognizers]]\nfactory = "transformers"\n'
        f'model = {json.dumps(str(model_dir))}\nlangs = ["ja"]\nlabel_map = {{ "PER" = "PERSON", "ORG" = "ORG" }}\n'
        'aggregation = "first"\nbatch_size = 4\nnum_threads = 1\n',
        encoding="utf-8",
    )
    return model_dir, cfg


def test_pipeline_with_trained_model(trained_ja):
    import pipeline
    from pipeline.schema import validate

    model_dir, cfg = trained_ja
    nlp = pipeline.load(cfg)
    text = TRAIN[0][0]
    rec = nlp.process(pipeline.Article(id="a1", text=text, lang="ja"))
    validate(rec)
    assert "error" not in rec, rec
    ents = {(e["start"], e["end"], e["label"], e["source"]) for e in rec["entities"]}
    assert (0, 6, "ORG", "transformers:ja-tiny") in ents
    assert (7, 9, "PERSON", "transformers:ja-tiny") in ents
    assert any(e["label"] == "DATE" and e["source"] == "rules:numeric" for e in rec["entities"])
    for e in rec["entities"]:
        assert text[e["start"] : e["end"]] == e["text"]
    assert {"name": "transformers:ja-tiny", "version": TransformersNER(str(model_dir)).version} in rec["meta"]["models"]
    # the language filter: a Chinese article never reaches the model
    zh = nlp.process(pipeline.Article(id="z1", text="王小明在北京大学。", lang="zh-Hans"))
    assert not any(e["source"].startswith("transformers") for e in zh["entities"])


def test_parallel_runner_workers_load_their_own_model(trained_ja, tmp_path):
    # `shinbun run --workers 2` forks workers that each load the model lazily; the output is
    # byte-identical to a one-process run. In a subprocess: this test process has run torch.
    import subprocess
    import sys

    _model_dir, cfg = trained_ja
    texts = [TRAIN[0][0], TRAIN[1][0], TRAIN[3][0], TRAIN[0][0]]  # sentences the tiny model was fitted on
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": f"a{i}", "text": t, "lang": "ja"}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(texts)), encoding="utf-8")
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}.jsonl"
        cmd = [sys.executable, "-m", "pipeline.cli", "run", str(inp), "-o", str(out), "-c", str(cfg),
               "--workers", str(workers), "-q"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    recs = [json.loads(line) for line in outs[1].decode("utf-8").splitlines()]
    assert [r["id"] for r in recs] == ["a0", "a1", "a2", "a3"]
    for r in recs:
        assert "error" not in r, r
        orgs = {e["text"] for e in r["entities"] if e["source"] == "transformers:ja-tiny" and e["label"] == "ORG"}
        assert orgs & {"トヨタ自動車", "𠮷野家"}, r["entities"]


def test_shipped_config_loads(trained_ja, tmp_path):
    # configs/transformers.toml as shipped, with its model path pointed at the tiny model
    import pipeline
    from pathlib import Path

    model_dir, _cfg = trained_ja
    shipped = Path(__file__).resolve().parents[2] / "configs" / "transformers.toml"
    text = shipped.read_text(encoding="utf-8")
    assert 'model = "models/ner-ja-bert"' in text
    cfg = tmp_path / "t.toml"
    cfg.write_text(text.replace('"models/ner-ja-bert"', json.dumps(str(model_dir))), encoding="utf-8")
    nlp = pipeline.load(cfg)
    rec = nlp.process(pipeline.Article(id="s", text=TRAIN[1][0], lang="ja"))
    assert any(e["source"] == "transformers:ja-tiny" for e in rec["entities"]), rec
