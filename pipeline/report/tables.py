"""Entity tables: one row per mention, or one row per entity (``shinbun entities``).

The output format follows the extension of the output path: ``.parquet``, ``.csv`` or ``.jsonl``
(``-`` writes CSV to standard output). Rows come out in input order (records in file order,
mentions in offset order), so the same records always give byte-identical CSV/JSONL files.
Error records have no mentions; mentions whose offsets are unusable are left out.

Mentions table (``shinbun entities RECORDS -o mentions.parquet``), one row per entity mention:

=============  ========  ===============================================================
column         type      meaning
=============  ========  ===============================================================
article_id     string    the record's ``id``
lang           string    the record's ``lang`` (ja, zh-Hans, zh-Hant, und)
label          string    PERSON, ORG, GPE, LOC, FAC, EVENT, PRODUCT, MONEY, PERCENT, DATE
text           string    the mention as written, ``text[start:end]``
start          int64     code-point offset into the record's ``text`` (0-based)
end            int64     end offset, exclusive
sentence       int64     index into the record's ``sentences`` (-1: outside every sentence)
cluster        int64     mentions of one entity in one article share it (empty if none)
canonical      string    the cluster's canonical form (empty if none)
value          string    ``norm.value``: exact decimal for MONEY/PERCENT, ISO 8601 for DATE
value_min      string    ``norm.value_min`` (lower end of a MONEY range)
value_max      string    ``norm.value_max`` (upper end of a MONEY range)
currency       string    ``norm.currency``, ISO 4217 (MONEY)
qualifier      string    ``norm.qualifier``: approx, over or under
source         string    which recogniser found it, e.g. rules:numeric, spacy:ner-ja
score          float64   the recogniser's confidence, when it gives one
value_note     string    ``norm.value_note``: why the value or currency is left out
amount         decimal   MONEY ``value`` as decimal128(38, 9) (``amount_min``/``amount_max``:
                         the ends of a range)
percent        decimal   PERCENT ``value`` (30 is 30 %; ``percent_min``/``percent_max``)
date_start     date32    DATE: the first day the value covers (2012-07 -> 2012-07-01)
date_end       date32    DATE: the last day it covers (2012-07 -> 2012-07-31)
date_granul.   string    ``date_granularity``: year, month or day
=============  ========  ===============================================================

Missing values are null in Parquet and JSONL, empty cells in CSV. ``value`` and its bounds stay
the record's exact strings; the typed columns beside them (:mod:`pipeline.io.typed`) are real
decimals and dates in Parquet and their exact text (``500000000``, ``2012-07-31``) in CSV and
JSONL, never floats. A value too long for decimal128(38, 9) has no typed column, never a rounded
one.

Aggregate table (``shinbun entities RECORDS --aggregate -o entities.csv``), one row per
(label, entity):

=========  ======  ==================================================================
column     type    meaning
=========  ======  ==================================================================
label      string  the entity label
entity     string  the mention's ``canonical`` form when it has one, else its ``text``
articles   int64   number of articles with at least one such mention
mentions   int64   number of mentions
=========  ======  ==================================================================

Sorted by articles, then mentions (both descending, as ``shinbun stats`` ranks its top entities),
then label, then entity; ``sort="mentions"`` puts mentions first. The mentions table streams
(Parquet is written in batches); the aggregate keeps one counter per distinct (label, entity) in
memory.

Filters (``shinbun entities --label ORG --lang ja --min-articles 2``): ``labels`` keeps the
mentions with one of these labels; ``langs`` keeps the articles in one of these languages (``zh``
matches ``zh-Hans`` and ``zh-Hant``); ``min_articles`` keeps the aggregate rows of entities seen in
at least that many articles.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from pipeline.io.atomic import replaced_on_success
from pipeline.io.typed import TYPED_ARROW, TYPED_COLUMNS, as_text, typed_values
from pipeline.report.records import Record
from pipeline.report.stats import EntityCounter

MENTION_COLUMNS = ("article_id", "lang", "label", "text", "start", "end", "sentence", "cluster", "canonical",
                   "value", "value_min", "value_max", "currency", "qualifier", "source", "score", "value_note",
                   *TYPED_COLUMNS)
AGGREGATE_COLUMNS = ("label", "entity", "articles", "mentions")
_INT_COLUMNS = {"start", "end", "sentence", "cluster", "articles", "mentions"}
FORMATS = (".parquet", ".csv", ".jsonl")
BATCH_ROWS = 8192


class OutputFormatError(ValueError):
    """An output path whose extension is not one of .parquet, .csv, .jsonl."""


def output_format(path: str | Path) -> str:
    if str(path) == "-":
        return ".csv"
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise OutputFormatError(f"unknown output format {suffix or '(none)'!r} for {path}: use .parquet, .csv or .jsonl")
    return suffix


def iter_mentions(records: Iterable[Record], typed: bool = True) -> Iterator[tuple[Any, ...]]:
    """One tuple per mention, in ``MENTION_COLUMNS`` order; the typed columns as Decimal and date
    (``typed``) or as their exact text."""
    for rec in records:
        if rec.error is not None:
            continue
        for e in rec.entities:
            values = typed_values(e.label, e.value, e.value_min, e.value_max)
            yield (rec.id, rec.lang, e.label, e.text, e.start, e.end, e.sentence, e.cluster, e.canonical,
                   e.value, e.value_min, e.value_max, e.currency, e.qualifier, e.source, e.score, e.value_note,
                   *(values if typed else as_text(values)))


SORTS = ("articles", "mentions")


def select(records: Iterable[Record], labels: Iterable[str] | None = None, langs: Iterable[str] | None = None) -> Iterator[Record]:
    """The articles (error records left out) in one of ``langs`` (a code or its prefix: ``zh``),
    each with only its mentions labelled one of ``labels``; None keeps everything."""
    label_set = frozenset(labels) if labels else None
    lang_list = tuple(langs) if langs else None
    for rec in records:
        if rec.error is not None:
            continue
        if lang_list is not None and not any(rec.lang == lang or rec.lang.startswith(lang + "-") for lang in lang_list):
            continue
        if label_set is not None:
            rec = replace(rec, entities=[e for e in rec.entities if e.label in label_set])
        yield rec


def aggregate_rows(records: Iterable[Record], sort: str = "articles", min_articles: int = 1) -> list[tuple[str, str, int, int]]:
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    counter = EntityCounter()
    for rec in records:
        if rec.error is None:
            counter.add(rec)
    return [r for r in counter.rows(by=sort) if r[2] >= min_articles]


def _arrow_schema(columns: tuple[str, ...], kinds: dict[str, str] | None = None):
    import pyarrow as pa

    types = {c: pa.int64() if c in _INT_COLUMNS else TYPED_ARROW.get(c, pa.string()) for c in columns}
    if "score" in types:
        types["score"] = pa.float64()
    for c, kind in (kinds or {}).items():
        types[c] = {"int": pa.int64(), "float": pa.float64()}[kind]
    return pa.schema([(c, types[c]) for c in columns])


def write_rows(rows: Iterable[tuple[Any, ...]], columns: tuple[str, ...], path: str | Path,
               kinds: dict[str, str] | None = None) -> int:
    """Write ``rows`` (tuples in ``columns`` order) to ``path`` (format by extension); ``kinds``
    names the columns that are ``int`` or ``float`` beyond the mention table's. Returns the row count."""
    return _write(rows, columns, path, kinds)


def _write(rows: Iterable[tuple[Any, ...]], columns: tuple[str, ...], path: str | Path,
           kinds: dict[str, str] | None = None) -> int:
    if str(path) == "-":
        return _write_to(rows, columns, path, kinds, output_format(path))
    with replaced_on_success(path) as tmp:
        return _write_to(rows, columns, tmp, kinds, output_format(path))


def _write_to(rows: Iterable[tuple[Any, ...]], columns: tuple[str, ...], path: str | Path,
           kinds: dict[str, str] | None, fmt: str) -> int:
    n = 0
    if fmt == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = _arrow_schema(columns, kinds)
        with pq.ParquetWriter(str(path), schema) as writer:
            batch: list[tuple[Any, ...]] = []

            def flush() -> None:
                cols = list(zip(*batch)) if batch else [[] for _ in columns]
                writer.write_batch(pa.record_batch([pa.array(list(c), type=schema.field(i).type) for i, c in enumerate(cols)], schema=schema))
                batch.clear()

            for row in rows:
                batch.append(row)
                n += 1
                if len(batch) >= BATCH_ROWS:
                    flush()
            if batch or n == 0:
                flush()
        return n
    if fmt == ".jsonl":
        with open(path, "wb") as fh:
            for row in rows:
                fh.write(orjson.dumps(dict(zip(columns, row))) + b"\n")
                n += 1
        return n
    fh = sys.stdout if str(path) == "-" else open(path, "w", encoding="utf-8", newline="")
    try:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
            n += 1
    finally:
        if fh is not sys.stdout:
            fh.close()
    return n


def write_mentions(records: Iterable[Record], path: str | Path) -> int:
    """Write the mentions table to ``path`` (format by extension); returns the number of rows."""
    fmt = output_format(path)  # fail before reading anything
    return _write(iter_mentions(records, typed=fmt == ".parquet"), MENTION_COLUMNS, path)


def write_aggregate(records: Iterable[Record], path: str | Path, sort: str = "articles", min_articles: int = 1) -> int:
    """Write the per-entity table to ``path`` (format by extension); returns the number of rows."""
    output_format(path)
    return _write(aggregate_rows(records, sort, min_articles), AGGREGATE_COLUMNS, path)
