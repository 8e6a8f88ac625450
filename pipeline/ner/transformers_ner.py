"""Named-entity recognition with a Hugging Face token-classification model (optional backend).

Configured as ``factory = "transformers"`` (see ``configs/transformers.toml``); needs
``torch`` and ``transformers`` (``pip install torch transformers``), imported only when the
recogniser is configured. ``scripts/train/finetune_ner.py`` trains models for it and evaluates them
through the very functions below, so training-time scores are the scores of this code path.

How an article becomes entities:

1. **Subword tokens with exact offsets.** Each body sentence is tokenised on its own. Fast
   (Rust) tokenizers give offsets directly; they are code-point offsets, like Python ``str``
   indices. Slow tokenizers (notably ``BertJapaneseTokenizer``: MeCab words via fugashi, then
   WordPiece, after NFKC) give none, so :func:`align_tokens` aligns the tokens back onto a
   normalised copy of the text that keeps a map to the original characters (NFKC can fold
   ``１２`` to ``12`` or ``ﾊﾟ`` to ``パ``); ``[UNK]`` tokens take the characters between their
   aligned neighbours.
2. **Windows.** Consecutive sentences are packed into windows of at most the model's length
   minus its special tokens. A sentence longer than that is cut into windows that overlap by
   ``stride`` tokens. A token seen by several windows takes the prediction of the window where
   it is farthest from an edge (ties: the earlier window). Nothing is truncated: every token of
   every sentence is in some window.
3. **Words and entities.** Subword predictions are aggregated per word (``first``: the first
   subword's label; ``average``: the argmax of the mean distribution; ``max``: the label of the
   most confident subword), then B/I/E/S (also BIO, BIOES, BILOU, IOB and bare IO tags) are
   decoded into entities. An entity's ``score`` is the mean of its words' probabilities.
   Entities never cross sentence boundaries.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import ConfigError
from pipeline.record import LABELS, Document, Entity, Span

AGGREGATIONS = ("first", "average", "max")

# Model entity types -> our labels when the config gives no label_map entry for them
# (looked up upper-cased). Everything else is dropped.
DEFAULT_ALIASES: dict[str, str] = {
    **{lab: lab for lab in LABELS},
    "PER": "PERSON", "PERS": "PERSON", "PSN": "PERSON", "NR": "PERSON", "NAME": "PERSON",
    "ORGANIZATION": "ORG", "ORGANISATION": "ORG", "NT": "ORG", "COMPANY": "ORG",
    "LOCATION": "LOC", "NS": "LOC", "ADDRESS": "LOC",
    "FACILITY": "FAC",
    "EVT": "EVENT",
    "PRD": "PRODUCT",
    "DAT": "DATE",
    "MON": "MONEY",
    "PCT": "PERCENT",
    # Stockmark / Japanese-label models (same mapping as ../shared/data/ja).
    "人名": "PERSON", "法人名": "ORG", "政治的組織名": "ORG", "その他の組織名": "ORG", "地名": "LOC",
    "施設名": "FAC", "製品名": "PRODUCT", "イベント名": "EVENT",
}

_TAG_PREFIXES = {"B": "B", "I": "I", "E": "E", "L": "E", "S": "S", "U": "S", "M": "I"}


def parse_tag(tag: str) -> tuple[str, str | None]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", None)``; a bare ``"PER"`` is IO: ``("I", "PER")``.

    Prefixes are normalised: BILOU's ``L``/``U`` become ``E``/``S``, ``M`` becomes ``I``.
    """
    if tag in ("O", "o", "") or tag.upper() == "O":
        return "O", None
    for sep in ("-", "_"):
        head, s, rest = tag.partition(sep)
        if s and rest and head.upper() in _TAG_PREFIXES:
            return _TAG_PREFIXES[head.upper()], rest
        tail_rest, s2, tail = tag.rpartition(sep)  # "PER-B" style
        if s2 and tail_rest and tail.upper() in _TAG_PREFIXES and len(tail) == 1:
            return _TAG_PREFIXES[tail.upper()], tail_rest
    return "I", tag


# --- aligning slow-tokenizer tokens back to the text -----------------------------------------


def _is_mark(ch: str) -> bool:
    # Characters that NFKC may compose with the character before them.
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\uff9e\uff9f\u3099\u309a"


def _ignorable(ch: str) -> bool:
    # What BERT-style tokenizers drop: whitespace, control/format characters, U+FFFD.
    return ch.isspace() or ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def normalize_piece(s: str, strip_accents: bool = False) -> str:
    """The normal form tokens and text are compared in: NFKC, lower-cased, accents optionally stripped."""
    s = unicodedata.normalize("NFKC", s).lower()
    if strip_accents:
        s = unicodedata.normalize("NFKC", _strip_accents(s))
    return s


class NormalizedText:
    """A normalised copy of ``text`` with, for each of its characters, the original span it came from.

    The text is normalised cluster by cluster (a character plus the marks after it), so a
    normalised character always maps back to whole original characters: ``ﾊﾟ`` -> ``パ`` maps
    to both, ``１`` -> ``1`` to one, ``㍻`` -> ``平成`` maps both characters to the one.
    """

    __slots__ = ("text", "norm", "starts", "ends")

    def __init__(self, text: str, strip_accents: bool = False) -> None:
        self.text = text
        out: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        i, n = 0, len(text)
        while i < n:
            j = i + 1
            while j < n and _is_mark(text[j]):
                j += 1
            piece = normalize_piece(text[i:j], strip_accents)
            out.append(piece)
            starts.extend([i] * len(piece))
            ends.extend([j] * len(piece))
            i = j
        self.norm = "".join(out)
        self.starts = starts
        self.ends = ends

    def to_original(self, a: int, b: int) -> tuple[int, int]:
        """Normalised span [a, b) -> original span."""
        if b <= a:
            pos = self.starts[a] if a < len(self.starts) else len(self.text)
            return pos, pos
        return self.starts[a], self.ends[b - 1]


def _skip_ignorable(norm: str, i: int, hi: int) -> int:
    while i < hi and _ignorable(norm[i]):
        i += 1
    return i


def _fill_unknowns(norm: str, pending: list[int], a: int, b: int, spans: list[tuple[int, int]]) -> None:
    """Share the normalised gap [a, b) among the ``[UNK]`` tokens ``pending`` (in order)."""
    a = _skip_ignorable(norm, a, b)
    while b > a and _ignorable(norm[b - 1]):
        b -= 1
    k = len(pending)
    chunks: list[tuple[int, int]] = []
    i = a
    while i < b:
        j = i
        while j < b and not _ignorable(norm[j]):
            j += 1
        chunks.append((i, j))
        i = _skip_ignorable(norm, j, b)
    chars = [(p, p + 1) for p in range(a, b) if not _ignorable(norm[p])]
    if len(chunks) == k:
        units = chunks
    elif len(chars) == k or len(chunks) < k:
        units = chars
    else:
        units = chunks
    # One unit each; the last unknown also takes any units left over.
    for n, idx in enumerate(pending):
        if n >= len(units):
            spans[idx] = (b, b)
        elif n == k - 1:
            spans[idx] = (units[n][0], units[-1][1])
        else:
            spans[idx] = units[n]


def _align_pieces(norm: str, pieces: Sequence[str | None], lo: int, hi: int) -> list[tuple[int, int]]:
    """Greedy left-to-right alignment of ``pieces`` (``None`` = unknown) inside ``norm[lo:hi]``."""
    spans: list[tuple[int, int]] = [(lo, lo)] * len(pieces)
    cur = lo
    pending: list[int] = []
    for k, piece in enumerate(pieces):
        if piece is None:
            pending.append(k)
            continue
        if not piece:
            spans[k] = (cur, cur)
            continue
        p = -1
        if not pending:
            c = _skip_ignorable(norm, cur, hi)
            if norm.startswith(piece, c, hi):
                p = c
        if p < 0:
            # Each pending unknown covers at least one character: search after them.
            s = cur
            for _ in pending:
                s = _skip_ignorable(norm, s, hi) + 1
            p = norm.find(piece, min(s, hi), hi)
        if p < 0:  # cannot be placed: an empty span, never part of an entity
            spans[k] = (cur, cur)
            continue
        if pending:
            _fill_unknowns(norm, pending, cur, p, spans)
            pending = []
        spans[k] = (p, p + len(piece))
        cur = p + len(piece)
    if pending:
        _fill_unknowns(norm, pending, cur, hi, spans)
    return spans


def _piece_text(token: str, unk_token: str | None, strip_accents: bool) -> str | None:
    if unk_token is not None and token == unk_token:
        return None
    if token.startswith("##") and len(token) > 2:
        token = token[2:]
    token = token.lstrip("\u2581")  # SentencePiece word-start marker
    return normalize_piece(token, strip_accents)


def align_tokens(
    text: str,
    tokens: Sequence[str],
    unk_token: str | None = "[UNK]",
    strip_accents: bool = False,
    _nt: NormalizedText | None = None,
) -> list[tuple[int, int]]:
    """Code-point spans in ``text`` of the subword ``tokens`` a slow tokenizer made of it.

    Tokens are compared with the text in normal form (NFKC, lower case; ``##`` and ``▁``
    markers stripped), then mapped back to original characters. ``[UNK]`` tokens take the
    characters between their neighbours (one whitespace-separated chunk or one character
    each when that adds up). A token that cannot be placed gets an empty span.
    """
    nt = _nt or NormalizedText(text, strip_accents)
    pieces = [_piece_text(t, unk_token, strip_accents) for t in tokens]
    norm_spans = _align_pieces(nt.norm, pieces, 0, len(nt.norm))
    return [nt.to_original(a, b) for a, b in norm_spans]


# --- encoding ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Encoded:
    """One sentence as subword tokens: ids, absolute code-point spans, word index of each token."""

    ids: list[int]
    spans: list[tuple[int, int]]
    words: list[int]

    def __len__(self) -> int:
        return len(self.ids)


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF
            or 0xF900 <= o <= 0xFAFF or 0xFF66 <= o <= 0xFF9F or 0xAC00 <= o <= 0xD7AF or 0x20000 <= o <= 0x3FFFF)


def group_words(text: str, tokens: Sequence[str], spans: Sequence[tuple[int, int]],
                word_ids: Sequence[int | None] | None = None) -> list[int]:
    """Word index of each token, for aggregation (and for the fine-tuning labels).

    A ``##`` token always continues the word before it (WordPiece). Otherwise a token starts a
    new word when the tokenizer's word ids say so (fast tokenizers), when it carries the
    SentencePiece ``▁`` marker (slow ones), or when it starts with a CJK character: without
    spaces, a SentencePiece/BPE "word" is a whole run of Japanese or Chinese text, too long a
    unit to take one label from its first token.
    """
    sp = word_ids is None and any(t.startswith("\u2581") for t in tokens)
    words: list[int] = []
    w = -1
    for i, t in enumerate(tokens):
        a, b = spans[i]
        if i == 0:
            new = True
        elif t.startswith("##") and len(t) > 2:
            new = False
        elif word_ids is not None and word_ids[i] != word_ids[i - 1]:
            new = True
        elif word_ids is None and not sp:
            new = True  # slow WordPiece/character tokenizers: no ## -> a new word
        elif word_ids is None and t.startswith("\u2581"):
            new = True
        else:
            new = b > a and _is_cjk(text[a])
        if new:
            w += 1
        words.append(w)
    return words


def _slow_strips_accents(tokenizer: Any) -> bool:
    basic = getattr(tokenizer, "basic_tokenizer", None)
    if basic is None:
        wt = getattr(tokenizer, "word_tokenizer", None)
        if type(wt).__name__ == "BasicTokenizer":
            basic = wt
    if basic is None:
        return False
    strip = getattr(basic, "strip_accents", None)
    return bool(strip) or (strip is None and bool(getattr(basic, "do_lower_case", False)))


def _encode_slow(tokenizer: Any, text: str, offset: int) -> Encoded:
    tokens: list[str] = tokenizer.tokenize(text)
    unk = getattr(tokenizer, "unk_token", None)
    strip = _slow_strips_accents(tokenizer)
    nt = NormalizedText(text, strip)
    spans: list[tuple[int, int]] | None = None
    # BertJapaneseTokenizer: align its words first (they are never [UNK]), then the subwords
    # inside each word. (Words for aggregation still come from the ## markers below: with
    # WordPiece they coincide with these words, and a character-level model must see each
    # character as a word, not a whole whitespace-free run of Japanese text.)
    wt = getattr(tokenizer, "word_tokenizer", None) if getattr(tokenizer, "do_word_tokenize", False) else None
    st = getattr(tokenizer, "subword_tokenizer", None) if getattr(tokenizer, "do_subword_tokenize", False) else None
    if wt is not None:
        try:
            wtoks = wt.tokenize(text, never_split=list(getattr(tokenizer, "all_special_tokens", [])))
            subs = [st.tokenize(w) if st is not None else [w] for w in wtoks]
        except Exception:  # noqa: BLE001 - any surprise: fall back to flat alignment
            subs = None
        if subs is not None and [t for s in subs for t in s] == tokens:
            wspans = _align_pieces(nt.norm, [normalize_piece(w, strip) for w in wtoks], 0, len(nt.norm))
            spans = []
            for (a, b), sub in zip(wspans, subs):
                if len(sub) == 1:
                    spans.append((a, b))
                else:
                    spans.extend(_align_pieces(nt.norm, [_piece_text(t, unk, strip) for t in sub], a, b))
            spans = [nt.to_original(a, b) for a, b in spans]
    if spans is None:
        spans = align_tokens(text, tokens, unk, strip, _nt=nt)
    words = group_words(text, tokens, spans)
    ids = tokenizer.convert_tokens_to_ids(tokens)
    return Encoded(list(ids), [(a + offset, b + offset) for a, b in spans], words)


def encode_spans(tokenizer: Any, text: str, spans: Sequence[Span | tuple[int, int]]) -> list[Encoded]:
    """Tokenise each span of ``text`` (no special tokens); offsets are absolute code points."""
    pairs = [(s.start, s.end) if isinstance(s, Span) else (int(s[0]), int(s[1])) for s in spans]
    if not pairs:
        return []
    if getattr(tokenizer, "is_fast", False):
        texts = [text[a:b] for a, b in pairs]
        enc = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
        out = []
        for i, (a, _b) in enumerate(pairs):
            ids = list(enc["input_ids"][i])
            offs = enc["offset_mapping"][i]
            try:
                wids = enc.word_ids(i)
            except Exception:  # noqa: BLE001 - tokenizers without word ids: one word per token
                wids = None
            if wids is None or any(w is None for w in wids):
                wids = list(range(len(ids)))
            abs_spans = [(a + int(s), a + int(e)) for s, e in offs]
            words = group_words(text, tokenizer.convert_ids_to_tokens(ids), abs_spans, wids)
            out.append(Encoded(ids, abs_spans, words))
        return out
    return [_encode_slow(tokenizer, text[a:b], a) for a, b in pairs]


def special_affixes(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special token ids a tokenizer puts before and after a single sequence."""
    for probe in ("1", "a", "日本", "x y"):
        bare = list(tokenizer(probe, add_special_tokens=False)["input_ids"])
        full = list(tokenizer(probe, add_special_tokens=True)["input_ids"])
        if not bare:
            continue
        for i in range(len(full) - len(bare) + 1):
            if full[i : i + len(bare)] == bare:
                return full[:i], full[i + len(bare) :]
    raise ValueError("cannot tell where this tokenizer puts its special tokens")


# A window is a list of segments (sentence index, first token, end token).
Window = list[tuple[int, int, int]]


def plan_windows(lengths: Sequence[int], size: int, stride: int) -> list[Window]:
    """Pack sentences (by token count) into windows of at most ``size`` tokens.

    Whole sentences are packed greedily in order; a sentence longer than ``size`` gets windows
    of its own that overlap by ``min(stride, size // 2)`` tokens. Every token is in a window.
    """
    if size < 1:
        raise ValueError(f"window size must be positive, got {size}")
    overlap = max(0, min(stride, size // 2))
    windows: list[Window] = []
    current: Window = []
    used = 0
    for si, n in enumerate(lengths):
        if n == 0:
            continue
        if n > size:
            if current:
                windows.append(current)
                current, used = [], 0
            a = 0
            while True:
                b = min(a + size, n)
                windows.append([(si, a, b)])
                if b == n:
                    break
                a = b - overlap
            continue
        if used + n > size and current:
            windows.append(current)
            current, used = [], 0
        current.append((si, 0, n))
        used += n
    if current:
        windows.append(current)
    return windows


def resolve_windows(
    lengths: Sequence[int], windows: Sequence[Window], window_probs: Sequence[Any], n_labels: int
) -> list[Any]:
    """Per sentence, a (tokens x labels) array taking each token from the window where it is
    farthest from an edge (ties: the earlier window). ``window_probs[k]`` covers window k's
    content tokens in order."""
    import numpy as np

    probs = [np.zeros((n, n_labels), dtype=np.float32) for n in lengths]
    best = [np.full(n, -1, dtype=np.int64) for n in lengths]
    for win, wp in zip(windows, window_probs):
        total = sum(b - a for _s, a, b in win)
        pos = 0
        for si, a, b in win:
            k = np.arange(pos, pos + b - a)
            dist = np.minimum(k, total - 1 - k)
            take = dist > best[si][a:b]
            idx = np.nonzero(take)[0]
            if idx.size:
                probs[si][a + idx] = wp[pos + idx]
                best[si][a + idx] = dist[idx]
            pos += b - a
    for si, b in enumerate(best):
        if (b < 0).any():  # pragma: no cover - plan_windows covers every token
            raise AssertionError(f"sentence {si}: tokens not covered by any window")
    return probs


def aggregate_words(enc: Encoded, probs: Any, aggregation: str) -> list[tuple[int, int, int, float]]:
    """Per word: (start, end, label id, probability), in order; words with no characters are skipped."""
    out = []
    n = len(enc)
    i = 0
    while i < n:
        j = i + 1
        while j < n and enc.words[j] == enc.words[i]:
            j += 1
        spans = [s for s in enc.spans[i:j] if s[1] > s[0]]
        if spans:
            p = probs[i:j]
            if aggregation == "first":
                row = p[0]
            elif aggregation == "average":
                row = p.mean(axis=0)
            else:  # max
                row = p[int(p.max(axis=1).argmax())]
            lab = int(row.argmax())
            out.append((min(s[0] for s in spans), max(s[1] for s in spans), lab, float(row[lab])))
        i = j
    return out


def decode_entities(
    words: Sequence[tuple[int, int, int, float]],
    tags: Sequence[tuple[str, str | None]],
    type_map: Mapping[str, str | None],
) -> list[tuple[int, int, str, float]]:
    """B/I/E/S/O tags of words -> (start, end, our label, mean probability); lenient like seqeval's
    default mode (an I after O or after another type starts an entity)."""
    out: list[tuple[int, int, str, float]] = []
    cur: list[Any] | None = None  # [start, end, type, scores]

    def close() -> None:
        nonlocal cur
        if cur is not None:
            label = type_map.get(cur[2])
            if label:
                out.append((cur[0], cur[1], label, sum(cur[3]) / len(cur[3])))
            cur = None

    for start, end, lab, score in words:
        prefix, typ = tags[lab]
        if prefix == "O" or typ is None:
            close()
            continue
        if prefix in ("B", "S") or cur is None or cur[2] != typ:
            close()
            cur = [start, end, typ, [score]]
        else:
            cur[1] = end
            cur[3].append(score)
        if prefix in ("E", "S"):
            close()
    close()
    return out


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


# --- the recogniser -----------------------------------------------------------------------------


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    device: Any
    prefix: list[int]
    suffix: list[int]
    window: int
    pad_id: int
    extra: dict[str, Any] = field(default_factory=dict)


def _missing(exc: ImportError) -> ImportError:
    return ImportError(
        f"the 'transformers' recogniser needs torch and transformers ({exc}); "
        "install them with: pip install torch transformers (the CPU build of torch is enough)"
    )


def _model_limit(config: Any, tokenizer: Any) -> int | None:
    limits = []
    tml = getattr(tokenizer, "model_max_length", None)
    if isinstance(tml, int) and 0 < tml < 1_000_000:
        limits.append(tml)
    mpe = getattr(config, "max_position_embeddings", None)
    if isinstance(mpe, int) and mpe > 0:
        # RoBERTa-style models offset positions by padding_idx + 1.
        if getattr(config, "model_type", "") in ("roberta", "xlm-roberta", "camembert", "longformer", "xlm-roberta-xl"):
            mpe -= (getattr(config, "pad_token_id", 1) or 1) + 1
        limits.append(mpe)
    return min(limits) if limits else None


class TransformersNER:
    """A token-classification model as an entity recogniser (see the module docstring)."""

    def __init__(
        self,
        model: str,
        label_map: Mapping[str, str] | None = None,
        aggregation: str = "first",
        batch_size: int = 8,
        device: str = "cpu",
        fp16: bool = False,
        stride: int = 64,
        max_length: int | None = None,
        num_threads: int | None = None,
        local_files_only: bool = True,
    ) -> None:
        try:
            import transformers
            from transformers import AutoConfig
        except ImportError as exc:
            raise ConfigError(str(_missing(exc))) from None
        self.model_path = str(model)
        self.local_files_only = local_files_only
        try:
            config = AutoConfig.from_pretrained(self.model_path, local_files_only=local_files_only)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"transformers recogniser: cannot load model {self.model_path!r}: {exc}. Give a local model "
                "directory, or download the model id into the Hugging Face cache first "
                "(huggingface-cli download <id>); the pipeline itself never downloads."
            ) from None
        self._setup(config, label_map, aggregation, batch_size, device, fp16, stride, max_length)
        if num_threads is not None and int(num_threads) < 1:
            raise ConfigError(f"num_threads must be >= 1, got {num_threads}")
        self.num_threads = int(num_threads) if num_threads is not None else None
        self.version = f"{getattr(config, '_name_or_path', '') or self.model_path}; transformers {transformers.__version__}"
        self._loaded: _Loaded | None = None

    def _setup(self, config, label_map, aggregation, batch_size, device, fp16, stride, max_length) -> None:
        if aggregation not in AGGREGATIONS:
            raise ConfigError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
        if int(batch_size) < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        if int(stride) < 0:
            raise ConfigError(f"stride must be >= 0, got {stride}")
        dev = str(device)
        if not (dev == "cpu" or dev == "cuda" or dev.startswith("cuda:")):
            raise ConfigError(f"device must be cpu, cuda or cuda:N, got {device!r}")
        if fp16 and not dev.startswith("cuda"):
            raise ConfigError("fp16 = true needs a cuda device (half precision on CPU is slow and inexact)")
        if max_length is not None and int(max_length) < 3:
            raise ConfigError(f"max_length must be >= 3, got {max_length}")
        self.name = f"transformers:{Path(self.model_path.rstrip('/')).name or self.model_path}"
        self.aggregation = aggregation
        self.batch_size = int(batch_size)
        self.device_name = dev
        self.fp16 = bool(fp16)
        self.stride = int(stride)
        self.max_length = int(max_length) if max_length is not None else None
        id2label = {int(k): str(v) for k, v in (getattr(config, "id2label", None) or {}).items()}
        if not id2label:
            raise ConfigError(f"model {self.model_path!r} has no id2label in its config")
        self.tags = [parse_tag(id2label[i]) if i in id2label else ("O", None) for i in range(max(id2label) + 1)]
        types = sorted({t for _p, t in self.tags if t is not None})
        label_map = dict(label_map or {})
        unknown = sorted(set(label_map) - set(types))
        if unknown:
            raise ConfigError(f"label_map names entity types {unknown} that the model does not have (it has {types})")
        type_map: dict[str, str | None] = {}
        for t in types:
            target = label_map[t] if t in label_map else DEFAULT_ALIASES.get(t.upper(), DEFAULT_ALIASES.get(t))
            if target and target not in LABELS:
                raise ConfigError(f"label_map maps {t!r} to {target!r}, which is not one of {LABELS} (use \"\" to drop it)")
            type_map[t] = target or None
        self.type_map = type_map

    @classmethod
    def from_objects(cls, model: Any, tokenizer: Any, **kwargs: Any) -> TransformersNER:
        """Wrap an already loaded model and tokenizer (used by ``scripts/train/finetune_ner.py`` to
        evaluate during training through this exact code path). The model stays on its device."""
        import transformers

        self = cls.__new__(cls)
        self.model_path = str(getattr(model.config, "_name_or_path", "") or "in-memory")
        self.local_files_only = True
        self.num_threads = None
        kwargs.setdefault("device", "cuda" if next(model.parameters()).is_cuda else "cpu")
        args = dict(label_map=None, aggregation="first", batch_size=8, fp16=False, stride=64, max_length=None)
        args.update(kwargs)
        self._setup(model.config, args["label_map"], args["aggregation"], args["batch_size"], args["device"],
                    args["fp16"], args["stride"], args["max_length"])
        self.version = f"{self.model_path}; transformers {transformers.__version__}"
        self._loaded = self._prepare(model, tokenizer, next(model.parameters()).device)
        return self

    # -- loading ---------------------------------------------------------------------------------
    def _prepare(self, model: Any, tokenizer: Any, device: Any) -> _Loaded:
        prefix, suffix = special_affixes(tokenizer)
        limit = _model_limit(model.config, tokenizer)
        total = self.max_length if self.max_length is not None else limit
        if total is None:
            total = 512
        if limit is not None:
            total = min(total, limit)
        window = total - len(prefix) - len(suffix)
        if window < 1:
            raise ValueError(f"max_length {total} leaves no room for text after {len(prefix) + len(suffix)} special tokens")
        pad = getattr(tokenizer, "pad_token_id", None)
        return _Loaded(model, tokenizer, device, prefix, suffix, window, pad if pad is not None else 0)

    def _load(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        try:
            import torch
            from transformers import AutoModelForTokenClassification, AutoTokenizer
        except ImportError as exc:
            raise _missing(exc) from None
        if self.device_name.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"device {self.device_name!r} requested but torch sees no CUDA device; use device = \"cpu\"")
        device = torch.device(self.device_name)
        if self.num_threads is not None:
            # Process-wide; the runner's workers are separate processes. Several workers each
            # using every core slow each other down badly (measured 10x on a busy 2-core box).
            torch.set_num_threads(self.num_threads)
        tokenizer = AutoTokenizer.from_pretrained(self.model_path, local_files_only=self.local_files_only)
        model = AutoModelForTokenClassification.from_pretrained(self.model_path, local_files_only=self.local_files_only)
        model.to(device)
        if self.fp16:
            model.half()
        model.eval()
        self._loaded = self._prepare(model, tokenizer, device)
        return self._loaded

    # -- inference -------------------------------------------------------------------------------
    def _forward(self, ld: _Loaded, windows: list[list[int]]) -> list[Any]:
        import torch

        out: list[Any] = []
        was_training = ld.model.training
        ld.model.eval()
        try:
            with torch.inference_mode():
                for i in range(0, len(windows), self.batch_size):
                    batch = windows[i : i + self.batch_size]
                    width = max(len(w) for w in batch)
                    ids = torch.full((len(batch), width), ld.pad_id, dtype=torch.long)
                    mask = torch.zeros((len(batch), width), dtype=torch.long)
                    for r, w in enumerate(batch):
                        ids[r, : len(w)] = torch.tensor(w, dtype=torch.long)
                        mask[r, : len(w)] = 1
                    logits = ld.model(input_ids=ids.to(ld.device), attention_mask=mask.to(ld.device)).logits
                    probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                    for r, w in enumerate(batch):
                        out.append(probs[r, len(ld.prefix) : len(w) - len(ld.suffix)])
        finally:
            if was_training:
                ld.model.train()
        return out

    def predict(self, text: str, spans: Sequence[Span | tuple[int, int]]) -> list[tuple[int, int, str, float]]:
        """Entities as (start, end, label, score) in the given spans (sentences) of ``text``."""
        ld = self._load()
        encs = encode_spans(ld.tokenizer, text, spans)
        lengths = [len(e) for e in encs]
        windows = plan_windows(lengths, ld.window, self.stride)
        if not windows:
            return []
        inputs = [ld.prefix + [i for si, a, b in w for i in encs[si].ids[a:b]] + ld.suffix for w in windows]
        window_probs = self._forward(ld, inputs)
        probs = resolve_windows(lengths, windows, window_probs, len(self.tags))
        out = []
        for enc, p in zip(encs, probs):
            if not len(enc):
                continue
            for start, end, label, score in decode_entities(aggregate_words(enc, p, self.aggregation), self.tags, self.type_map):
                start, end = _trim(text, start, end)
                if end > start:
                    out.append((start, end, label, score))
        return out

    def __call__(self, doc: Document) -> list[Entity]:
        return [Entity(s, e, lab, source=self.name, score=round(sc, 4)) for s, e, lab, sc in self.predict(doc.text, doc.sentences)]
