"""Parquet output: one row per article with nested sentences/tokens/entities (``-o out.parquet``).

Error records are rows too (with ``error`` set and the result columns null), so the row count
always equals the input count. An entity's normalised values are flattened into its struct
(``value``, ``value_min``, ``value_max``, ``currency``, ``qualifier``, ``value_note``,
``implicit_currency``) so
DuckDB/pandas users can query them without parsing JSON; ``meta`` is kept as a JSON string.
Rows are written in row groups of ``batch_size`` so memory stays bounded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

NORM_FIELDS = ("value", "value_min", "value_max", "currency", "qualifier", "value_note")

_span = pa.struct([("start", pa.int32()), ("end", pa.int32())])
SCHEMA = pa.schema([
    ("id", pa.string()),
    ("lang", pa.string()),
    ("text", pa.string()),
    ("title", pa.string()),
    ("published", pa.string()),
    ("url", pa.string()),
    ("body", _span),
    ("boilerplate", pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32()), ("reason", pa.string())]))),
    ("sentences", pa.list_(_span)),
    ("tokens", pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32()), ("text", pa.string()),
                                   ("pos", pa.string()), ("lemma", pa.string()), ("reading", pa.string())]))),
    ("entities", pa.list_(pa.struct([
        ("start", pa.int32()), ("end", pa.int32()), ("text", pa.string()), ("label", pa.string()),
        ("sentence", pa.int32()), ("source", pa.string()), ("score", pa.float64()),
        ("cluster", pa.int32()), ("canonical", pa.string()),
        *[(f, pa.string()) for f in NORM_FIELDS], ("implicit_currency", pa.bool_()),
    ]))),
    ("warnings", pa.list_(pa.string())),
    ("meta", pa.string()),
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
    for key in ("title", "published", "url"):
        if row.get(key) is not None:
            rec[key] = row[key]
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
    meta = row.get("meta")
    rec["meta"] = orjson.loads(meta) if isinstance(meta, str) else meta
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
    row = {k: rec.get(k) for k in ("id", "lang", "text", "title", "published", "url", "boilerplate", "sentences", "tokens", "warnings")}
    row["body"] = {"start": rec["body"][0], "end": rec["body"][1]}
    ents = []
    for e in rec["entities"]:
        norm = e.get("norm") or {}
        flat = {k: e.get(k) for k in ("start", "end", "text", "label", "sentence", "source", "score", "cluster", "canonical")}
        for f in NORM_FIELDS:
            flat[f] = norm.get(f)
        flat["implicit_currency"] = norm.get("implicit_currency")
        ents.append(flat)
    row["entities"] = ents
    row["meta"] = orjson.dumps(rec["meta"]).decode()
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
