"""Entity recognisers and how their outputs merge.

A recogniser is any callable ``(Document) -> list[Entity]`` with a ``name`` and ``version``;
it is registered under a factory name and picked by the config's ``[[recognizers]]`` list.

Merge precedence (documented, deterministic): recognisers run in config order and the list
order *is* the precedence. An entity is kept unless it overlaps an entity already kept from a
recogniser earlier in the list; within one recogniser, longer spans win, then earlier ones.
The default config lists the numeric rules first, so MONEY/PERCENT/DATE from the grammar win
over a statistical model's guess on the same characters, and the model wins everywhere else.
Entities outside the article body (boilerplate) are dropped unless the config asks otherwise.
Before the merge, an entity that spans layout whitespace is split at it (:func:`split_at_layout`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal, Protocol, get_args

from pipeline.config import ConfigError, registry
from pipeline.numeric import find_numeric
from pipeline.record import LABELS, Document, Entity, Span


class EntityRecognizer(Protocol):
    name: str
    version: str

    def __call__(self, doc: Document) -> list[Entity]: ...


# The languages a recogniser's ``langs`` may name: those of the documents that reach the
# recognisers (``und`` documents never do); "zh" is both scripts, as in [pipeline] langs.
RecognizerLang = Literal["ja", "zh", "zh-Hans", "zh-Hant"]
RECOGNIZER_LANGS: tuple[str, ...] = get_args(RecognizerLang)


class LangFiltered:
    """Runs a recogniser only on the languages it was built for (``langs``; empty or None: all)."""

    def __init__(self, inner: EntityRecognizer, langs: Sequence[str] | None) -> None:
        if langs and (isinstance(langs, str) or any(tag not in RECOGNIZER_LANGS for tag in langs)):
            raise ConfigError(f"langs must be a list of {', '.join(RECOGNIZER_LANGS)}, got {langs!r}")
        self.inner = inner
        expanded = {tag for lang in langs or () for tag in (("zh-Hans", "zh-Hant") if lang == "zh" else (lang,))}
        self.langs = frozenset(expanded) if expanded else None
        self.name = inner.name
        self.version = getattr(inner, "version", "")

    def applies_to(self, lang: str) -> bool:
        return self.langs is None or lang in self.langs

    def __call__(self, doc: Document) -> list[Entity]:
        return self.inner(doc) if self.applies_to(doc.lang) else []

    def batch(self, docs: Sequence[Document]) -> list[list[Entity]]:
        """Entities per document; the documents in this recogniser's languages go to the inner
        recogniser's ``batch`` together when it has one."""
        out: list[list[Entity]] = [[] for _ in docs]
        chosen = [k for k, d in enumerate(docs) if self.applies_to(d.lang)]
        inner_batch = getattr(self.inner, "batch", None)
        if inner_batch is not None and len(chosen) > 1:
            found = inner_batch([docs[k] for k in chosen])
        else:
            found = [self.inner(docs[k]) for k in chosen]
        for k, ents in zip(chosen, found):
            out[k] = ents
        return out


def merge(results: Sequence[list[Entity]]) -> list[Entity]:
    """Merge recogniser outputs, earlier lists taking precedence; returns sorted, non-overlapping."""
    # A bytearray marks taken characters: checking and marking cost the entity's length, so
    # the merge stays linear in the text even with 100,000 entities in one article.
    size = max((e.end for ents in results for e in ents), default=0)
    taken = bytearray(size)
    kept: list[Entity] = []
    for entities in results:
        for ent in sorted(entities, key=lambda e: (-(e.end - e.start), e.start)):
            if ent.end <= ent.start or ent.start < 0 or taken.find(1, ent.start, ent.end) != -1:
                continue
            taken[ent.start : ent.end] = b"\x01" * (ent.end - ent.start)
            kept.append(ent)
    kept.sort(key=lambda e: e.start)
    return kept


# Layout whitespace: a run of two or more whitespace characters (ASCII or full-width spaces used
# as column separators, as in "Xperia GX SO-04D　　　　HTC J") or any line or tab break. A single
# space, full-width or not, is a word space: Japanese names are written 北条　晶 (family name,
# U+3000, given name) and product names ＣＯＯＬＰＩＸ　Ｌ６１０, and those stay one entity.
LAYOUT_BREAK = re.compile(r"\s{2,}|[\n\r\t\v\f\x85\u2028\u2029]")


def split_at_layout(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """Entities never span layout whitespace: one that does is split at each break into the
    pieces between them (each trimmed of whitespace at its edges; empty pieces dropped). The
    pieces keep the label, source and score; a norm read across the break is dropped, and the
    normalise stage reads each MONEY / PERCENT / DATE piece again on its own."""
    out: list[Entity] = []
    for ent in entities:
        span = text[ent.start : ent.end]
        if LAYOUT_BREAK.search(span) is None:
            out.append(ent)
            continue
        breaks = [(ent.start + m.start(), ent.start + m.end()) for m in LAYOUT_BREAK.finditer(span)]
        starts = [ent.start] + [end for _, end in breaks]
        ends = [start for start, _ in breaks] + [ent.end]
        for a, b in zip(starts, ends):
            piece = text[a:b]
            stripped = piece.strip()
            if stripped:
                lead = len(piece) - len(piece.lstrip())
                out.append(replace(ent, start=a + lead, end=a + lead + len(stripped), norm=None))
    return out


def assign_sentences(entities: list[Entity], sentences: Sequence[Span]) -> None:
    """Set each entity's sentence index (the sentence holding its start), -1 if none."""
    starts = [s.start for s in sentences]
    for ent in entities:
        i = bisect.bisect_right(starts, ent.start) - 1
        ent.sentence = i if i >= 0 and ent.start < sentences[i].end else -1


def inside(entities: list[Entity], span: Span) -> list[Entity]:
    return [e for e in entities if e.start >= span.start and e.end <= span.end]


# --- recognisers -------------------------------------------------------------------------


class NumericRules:
    """MONEY, PERCENT and DATE from the deterministic grammar in ``pipeline.numeric``."""

    name = "rules:numeric"
    version = "3"

    def __call__(self, doc: Document) -> list[Entity]:
        if doc.lang not in ("ja", "zh-Hans", "zh-Hant"):
            return []
        spans = [(s.start, s.end) for s in doc.sentences]
        return [
            Entity(m.start, m.end, m.label, source=self.name, norm=dict(m.norm) if m.norm else None)
            for m in find_numeric(doc.text, doc.lang, published=doc.article.published, spans=spans)
        ]


# UniDic proper-noun subcategories -> our labels. This is a *baseline*: a dictionary lookup,
# not a model; it knows nothing about organisations or multi-word names.
_UNIDIC_LABELS = {
    ("固有名詞", "人名"): "PERSON",
    ("固有名詞", "地名", "国"): "GPE",
    ("固有名詞", "地名"): "LOC",
    ("固有名詞", "組織名"): "ORG",
}


def _unidic_label(features: tuple[str, ...]) -> str | None:
    if len(features) < 3 or features[0] != "名詞" or features[1] != "固有名詞":
        return None
    rest = features[1:]
    for key in sorted(_UNIDIC_LABELS, key=len, reverse=True):
        if rest[: len(key)] == key:
            return _UNIDIC_LABELS[key]
    return None


class UnidicProperNouns:
    """Baseline for ja: runs of UniDic proper-noun tokens of one class (姓+名 joined)."""

    name = "baseline:unidic-proper-nouns"
    version = "1"

    def __call__(self, doc: Document) -> list[Entity]:
        out: list[Entity] = []
        current: Entity | None = None
        for tok in doc.tokens:
            label = _unidic_label(tok.features)
            if label and current and current.label == label and current.end == tok.start:
                current.end = tok.end
                continue
            if current:
                out.append(current)
            current = Entity(tok.start, tok.end, label, source=self.name) if label else None
        if current:
            out.append(current)
        return out


class JiebaPosBaseline:
    """Baseline for zh: jieba.posseg tags nr/ns/nt (person/place/organisation). Not a model."""

    name = "baseline:jieba-posseg"
    version = "1"
    _TAGS = {"nr": "PERSON", "nrfg": "PERSON", "nrt": "PERSON", "ns": "LOC", "nt": "ORG"}

    def __init__(self) -> None:
        self._seg = None

    def __call__(self, doc: Document) -> list[Entity]:
        if self._seg is None:
            import logging

            import jieba
            import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            self._seg = jieba.posseg.POSTokenizer(jieba.Tokenizer())
        out = []
        for sent in doc.sentences:
            pos = sent.start
            for pair in self._seg.cut(doc.text[sent.start : sent.end]):
                word, flag = pair.word, pair.flag
                start = doc.text.find(word, pos, sent.end)
                if start < 0:
                    continue
                pos = start + len(word)
                label = self._TAGS.get(flag)
                if label and word.strip():
                    out.append(Entity(start, pos, label, source=self.name))
        return out




# The factories' annotations are the types a config must give (checked by pipeline.config.build).
@registry.recognizers.register("numeric")
def make_numeric(langs: Sequence[RecognizerLang] | None = None) -> LangFiltered:
    return LangFiltered(NumericRules(), langs)


@registry.recognizers.register("unidic_proper_nouns")
def make_unidic(langs: Sequence[RecognizerLang] | None = ("ja",)) -> LangFiltered:
    return LangFiltered(UnidicProperNouns(), langs)


@registry.recognizers.register("jieba_pos")
def make_jieba_pos(langs: Sequence[RecognizerLang] | None = ("zh-Hans", "zh-Hant")) -> LangFiltered:
    return LangFiltered(JiebaPosBaseline(), langs)


@registry.recognizers.register("spacy_ner")
def make_spacy_ner(
    model: str,
    model_lang: Literal["ja", "zh"],
    langs: Sequence[RecognizerLang] | None = None,
    second_network: bool = True,
    cascade_threshold: float | None = None,
    style_alpha: float | None = None,
) -> LangFiltered:
    # imported when configured: spaCy and the models' code take about two seconds to import, which a
    # pipeline without statistical recognisers (and every `shinbun` command but `run`) should not pay
    from pipeline.ner.spacy_ner import SpacyNER

    ner = SpacyNER(
        model, model_lang, second_network=second_network, cascade_threshold=cascade_threshold, style_alpha=style_alpha
    )
    return LangFiltered(ner, langs)


@registry.recognizers.register("transformers")
def make_transformers(model: str, langs: Sequence[RecognizerLang] | None = None, **kwargs) -> LangFiltered:
    # Optional backend (pip install shinbun[transformers]); the module imports no torch, and the
    # model is loaded on the first article, so the arguments are checked here, before any of it.
    import inspect

    from pipeline.config import check_types
    from pipeline.ner.transformers_ner import TransformersNER

    try:
        inspect.signature(TransformersNER).bind(model=model, **kwargs)
    except TypeError as exc:
        raise ConfigError(f"bad arguments for 'transformers': {exc}") from None
    check_types(TransformersNER.__init__, kwargs, "")
    return LangFiltered(TransformersNER(model=model, **kwargs), langs)


def check_labels(entities: list[Entity]) -> None:
    for e in entities:
        if e.label not in LABELS:
            raise ValueError(f"recogniser {e.source} produced unknown label {e.label!r}")
