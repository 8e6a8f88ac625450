"""Readers: every input record becomes an Article or an InputError, in order, never a crash."""

from __future__ import annotations

import bz2
import gzip
import lzma

import orjson
import pytest

from pipeline.io.readers import InputFields, InputPathError, read_articles
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


# --- field names: the same records whatever the input calls its fields ---------------------

RENAMED = {"text": "content", "id": "doc_id", "published": "date", "title": "headline", "lang": "language"}
MAPPED = InputFields(text="content", id="doc_id", date="date", title="headline", lang="language")
ROWS = [
    {"id": "a1", "text": "東京で会議。", "lang": "ja", "title": "会議", "published": "2024-01-02", "source": "x"},
    {"id": "a2", "text": "北京下雪了。", "lang": None, "title": None, "published": None, "source": "y"},
]


def _renamed(rows):
    return [{RENAMED.get(k, k): v for k, v in r.items()} for r in rows]


def _write_input(kind, path, rows):
    import datasets
    import pandas as pd

    if kind == "jsonl":
        write_jsonl(path, rows)
    elif kind == "csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    elif kind == "parquet":
        pd.DataFrame(rows).to_parquet(path, index=False)
    else:
        datasets.Dataset.from_list(rows).save_to_disk(str(path))


@pytest.mark.parametrize(("kind", "name"), [("jsonl", "in.jsonl"), ("csv", "in.csv"), ("parquet", "in.parquet"), ("dataset", "saved")])
def test_field_names_map_for_every_input_kind(tmp_path, kind, name):
    plain, renamed = tmp_path / "plain", tmp_path / "renamed"
    plain.mkdir(), renamed.mkdir()
    _write_input(kind, plain / name, ROWS)
    _write_input(kind, renamed / name, _renamed(ROWS))
    expected = list(read_articles([plain / name]))
    got = list(read_articles([renamed / name], MAPPED))
    assert [type(x) for x in got] == [Article, Article]
    assert got == expected
    assert (got[0].id, got[0].text, got[0].title, got[0].published, got[0].meta) == ("a1", "東京で会議。", "会議", "2024-01-02", {"source": "x"})
    # without the mapping, every record says which fields it has
    errors = list(read_articles([renamed / name]))
    assert [e.type for e in errors] == ["MissingText", "MissingText"]
    assert errors[0].message == "record has no 'text' field (its fields: 'doc_id', 'content', 'language', 'headline', 'date', 'source')"


def test_a_default_language_only_for_records_without_one(tmp_path):
    p = tmp_path / "in.jsonl"
    write_jsonl(p, [{"id": "a", "text": "x", "lang": "zh"}, {"id": "b", "text": "y"}, {"id": "c", "text": "z", "lang": ""}])
    txt = tmp_path / "d.txt"
    txt.write_text("w", encoding="utf-8")
    items = list(read_articles([p, txt], InputFields(default_lang="ja")))
    assert [(i.id, i.lang) for i in items] == [("a", "zh"), ("b", "ja"), ("c", "ja"), ("d.txt", "ja")]


@pytest.mark.parametrize(
    ("section", "message"),
    [({"text": "content"}, r"\[input\]: unknown setting\(s\) \['text'\]"), ({"text_field": ""}, "text_field must be a non-empty string")],
)
def test_a_bad_input_section_is_refused(section, message):
    with pytest.raises(ValueError, match=message):
        InputFields.from_config(section)
    assert InputFields.from_config({"text_field": "body", "lang": "ja"}) == InputFields(text="body", default_lang="ja")


def test_stdin_and_a_pipe_are_jsonl_streams(tmp_path, monkeypatch):
    import io
    import os
    import sys
    import threading

    data = b"".join(orjson.dumps(r) + b"\n" for r in LINES)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert [(i.id, i.text) for i in read_articles(["-"])] == [("a1", "東京で会議。"), ("a2", "北京下雪了。")]
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as fh:
            fh.write(data)

    t = threading.Thread(target=feed)
    t.start()
    items = list(read_articles([fifo]))
    t.join()
    assert [(i.id, i.text) for i in items] == [("a1", "東京で会議。"), ("a2", "北京下雪了。")]
