"""Chinese tokens from jieba, with code-point offsets.

jieba was chosen over spacy-pkuseg after measuring both (scripts/compare_zh_segmenters.py):
see the numbers in that script's docstring. jieba's `tokenize` already reports offsets into
the string it was given, so offsets are exact by construction.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.record import Span, Token


class JiebaTokenizer:
    """Segments Chinese with jieba (default mode, HMM for unknown words)."""

    name = "jieba"

    def __init__(self, hmm: bool = True) -> None:
        self.hmm = hmm
        self._tok = None

    @property
    def version(self) -> str:
        import jieba

        return f"jieba {jieba.__version__}"

    def _get(self):
        if self._tok is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            self._tok = tok
        return self._tok

    def tokenize(self, text: str, spans: Iterable[Span]) -> list[Token]:
        tok = self._get()
        tokens: list[Token] = []
        for span in spans:
            chunk = text[span.start : span.end]
            for word, start, end in tok.tokenize(chunk, HMM=self.hmm):
                if word.isspace():
                    continue
                tokens.append(Token(start=span.start + start, end=span.start + end))
        return tokens
