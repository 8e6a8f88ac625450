"""Overview numbers of a records file, shared by ``shinbun stats`` and the HTML report.

``compute_stats(records)`` makes one streaming pass and returns a :class:`Stats`:

- ``records``: records read (one per non-blank line); ``articles`` (result records) + ``errors``
  (error records, including lines that could not be read as a record) = ``records``;
- ``characters``: code points of ``text`` over all articles; ``body_characters``: inside ``body``;
- ``languages``: articles per ``lang``; ``error_stages``: errors per ``error.stage``;
- ``mentions``: entity mentions; ``labels``: per label, ``mentions``, ``articles`` (articles with
  at least one mention) and ``entities`` (distinct cross-script entity keys);
- ``top``: per label, the most frequent entities (one per cross-script entity key, shown as its
  most frequent canonical-or-text form) ordered by articles, then mentions (both descending), then
  the form;
- ``invalid_entities``: entities dropped because their offsets were unusable.

Memory grows with the number of distinct (label, entity) pairs, not with the number of articles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pipeline.report.records import Record


class EntityCounter:
    """Mentions and articles per (label, cross-script entity key), counted while streaming records;
    an entity is shown as its most frequent form (canonical form, else text; ties: the first in
    code-point order), as the corpus views show it, so 騰訊 and 腾讯 are one row."""

    __slots__ = ("counts", "forms")

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], list[int]] = {}  # (label, key) -> [articles, mentions]
        self.forms: dict[tuple[str, str], Counter[str]] = {}

    def add(self, rec: Record) -> None:
        seen: set[tuple[str, str]] = set()
        for e in rec.entities:
            key = (e.label, e.script_key or e.key)
            c = self.counts.get(key)
            if c is None:
                c = self.counts[key] = [0, 0]
                self.forms[key] = Counter()
            c[1] += 1
            self.forms[key][e.key] += 1
            if key not in seen:
                seen.add(key)
                c[0] += 1

    def _shown(self) -> dict[tuple[str, str], tuple[str, int, int]]:
        return {k: (min(self.forms[k].items(), key=lambda kv: (-kv[1], kv[0]))[0], c[0], c[1])
                for k, c in self.counts.items()}

    def rows(self, by: str = "articles") -> list[tuple[str, str, int, int]]:
        """(label, entity, articles, mentions), by articles then mentions (both descending; ``by=
        "mentions"``: mentions first), then label, then entity."""
        rows = [(label, form, a, m) for (label, _), (form, a, m) in self._shown().items()]
        if by == "mentions":
            rows.sort(key=lambda r: (-r[3], -r[2], r[0], r[1]))
        else:
            rows.sort(key=lambda r: (-r[2], -r[3], r[0], r[1]))
        return rows

    def top(self, n: int) -> dict[str, list[dict[str, Any]]]:
        by_label: dict[str, list[tuple[str, int, int]]] = {}
        for (label, _), shown in self._shown().items():
            by_label.setdefault(label, []).append(shown)
        out = {}
        for label in sorted(by_label):
            items = sorted(by_label[label], key=lambda r: (-r[1], -r[2], r[0]))[:n]
            out[label] = [{"entity": t, "articles": a, "mentions": m} for t, a, m in items]
        return out


@dataclass
class Stats:
    records: int = 0
    articles: int = 0
    errors: int = 0
    characters: int = 0
    body_characters: int = 0
    mentions: int = 0
    invalid_entities: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    error_stages: dict[str, int] = field(default_factory=dict)
    labels: dict[str, dict[str, int]] = field(default_factory=dict)
    top: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records, "articles": self.articles, "errors": self.errors,
            "characters": self.characters, "body_characters": self.body_characters,
            "mentions": self.mentions, "invalid_entities": self.invalid_entities,
            "languages": self.languages, "error_stages": self.error_stages,
            "labels": self.labels, "top": self.top,
        }


class StatsBuilder:
    """Incremental :func:`compute_stats`: ``add`` each record, then ``result``."""

    def __init__(self, top: int = 10) -> None:
        self.n_top = top
        self.s = Stats()
        self.langs: Counter[str] = Counter()
        self.stages: Counter[str] = Counter()
        self.label_mentions: Counter[str] = Counter()
        self.label_articles: Counter[str] = Counter()
        self.entities = EntityCounter()

    def add(self, rec: Record) -> None:
        s = self.s
        s.records += 1
        if rec.error is not None:
            s.errors += 1
            self.stages[rec.error.get("stage", "?")] += 1
            return
        s.articles += 1
        s.characters += len(rec.text)
        s.body_characters += rec.body[1] - rec.body[0]
        s.mentions += len(rec.entities)
        s.invalid_entities += rec.invalid_entities
        self.langs[rec.lang] += 1
        labels = Counter(e.label for e in rec.entities)
        self.label_mentions.update(labels)
        self.label_articles.update(labels.keys())
        self.entities.add(rec)

    def result(self) -> Stats:
        s = self.s
        s.languages = dict(sorted(self.langs.items(), key=lambda kv: (-kv[1], kv[0])))
        s.error_stages = dict(sorted(self.stages.items(), key=lambda kv: (-kv[1], kv[0])))
        distinct = Counter(label for label, _ in self.entities.counts)
        s.labels = {
            label: {"mentions": m, "articles": self.label_articles[label], "entities": distinct[label]}
            for label, m in sorted(self.label_mentions.items(), key=lambda kv: (-kv[1], kv[0]))
        }
        s.top = self.entities.top(self.n_top)
        return s


def compute_stats(records: Iterable[Record], top: int = 10) -> Stats:
    b = StatsBuilder(top)
    for rec in records:
        b.add(rec)
    return b.result()


def stats_table(stats: Stats):
    """The overview as rich renderables (for ``shinbun stats``)."""
    from rich.table import Table
    from rich.text import Text  # record strings are plain text, never rich markup

    out = []
    t = Table(title="Corpus", show_header=False)
    t.add_column("what")
    t.add_column("n", justify="right")
    for name in ("records", "articles", "errors", "characters", "body_characters", "mentions"):
        t.add_row(name.replace("_", " "), f"{getattr(stats, name):,}")
    if stats.invalid_entities:
        t.add_row("invalid entities (dropped)", f"{stats.invalid_entities:,}")
    for lang, n in stats.languages.items():
        t.add_row(Text(f"lang {lang}"), f"{n:,}")
    for stage, n in stats.error_stages.items():
        t.add_row(Text(f"errors in {stage}"), f"{n:,}")
    out.append(t)
    if stats.labels:
        t = Table(title="Entities per label")
        for col in ("label", "mentions", "articles", "distinct"):
            t.add_column(col, justify="left" if col == "label" else "right")
        for label, c in stats.labels.items():
            t.add_row(Text(label), f"{c['mentions']:,}", f"{c['articles']:,}", f"{c['entities']:,}")
        out.append(t)
    if stats.top:
        t = Table(title="Top entities per label (by articles, then mentions)")
        for col in ("label", "entity", "articles", "mentions"):
            t.add_column(col, justify="left" if col in ("label", "entity") else "right")
        for label, items in stats.top.items():
            for i, it in enumerate(items):
                t.add_row(Text(label if i == 0 else ""), Text(it["entity"]), f"{it['articles']:,}", f"{it['mentions']:,}")
            t.add_section()
        out.append(t)
    return out
