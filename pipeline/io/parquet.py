"""Parquet output: one row per article with nested sentences/tokens/entities (``-o out.parquet``).

Error records are rows too (with ``error`` set and the result columns null), so the row count
always equals the input count. Columns are typed, so DuckDB/pandas users query them without
parsing strings:

- an entity's normalised values are flattened into its struct: the record's exact strings
  (``value``, ``value_min``, ``value_max``, ``currency``, ``qualifier``, ``value_note``,
  ``implicit_currency``) and beside them typed columns (:mod:`pipeline.io.typed`): MONEY
  ``amount``/``amount_min``/``amount_max`` and PERCENT ``percent``/``percent_min``/``percent_max``
  as decimal128(38, 9), DATE ``date_start``/``date_end`` as date32 with ``date_granularity``;
- ``published`` is a UTC timestamp where the input's string parses with a UTC offset (null
  otherwise), and ``published_text`` keeps that string as given;
- ``meta`` is a struct; its ``input`` (the input's other fields, any shape) stays a JSON string.

Rows are written in row groups of ``batch_size`` so memory stays bounded. :func:`from_row` turns
a row back into the JSON record, so the record tools read these files too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.io.typed import TYPED_ARROW, TYPED_COLUMNS, parse_timestamp, typed_values

NORM_FIELDS = ("value", "value_min", "value_max", "currency", "qualifier", "value_note")

_span = pa.struct([("start", pa.int32()), ("end", pa.int32())])
_META = pa.struct([("schema_version", pa.string()), ("pipeline_version", pa.string()), ("config_hash", pa.string()),
                   ("models", pa.list_(pa.struct([("name", pa.string()), ("version", pa.string())]))),
                   ("input", pa.string())])
SCHEMA = pa.schema([
    ("id", pa.string()),
    ("lang", pa.string()),
    ("text", pa.string()),
    ("title", pa.string()),
    ("published", pa.timestamp("us", tz="UTC")),
    ("published_text", pa.string()),
    ("url", pa.string()),
    ("body", _span),
    ("boilerplate", pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32()), ("reason", pa.string())]))),
    ("sentences", pa.list_(_span)),
    ("tokens", pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32()), ("text", pa.string()),
                                   ("pos", pa.string()), ("lemma", pa.string()), ("reading", pa.string())]))),
    ("entities", pa.list_(pa.struct([
        ("start", pa.int32()), ("end", pa.int32()), ("text", pa.string()), ("label", pa.string()),
        ("sentence", pa.int32()), ("source", pa.string()), ("score", pa.float64()),
        ("cluster", pa.int32()), ("canonical", pa.string()), ("key", pa.string()),
        *[(f, pa.string()) for f in NORM_FIELDS], ("implicit_currency", pa.bool_()),
        *[(c, TYPED_ARROW[c]) for c in TYPED_COLUMNS],
    ]))),
    ("warnings", pa.list_(pa.string())),
    ("meta", _META),
    ("error", pa.struct([("stage", pa.string()), ("type", pa.string()), ("message", pa.string())])),
])

PARQUET_MAGIC = b"PAR1"
_RECORD_COLUMNS = ("id", "text", "entities", "error", "meta")


class ParquetRecordsError(ValueError):
    """A Parquet file that is not one of shinbun's records files."""


def is_parquet(path: str | Path) -> bool:
    """Whether ``path`` is a Parquet file, from its first bytes (``PAR1``), whatever its name."""
    with open(path, "rb") as fh:
        return fh.read(4) == PARQUET_MAGIC


def from_row(row: dict[str, Any]) -> dict[str, Any]:
    """A Parquet row -> the JSON record it was written from (:func:`to_row` undone)."""
    if row.get("error") is not None:
        return {"id": row["id"], "error": row["error"]}
    rec: dict[str, Any] = {"id": row["id"], "lang": row["lang"], "text": row["text"]}
    for key, column in (("title", "title"), ("published", "published_text"), ("url", "url")):
        if row.get(column) is not None:
            rec[key] = row[column]
    body = row.get("body") or {"start": 0, "end": 0}
    rec["body"] = [body["start"], body["end"]]
    rec["boilerplate"] = row.get("boilerplate") or []
    rec["sentences"] = row.get("sentences") or []
    if row.get("tokens") is not None:
        rec["tokens"] = [{k: v for k, v in t.items() if v is not None} for t in row["tokens"]]
    ents = []
    for flat in row.get("entities") or []:
        e = {k: flat.get(k) for k in ("start", "end", "text", "label", "sentence", "source")}
        if flat.get("score") is not None:
            e["score"] = flat["score"]
        norm = {f: flat[f] for f in (*NORM_FIELDS, "implicit_currency") if flat.get(f) is not None}
        if norm:
            e["norm"] = norm
        if flat.get("cluster") is not None:
            e["cluster"] = flat["cluster"]
            e["canonical"] = flat.get("canonical")
        ents.append(e)
    rec["entities"] = ents
    if row.get("warnings"):
        rec["warnings"] = row["warnings"]
    meta = {k: v for k, v in (row.get("meta") or {}).items() if v is not None}
    if "input" in meta:
        meta["input"] = orjson.loads(meta["input"])
    rec["meta"] = meta
    return rec


def iter_parquet_records(path: str | Path, batch_size: int = 1000):
    """The records of a Parquet file written by ``shinbun run``, one dict per row, streamed in
    batches. Raises :class:`ParquetRecordsError` (at once) for other Parquet files."""
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ParquetRecordsError(f"unreadable Parquet file ({exc})") from None
    names = set(pf.schema_arrow.names)
    missing = [c for c in _RECORD_COLUMNS if c not in names]
    if missing:
        raise ParquetRecordsError(f"a Parquet file without shinbun's record columns ({', '.join(missing)} missing)")
    return (from_row(row) for batch in pf.iter_batches(batch_size=batch_size) for row in batch.to_pylist())


def to_row(rec: dict[str, Any]) -> dict[str, Any]:
    if "error" in rec:
        return {"id": rec["id"], "error": rec["error"]}
    row = {k: rec.get(k) for k in ("id", "lang", "text", "title", "url", "boilerplate", "sentences", "tokens", "warnings")}
    row["published_text"] = rec.get("published")
    row["published"] = parse_timestamp(rec.get("published"))
    row["body"] = {"start": rec["body"][0], "end": rec["body"][1]}
    ents = []
    for e in rec["entities"]:
        norm = e.get("norm") or {}
        flat = {k: e.get(k) for k in ("start", "end", "text", "label", "sentence", "source", "score", "cluster", "canonical", "key")}
        for f in NORM_FIELDS:
            flat[f] = norm.get(f)
        flat["implicit_currency"] = norm.get("implicit_currency")
        flat.update(zip(TYPED_COLUMNS, typed_values(e["label"], norm.get("value"), norm.get("value_min"), norm.get("value_max"))))
        ents.append(flat)
    row["entities"] = ents
    meta = dict(rec["meta"])
    if "input" in meta:
        meta["input"] = orjson.dumps(meta["input"]).decode()
    row["meta"] = meta
    return row


class ParquetSink:
    """Takes the runner's JSON lines and writes them as Parquet rows."""

    def __init__(self, path: str | Path, batch_size: int = 1000) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self.path, SCHEMA, compression="zstd")
        self._rows: list[dict[str, Any]] = []
        self.batch_size = batch_size

    def write(self, line: bytes) -> None:
        self._rows.append(to_row(orjson.loads(line)))
        if len(self._rows) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=SCHEMA))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()
