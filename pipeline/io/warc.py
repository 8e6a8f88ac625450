"""WARC files (``.warc``, ``.warc.gz``) -> one page article per HTML response record.

FastWARC reads the file as a stream (gzip members one at a time), so a WARC of many GB never
sits in memory. Each record is one of:

- an HTML ``response`` (HTTP status 2xx, ``Content-Type`` ``text/html`` or
  ``application/xhtml+xml``, or no type at all) -> an article with ``page`` set; its text is
  extracted by the pipeline (:func:`pipeline.io.html.extract`);
- another ``response`` (an image, a PDF, a redirect, a 404) -> an error record of type
  ``NotHTML`` that names the status and content type: a response is an input record;
- a ``request``, ``metadata``, ``warcinfo``, ``revisit``, ``resource``... record -> no item (it
  holds no page). The count of each kind is printed to stderr once per file, so the numbers
  add up: responses = records + error records;
- a record cut short (the file ends inside it) -> an error record of type ``TruncatedRecord``.

Every article and error carries the file, the record id and the record's byte offset in the file
as stored (for ``.warc.gz``, the offset of its gzip member), which FastWARC and warcio can seek
to: ``warcio.ArchiveIterator`` on a file object positioned there (``fh.seek(offset)``) reads
exactly that record back.
"""

from __future__ import annotations

import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from pipeline.io import html as web
from pipeline.record import Article, InputError, WebPage

WARC_EXT = {".warc"}
_HTML_TYPES = {"text/html", "application/xhtml+xml", ""}
_CHUNK = 1 << 16


def is_warc(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".warc") or name.endswith(".warc.gz")


def _tail_is_whole(path: Path, offset: int, gz: bool, length: int | None) -> bool:
    """Whether the last record (at ``offset``) runs to the end of the file, whole. FastWARC
    stops without a word when a file ends inside a record, so the reader checks the end itself:
    for .warc.gz, the member at ``offset`` must decompress to its end and the file end there (no
    member after it that FastWARC could not read); for .warc, the header and ``length`` block
    bytes must be there."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(offset)
        if gz:
            inflate = zlib.decompressobj(wbits=31)
            read = offset
            while not inflate.eof:
                block = fh.read(_CHUNK)
                if not block:
                    return False
                read += len(block)
                inflate.decompress(block, 0)
            return read - len(inflate.unused_data) == size
        head = fh.read(_CHUNK)
        end = head.find(b"\r\n\r\n")
        return length is not None and end >= 0 and offset + end + 4 + length <= size


def iter_warc(path: Path, start_position: int) -> Iterator[Article | InputError]:
    libs = web.require()
    fw = libs["fastwarc"]
    position = start_position
    skipped: Counter[str] = Counter()
    gz = path.name.lower().endswith(".gz")
    last: tuple[int, int | None] | None = None  # the last record's offset and Content-Length
    # The item of the last record read is held back until the next record starts (which proves
    # it whole) or, at the end of the file, until _tail_is_whole says so.
    held: Article | InputError | None = None
    with open(path, "rb") as fh:
        records = fw.ArchiveIterator(fh, record_types=fw.WarcRecordType.any_type, parse_http=True)
        try:
            for rec in records:
                if held is not None:
                    yield held
                    held = None
                kind = str(rec.record_type).split(".")[-1]
                declared = rec.headers.get("Content-Length")
                last = (rec.stream_pos, int(declared) if declared and declared.isdigit() else None)
                if kind != "response":
                    skipped[kind] += 1  # the iterator skips its block when it moves on
                    continue
                record_id = rec.record_id or f"{path.name}@{rec.stream_pos}"
                source = {"format": "warc", "file": str(path), "warc_record_id": record_id,
                          "warc_offset": rec.stream_pos}
                url = rec.headers.get("WARC-Target-URI") or None
                capture = rec.headers.get("WARC-Date") or None
                if capture:
                    source["warc_date"] = capture
                held = _response(rec, path, record_id, url, capture, source, position)
                position += 1
        except OSError as exc:  # FastWARC: "Invalid WARC header" and the like
            if held is not None:
                yield held
            at = last[0] if last else 0
            yield InputError(f"{path.name}@{at}", "InvalidWARC", f"{path}: cannot read on after offset {at}: {exc}",
                             position)
            return
    if last is not None and not _tail_is_whole(path, last[0], gz, last[1]):
        cut = f"{path}: the file ends inside the record at offset {last[0]} (a partial download?)"
        if held is not None:
            held = InputError(held.id, "TruncatedRecord", cut, held.position)
        else:
            held = InputError(f"{path.name}@{last[0]}", "TruncatedRecord", cut, position)
    if held is not None:
        yield held
    if skipped:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(skipped.items()))
        print(f"shinbun: {path.name}: records that hold no page, not read: {counts}", file=sys.stderr)


def _response(rec, path: Path, record_id: str, url: str | None, capture: str | None, source: dict,
              position: int) -> Article | InputError:
    http = rec.http_headers
    expected = rec.content_length
    payload = rec.reader.read()
    if http is None:
        return InputError(record_id, "TruncatedRecord",
                          f"{path} offset {rec.stream_pos}: the response has no complete HTTP header", position)
    if len(payload) < expected:
        return InputError(record_id, "TruncatedRecord",
                          f"{path} offset {rec.stream_pos}: {len(payload)} of {expected} payload bytes", position)
    status = http.status_code
    ctype = (rec.http_content_type or "").split(";")[0].strip().lower()
    if not (200 <= status < 300) or ctype not in _HTML_TYPES:
        return InputError(record_id, "NotHTML",
                          f"{url or path}: HTTP {status} {ctype or '(no content type)'}, not an HTML page", position)
    encoding = (http.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", ""):
        return InputError(record_id, "UnsupportedEncoding",
                          f"{url or path}: payload stored with Content-Encoding {encoding}", position)
    return Article(id=record_id, text="", url=url, position=position, source=source,
                   page=WebPage(html=payload, http_charset=rec.http_charset, capture_date=capture))
