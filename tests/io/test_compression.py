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
