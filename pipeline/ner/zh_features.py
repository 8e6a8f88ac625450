"""Vectorised feature rows for the character-level Chinese model (feature set ``zh-bigram``).

:func:`pipeline.ner.features.zh_doc_arrays` builds the same features one character at a
time as strings (the form training uses); profiling the zh pipeline showed that loop plus
the per-string hashing at about a quarter of the whole zh run time. Here a whole article is
done at once with numpy over code points:

* each character's *right-bigram key* (its code point and the next one in the sentence) and
  *left-bigram key* are 64-bit integers, computed with array arithmetic;
* a key is turned into its feature hashes (exactly the values ``FastFeatures`` gives for the
  string, so the model sees identical input: tests compare the two paths) once per process
  and remembered in a dict from key to a row of a growing table; an article then costs one
  dict lookup per character and key instead of string building and hashing;
* the jieba word-position tags (``B2``, ``M4``, ``S1``...) come from the token boundaries
  with array operations over the 20 possible tags.

The cache is bounded (``CACHE_KEYS`` per table); when full it starts again empty, which
changes no output (every row is a pure function of its key).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from spacy.lang.lex_attrs import prefix, word_shape
from spacy.strings import get_string_id

from pipeline.ner import MODELS_DIR
from pipeline.ner.features import WORD_TAGS, FastFeatures, norm_text

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.ner.numpy_tagger import NumpyTagger
    from pipeline.record import Span, Token

CACHE_KEYS = 250_000
_SHIFT = 22  # code points are < 2**21; the two sentinels below are >= 2**21
_END = 0x110000  # "</s>": no next character in the sentence
_START = 0x110001  # "<s>": no previous character in the sentence
_LOW = (1 << _SHIFT) - 1
_SPACE_CPS: np.ndarray | None = None

# word-position tag of a character: kind (B, M, E, S) and the word length capped at 4
_KINDS = ("B", "M", "E", "S")


def _space_code_points() -> np.ndarray:
    """Code points for which ``str.isspace`` is true (all are below U+3001)."""
    global _SPACE_CPS
    if _SPACE_CPS is None:
        _SPACE_CPS = np.array([i for i in range(0x3001) if chr(i).isspace()], dtype=np.uint32)
    return _SPACE_CPS


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` (lone surrogates kept as themselves)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint32)


class _KeyTable:
    """key (int) -> row of feature hashes, remembered in a growing uint64 table.

    ``preloaded`` (keys, rows) are inserted first and again after every reset.
    """

    def __init__(self, width: int, compute, preloaded: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.width = width
        self.compute = compute
        self.preloaded = preloaded
        self._reset()

    def _reset(self) -> None:
        self.index: dict[int, int] = {}
        self.table = np.zeros((1024, self.width), dtype=np.uint64)
        # per slot: (partial embeddings of the rows, which rows have one), filled on demand
        self.vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # the keys of ``index`` as sorted arrays (key, row), for a vectorised lookup: the dict
        # is the truth, new keys wait in ``_pending`` and are merged in batches
        self._sorted_keys = np.zeros(0, dtype=np.uint64)
        self._sorted_rows = np.zeros(0, dtype=np.int64)
        self._pending: list[int] = []
        if self.preloaded is not None:
            keys, rows = self.preloaded
            self.index = dict(zip(keys.tolist(), range(len(keys))))
            self.table = np.zeros((max(1024, 2 * len(keys)), self.width), dtype=np.uint64)
            self.table[: len(keys)] = rows
            self._pending = keys.tolist()
            self._merge_pending()

    def _merge_pending(self) -> None:
        new = np.array(self._pending, dtype=np.uint64)
        new_rows = np.fromiter((self.index[k] for k in self._pending), dtype=np.int64, count=len(new))
        keys = np.concatenate((self._sorted_keys, new))
        order = np.argsort(keys, kind="stable")
        self._sorted_keys = keys[order]
        self._sorted_rows = np.concatenate((self._sorted_rows, new_rows))[order]
        self._pending = []

    def vectors_for(self, slot: str, idx: np.ndarray, embed, width: int) -> np.ndarray:
        """``embed(rows)`` of the rows ``idx`` (as :meth:`lookup_index` returned), remembered
        under ``slot`` (one table can feed several embeddings). np.zeros memory is only
        committed where rows are written, so untouched preloaded rows cost nothing."""
        vec, has = self.vectors.get(slot, (None, None))
        if vec is None or len(vec) < len(self.table):
            grown = np.zeros((len(self.table), width), dtype=np.float32)
            grown_has = np.zeros(len(self.table), dtype=bool)
            if vec is not None:
                grown[: len(vec)] = vec
                grown_has[: len(has)] = has
            vec, has = grown, grown_has
            self.vectors[slot] = (vec, has)
        missing = idx[~has[idx]]
        if missing.size:
            missing = np.unique(missing)
            vec[missing] = embed(self.table[missing])
            has[missing] = True
        return vec[idx]

    def lookup_index(self, keys: np.ndarray) -> np.ndarray:
        """Table rows of the distinct ``keys`` (uint64), computing the rows of new keys.

        Known keys are found with one binary search over the sorted key array (a dict lookup
        per key was the largest part of feature extraction); only the rest go through the dict."""
        if len(self.index) + len(keys) > CACHE_KEYS:
            self._reset()
        keys = np.asarray(keys, dtype=np.uint64)
        idx = np.full(len(keys), -1, dtype=np.int64)
        if len(self._sorted_keys):
            pos = np.searchsorted(self._sorted_keys, keys)
            np.minimum(pos, len(self._sorted_keys) - 1, out=pos)
            hit = self._sorted_keys[pos] == keys
            idx[hit] = self._sorted_rows[pos[hit]]
        miss = np.flatnonzero(idx < 0)
        if miss.size:
            index = self.index
            klist = keys[miss].tolist()
            for j, k in zip(miss.tolist(), klist):
                r = index.get(k)
                if r is None:
                    r = len(index)
                    if r >= len(self.table):
                        grown = np.zeros((2 * len(self.table), self.width), dtype=np.uint64)
                        grown[: len(self.table)] = self.table
                        self.table = grown
                    self.table[r] = self.compute(k)
                    index[k] = r
                    self._pending.append(k)
                idx[j] = r
            # merged once they are an eighth of the sorted part: each merge's sort is paid for
            # by that many new keys
            if len(self._pending) >= max(4096, len(self._sorted_keys) // 8):
                self._merge_pending()
        return idx


class ZhBigramFeatures:
    """Feature rows of the ``zh-bigram`` set for every sentence of an article at once."""

    def __init__(self, feats: FastFeatures, table: Path | None | bool = True) -> None:
        """``table``: the frequent-bigram table to preload (``True``: the packaged
        ``pipeline/models/zh-bigrams.npz`` when present; ``None``/``False``: none)."""
        self.plan = feats.plan
        self._norm = norm_text
        self._getters = feats._getters  # ORTH, NORM, LOWER, PREFIX, SUFFIX, SHAPE (as FastFeatures)
        self._sid = feats._sid
        self._word_shape = word_shape
        self._hash = get_string_id  # for bigram strings: each is hashed once per key, no cache needed
        # the cached shortcuts below are only valid for spaCy's own prefix and shape functions
        self._shortcuts = self._getters[3] is prefix and self._getters[5] is word_shape
        # ORTH (0) is always computed: it is the LEMMA hash of the next character (see _prepare)
        self._lex_needed = sorted({0} | {k for kind, k in self.plan if kind == "lex"})
        self._norm_cp: dict[int, str] = {}
        self._shape_ch: dict[str, str] = {}
        self._bigrams = _KeyTable(6, self._bigram_row, self._load_table(table, feats))
        self._bound = None  # (tagger, embed_right, embed_left, tag vectors), see _bind
        # tag code = kind * 5 + capped length (S1 = 3 * 5 + 1); the strings are the ones a style
        # mix pairs with their flagged forms (features.WORD_TAGS)
        self._tag_hash = np.zeros(20, dtype=np.uint64)
        for tag in WORD_TAGS:
            self._tag_hash[_KINDS.index(tag[0]) * 5 + int(tag[1:])] = self._sid(tag)

    def _load_table(self, table, feats) -> tuple[np.ndarray, np.ndarray] | None:
        """(keys, rows) of the frequent-bigram table (``scripts/train/build_zh_bigrams.py``), or None.

        A sample of its rows is recomputed with the reference code; on any difference (a table
        built with other feature code) it is not used, and nothing but speed changes."""
        if table is True:
            table = MODELS_DIR / "zh-bigrams.npz"
        if not table or not Path(table).exists():
            return None
        with np.load(table) as data:
            keys, rows = data["keys"], data["rows"]
        if keys.ndim != 1 or rows.shape != (len(keys), 6):
            return None
        for i in sorted({0, len(keys) // 2, len(keys) - 1}) if len(keys) else []:
            k = int(keys[i])
            word = self._norm(chr(k >> _SHIFT)) + self._norm(chr(k & _LOW))
            if tuple(int(x) for x in rows[i]) != feats._lexrow(word):
                return None
        return keys, rows

    def _char(self, cp: int) -> str:
        r = self._norm_cp.get(cp)
        if r is None:
            if cp == _END:
                r = "</s>"
            elif cp == _START:
                r = "<s>"
            else:
                r = self._norm(chr(cp))
            self._norm_cp[cp] = r
        return r

    def _shape(self, word: str) -> str:
        # spaCy's word_shape, from per-character shape letters: for words of at most 4 characters
        # no run is long enough to be cut, so the shape is the shape letters joined
        if len(word) > 4:
            return self._word_shape(word)
        out = ""
        for ch in word:
            c = self._shape_ch.get(ch)
            if c is None:
                c = self._shape_ch[ch] = self._word_shape(ch)
            out += c
        return out

    def _bigram_row(self, key: int) -> tuple[int, ...]:
        """The lexeme-attribute hashes of a bigram, for the attributes the model reads and ORTH
        (others stay 0): what ``FastFeatures._lexrow`` gives, computed with cached pieces."""
        word = self._char(key >> _SHIFT) + self._char(key & _LOW)
        h, g = self._hash, self._getters
        orth = h(word)
        row = [orth, 0, 0, 0, 0, 0]
        for a in self._lex_needed:
            if a == 0:
                continue
            if a == 5 and self._shortcuts:
                row[a] = self._sid(self._shape(word))
            elif a == 3 and self._shortcuts:
                row[a] = self._sid(word[0])
            else:
                v = g[a](word)
                row[a] = orth if v == word else h(v)  # NORM/LOWER of a lowercased bigram: itself
        return tuple(row)

    def _prepare(self, text: str, sentences: list[Span], tokens: list[Token]):
        """Row keys of every kept character of the article: (positions, sentence of each,
        right-key rows, left-key rows, tag codes)."""
        cps = code_points(text)
        s_start = np.array([s.start for s in sentences], dtype=np.int64)
        s_end = np.array([s.end for s in sentences], dtype=np.int64)
        lens = np.maximum(s_end - s_start, 0)
        total = int(lens.sum())
        sent_of = np.repeat(np.arange(len(sentences)), lens)
        pos = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(s_start, lens)
        cur = cps[pos].astype(np.uint64)
        nxt_pos = pos + 1
        has_next = nxt_pos < s_end[sent_of]
        nxt = np.where(has_next, cps[np.minimum(nxt_pos, len(cps) - 1)], _END).astype(np.uint64)
        has_prev = pos > s_start[sent_of]
        prv = np.where(has_prev, cps[np.maximum(pos - 1, 0)], _START).astype(np.uint64)

        keep = ~np.isin(cps[pos], _space_code_points())
        pos, cur, nxt, prv, sent_of = pos[keep], cur[keep], nxt[keep], prv[keep], sent_of[keep]

        # word-position tags: characters inside a token that lies wholly inside one sentence
        tag = np.full(len(text), 3 * 5 + 1, dtype=np.int64)  # S1
        if tokens:
            ts = np.fromiter((t.start for t in tokens), dtype=np.int64, count=len(tokens))
            te = np.fromiter((t.end for t in tokens), dtype=np.int64, count=len(tokens))
            si = np.searchsorted(s_start, ts, side="right") - 1
            inside = (si >= 0) & (ts >= s_start[np.maximum(si, 0)]) & (te <= s_end[np.maximum(si, 0)]) & (te > ts)
            ts, te = ts[inside], te[inside]
            tl = te - ts
            cap = np.minimum(tl, 4)
            covered = np.repeat(np.arange(len(ts)), tl)
            offset = np.arange(int(tl.sum()), dtype=np.int64) - np.repeat(np.cumsum(tl) - tl, tl)
            L = tl[covered]
            kind = np.where(L == 1, 3, np.where(offset == 0, 0, np.where(offset == L - 1, 2, 1)))
            tag[ts[covered] + offset] = kind * 5 + cap[covered]
        # The left bigram of a character is the right bigram of the one before it (or "<s>" +
        # the character, a key of the same form), and its LEMMA hash is that bigram's ORTH hash:
        # both go through one table, looked up once per distinct key of the article.
        n = len(pos)
        keys = np.concatenate(((cur << np.uint64(_SHIFT)) | nxt, (prv << np.uint64(_SHIFT)) | cur))
        uniq, inverse = np.unique(keys, return_inverse=True)
        idx = self._bigrams.lookup_index(uniq)[inverse.reshape(-1)]
        return pos, sent_of, idx[:n], idx[n:], tag[pos]

    def _split(self, arr: np.ndarray, sent_of: np.ndarray, n_sentences: int) -> list[np.ndarray]:
        counts = np.bincount(sent_of, minlength=n_sentences)
        return np.split(arr, np.cumsum(counts)[:-1])

    def rows(
        self, text: str, sentences: list[Span], tokens: list[Token]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per sentence: (feature rows, code-point positions of the rows' characters).

        Whitespace characters get no row (as in ``zh_doc_arrays``) but still count as the
        neighbour of the characters beside them.
        """
        if not sentences:
            return []
        pos, sent_of, right_i, left_i, tag = self._prepare(text, sentences, tokens)
        right, left = self._bigrams.table[right_i], self._bigrams.table[left_i]
        by_kind = {"lex": lambda k: right[:, k], "tag": lambda k: self._tag_hash[tag], "lemma": lambda k: left[:, 0]}
        allrows = self._columns(len(pos), lambda kind, k: by_kind[kind](k))
        n = len(sentences)
        return list(zip(self._split(allrows, sent_of, n), self._split(pos, sent_of, n)))

    def _columns(self, n: int, fill) -> np.ndarray:
        """(n, model columns) feature-hash rows; ``fill(kind, k)`` gives the values of a column of
        the plan, or None to leave it 0."""
        ids = np.zeros((n, len(self.plan)), dtype=np.uint64)
        for j, (kind, k) in enumerate(self.plan):
            values = fill(kind, k)
            if values is not None:
                ids[:, j] = values
        return ids

    def _bind(self, tagger: NumpyTagger):
        """Per tagger, once: the partial-embedding functions of the bigram table's two slots and
        the embeddings of the 20 tags; every preloaded bigram is embedded up front (start-up
        work, ~0.1 s, inherited by forked workers) rather than a few at a time per article."""
        if self._bound is not None and self._bound[0] is tagger:
            return self._bound
        groups: dict[str, list[int]] = {"lex": [], "lemma": [], "tag": []}
        for i, e in enumerate(tagger.embeds):
            groups[self.plan[e.column][0]].append(i)

        def embed_right(rows):
            ids = self._columns(len(rows), lambda kind, k: rows[:, k] if kind == "lex" else None)
            return tagger.column_embedding(ids, groups["lex"])

        def embed_left(rows):
            # the ORTH hash of a bigram is the LEMMA of its second character
            ids = self._columns(len(rows), lambda kind, k: rows[:, 0] if kind == "lemma" else None)
            return tagger.column_embedding(ids, groups["lemma"])

        tag_ids = self._columns(len(self._tag_hash), lambda kind, k: self._tag_hash if kind == "tag" else None)
        tag_vectors = tagger.column_embedding(tag_ids, groups["tag"])
        if self._bigrams.preloaded is not None:
            every = np.arange(len(self._bigrams.preloaded[0]))
            self._bigrams.vectors_for("right", every, embed_right, tagger.width)
            self._bigrams.vectors_for("left", every, embed_left, tagger.width)
        self._bound = (tagger, embed_right, embed_left, tag_vectors)
        return self._bound

    def embedded(
        self, text: str, sentences: list[Span], tokens: list[Token], tagger: NumpyTagger
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per sentence: (the model's embedding-layer output, positions), through per-key
        cached partial embeddings: the columns that depend on the right-bigram key, on the
        left-bigram key and on the tag are each embedded once per key and summed here."""
        if not sentences:
            return []
        _, embed_right, embed_left, tag_vectors = self._bind(tagger)
        pos, sent_of, right_i, left_i, tag = self._prepare(text, sentences, tokens)
        summed = self._bigrams.vectors_for("right", right_i, embed_right, tagger.width)
        summed += self._bigrams.vectors_for("left", left_i, embed_left, tagger.width)
        summed += tag_vectors[tag]
        X = tagger.normalise_embedding(summed)
        n = len(sentences)
        return list(zip(self._split(X, sent_of, n), self._split(pos, sent_of, n)))
