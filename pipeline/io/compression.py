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
from typing import Any, BinaryIO

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
    if magic.startswith(_ZSTD) or (magic[:1] and magic[0] & 0xF0 == 0x50 and magic[1:4] == b"\x2a\x4d\x18"):
        return "zstd"  # a zstd frame, or a skippable frame (pzstd starts its files with one)
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
        # a BufferedReader gives line iteration
        return io.BufferedReader(_ZstdFrames(p.open("rb")))
    if kind == "bz2":
        return bz2.open(p, "rb")  # type: ignore[return-value]
    if kind == "xz":
        return lzma.open(p, "rb")  # type: ignore[return-value]
    return p.open("rb")


class _ZstdFrames(io.RawIOBase):
    """Decompressed bytes of a zstd file (one frame or several, as ``zstd`` and ``cat`` make them)
    that raises ``EOFError`` when the file ends inside a frame, as gzip, bz2 and lzma do:
    zstandard's ``stream_reader`` ends a truncated file silently, so a file cut short would read
    as a shorter file with a torn last line. Input is fed 1 KiB at a time, so that the output of
    one step stays small however well the data compresses."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.dctx = zstandard.ZstdDecompressor()
        self.dec = self.dctx.decompressobj()
        self.started = False  # input fed to the current frame
        self.inp, self.inpos = b"", 0  # compressed bytes read, and how many are used
        self.out, self.outpos = b"", 0  # decompressed bytes, and how many were handed out

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        """Decompress the next piece into ``out``; False at the end of the file."""
        while True:
            if self.inpos >= len(self.inp):
                self.inp, self.inpos = self.raw.read(1 << 16), 0
                if not self.inp:
                    if self.started and not self.dec.eof:
                        raise EOFError("zstd file ended before the end of its frame")
                    return False
            if self.dec.eof:  # the next frame
                self.dec, self.started = self.dctx.decompressobj(), False
            piece = self.inp[self.inpos:self.inpos + 1024]
            self.inpos += len(piece)
            self.started = True
            out = self.dec.decompress(piece)
            if self.dec.eof:  # what followed the frame's end in this piece is the next frame's
                self.inpos -= len(self.dec.unused_data)
            if out:
                self.out, self.outpos = out, 0
                return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not view.nbytes:
            return 0
        if self.outpos >= len(self.out) and not self._fill():
            return 0
        n = min(view.nbytes, len(self.out) - self.outpos)
        view[:n] = self.out[self.outpos:self.outpos + n]
        self.outpos += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def inner_suffix(path: str | Path) -> str:
    """The format suffix, looking through a compression suffix (a.jsonl.gz -> .jsonl)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""
