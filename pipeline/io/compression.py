"""One opener for every file shinbun reads: compressed or not, told by content, not by name.

gzip, zstd, bz2 and xz are recognised by their magic bytes, so ``dump.jsonl.gz``, a gzip file
saved without a suffix and ``records.zst`` all open the same way (``shinbun run`` inputs and the
record files that ``view``, ``entities`` and ``stats`` read). The suffix list below only serves to
see through a compression suffix when a reader needs the inner format (``a.jsonl.gz`` -> ``.jsonl``).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from pathlib import Path
from typing import BinaryIO

import zstandard

COMPRESSED_SUFFIXES = frozenset({".gz", ".bz2", ".xz", ".zst", ".zstd"})

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_BZIP2 = b"BZh"
_XZ = b"\xfd7zXZ\x00"


def compression_of(path: str | Path) -> str | None:
    """"gzip", "zstd", "bz2", "xz" or None (not compressed), from the first bytes of the file."""
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic.startswith(_GZIP):
        return "gzip"
    if magic.startswith(_ZSTD):
        return "zstd"
    if magic.startswith(_BZIP2):
        return "bz2"
    if magic.startswith(_XZ):
        return "xz"
    return None


def open_binary(path: str | Path) -> BinaryIO:
    """``path`` opened for binary reading (and line iteration), decompressed if it is compressed."""
    p = Path(path)
    kind = compression_of(p)
    if kind == "gzip":
        return gzip.open(p, "rb")  # type: ignore[return-value]
    if kind == "zstd":
        # zstandard's reader has no readline; a BufferedReader gives line iteration
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(p.open("rb"), closefd=True))  # type: ignore[arg-type]
    if kind == "bz2":
        return bz2.open(p, "rb")  # type: ignore[return-value]
    if kind == "xz":
        return lzma.open(p, "rb")  # type: ignore[return-value]
    return p.open("rb")


def inner_suffix(path: str | Path) -> str:
    """The format suffix, looking through a compression suffix (a.jsonl.gz -> .jsonl)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""
