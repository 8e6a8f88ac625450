"""Corpus-wide questions over records: entities over time, who appears with whom, keyword in context.

Every count here is by entity: a (label, key) pair, where ``key`` is the record's cross-script key
(:mod:`pipeline.stages.entity_key`: 騰訊 and 腾讯 are one entity), optionally merged further by a
user alias file (:class:`Aliases`). The ``entity`` column shows the entity's most frequent form
(canonical form, else text; ties: the first in code-point order).

- Time (:func:`timeline_rows`, ``shinbun entities --by``): articles and mentions per entity and
  day, week (starting Monday) or month, by the date in the record's ``published``
  (``YYYY-MM-DD...``; anything else is no date). ``--by auto`` picks the bucket from the corpus's
  span (:func:`choose_period`). Articles without a date are counted in a row whose ``bucket`` is
  empty, never dropped.
- Co-occurrence (:func:`cooccur_rows`, ``shinbun cooccur``): pairs of entities by the number of
  articles that mention both (and of sentences that do), with lift =
  ``articles * N / (articles_a * articles_b)`` (N: articles in the corpus) and PMI = log2(lift).
- Keyword in context (:func:`kwic_rows`, ``shinbun kwic``): an entity's mentions with the text to
  their left and right, the article id and date.

All of it is computed here straight from records in one streaming pass, or by
:mod:`pipeline.report.db` with SQL from a DuckDB file; both give the same rows. Memory here grows
with the number of distinct entities, (entity, day) pairs and, for co-occurrence, the entity pairs
and one small integer array per article; for very large corpora load a DuckDB file
(``shinbun db``), whose queries spill to disk.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pipeline.report.records import Record
from pipeline.stages.entity_key import entity_key, query_keys

NUMERIC_LABELS = frozenset({"MONEY", "PERCENT", "DATE"})
PERIODS = ("day", "week", "month")
TIMELINE_COLUMNS = ("label", "key", "entity", "period", "bucket", "articles", "mentions")
COOCCUR_COLUMNS = ("label_a", "key_a", "entity_a", "label_b", "key_b", "entity_b", "articles", "sentences",
                   "articles_a", "articles_b", "lift", "pmi")
KWIC_COLUMNS = ("article_id", "published", "lang", "label", "key", "left", "text", "right", "start", "end", "sentence")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?![0-9])")
_CONTROL = str.maketrans({"\n": " ", "\r": " ", "\t": " "})


class AliasError(ValueError):
    """An alias file that cannot be read as ``form<TAB>key`` lines."""


def published_date(published: str | None) -> date | None:
    """The calendar date a ``published`` value starts with (``2024-03-05``, ``2024-03-05T09:00+09:00``
    -> 2024-03-05, the date as written); None when it has none (``2024-03``, ``昨日``, an impossible date)."""
    m = _DATE.match(published or "")
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def choose_period(first: date | None, last: date | None) -> str:
    """The bucket for a corpus dated from ``first`` to ``last``: day up to 62 days, week up to
    two years (731 days), month beyond (at most ~100 buckets up to eight years)."""
    if first is None or last is None:
        return "month"
    span = (last - first).days
    return "day" if span <= 62 else "week" if span <= 731 else "month"


def bucket_start(d: date, period: str) -> date:
    """The first day of the bucket ``d`` falls in (weeks start on Monday, as ISO weeks and DuckDB's date_trunc)."""
    if period == "day":
        return d
    if period == "week":
        return d - timedelta(days=d.weekday())
    if period == "month":
        return d.replace(day=1)
    raise ValueError(f"unknown period {period!r}: use day, week or month")


class Aliases:
    """User aliases: a TSV file of ``form<TAB>key`` lines (``#`` starts a comment line, blank lines
    are skipped), e.g. ``テンセント<TAB>腾讯``. Both sides are folded like entity keys (the form as
    Japanese and as Chinese, the key as Chinese), so 騰訊 and 腾讯 name the same key. An entity
    whose key is a listed form is counted under the alias's key. Aliases do not chain: the key on
    the right is used as it is. A form listed twice with different keys is an error."""

    def __init__(self, mapping: dict[str, str] | None = None, source: str = "") -> None:
        self.mapping: dict[str, str] = dict(mapping or {})
        self.source = source

    @classmethod
    def load(cls, path: str | Path | None) -> Aliases:
        if path is None:
            return cls()
        mapping: dict[str, str] = {}
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise AliasError(f"cannot read alias file {path}: {exc}") from exc
        for n, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = [c.strip() for c in line.split("\t")]
            if len(cols) != 2 or not cols[0] or not cols[1]:
                raise AliasError(f"{path}:{n}: expected two tab-separated columns (form, key), got {line!r}")
            target = entity_key(cols[1], "zh")
            for form in query_keys(cols[0]):
                if mapping.get(form, target) != target:
                    raise AliasError(f"{path}:{n}: {cols[0]!r} is already an alias of {mapping[form]!r}")
                if form != target:
                    mapping[form] = target
        return cls(mapping, str(path))

    def __call__(self, key: str) -> str:
        return self.mapping.get(key, key)

    def __bool__(self) -> bool:
        return bool(self.mapping)


def score(articles: int, articles_a: int, articles_b: int, n_articles: int) -> tuple[float, float]:
    """(lift, PMI in bits), rounded to 6 decimals, of a pair seen together in ``articles`` of
    ``n_articles``, each alone in ``articles_a`` and ``articles_b``."""
    lift = articles * n_articles / (articles_a * articles_b)
    return round(lift, 6), round(math.log2(lift), 6)


def best_form(forms: Counter[str]) -> str:
    """The most frequent form; ties: the first in code-point order."""
    return min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def cooccur_sort_key(row: Sequence[Any]) -> tuple[Any, ...]:
    """Pairs by shared articles (descending), then PMI (descending), then labels and keys."""
    return (-row[6], -row[11], row[0], row[1], row[3], row[4])


@dataclass
class CorpusIndex:
    """What one pass over records leaves for the corpus questions (see the module docstring).

    ``ids`` numbers the entities (label, key) in order of first mention; ``day_counts`` maps
    (entity, day ordinal or -1 for no date) to [articles, mentions]; ``article_ents`` and
    ``sentence_ents`` (only with ``pairs=True``) hold each article's distinct entities and
    (sentence, entity) pairs; ``kwic`` the first ``kwic_per_entity`` KWIC rows per entity.
    """

    aliases: Aliases = field(default_factory=Aliases)
    pairs: bool = True
    kwic_per_entity: int = 0
    kwic_width: int = 30
    n_articles: int = 0
    n_dated: int = 0
    first: date | None = None
    last: date | None = None
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    labels_keys: list[tuple[str, str]] = field(default_factory=list)
    forms: list[Counter[str]] = field(default_factory=list)
    articles: list[int] = field(default_factory=list)
    mentions: list[int] = field(default_factory=list)
    day_counts: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    article_ents: list[array] = field(default_factory=list)
    sentence_ents: list[array] = field(default_factory=list)
    kwic: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)

    def entity(self, i: int) -> tuple[str, str, str]:
        """(label, key, entity) of entity ``i``."""
        label, key = self.labels_keys[i]
        return label, key, best_form(self.forms[i])


    def add(self, rec: Record) -> None:
        if rec.error is not None:
            return
        self.n_articles += 1
        d = published_date(rec.published)
        day = -1
        if d is not None:
            self.n_dated += 1
            day = d.toordinal()
            self.first = d if self.first is None or d < self.first else self.first
            self.last = d if self.last is None or d > self.last else self.last
        per_article: dict[int, int] = {}
        sents: set[tuple[int, int]] = set()
        for e in rec.entities:
            k = (e.label, self.aliases(e.script_key))
            i = self.ids.get(k)
            if i is None:
                i = self.ids[k] = len(self.forms)
                self.labels_keys.append(k)
                self.forms.append(Counter())
                self.articles.append(0)
                self.mentions.append(0)
            self.forms[i][e.key] += 1
            self.mentions[i] += 1
            per_article[i] = per_article.get(i, 0) + 1
            if e.sentence is not None and e.sentence >= 0:
                sents.add((e.sentence, i))
            if self.kwic_per_entity:
                lines = self.kwic.setdefault(i, [])
                if len(lines) < self.kwic_per_entity:
                    lines.append(kwic_row(rec, e, k[1], self.kwic_width))
        for i, n in per_article.items():
            self.articles[i] += 1
            c = self.day_counts.get((i, day))
            if c is None:
                c = self.day_counts[(i, day)] = [0, 0]
            c[0] += 1
            c[1] += n
        if self.pairs:
            self.article_ents.append(array("i", sorted(per_article)))
            self.sentence_ents.append(array("i", [x for s in sorted(sents) for x in s]))

    def period(self, by: str) -> str:
        return choose_period(self.first, self.last) if by == "auto" else by


def build_index(records: Iterable[Record], *, aliases: Aliases | None = None, pairs: bool = True,
                kwic_per_entity: int = 0, kwic_width: int = 30) -> CorpusIndex:
    index = CorpusIndex(aliases=aliases or Aliases(), pairs=pairs, kwic_per_entity=kwic_per_entity, kwic_width=kwic_width)
    for rec in records:
        index.add(rec)
    return index


def timeline_rows(index: CorpusIndex, by: str = "auto") -> list[tuple[Any, ...]]:
    """``TIMELINE_COLUMNS`` rows: entities by articles (descending), then label and key; per
    entity its buckets in date order, the no-date row (empty ``bucket``) last."""
    period = index.period(by)
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}: use auto, day, week or month")
    per: dict[tuple[int, date | None], list[int]] = {}
    for (i, day), (arts, ments) in index.day_counts.items():
        b = None if day < 0 else bucket_start(date.fromordinal(day), period)
        c = per.setdefault((i, b), [0, 0])
        c[0] += arts
        c[1] += ments
    order = sorted(range(len(index.forms)), key=lambda i: (-index.articles[i], *index.labels_keys[i]))
    rank = {i: r for r, i in enumerate(order)}
    rows = []
    for (i, b), (arts, ments) in sorted(per.items(), key=lambda kv: (rank[kv[0][0]], kv[0][1] is None, kv[0][1] or date.min)):
        label, key, ent = index.entity(i)
        rows.append((label, key, ent, period, b.isoformat() if b else None, arts, ments))
    return rows


def _pair_counts(index: CorpusIndex, keep: Sequence[bool], only: set[int] | None) -> tuple[Counter[int], Counter[int]]:
    """Article and sentence counts per pair, a pair (a < b) encoded as ``a * n + b``."""
    n = len(index.forms)
    arts: Counter[int] = Counter()
    sents: Counter[int] = Counter()

    def pairs_of(ids: list[int]) -> Iterator[int]:
        for x, a in enumerate(ids):
            for b in ids[x + 1:]:
                if only is None or a in only or b in only:
                    yield a * n + b

    for ents, sent in zip(index.article_ents, index.sentence_ents, strict=True):
        arts.update(pairs_of([i for i in ents if keep[i]]))
        by_sentence: dict[int, list[int]] = {}
        for sn, i in zip(sent[::2], sent[1::2], strict=True):
            if keep[i]:
                by_sentence.setdefault(sn, []).append(i)
        for ids in by_sentence.values():
            sents.update(pairs_of(ids))  # (sentence, entity) pairs are sorted and distinct
    return arts, sents


def cooccur_rows(index: CorpusIndex, *, min_count: int = 2, labels: Sequence[str] | None = None,
                 entity: str | None = None, ids: set[int] | None = None) -> list[tuple[Any, ...]]:
    """``COOCCUR_COLUMNS`` rows for the entity pairs that share at least ``min_count`` articles.

    ``labels``: only entities with these labels (default: all but MONEY, PERCENT and DATE);
    ``entity``: only pairs with an entity of that key (as typed: folded like keys, aliases
    applied); ``ids``: only pairs with one of these entity numbers. Sorted by :func:`cooccur_sort_key`."""
    if not index.pairs:
        raise ValueError("this index was built without pairs")
    lk = index.labels_keys
    keep = [(lab in labels) if labels else (lab not in NUMERIC_LABELS) for lab, _ in lk]
    only = ids
    if entity is not None:
        wanted = {index.aliases(k) for k in query_keys(entity)}
        only = {i for i, (_, k) in enumerate(lk) if k in wanted}
    arts, sents = _pair_counts(index, keep, only)
    n = len(index.forms)
    rows = []
    for p, c in arts.items():
        if c < min_count:
            continue
        a, b = divmod(p, n)
        if lk[b] < lk[a]:
            a, b = b, a
        la, ka, ea = index.entity(a)
        lb, kb, eb = index.entity(b)
        lift, pmi = score(c, index.articles[a], index.articles[b], index.n_articles)
        rows.append((la, ka, ea, lb, kb, eb, c, sents.get(p, 0), index.articles[a], index.articles[b], lift, pmi))
    rows.sort(key=cooccur_sort_key)
    return rows


def kwic_row(rec: Record, e: Any, key: str, width: int) -> tuple[Any, ...]:
    """One ``KWIC_COLUMNS`` row; left and right context are ``width`` code points of the text
    (fewer at its edges), line breaks and tabs shown as spaces."""
    text = rec.text
    left = text[max(0, e.start - width):e.start].translate(_CONTROL)
    right = text[e.end:e.end + width].translate(_CONTROL)
    d = published_date(rec.published)
    return (rec.id, d.isoformat() if d else None, rec.lang, e.label, key, left, text[e.start:e.end], right,
            e.start, e.end, e.sentence)


def kwic_rows(records: Iterable[Record], key: str, *, aliases: Aliases | None = None, width: int = 30,
              labels: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
    """The mentions of the entity ``key`` (as typed: folded like keys, aliases applied) as
    ``KWIC_COLUMNS`` rows, by date (no date last), then input order, then offset."""
    aliases = aliases or Aliases()
    wanted = {aliases(k) for k in query_keys(key)}
    rows = []
    for seq, rec in enumerate(records):
        if rec.error is not None:
            continue
        for e in rec.entities:
            k = aliases(e.script_key)
            if k in wanted and (not labels or e.label in labels):
                rows.append((seq, kwic_row(rec, e, k, width)))
    rows.sort(key=lambda r: (r[1][1] is None, r[1][1] or "", r[0], r[1][8]))
    return [r for _, r in rows]
