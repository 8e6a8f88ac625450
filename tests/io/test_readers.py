"""Readers: every input record becomes an Article or an InputError, in order, never a crash."""

from __future__ import annotations

import bz2
import gzip
import lzma

import orjson
import pytest

from pipeline.io.readers import InputPathError, read_articles
from pipeline.record import Article, InputError

LINES = [
    {"id": "a1", "text": "東京で会議。", "lang": "ja", "title": "会議", "published": "2024-01-02", "url": "u", "source": "x", "rank": 3},
    {"id": "a2", "text": "北京下雪了。"},
]


def write_jsonl(path, rows):
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def test_jsonl_fields_and_meta(tmp_path):
    p = tmp_path / "in.jsonl"
    write_jsonl(p, LINES)
    items = list(read_articles([p]))
    assert [type(i) for i in items] == [Article, Article]
    a = items[0]
    assert (a.id, a.text, a.lang, a.title, a.published, a.url) == ("a1", "東京で会議。", "ja", "会議", "2024-01-02", "u")
    assert a.meta == {"source": "x", "rank": 3}
    assert [i.position for i in items] == [0, 1]


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_compressed(tmp_path, suffix, opener):
    p = tmp_path / f"in.jsonl{suffix}"
    with opener(p, "wb") as fh:
        fh.write(b"".join(orjson.dumps(r) + b"\n" for r in LINES))
    assert [a.id for a in read_articles([p])] == ["a1", "a2"]


def test_zstd(tmp_path):
    import zstandard

    p = tmp_path / "in.jsonl.zst"
    p.write_bytes(zstandard.ZstdCompressor().compress(b"".join(orjson.dumps(r) + b"\n" for r in LINES)))
    assert [a.id for a in read_articles([p])] == ["a1", "a2"]


def test_bad_lines_become_errors_and_reading_goes_on(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(
        b'{"id": "ok1", "text": "\xe6\x9d\xb1\xe4\xba\xac"}\n'
        b"{not json\n"
        b'{"id": "bytes", "text": "\xff\xfe"}\n'
        b'{"id": "notext"}\n'
        b"\n"
        b'[1, 2]\n'
        b'{"id": "num", "text": 5}\n'
        b'{"text": "\xe5\x8c\x97\xe4\xba\xac"}\n'
    )
    items = list(read_articles([p]))
    kinds = [(i.id, type(i).__name__, getattr(i, "type", None)) for i in items]
    assert kinds == [
        ("ok1", "Article", None),
        ("bad.jsonl:2", "InputError", "InvalidJSON"),
        ("bad.jsonl:3", "InputError", "InvalidUTF8"),
        ("notext", "InputError", "MissingText"),
        ("bad.jsonl:6", "InputError", "InvalidRecord"),
        ("num", "InputError", "InvalidText"),
        ("bad.jsonl:8", "Article", None),
    ]
    assert [i.position for i in items] == list(range(7))


def test_text_files_and_directory_with_binary(tmp_path):
    d = tmp_path / "dump"
    (d / "sub").mkdir(parents=True)
    (d / "b.txt").write_text("大阪で祭り。", encoding="utf-8")
    (d / "a.txt").write_text("上海下雨。", encoding="utf-8")
    (d / "sub" / "c.jsonl").write_bytes(orjson.dumps({"id": "c1", "text": "広州"}) + b"\n")
    (d / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (d / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    (d / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    items = list(read_articles([d]))
    got = [(i.id, type(i).__name__, getattr(i, "type", None)) for i in items]
    assert got == [
        ("a.txt", "Article", None),
        ("b.txt", "Article", None),
        ("bin.txt", "InputError", "BinaryFile"),
        ("image.png", "InputError", "UnsupportedFile"),
        ("latin1.txt", "InputError", "InvalidUTF8"),
        ("c1", "Article", None),
    ]
    assert items[0].text == "上海下雨。"


def test_missing_path_is_fatal(tmp_path):
    with pytest.raises(InputPathError):
        list(read_articles([tmp_path / "nope.jsonl"]))


def test_parquet_csv_and_saved_dataset(tmp_path):
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["p1", "p2"], "text": ["東京", "北京"], "extra": [1, 2]})
    pq.write_table(table, tmp_path / "in.parquet")
    arts = list(read_articles([tmp_path / "in.parquet"]))
    assert [(a.id, a.text, a.meta) for a in arts] == [("p1", "東京", {"extra": 1}), ("p2", "北京", {"extra": 2})]

    (tmp_path / "in.csv").write_text("id,text\nc1,大阪\nc2,广州\n", encoding="utf-8")
    assert [a.text for a in read_articles([tmp_path / "in.csv"])] == ["大阪", "广州"]

    ds = datasets.Dataset.from_dict({"text": ["名古屋", "深圳"]})
    ds.save_to_disk(str(tmp_path / "saved"))
    arts = list(read_articles([tmp_path / "saved"]))
    assert [(a.id, a.text) for a in arts] == [("saved:0", "名古屋"), ("saved:1", "深圳")]


def test_streaming_reads_lazily(tmp_path):
    """The reader is a generator: the first article comes out before later lines are parsed."""
    p = tmp_path / "big.jsonl"
    with p.open("wb") as fh:
        fh.write(orjson.dumps({"id": "first", "text": "x"}) + b"\n")
        fh.write(b"{broken\n" * 10)
    it = read_articles([p])
    assert next(it).id == "first"
    assert isinstance(next(it), InputError)
