"""Read shinbun output records back, defensively.

``iter_records(path)`` streams a records file (``.jsonl``, gzip, zstd, bz2 or xz, recognised by
its magic bytes, so the extension does not matter; ``-`` reads standard input; or the Parquet file
``shinbun run -o x.parquet`` writes, recognised by its ``PAR1`` magic) and yields one
:class:`Record` per non-blank line or row. Any other file (a CSV, an HTML page, a Parquet file of
something else) is refused at once with :class:`RecordsFormatError`. Nothing is skipped: an error record stays an error record, and
a line that is not a usable record (broken JSON, invalid UTF-8, not an object, no ``text``, no
``entities``) becomes an error record with stage ``read``, so counts always add up to the number
of lines. A file whose first line is an input article (text but no ``entities`` or ``error``) is
refused whole: it was given before ``shinbun run``; so is a file with no record at all (empty,
blank lines only, or a Parquet file without rows).

Records are untrusted input. Every field is type-checked and coerced: a span whose offsets are not
integers with ``0 <= start < end <= len(text)`` is dropped (and counted in
``Record.invalid_entities``), strings that cannot be encoded (lone surrogates) are made safe, and
nothing from a record is ever used unescaped by the report writers.
"""

from __future__ import annotations

import itertools
import json
import lzma
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import zstandard

from pipeline.io.compression import open_binary
from pipeline.io.parquet import PARQUET_MAGIC, ParquetRecordsError, is_parquet, iter_parquet_records
from pipeline.stages.entity_key import entity_key

_SURROGATE = re.compile("[\ud800-\udfff]")
NORM_FIELDS = ("value", "value_min", "value_max", "currency", "qualifier", "value_note")


def safe_str(s: str) -> str:
    """``s`` with lone surrogates replaced by U+FFFD (one code point each, so offsets still hold)."""
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", s)


def _str(x: Any) -> str | None:
    return safe_str(x) if isinstance(x, str) else None


def _int(x: Any) -> int | None:
    return x if isinstance(x, int) and not isinstance(x, bool) else None


@dataclass(slots=True)
class Entity:
    start: int
    end: int
    text: str
    label: str
    sentence: int | None = None
    source: str | None = None
    score: float | None = None
    value: str | None = None
    value_min: str | None = None
    value_max: str | None = None
    currency: str | None = None
    qualifier: str | None = None
    value_note: str | None = None
    cluster: int | None = None
    canonical: str | None = None
    script_key: str = ""  # the record's cross-script ``key`` (computed the same way for records without one)

    @property
    def key(self) -> str:
        """What the entity is counted as across articles: its canonical form when present, else its text."""
        return self.canonical if self.canonical else self.text


@dataclass(slots=True)
class Record:
    id: str
    line: int
    error: dict[str, str] | None = None
    lang: str = "und"
    text: str = ""
    title: str | None = None
    published: str | None = None
    url: str | None = None
    body: tuple[int, int] = (0, 0)
    boilerplate: list[tuple[int, int, str]] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    invalid_entities: int = 0

    @property
    def is_error(self) -> bool:
        return self.error is not None


NOT_A_RECORD = "an object with text but no 'entities' and no 'error': an input article, not a record of `shinbun run`"


def _error(rid: str, line: int, etype: str, message: str, stage: str = "read") -> Record:
    return Record(id=rid, line=line, error={"stage": stage, "type": etype, "message": message})


def _entity(e: Any, text: str, lang: str) -> Entity | None:
    if not isinstance(e, dict):
        return None
    start, end, label = _int(e.get("start")), _int(e.get("end")), _str(e.get("label"))
    if start is None or end is None or not label or not (0 <= start < end <= len(text)):
        return None
    etext = _str(e.get("text")) or text[start:end]
    score = e.get("score")
    ent = Entity(
        start=start, end=end, text=etext, label=label,
        sentence=_int(e.get("sentence")), source=_str(e.get("source")),
        score=float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
        cluster=_int(e.get("cluster")), canonical=_str(e.get("canonical")),
    )
    ent.script_key = _str(e.get("key")) or entity_key(ent.key, lang)
    norm = e.get("norm")
    if isinstance(norm, dict):
        for name in NORM_FIELDS:
            v = norm.get(name)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                v = str(v)
            setattr(ent, name, _str(v))
    return ent


def to_record(obj: Any, line: int, default_id: str) -> Record:
    """One parsed JSON value -> a clean :class:`Record` (an error record when it is not usable)."""
    if not isinstance(obj, dict):
        return _error(default_id, line, "InvalidRecord", f"a record must be a JSON object, got {type(obj).__name__}")
    raw_id = obj.get("id")
    rid = safe_str(raw_id) if isinstance(raw_id, str) else (str(raw_id) if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool) else default_id)
    if "error" in obj:
        err = obj["error"] if isinstance(obj["error"], dict) else {"message": obj["error"]}
        return Record(id=rid, line=line, error={
            k: (_str(err.get(k)) or ("" if err.get(k) is None else safe_str(str(err.get(k))))) or "?"
            for k in ("stage", "type", "message")
        })
    text = obj.get("text")
    if not isinstance(text, str):
        return _error(rid, line, "InvalidRecord", "record has no text and no error")
    if "entities" not in obj:  # every record `shinbun run` writes has it; an input article has not
        return _error(rid, line, "NotARecord", NOT_A_RECORD)
    text = safe_str(text)
    n = len(text)
    rec = Record(id=rid, line=line, lang=_str(obj.get("lang")) or "und", text=text,
                 title=_str(obj.get("title")), published=_str(obj.get("published")), url=_str(obj.get("url")))
    body = obj.get("body")
    if isinstance(body, list) and len(body) == 2 and all(_int(x) is not None for x in body) and 0 <= body[0] <= body[1] <= n:
        rec.body = (body[0], body[1])
    else:
        rec.body = (0, n)
    bps = obj.get("boilerplate")
    for b in bps if isinstance(bps, list) else ():
        if isinstance(b, dict):
            s, e = _int(b.get("start")), _int(b.get("end"))
            if s is not None and e is not None and 0 <= s < e <= n:
                rec.boilerplate.append((s, e, _str(b.get("reason")) or "boilerplate"))
    sents = obj.get("sentences")
    for b in sents if isinstance(sents, list) else ():
        s, e = (_int(b.get("start")), _int(b.get("end"))) if isinstance(b, dict) else (None, None)
        if s is not None and e is not None and 0 <= s <= e <= n:
            rec.sentences.append((s, e))
    ents = obj.get("entities")
    for e in ents if isinstance(ents, list) else ():
        ent = _entity(e, text, rec.lang)
        if ent is None:
            rec.invalid_entities += 1
        else:
            rec.entities.append(ent)
    warnings = obj.get("warnings")
    if isinstance(warnings, list):
        rec.warnings = [safe_str(w) if isinstance(w, str) else safe_str(json.dumps(w, ensure_ascii=False)) for w in warnings]
    return rec


class RecordsFormatError(ValueError):
    """A file that is not a records file written by ``shinbun run`` (JSONL, compressed or not, or
    Parquet): refused whole, never read as a stream of error records. Also raised while reading
    when a compressed file turns out truncated or corrupt: the rest of it cannot be read, and a
    report of its first part would pass for a report of the file."""


# What a decompressor raises on a truncated or damaged stream (bz2 raises OSError).
_CORRUPT_STREAM = (EOFError, OSError, zlib.error, lzma.LZMAError, zstandard.ZstdError)


def _unreadable(shown: str, n: int, exc: BaseException, unit: str = "line") -> RecordsFormatError:
    return RecordsFormatError(f"{shown} cannot be read after {unit} {n:,}: {type(exc).__name__}: {exc} "
                              "(the file is truncated or corrupt)")


def open_records(path: str | Path) -> BinaryIO:
    """Open a records file (or ``-``, standard input) for binary line reading, decompressed if it
    is compressed (:func:`pipeline.io.compression.open_binary`)."""
    if str(path) == "-":
        return sys.stdin.buffer
    return open_binary(path)


def _decode(raw: bytes, line: int) -> tuple[Any, tuple[str, str] | None]:
    """The JSON value of a line, or None and (error type, message)."""
    try:
        return orjson.loads(raw), None
    except orjson.JSONDecodeError:
        try:  # orjson refuses lone surrogate escapes ("\ud800"), the json module keeps them
            return json.loads(raw.decode("utf-8")), None
        except UnicodeDecodeError as exc:
            return None, ("UnicodeDecodeError", f"line {line} is not valid UTF-8: {exc.reason}")
        except ValueError as exc:
            return None, ("JSONDecodeError", f"line {line} is not valid JSON: {exc}")


def parse_line(raw: bytes, line: int, name: str) -> Record:
    default_id = f"{name}:{line}"
    obj, problem = _decode(raw, line)
    if problem is not None:
        return _error(default_id, line, *problem)
    return to_record(obj, line, default_id)


_EXPECTED = "expected the JSONL (plain, .gz, .zst) or Parquet records that `shinbun run` writes"


def _check_jsonl_start(fh: BinaryIO, name: str) -> None:
    """Refuse a stream whose first non-blank byte cannot begin a JSON line (a CSV, an HTML page,
    a text article, a binary file): a records file starts with ``{``."""
    head = fh.peek(4096)[:4096]  # type: ignore[attr-defined]  (every opener here is buffered)
    first = head.lstrip()[:1]
    if first and first not in b"{[":
        raise RecordsFormatError(f"{name} is not a records file: {_EXPECTED}")


def iter_records(path: str | Path, limit: int | None = None) -> Iterator[Record]:
    """Stream the records of a file (at most ``limit`` of them): JSONL (plain or compressed; ``-``
    is standard input) one per non-blank line, or Parquet (told by its ``PAR1`` magic) one per row.
    Raises :class:`RecordsFormatError` at once for a file that is neither."""
    if str(path) != "-" and is_parquet(path):
        return _iter_parquet(Path(path), limit)
    name = "stdin" if str(path) == "-" else Path(path).name
    fh = open_records(path)
    try:
        if str(path) == "-" and fh.peek(4)[:4] == PARQUET_MAGIC:  # type: ignore[attr-defined]
            raise RecordsFormatError("a Parquet records file cannot be read from standard input: give its path")
        shown = name if str(path) == "-" else str(path)
        try:
            _check_jsonl_start(fh, shown)
        except _CORRUPT_STREAM as exc:
            raise _unreadable(shown, 0, exc) from None
        first = _first_record(fh, name, shown)
    except BaseException:
        if fh is not sys.stdin.buffer:
            fh.close()
        raise
    return _iter_jsonl(fh, name, shown, limit, first)


def _numbered_lines(fh: BinaryIO, shown: str, last: int) -> Iterator[tuple[int, bytes]]:
    """The lines after line ``last``, numbered; a truncated or corrupt compressed stream raises
    :class:`RecordsFormatError` naming the last line read."""
    lines = iter(fh)
    lineno = last
    while True:
        try:
            raw = next(lines, None)
        except _CORRUPT_STREAM as exc:
            raise _unreadable(shown, lineno, exc) from None
        if raw is None:
            return
        lineno += 1
        yield lineno, raw


def _first_record(fh: BinaryIO, name: str, shown: str) -> tuple[int, Record]:
    """The first non-blank line's record (and the lines read to reach it), read before anything
    is written: a file of input articles (``shinbun view articles.jsonl``, before ``shinbun run``)
    is refused at once rather than read as records without entities, and so is a file without a
    record (empty or blank lines only), which would otherwise give an empty report and exit 0."""
    for lineno, raw in _numbered_lines(fh, shown, 0):
        if raw.strip():
            # Its first line must be a JSON object: a pretty-printed or array file, or a file of
            # broken lines, would otherwise be read as nothing but error records.
            obj, problem = _decode(raw, lineno)
            if problem is None and not isinstance(obj, dict):
                kind = {list: "an array", str: "a string", bool: "true or false", int: "a number", float: "a number"}.get(type(obj), "null")
                problem = ("", f"line {lineno} is {kind}, not a JSON object")
            if problem is not None:
                raise RecordsFormatError(f"{shown} is not a records file: {problem[1]}; {_EXPECTED}")
            rec = to_record(obj, lineno, f"{name}:{lineno}")
            if rec.error is not None and rec.error["stage"] == "read" and rec.error["type"] == "NotARecord":
                raise RecordsFormatError(f"{shown} is not a records file: line {lineno} is {NOT_A_RECORD} "
                                         f"(run `shinbun run {shown} -o records.jsonl` first)")
            return lineno, rec
    raise RecordsFormatError(f"{shown} holds no record (an empty file, or blank lines only): nothing to read")


def _iter_jsonl(fh: BinaryIO, name: str, shown: str, limit: int | None, first: tuple[int, Record]) -> Iterator[Record]:
    try:
        if limit == 0:
            return
        lineno, rec = first
        yield rec
        count = 1
        for lineno, raw in _numbered_lines(fh, shown, lineno):
            if limit is not None and count >= limit:
                break
            if not raw.strip():
                continue
            count += 1
            yield parse_line(raw, lineno, name)
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def _iter_parquet(path: Path, limit: int | None) -> Iterator[Record]:
    """The rows of a Parquet file written by ``shinbun run``, as records (row ``n`` is line ``n``)."""
    try:
        rows = iter_parquet_records(path)
    except ParquetRecordsError as exc:
        raise RecordsFormatError(f"{path}: {exc}; {_EXPECTED}") from None
    rows = _checked_rows(rows, str(path))
    first = next(rows, None)
    if first is None:
        raise RecordsFormatError(f"{path} holds no record (a Parquet file with no row): nothing to read")
    return _parquet_records(itertools.chain((first,), rows), path.name, limit)


def _checked_rows(rows: Iterator[dict[str, Any]], shown: str) -> Iterator[dict[str, Any]]:
    """The rows; a file damaged past its footer (a column chunk that does not decode) raises
    :class:`RecordsFormatError` naming the last row read."""
    import pyarrow as pa

    n = 0
    while True:
        try:
            row = next(rows, None)
        except (pa.ArrowException, OSError, ValueError, KeyError, TypeError) as exc:
            # ValueError covers UnicodeDecodeError: pyarrow does not check the UTF-8 of strings,
            # and a damaged row can break the record columns' shapes (from_row)
            raise _unreadable(shown, n, exc, "row") from None
        if row is None:
            return
        n += 1
        yield row


def _parquet_records(rows: Iterator[dict[str, Any]], name: str, limit: int | None) -> Iterator[Record]:
    for n, obj in enumerate(rows, 1):
        if limit is not None and n > limit:
            break
        yield to_record(obj, n, f"{name}:{n}")
