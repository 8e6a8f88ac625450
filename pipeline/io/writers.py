"""Writers: records -> JSON Lines (optionally gzip/zstd by extension, or stdout for "-").

Each record is one line written with a single ``write`` of bytes ending in a newline, with
orjson (fast, and its output for the same dict is byte-identical every time).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from pipeline.config import registry


def dumps(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


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
            if p.suffix == ".gz":
                self._fh = gzip.open(p, mode)  # type: ignore[assignment]
            elif p.suffix in (".zst", ".zstd"):
                import zstandard

                raw = p.open(mode)
                self._fh = zstandard.ZstdCompressor().stream_writer(raw, closefd=True)  # type: ignore[assignment]
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
