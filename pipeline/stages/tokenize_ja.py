"""Japanese tokens from fugashi + unidic-lite, with code-point offsets.

MeCab skips whitespace between words and reports it as ``white_space`` before each word, so
the offsets are recovered by walking the text: leading whitespace, then the surface. The
tagger is created lazily (fugashi taggers cannot be pickled, so each worker makes its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import version as package_version

import fugashi
import unidic_lite  # noqa: F401  (the dictionary fugashi finds by default)

from pipeline.record import Span, Token


def _lemma(feature) -> str | None:
    # UniDic's `lemma` is katakana for many proper nouns (東京 -> トウキョウ); orthBase keeps
    # the written base form, which is what users expect to see.
    base = getattr(feature, "orthBase", None) or getattr(feature, "lemma", None)
    return None if base in (None, "*") else base


class FugashiTokenizer:
    """Tokenises Japanese text with fugashi and unidic-lite (MeCab under the hood)."""

    name = "fugashi"

    def __init__(self) -> None:
        self._tagger = None
        self._features: dict[str, tuple] = {}

    @property
    def version(self) -> str:
        # neither package has a __version__ attribute: the installed distributions' versions
        return f"fugashi {package_version('fugashi')} unidic-lite {package_version('unidic-lite')}"

    def _get_tagger(self):
        if self._tagger is None:
            self._tagger = fugashi.Tagger()
        return self._tagger

    def tokenize(self, text: str, spans: Iterable[Span]) -> list[Token]:
        """Tokens of ``text`` inside each span (sentences), in order, offsets into ``text``."""
        tagger = self._get_tagger()
        # Decoding a node's feature builds a namedtuple per token; the same raw feature string
        # recurs constantly in news text, so its decoded fields are cached by that string.
        cache = self._features
        tokens: list[Token] = []
        append = tokens.append
        for span in spans:
            pos = span.start
            for word in tagger(text[span.start : span.end]):
                surface = word.surface
                if not surface:
                    continue
                start = pos + len(word.white_space)
                if not text.startswith(surface, start):  # defensive: never emit a wrong offset
                    start = text.find(surface, pos, span.end)
                    if start < 0:
                        continue
                end = start + len(surface)
                raw = word.feature_raw
                info = cache.get(raw)
                if info is None:
                    f = word.feature
                    pos_path = tuple(p for p in (f.pos1, f.pos2, f.pos3, f.pos4) if p and p != "*")
                    reading = getattr(f, "kana", None)
                    info = ("-".join(pos_path), _lemma(f), None if reading in (None, "*", "") else reading, pos_path)
                    if len(cache) < 200_000:
                        cache[raw] = info
                append(Token(start, end, info[0], info[1], info[2], info[3]))
                pos = end
        return tokens
