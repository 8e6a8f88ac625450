"""Writers: records -> JSON Lines (optionally gzip/zstd by extension, or stdout for "-").

Each record is one line written with a single ``write`` of bytes ending in a newline, with
orjson (fast, and its output for the same dict is byte-identical every time). Compressed files
are opened by :func:`open_compressed`, the one place that picks the compressor, for this writer,
the local runner's output and the Ray shard workers alike.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import zstandard

from pipeline.config import registry

# output suffix -> compression
COMPRESSED_OUTPUT = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}


def dumps(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


class _Compressed:
    """A compressing stream over a file it owns: closing it finishes the stream, then the file."""

    def __init__(self, raw: BinaryIO, stream: Any) -> None:
        self.raw, self.stream = raw, stream

    def write(self, data: bytes) -> int:
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()

    def close(self) -> None:
        self.stream.close()
        self.raw.close()


def open_compressed(path: str | Path, compression: str | None = None, mode: str = "wb") -> _Compressed:
    """``path`` opened for writing through ``compression`` (``gzip`` or ``zstd``; by default the
    one its suffix names: ``.gz``, ``.zst``, ``.zstd``). The gzip header carries no file name and
    mtime 0 (``gzip.open`` would put both in), so the same records give the same bytes every time."""
    p = Path(path)
    kind = compression or COMPRESSED_OUTPUT.get(p.suffix)
    if kind not in ("gzip", "zstd"):
        raise ValueError(f"no compression given or named by the suffix of {p}")
    raw = p.open(mode)
    if kind == "gzip":
        return _Compressed(raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0))
    return _Compressed(raw, zstandard.ZstdCompressor().stream_writer(raw, closefd=False))


class JsonlWriter:
    """Writes one JSON record per line to a path (``.gz``/``.zst`` compress) or ``-`` (stdout)."""

    def __init__(self, path: str | Path, append: bool = False) -> None:
        self.path = str(path)
        self._fh: BinaryIO
        self._closer = None
        mode = "ab" if append else "wb"
        if self.path == "-":
            self._fh = sys.stdout.buffer
        else:
            p = Path(self.path)
            if p.parent and not p.parent.exists():
                p.parent.mkdir(parents=True, exist_ok=True)
            if p.suffix in COMPRESSED_OUTPUT:
                self._fh = open_compressed(p, mode=mode)  # type: ignore[assignment]
            else:
                self._fh = p.open(mode)
            self._closer = self._fh

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(dumps(record))

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        if self._closer is not None:
            self._closer.close()
        else:
            self._fh.flush()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@registry.writers.register("jsonl")
def make_jsonl_writer(path: str | Path, append: bool = False) -> JsonlWriter:
    return JsonlWriter(path, append=append)
