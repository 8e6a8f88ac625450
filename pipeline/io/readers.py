"""Readers: input paths -> a stream of ``Article`` (or ``InputError`` for records that cannot be read).

Supported inputs
- JSON Lines (``.jsonl``, ``.ndjson``, ``.json`` holding one object per line): fields ``id``,
  ``text``, optional ``title``, ``lang``, ``published``, ``url``; every other field is kept in
  ``Article.meta``. :class:`InputFields` renames them for every kind of input (``--text-field``
  and friends, or the config's ``[input]`` section) and gives a language to records without one.
- ``-`` (standard input), a pipe or ``/dev/stdin``: uncompressed JSON Lines, read as a stream.
- Plain text (``.txt``): one article per file, id = the file name.
- Any of the above compressed with gzip, bz2, xz or zstd, recognised by content
  (:mod:`pipeline.io.compression`; the usual suffixes are ``.gz``, ``.bz2``, ``.xz``, ``.zst``).
- Whatever Hugging Face ``datasets`` loads from local files: ``.parquet``, ``.csv``, ``.arrow``,
  and a ``save_to_disk`` folder (recognised by its ``dataset_info.json``/``state.json``).
- Web pages (``.html``/``.htm``, optionally compressed), WARC files (``.warc``, ``.warc.gz``: one
  item per response record) and JSONL records with an ``html`` field instead of ``text``: see
  :mod:`pipeline.io.warc` and :mod:`pipeline.io.html` (the optional extra ``web``).
- A directory: every file below it, in sorted path order.

Everything streams: a JSONL dump is read line by line and a dataset is iterated (memory-mapped
or streaming), so memory does not grow with the size of the dump. A bad record (broken JSON,
invalid UTF-8, missing ``text``) becomes an ``InputError`` and reading goes on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pipeline.io import html as web_html
from pipeline.io import warc
from pipeline.io.compression import COMPRESSED_SUFFIXES, inner_suffix, open_binary
from pipeline.record import Article, InputError

ARTICLE_FIELDS = ("id", "text", "title", "lang", "published", "url")
JSONL_EXT = {".jsonl", ".ndjson", ".json"}
TEXT_EXT = {".txt", ".text"}
DATASET_EXT = {".parquet", ".csv", ".arrow"}

ReadResult = Article | InputError
STDIN = "-"


class InputPathError(OSError):
    """An input path that does not exist or cannot be opened at all (fatal for the run)."""


def _is_saved_dataset(path: Path) -> bool:
    return path.is_dir() and (path / "dataset_info.json").exists() and (path / "state.json").exists()


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return str(value)


@dataclass(frozen=True, slots=True)
class InputFields:
    """Which input field holds what, and the language of records that name none.

    The names apply to every kind of input (JSONL keys, CSV/Parquet columns, dataset features).
    Every field not named here goes to ``Article.meta`` (the record's ``meta.input``)."""

    text: str = "text"
    id: str = "id"
    date: str = "published"
    title: str = "title"
    lang: str = "lang"
    url: str = "url"
    default_lang: str | None = None  # for records without a language of their own

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> InputFields:
        """From a config's ``[input]`` table: ``text_field``, ``id_field``, ``date_field``,
        ``title_field``, ``lang_field``, ``url_field``, ``lang``. Raises ValueError on other keys."""
        names = {f"{f}_field": f for f in ("text", "id", "date", "title", "lang", "url")}
        unknown = sorted(set(section) - set(names) - {"lang"})
        if unknown:
            raise ValueError(f"[input]: unknown setting(s) {unknown} (known: {', '.join([*names, 'lang'])})")
        bad = [k for k, v in section.items() if not isinstance(v, str) or not v]
        if bad:
            raise ValueError(f"[input]: {', '.join(sorted(bad))} must be a non-empty string")
        return cls(**{names[k]: v for k, v in section.items() if k in names}, default_lang=section.get("lang"))

    @property
    def names(self) -> frozenset[str]:
        return frozenset((self.text, self.id, self.date, self.title, self.lang, self.url))


DEFAULT_FIELDS = InputFields()


def article_from_mapping(obj: Any, fallback_id: str, position: int, fields: InputFields = DEFAULT_FIELDS) -> ReadResult:
    """Turn one decoded record into an Article, or an InputError saying what is wrong."""
    if not isinstance(obj, dict):
        return InputError(fallback_id, "InvalidRecord", f"expected a JSON object, got {type(obj).__name__}", position)
    raw_id = obj.get(fields.id)
    art_id = _as_str(raw_id) if raw_id not in (None, "") else fallback_id
    text = obj.get(fields.text)
    if text is None and isinstance(obj.get("html"), str):  # a web page: pipeline.io.html
        _require_web()
        return web_html.article_from_html_record(obj, art_id, position, fields.names)
    if text is None:
        found = ", ".join(repr(k) for k in obj) or "none"
        return InputError(art_id, "MissingText", f"record has no {fields.text!r} field (its fields: {found})", position)
    if not isinstance(text, str):
        return InputError(art_id, "InvalidText", f"{fields.text!r} must be a string, got {type(text).__name__}", position)
    lang = obj.get(fields.lang)
    names = fields.names
    meta = {k: v for k, v in obj.items() if k not in names}
    return Article(
        id=art_id,
        text=text,
        title=_as_str(obj.get(fields.title)),
        lang=_as_str(lang) if lang else fields.default_lang,
        published=_as_str(obj.get(fields.date)),
        url=_as_str(obj.get(fields.url)),
        meta=meta,
        position=position,
    )


def _iter_jsonl(path: Path, start_position: int, fields: InputFields) -> Iterator[ReadResult]:
    with open_binary(path) as raw:
        yield from _jsonl_lines(raw, path.name, start_position, fields)


def _iter_stream(path: Path, start_position: int, fields: InputFields) -> Iterator[ReadResult]:
    """``-`` (standard input) or a pipe: uncompressed JSON Lines, read once, front to back."""
    if str(path) == STDIN:
        yield from _jsonl_lines(sys.stdin.buffer, "stdin", start_position, fields)
        return
    with path.open("rb") as raw:
        yield from _jsonl_lines(raw, path.name, start_position, fields)


def _jsonl_lines(raw: Iterable[bytes], name: str, start_position: int, fields: InputFields) -> Iterator[ReadResult]:
    position = start_position
    for lineno, line in enumerate(raw, start=1):
        if not line.strip():
            continue  # blank lines are not records
        fallback_id = f"{name}:{lineno}"
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            # orjson reports invalid UTF-8 as a decode error too; say which it was.
            try:
                line.decode("utf-8")
                yield InputError(fallback_id, "InvalidJSON", f"line {lineno}: {exc}", position)
            except UnicodeDecodeError as uexc:
                yield InputError(fallback_id, "InvalidUTF8", f"line {lineno}: {uexc}", position)
        else:
            yield article_from_mapping(obj, fallback_id, position, fields)
        position += 1


def _iter_text_file(path: Path, position: int, fields: InputFields) -> Iterator[ReadResult]:
    with open_binary(path) as fh:
        data = fh.read()
    name = path.name
    if b"\x00" in data[:8192]:
        yield InputError(name, "BinaryFile", f"{path} looks like a binary file (NUL bytes), not text", position)
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield InputError(name, "InvalidUTF8", f"{path}: {exc}", position)
        return
    yield Article(id=name, text=text, lang=fields.default_lang, position=position)


def _iter_dataset(path: Path, start_position: int, fields: InputFields) -> Iterator[ReadResult]:
    # datasets must never reach for the hub here: the inputs are local files.
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import datasets
    except ImportError:  # pragma: no cover - datasets is a default dependency
        raise InputPathError(f"{path}: reading Parquet/CSV/Arrow needs the 'datasets' package: pip install datasets") from None
    datasets.disable_progress_bars()
    if path.is_dir():
        ds = datasets.load_from_disk(str(path))
        if isinstance(ds, datasets.DatasetDict):
            rows: Iterable[dict] = (row for split in sorted(ds) for row in ds[split])
        else:
            rows = iter(ds)
    else:
        builder = {".parquet": "parquet", ".csv": "csv", ".arrow": "arrow"}[inner_suffix(path)]
        # streaming=True iterates the file in batches instead of building a cache copy.
        rows = datasets.load_dataset(builder, data_files=str(path), split="train", streaming=True)
    for index, row in enumerate(rows):
        yield article_from_mapping(dict(row), f"{path.name}:{index}", start_position + index, fields)


def _require_web() -> None:
    try:
        web_html.require()
    except web_html.WebExtraMissing as exc:
        raise InputPathError(str(exc)) from None


def _iter_web(path: Path, start_position: int, fields: InputFields) -> Iterator[ReadResult]:
    """A WARC or an HTML file; ``fields`` (the input field names) do not apply to web pages, whose
    fields come from HTTP, the WARC headers and the page itself."""
    _require_web()
    if warc.is_warc(path):
        return warc.iter_warc(path, start_position)
    return web_html.iter_html_file(path, start_position)


def _file_kind(path: Path) -> str:
    if str(path) == STDIN or (path.exists() and not path.is_file() and not path.is_dir()):
        return "stream"  # standard input, a pipe, /dev/stdin, a shell's <(...)
    if _is_saved_dataset(path):
        return "dataset"
    if warc.is_warc(path) or inner_suffix(path) in web_html.HTML_EXT:
        return "web"
    suffix = inner_suffix(path)
    if suffix in JSONL_EXT:
        return "jsonl"
    if suffix in TEXT_EXT:
        return "text"
    if suffix in DATASET_EXT and path.suffix.lower() not in COMPRESSED_SUFFIXES:
        return "dataset"
    return "unknown"


def _expand(path: Path) -> Iterator[Path]:
    if path.is_dir() and not _is_saved_dataset(path):
        for root, dirs, files in os.walk(path):
            dirs.sort()
            rootp = Path(root)
            # A save_to_disk folder inside a directory is one input, not many files.
            for d in list(dirs):
                if _is_saved_dataset(rootp / d):
                    dirs.remove(d)
                    yield rootp / d
            for f in sorted(files):
                if not f.startswith("."):
                    yield rootp / f
    else:
        yield path


def check_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Fail early (a fatal error) on input paths that do not exist or cannot be read, and on
    folders without a (non-hidden) file."""
    checked = []
    for p in paths:
        path = Path(p)
        if str(p) == STDIN:
            checked.append(path)
            continue
        if not path.exists():
            raise InputPathError(f"input not found: {path}")
        if not os.access(path, os.R_OK):
            raise InputPathError(f"input not readable: {path}")
        if path.is_dir() and next(_expand(path), None) is None:  # it would add nothing, and say nothing
            raise InputPathError(f"input folder {path} holds no file (hidden files are not read)")
        checked.append(path)
    return checked


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def refuse_overwriting_inputs(inputs: Iterable[str | Path], outputs: Iterable[str | Path | None]) -> None:
    """Raise :class:`InputPathError` when an output file is also an input file (``-o`` naming the
    input would empty it before it is read) or when two outputs are one file."""
    outs = [Path(o) for o in outputs if o is not None and str(o) != STDIN]
    ids = [_file_id(o) for o in outs]
    for i, (out, oid) in enumerate(zip(outs, ids)):
        for other, other_id in zip(outs[i + 1:], ids[i + 1:]):
            if out.resolve() == other.resolve() or (oid is not None and oid == other_id):
                raise InputPathError(f"{out} is named as two outputs: give each its own file")
        if oid is None:
            continue
        for p in inputs:
            if str(p) != STDIN and Path(p).is_file() and _file_id(Path(p)) == oid:
                raise InputPathError(f"the output {out} is also an input: writing it would destroy the input; "
                                     "write to another file")


def read_articles(paths: Iterable[str | Path], fields: InputFields = DEFAULT_FIELDS,
                  exclude: Iterable[str | Path] = ()) -> Iterator[ReadResult]:
    """Stream articles from every input path (``-``: standard input), in order, with ``fields``
    naming the input fields. Positions count records across inputs. Files in ``exclude`` (the
    run's own output files) are passed over where an input directory holds them: otherwise a
    ``shinbun run . -o out.jsonl --resume`` would read its own records back as articles."""
    skip = {i for i in (_file_id(Path(p)) for p in exclude if str(p) != STDIN) if i is not None}
    position = 0
    for top in check_inputs(paths):
        for path in _expand(top):
            if skip and path != top and _file_id(path) in skip:
                continue
            kind = _file_kind(path)
            if kind == "unknown":
                # Inside a directory, an unsupported file is reported, never silently skipped.
                yield InputError(path.name, "UnsupportedFile", f"{path}: unsupported file type (expected .jsonl, .txt, .html, .warc, .parquet, .csv, .arrow, optionally compressed)", position)
                position += 1
                continue
            reader = {"jsonl": _iter_jsonl, "text": _iter_text_file, "dataset": _iter_dataset, "stream": _iter_stream, "web": _iter_web}[kind]
            try:
                for item in reader(path, position, fields):
                    yield item
                    position = item.position + 1
            except InputPathError:
                raise
            except Exception as exc:  # a corrupt compressed stream, an unreadable dataset...
                yield InputError(path.name, type(exc).__name__, f"{path}: {exc}", position)
                position += 1
