"""The data that flows through the pipeline and the JSON record it becomes.

All offsets are code-point offsets into ``Article.text`` exactly as given, end exclusive
(Python ``str`` indexing). Nothing in the pipeline rewrites that text: stages report spans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "1.0"

LABELS = ("PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "MONEY", "PERCENT", "DATE")
LANGS = ("ja", "zh-Hans", "zh-Hant", "und")


@dataclass(slots=True)
class WebPage:
    """A web page as read (a WARC response, an ``.html`` file, a JSONL ``html`` field), before its
    text is extracted. The pipeline extracts it (:mod:`pipeline.io.html`) in the worker that
    analyses the article, so extraction runs in parallel like every other stage."""

    html: bytes | str  # str when the input already held decoded text (a JSONL ``html`` field)
    http_charset: str | None = None  # the charset of the HTTP Content-Type header
    capture_date: str | None = None  # the WARC-Date (when the page was crawled), ISO 8601


@dataclass(slots=True)
class Article:
    """One input article. ``position`` is its 0-based index in the input stream.

    An article read from a web page arrives with ``page`` set and an empty ``text``; extraction
    fills ``text``, ``title`` and ``published`` and clears ``page``. ``source`` is where the
    article came from (file, WARC record, charset, extractor), written as ``meta.source``."""

    id: str
    text: str
    title: str | None = None
    lang: str | None = None
    published: str | None = None
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    position: int = 0
    page: WebPage | None = None
    source: dict[str, Any] | None = None


@dataclass(slots=True)
class InputError:
    """A record that could not even be read as an article (broken JSON line, bad bytes...)."""

    id: str
    type: str
    message: str
    position: int = 0


@dataclass(slots=True, frozen=True)
class Span:
    start: int
    end: int


@dataclass(slots=True, frozen=True)
class Boilerplate:
    start: int
    end: int
    reason: str


@dataclass(slots=True, frozen=True)
class Token:
    start: int
    end: int
    pos: str = ""
    lemma: str | None = None
    reading: str | None = None
    # Extra analyser features (e.g. the full UniDic POS path) used by models, never serialised.
    features: tuple[str, ...] = ()


@dataclass(slots=True)
class Entity:
    start: int
    end: int
    label: str
    source: str
    score: float | None = None
    # Normalised values, filled by the normalise stage: MONEY/PERCENT value | value_min,value_max,
    # currency, qualifier, implicit_currency, value_note (why a value or currency is left out);
    # DATE value. See pipeline/numeric and docs/numbers.md.
    norm: dict[str, Any] | None = None
    sentence: int = -1
    cluster: int | None = None
    canonical: str | None = None


@dataclass(slots=True)
class Document:
    """The working state of one article as the stages fill it in."""

    article: Article
    lang: str = "und"
    body: Span | None = None
    boilerplate: list[Boilerplate] = field(default_factory=list)
    sentences: list[Span] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.article.text
