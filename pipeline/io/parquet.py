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
        ("cluster", pa.int32()), ("canonical", pa.string()), ("key", pa.string()),
        *[(f, pa.string()) for f in NORM_FIELDS], ("implicit_currency", pa.bool_()),
    ]))),
    ("warnings", pa.list_(pa.string())),
    ("meta", pa.string()),
    ("error", pa.struct([("stage", pa.string()), ("type", pa.string()), ("message", pa.string())])),
])


def to_row(rec: dict[str, Any]) -> dict[str, Any]:
    if "error" in rec:
        return {"id": rec["id"], "error": rec["error"]}
    row = {k: rec.get(k) for k in ("id", "lang", "text", "title", "published", "url", "boilerplate", "sentences", "tokens", "warnings")}
    row["body"] = {"start": rec["body"][0], "end": rec["body"][1]}
    ents = []
    for e in rec["entities"]:
        norm = e.get("norm") or {}
        flat = {k: e.get(k) for k in ("start", "end", "text", "label", "sentence", "source", "score", "cluster", "canonical", "key")}
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
