"""Records -> a DuckDB file (``shinbun db``), and the corpus questions answered from it with SQL.

The database is embedded (one file, no server). Records are read in a stream and inserted in
batches of :data:`BATCH_RECORDS` through pyarrow, so Python memory does not grow with the corpus;
DuckDB keeps its buffers under ``memory_limit`` and spills to disk beyond it, so the peak memory
of a load levels off once the database outgrows the limit (scripts/bench/bench_corpus.py). Tables (docs/corpus.md
has example SQL):

- ``articles``: one row per result record, ``seq`` (input order over all files, from 0),
  ``article_id``, ``lang``, ``title``, ``url``, ``published`` (as written), ``published_date``
  (DATE, :func:`pipeline.report.corpus.published_date`; NULL when there is no date), ``chars``,
  ``mentions``, ``text``;
- ``errors``: one row per error record;
- ``sentences`` (``--sentences``): ``seq``, ``sentence``, ``start``, ``end``;
- ``mentions``: one row per entity mention, with the entity ``key`` (aliases applied) and the
  record's ``record_key``, ``form`` (canonical else text), the normalised value as written
  (``value``) and typed: ``amount``/``amount_min``/``amount_max`` DECIMAL(38,10) for MONEY and
  PERCENT, ``value_date`` DATE for a DATE with a full ``YYYY-MM-DD``; a value that DECIMAL(38,10)
  cannot hold exactly is left NULL (the string stays in ``value``);
- ``clusters``: one row per (article, cluster) with its canonical form, key and mention count;
- ``entity_articles``: one row per (article, entity) with the mention count and the date: the
  table the time and co-occurrence questions read, sorted by (key, label, seq) like ``mentions``
  so that a filter on ``key`` reads few row groups;
- ``entities``: one row per entity (label, key) with its most frequent form, articles, mentions;
- ``aliases``: the alias file's (folded) form -> key pairs that were applied;
- ``corpus``: one row: articles, dated articles, first and last date, the period ``--by auto``
  picks, the alias file.

Views: ``entity_timeline`` (by the chosen period) and ``entity_timeline_day/_week/_month``,
``cooccurrence`` (article-level pairs with lift and PMI), ``sentence_cooccurrence``; the table
macro ``kwic(key, width)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.io.atomic import replaced_on_success
from pipeline.io.typed import exact_decimal
from pipeline.report.corpus import (
    NUMERIC_LABELS,
    PERIODS,
    Aliases,
    choose_period,
    cooccur_sort_key,
    published_date,
    score,
)
from pipeline.report.records import Record
from pipeline.stages.entity_key import query_keys

BATCH_RECORDS = 2000
DECIMAL = pa.decimal128(38, 10)

ARTICLES = pa.schema([("seq", pa.int64()), ("article_id", pa.string()), ("lang", pa.string()), ("title", pa.string()),
                      ("url", pa.string()), ("published", pa.string()), ("published_date", pa.date32()),
                      ("chars", pa.int32()), ("mentions", pa.int32()), ("text", pa.string())])
ERRORS = pa.schema([("seq", pa.int64()), ("article_id", pa.string()), ("stage", pa.string()), ("type", pa.string()),
                    ("message", pa.string())])
SENTENCES = pa.schema([("seq", pa.int64()), ("sentence", pa.int32()), ("start", pa.int32()), ("end", pa.int32())])
MENTIONS = pa.schema([
    ("seq", pa.int64()), ("article_id", pa.string()), ("published_date", pa.date32()), ("lang", pa.string()),
    ("label", pa.string()), ("key", pa.string()), ("record_key", pa.string()), ("form", pa.string()),
    ("text", pa.string()), ("start", pa.int32()), ("end", pa.int32()), ("sentence", pa.int32()),
    ("cluster", pa.int32()), ("canonical", pa.string()), ("value", pa.string()), ("amount", DECIMAL),
    ("amount_min", DECIMAL), ("amount_max", DECIMAL), ("value_date", pa.date32()), ("currency", pa.string()),
    ("qualifier", pa.string()), ("source", pa.string()), ("score", pa.float64()),
])


class NotADatabase(ValueError):
    """A path given as a DuckDB file that is not one."""


def is_duckdb(path: str | Path) -> bool:
    """True when ``path`` is a DuckDB database file (its header carries ``DUCK`` at byte 8)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return head[8:12] == b"DUCK"


def _decimal(s: str | None) -> Decimal | None:
    """``s`` as an exact DECIMAL(38,10) value, or None when it is not one."""
    return exact_decimal(s, scale=10)


def _iso_date(s: str | None) -> date | None:
    return published_date(s) if s is not None and len(s) == 10 else None


class _Batch:
    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.cols: list[list[Any]] = [[] for _ in schema]

    def add(self, *row: Any) -> None:
        for col, v in zip(self.cols, row, strict=True):
            col.append(v)

    def flush(self, con, table: str) -> None:
        if not self.cols[0]:
            return
        batch = pa.table([pa.array(c, type=f.type) for c, f in zip(self.cols, self.schema, strict=True)], schema=self.schema)
        con.register("_batch", batch)
        con.execute(f"INSERT INTO {table} SELECT * FROM _batch")
        con.unregister("_batch")
        self.cols = [[] for _ in self.schema]


def _create(con, name: str, schema: pa.Schema) -> None:
    con.register("_empty", schema.empty_table())
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM _empty")
    con.unregister("_empty")


def load(records: Iterable[Record], path: str | Path, *, aliases: Aliases | None = None, sentences: bool = False,
         memory_limit: str = "512MB", threads: int | None = None) -> dict[str, Any]:
    """Write ``records`` into a new DuckDB file at ``path`` (an existing file is replaced);
    returns the ``corpus`` row as a dict."""
    import duckdb

    aliases = aliases or Aliases()
    final = Path(path)
    with replaced_on_success(final) as tmp:  # the old file stays until the new one is complete
        wal = tmp.with_name(tmp.name + ".wal")
        try:
            try:
                con = duckdb.connect(str(tmp))
            except duckdb.Error as exc:
                raise DatabaseError(f"cannot write {final}: {exc}") from None
            corpus = _load(con, records, aliases, sentences, memory_limit, threads)
        finally:
            wal.unlink(missing_ok=True)
        for name in {final, Path(os.path.realpath(final))}:  # a stale log of the file replaced
            name.with_name(name.name + ".wal").unlink(missing_ok=True)
    return corpus


class DatabaseError(ValueError):
    """A database that cannot be written as asked (its folder, a bad --memory-limit)."""


def _load(con, records: Iterable[Record], aliases: Aliases, sentences: bool, memory_limit: str,
          threads: int | None) -> dict[str, Any]:
    import duckdb

    try:
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        except duckdb.Error as exc:
            raise DatabaseError(f"--memory-limit {memory_limit!r}: {str(exc).splitlines()[0]}") from None
        con.execute("SET preserve_insertion_order = true")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        _create(con, "articles", ARTICLES)
        _create(con, "errors", ERRORS)
        _create(con, "mentions_in", MENTIONS)
        if sentences:
            _create(con, "sentences", SENTENCES)
        arts, errs, ments, sents = _Batch(ARTICLES), _Batch(ERRORS), _Batch(MENTIONS), _Batch(SENTENCES)
        n = 0

        def flush() -> None:
            arts.flush(con, "articles")
            errs.flush(con, "errors")
            ments.flush(con, "mentions_in")
            if sentences:
                sents.flush(con, "sentences")

        for seq, rec in enumerate(records):
            if rec.error is not None:
                errs.add(seq, rec.id, rec.error.get("stage"), rec.error.get("type"), rec.error.get("message"))
            else:
                d = published_date(rec.published)
                arts.add(seq, rec.id, rec.lang, rec.title, rec.url, rec.published, d, len(rec.text), len(rec.entities), rec.text)
                for e in rec.entities:
                    ments.add(seq, rec.id, d, rec.lang, e.label, aliases(e.script_key), e.script_key, e.key, e.text,
                              e.start, e.end, e.sentence, e.cluster, e.canonical, e.value,
                              *((_decimal(e.value), _decimal(e.value_min), _decimal(e.value_max))
                                if e.label not in ("DATE",) else (None, None, None)),
                              _iso_date(e.value) if e.label == "DATE" else None,
                              e.currency, e.qualifier, e.source, e.score)
                if sentences:
                    for i, (s, t) in enumerate(rec.sentences):
                        sents.add(seq, i, s, t)
            n += 1
            if n % BATCH_RECORDS == 0:
                flush()
        flush()
        _finish(con, aliases)
        row = con.execute("SELECT * FROM corpus").fetchone()
        names = [d[0] for d in con.description]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return dict(zip(names, row, strict=True))


def _finish(con, aliases: Aliases) -> None:
    """Sorted tables, derived tables and views, once every record is in."""
    con.execute("CREATE TABLE mentions AS SELECT * FROM mentions_in ORDER BY key, label, seq, start")
    con.execute("DROP TABLE mentions_in")
    con.execute("""CREATE TABLE entity_articles AS
        SELECT key, label, seq, any_value(published_date) AS published_date, count(*)::INTEGER AS mentions
        FROM mentions GROUP BY key, label, seq ORDER BY key, label, seq""")
    con.execute("""CREATE TABLE clusters AS
        SELECT seq, any_value(article_id) AS article_id, cluster, label, any_value(canonical) AS canonical,
               any_value(key) AS key, count(*)::INTEGER AS mentions
        FROM mentions WHERE cluster IS NOT NULL GROUP BY seq, cluster, label ORDER BY seq, cluster, label""")
    con.execute("""CREATE TABLE entities AS
        WITH forms AS (SELECT label, key, form, count(*) AS n FROM mentions GROUP BY ALL),
        best AS (SELECT label, key, form FROM forms
                 QUALIFY row_number() OVER (PARTITION BY label, key ORDER BY n DESC, form) = 1)
        SELECT b.label, b.key, b.form AS entity, t.articles, t.mentions
        FROM best b JOIN (SELECT label, key, count(*) AS articles, sum(mentions)::BIGINT AS mentions
                          FROM entity_articles GROUP BY label, key) t USING (label, key)
        ORDER BY t.articles DESC, b.label, b.key""")
    first, last, n, dated = con.execute(
        "SELECT min(published_date), max(published_date), count(*), count(published_date) FROM articles").fetchone()
    period = choose_period(first, last)
    con.execute("CREATE TABLE aliases (form VARCHAR, key VARCHAR)")
    if aliases:
        con.executemany("INSERT INTO aliases VALUES (?, ?)", sorted(aliases.mapping.items()))
    con.execute("CREATE TABLE corpus AS SELECT ?::BIGINT AS articles, ?::BIGINT AS dated_articles, ?::DATE AS first_date, "
                "?::DATE AS last_date, ?::VARCHAR AS period, ?::VARCHAR AS aliases",
                [n, dated, first, last, period, aliases.source or None])
    for p in PERIODS:
        con.execute(f"""CREATE VIEW entity_timeline_{p} AS
            SELECT label, key, '{p}' AS period, date_trunc('{p}', published_date)::DATE AS bucket,
                   count(*) AS articles, sum(mentions)::BIGINT AS mentions
            FROM entity_articles GROUP BY ALL""")
    con.execute(f"CREATE VIEW entity_timeline AS SELECT * FROM entity_timeline_{period}")
    pair = """SELECT a.label AS label_a, a.key AS key_a, b.label AS label_b, b.key AS key_b, count(*) AS {unit}
              FROM {t} a JOIN {t} b ON a.seq = b.seq {extra} AND (a.label, a.key) < (b.label, b.key)
              WHERE a.label NOT IN ('MONEY', 'PERCENT', 'DATE') AND b.label NOT IN ('MONEY', 'PERCENT', 'DATE')
              GROUP BY ALL"""
    con.execute(f"""CREATE VIEW cooccurrence AS
        WITH p AS ({pair.format(unit='articles', t='entity_articles', extra='')}),
             n AS (SELECT articles AS n FROM corpus)
        SELECT p.*, ea.articles AS articles_a, eb.articles AS articles_b,
               p.articles * n.n / (ea.articles * eb.articles) AS lift,
               log2(p.articles * n.n / (ea.articles * eb.articles)) AS pmi
        FROM p, n, entities ea, entities eb
        WHERE ea.label = p.label_a AND ea.key = p.key_a AND eb.label = p.label_b AND eb.key = p.key_b""")
    con.execute(f"""CREATE VIEW sentence_cooccurrence AS
        WITH s AS (SELECT DISTINCT seq, sentence, label, key FROM mentions WHERE sentence >= 0)
        {pair.format(unit='sentences', t='s', extra='AND a.sentence = b.sentence')}""")
    con.execute("""CREATE MACRO kwic(k, width) AS TABLE
        SELECT m.article_id, m.published_date, m.lang, m.label, m.key,
               substr(a.text, greatest(1, m.start - width + 1), m.start - greatest(0, m.start - width)) AS "left",
               m.text, substr(a.text, m."end" + 1, width) AS "right", m.start, m."end", m.sentence
        FROM mentions m JOIN articles a USING (seq) WHERE m.key = k
        ORDER BY m.published_date NULLS LAST, m.seq, m.start""")


def connect(path: str | Path):
    """Open a database written by :func:`load`, read-only."""
    import duckdb

    if not is_duckdb(path):
        raise NotADatabase(f"{path} is not a DuckDB file")
    return duckdb.connect(str(path), read_only=True)


def _wanted(con, typed: str) -> list[str]:
    """The keys a user-typed entity stands for, with the database's aliases applied."""
    alias = dict(con.execute("SELECT form, key FROM aliases").fetchall())
    return sorted({alias.get(k, k) for k in query_keys(typed)})


def timeline_rows(con, by: str = "auto") -> list[tuple[Any, ...]]:
    """:func:`pipeline.report.corpus.timeline_rows` from a database."""
    period = con.execute("SELECT period FROM corpus").fetchone()[0] if by == "auto" else by
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}: use auto, day, week or month")
    rows = con.execute(f"""
        SELECT e.label, e.key, e.entity, t.period, strftime(t.bucket, '%Y-%m-%d'), t.articles, t.mentions
        FROM entity_timeline_{period} t JOIN entities e USING (label, key)
        ORDER BY e.articles DESC, e.label, e.key, t.bucket NULLS LAST""").fetchall()
    return [tuple(r) for r in rows]


def cooccur_rows(con, *, min_count: int = 2, labels: Sequence[str] | None = None,
                 entity: str | None = None) -> list[tuple[Any, ...]]:
    """:func:`pipeline.report.corpus.cooccur_rows` from a database (aliases as loaded)."""
    label_cond = "label IN (SELECT unnest($labels))" if labels else "label NOT IN (SELECT unnest($numeric))"
    params: dict[str, Any] = {"min": min_count, "keys": _wanted(con, entity) if entity is not None else []}
    params["labels" if labels else "numeric"] = list(labels) if labels else sorted(NUMERIC_LABELS)
    only = "AND (a.key IN (SELECT unnest($keys)) OR b.key IN (SELECT unnest($keys)))" if entity is not None else ""
    if entity is None:
        params.pop("keys")
    rows = con.execute(f"""
        WITH ea AS (SELECT seq, label, key FROM entity_articles WHERE {label_cond}),
        s AS (SELECT DISTINCT seq, sentence, label, key FROM mentions WHERE sentence >= 0 AND {label_cond}),
        p AS (SELECT a.label AS la, a.key AS ka, b.label AS lb, b.key AS kb, count(*) AS articles
              FROM ea a JOIN ea b ON a.seq = b.seq AND (a.label, a.key) < (b.label, b.key) {only}
              GROUP BY ALL HAVING count(*) >= $min),
        ps AS (SELECT a.label AS la, a.key AS ka, b.label AS lb, b.key AS kb, count(*) AS sentences
               FROM s a JOIN s b ON a.seq = b.seq AND a.sentence = b.sentence AND (a.label, a.key) < (b.label, b.key)
               GROUP BY ALL)
        SELECT p.la, p.ka, x.entity, p.lb, p.kb, y.entity, p.articles, coalesce(ps.sentences, 0), x.articles, y.articles
        FROM p LEFT JOIN ps USING (la, ka, lb, kb)
        JOIN entities x ON x.label = p.la AND x.key = p.ka JOIN entities y ON y.label = p.lb AND y.key = p.kb""",
                       params).fetchall()
    n = con.execute("SELECT articles FROM corpus").fetchone()[0]
    out = [(*r, *score(r[6], r[8], r[9], n)) for r in rows]
    out.sort(key=cooccur_sort_key)
    return out


def kwic_rows(con, key: str, *, width: int = 30, labels: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
    """:func:`pipeline.report.corpus.kwic_rows` from a database (aliases as loaded)."""
    keys = _wanted(con, key)
    rows = con.execute("""
        SELECT m.article_id, strftime(m.published_date, '%Y-%m-%d'), m.lang, m.label, m.key,
               replace(replace(replace(substr(a.text, greatest(1, m.start - $w + 1), m.start - greatest(0, m.start - $w)),
                       chr(10), ' '), chr(13), ' '), chr(9), ' '),
               m.text,
               replace(replace(replace(substr(a.text, m."end" + 1, $w), chr(10), ' '), chr(13), ' '), chr(9), ' '),
               m.start, m."end", m.sentence
        FROM mentions m JOIN articles a USING (seq)
        WHERE m.key IN (SELECT unnest($keys)) AND ($labels IS NULL OR m.label IN (SELECT unnest($labels)))
        ORDER BY m.published_date NULLS LAST, m.seq, m.start""",
                       {"w": width, "keys": keys, "labels": list(labels) if labels else None}).fetchall()
    return [tuple(r) for r in rows]
