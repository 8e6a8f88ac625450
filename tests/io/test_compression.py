"""pipeline/io/compression.py: one opener, compression told by content, for inputs and record files."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pytest
import zstandard

from pipeline.io.compression import compression_of, inner_suffix, open_binary
from pipeline.io.readers import read_articles
from pipeline.report.records import iter_records

# lines that are both input articles and (entity-less) records
LINES = b'{"id": "a", "text": "\xe6\x9d\xb1\xe4\xba\xac", "entities": []}\n{"id": "b", "text": "x", "entities": []}\n'
WRITERS = {
    "gzip": gzip.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
    "bz2": bz2.compress,
    "xz": lzma.compress,
    None: lambda b: b,
}


@pytest.mark.parametrize("kind", list(WRITERS))
@pytest.mark.parametrize("name", ["dump.jsonl", "dump.jsonl.gz", "dump.jsonl.zst"])
def test_content_decides_not_the_name(tmp_path: Path, kind, name):
    path = tmp_path / name
    path.write_bytes(WRITERS[kind](LINES))
    assert compression_of(path) == kind
    with open_binary(path) as fh:
        assert list(fh) == LINES.splitlines(keepends=True)
    # shinbun run's reader and the record tools' reader see the same two records
    assert [a.id for a in read_articles([path])] == ["a", "b"]
    assert [r.id for r in iter_records(path)] == ["a", "b"]


@pytest.mark.parametrize(
    ("name", "suffix"),
    [("a.jsonl.gz", ".jsonl"), ("a.JSONL.ZST", ".jsonl"), ("a.txt", ".txt"), ("a.csv.bz2", ".csv"), ("noext", "")],
)
def test_inner_suffix(name, suffix):
    assert inner_suffix(name) == suffix


def test_missing_file_raises(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        open_binary(tmp_path / "nope.jsonl")


def test_zstd_frames_cut_short_concatenated_skippable_and_highly_compressible(tmp_path):
    """The zstd reader on several frames (``cat``), a skippable frame first (as pzstd writes) and
    an empty frame, on a file our streaming writer wrote, on a file cut inside a frame (EOFError,
    as gzip / bz2 / lzma raise, where zstandard's stream reader ends silently) and on a file whose
    output is about 3,000 times its size, read a line at a time with each step's output bounded."""
    from pipeline.io.writers import open_compressed

    c = zstandard.ZstdCompressor()
    a, b = b"".join(b'{"n": %d}\n' % i for i in range(20_000)), "東京\n".encode() * 500
    skippable = b"\x50\x2a\x4d\x18" + (4).to_bytes(4, "little") + b"skip"
    streamed = tmp_path / "streamed.zst"
    w = open_compressed(streamed, "zstd")
    for i in range(0, len(a), 999):
        w.write(a[i:i + 999])
    w.close()
    cases = {"cat": c.compress(a) + c.compress(b), "skip": skippable + c.compress(a) + skippable + c.compress(b"") + c.compress(b)}
    for name, blob in cases.items():
        (tmp_path / f"{name}.zst").write_bytes(blob)
    for name, want in (("cat", a + b), ("skip", a + b), ("streamed", a)):
        path = tmp_path / f"{name}.zst"
        assert compression_of(path) == "zstd", name
        with open_binary(path) as fh:
            assert fh.read() == want, name
        with open_binary(path) as fh:
            assert b"".join(fh) == want, name
    cut = tmp_path / "cut.zst"
    cut.write_bytes(cases["cat"][:-7])
    with pytest.raises(EOFError, match="zstd file ended before the end of its frame"), open_binary(cut) as fh:
        for _ in fh:
            pass
    big = tmp_path / "big.zst"
    big.write_bytes(c.compress(b'{"a": 1}\n' * 3_000_000))
    assert big.stat().st_size < 10_000
    with open_binary(big) as fh:
        assert fh.raw.readinto(bytearray(0)) == 0
        assert sum(1 for _ in fh) == 3_000_000
        assert len(fh.raw.out) <= 1 << 24  # one step's output
