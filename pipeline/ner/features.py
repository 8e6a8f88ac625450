"""Feature arrays of the spaCy-trained recognisers, and the fast path that hashes them.

The models never see spaCy's tokenizer: the pipeline's own tokens become per-sentence arrays
(words, tags, lemmas, offsets; :func:`ja_doc_arrays`, :func:`zh_doc_arrays`), which the
training script turns into spaCy ``Doc`` objects (:func:`make_doc`) and inference hashes
straight into the feature rows the model reads (:class:`FastFeatures`): the same values as a
``Doc``, without building one (the tests compare the two).

Features per spaCy token:

* ja (feature set ``ja``), one token per fugashi/UniDic token: ``NORM`` = NFKC-lowercased
  surface, ``PREFIX``/``SUFFIX`` (first char / last three chars), ``TAG`` = the UniDic POS
  path (``名詞-固有名詞-人名-姓``), ``LEMMA`` = a character-type shape of the surface (``C``
  kanji, ``H`` hiragana, ``K`` katakana, ``L``/``l`` Latin, ``D`` digit, ``S`` other; e.g.
  ``CCH``), since spaCy's ``SHAPE`` says nothing about CJK scripts.
* zh (feature set ``zh-bigram``), one token per character: word = the right bigram (``NORM``;
  ``PREFIX`` = the character), ``LEMMA`` = the left bigram, ``TAG`` = position of the
  character in its jieba word (``B``/``M``/``E``/``S``) + word length (capped at 4), ``SHAPE``.
  :mod:`pipeline.ner.zh_features` computes the same rows vectorised over a whole article.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import numpy as np
from spacy import attrs as A
from spacy.lang.lex_attrs import LEX_ATTRS
from spacy.strings import get_string_id
from spacy.tokens import Doc

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.record import Token

# the feature sets a model can name in its meta.json (shinbun.features)
FEATURE_SETS = ("ja", "zh-bigram")
# the name of the tagger component in every shipped model
TAGGER_PIPE = "ner_tagger"

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

# the word-position TAG strings of the zh features: kind (B, M, E, S) and word length capped at 4
WORD_TAGS = tuple(f"{kind}{n}" for kind in "BMES" for n in range(1, 5))

def zh_doc_arrays(
    text: str, start: int, end: int, tokens: list[Token]
) -> tuple[list[str], list[str], list[str], list[tuple[int, int]]]:
    """words, tags, lemmas and offsets of the character tokens of ``text[start:end]`` (feature
    set ``zh-bigram``: word = right bigram, so PREFIX = the character; LEMMA = left bigram).

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
    for i, c in enumerate(chars):
        ch = text[start + i]
        if ch.isspace():
            continue
        nxt = chars[i + 1] if i + 1 < n else "</s>"
        prv = chars[i - 1] if i > 0 else "<s>"
        # the spaCy word is the right bigram (NORM/SUFFIX = bigram, PREFIX = the character),
        # LEMMA carries the left bigram
        words.append(c + nxt)
        lemmas.append(prv + c)
        tags.append(seg[i])
        offs.append((start + i, start + i + 1))
    return words, tags, lemmas, offs

def make_doc(vocab, arrays) -> Doc:
    """The spaCy ``Doc`` of one sentence's arrays (training, and the reference path of the tests)."""
    words, tags, lemmas, _ = arrays
    return Doc(vocab, words=words, spaces=[False] * len(words), tags=tags, lemmas=lemmas)

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
        self.vocab = nlp.vocab
        cols = None
        for node in nlp.get_pipe(TAGGER_PIPE).model.walk():
            if node.name == "extract_features":
                cols = list(node.attrs["columns"])
                break
        if cols is None:
            raise ValueError("model has no feature extractor")
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
            r = tuple(get_string_id(f(word)) for f in self._getters)
            if len(self._lex) < _CACHE_MAX:
                self._lex[word] = r
        return r

    def _sid(self, s: str) -> int:
        r = self._str.get(s)
        if r is None:
            r = get_string_id(s)
            if len(self._str) < _CACHE_MAX:
                self._str[s] = r
        return r

    def rows(self, arrays):
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

def fast_features(nlp) -> FastFeatures:
    """The :class:`FastFeatures` of a loaded model (one per model and process)."""
    feats = _FAST.get(id(nlp))
    if feats is None or feats.vocab is not nlp.vocab:
        feats = _FAST[id(nlp)] = FastFeatures(nlp)
    return feats
