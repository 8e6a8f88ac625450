"""Record tools read every records file `shinbun run` writes (JSONL plain or compressed, Parquet),
told by content, and refuse anything else with one line and status 2."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.config import load_config
from pipeline.report.records import RecordsFormatError, iter_records
from pipeline.report.stats import compute_stats
from pipeline.runners.local import run
from tests.conftest import LIGHT_CONFIG


def shinbun(*args, **kw):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, sample_path):
    d = tmp_path_factory.mktemp("formats")
    cfg = d / "light.toml"
    cfg.write_text(LIGHT_CONFIG, encoding="utf-8")
    src = d / "in.jsonl"
    src.write_bytes(sample_path.read_bytes() + b'{"id": "no-text"}\n')
    for name in ("r.jsonl", "r.jsonl.gz", "r.parquet"):
        run(load_config(cfg), [src], d / name, workers=1)
    return d


def test_parquet_and_jsonl_records_read_the_same(outputs):
    jsonl = list(iter_records(outputs / "r.jsonl"))
    assert len(jsonl) == 14 and jsonl[-1].error["type"] == "MissingText"
    assert sum(len(r.entities) for r in jsonl) > 20
    assert any(e.value is not None for r in jsonl for e in r.entities)
    for other in ("r.jsonl.gz", "r.parquet"):
        assert list(iter_records(outputs / other)) == jsonl
    # the file name does not matter, the content does
    renamed = outputs / "records.bin"
    renamed.write_bytes((outputs / "r.parquet").read_bytes())
    assert list(iter_records(renamed, limit=3)) == jsonl[:3]
    assert compute_stats(iter_records(renamed)).as_dict() == compute_stats(jsonl).as_dict()


def test_stats_of_parquet_equals_stats_of_jsonl_on_the_command_line(outputs):
    a = shinbun("stats", outputs / "r.jsonl", "--json")
    b = shinbun("stats", outputs / "r.parquet", "--json")
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout and '"errors": 1' in a.stdout
    m1, m2 = outputs / "m1.csv", outputs / "m2.csv"
    assert shinbun("entities", outputs / "r.jsonl", "-o", m1).returncode == 0
    assert shinbun("entities", outputs / "r.parquet", "-o", m2).returncode == 0
    assert m1.read_bytes() == m2.read_bytes() and len(m1.read_bytes().splitlines()) > 20


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,text\n1,hello\n", "is not a records file: expected the JSONL (plain, .gz, .zst) or Parquet records"),
        (gzip.compress(b"<html><body>x</body></html>\n"), "is not a records file"),
        (b"\x00\x01\x02binary", "is not a records file"),
    ],
)
def test_other_files_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "x.jsonl"
    path.write_bytes(content)
    with pytest.raises(RecordsFormatError, match=re.escape(message)):
        iter_records(path)
    for cmd in (("stats",), ("entities", "-o", tmp_path / "m.csv"), ("view", "-o", tmp_path / "v.html")):
        r = shinbun(cmd[0], path, *cmd[1:])
        assert r.returncode == 2, (cmd, r.stderr)
        assert r.stderr == f"shinbun: error: {path} is not a records file: expected the JSONL (plain, .gz, .zst) or Parquet records that `shinbun run` writes\n"
    assert not (tmp_path / "m.csv").exists() and not (tmp_path / "v.html").exists()


def test_a_file_without_records_is_refused_in_one_line(tmp_path):
    """An empty records file (a run that wrote nothing) gives no empty report with status 0."""
    from pipeline.io.parquet import ParquetSink

    empty, blank, rows0 = tmp_path / "e.jsonl", tmp_path / "b.jsonl.gz", tmp_path / "z.parquet"
    empty.write_bytes(b"")
    blank.write_bytes(gzip.compress(b"\n \n"))
    ParquetSink(rows0).close()
    for path, why in ((empty, "an empty file"), (blank, "an empty file"), (rows0, "a Parquet file with no row")):
        with pytest.raises(RecordsFormatError, match=re.escape(f"{path} holds no record ({why}): nothing to read")):
            iter_records(path)
        for cmd in (("stats", path), ("entities", path, "-o", tmp_path / "m.csv"), ("view", path, "-o", tmp_path / "v.html"),
                    ("db", path, "-o", tmp_path / "d.duckdb"), ("cooccur", path), ("kwic", "東京", path)):
            r = shinbun(*cmd)
            assert r.returncode == 2, (cmd, r.stderr)
            assert r.stderr == f"shinbun: error: {path} holds no record ({why}): nothing to read\n", cmd
    r = shinbun("stats", "-", input=None, stdin=open(empty, "rb"))
    assert r.returncode == 2 and r.stderr == "shinbun: error: stdin holds no record (an empty file): nothing to read\n"
    assert not any((tmp_path / n).exists() for n in ("m.csv", "v.html", "d.duckdb"))


def test_a_parquet_file_of_something_else_is_refused(tmp_path):
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"id": ["a"], "text": ["x"]}), path)
    r = shinbun("stats", path)
    assert r.returncode == 2
    assert r.stderr == (f"shinbun: error: {path}: a Parquet file without shinbun's record columns (entities, error, meta missing); "
                        "expected the JSONL (plain, .gz, .zst) or Parquet records that `shinbun run` writes\n")


def test_parquet_on_stdin_is_refused(outputs):
    r = shinbun("stats", "-", input=None, stdin=open(outputs / "r.parquet", "rb"))
    assert r.returncode == 2
    assert r.stderr == "shinbun: error: a Parquet records file cannot be read from standard input: give its path\n"


def test_value_note_reaches_the_tables_and_the_report(tmp_path):
    import orjson

    from pipeline.report.html import article_data
    from pipeline.report.tables import MENTION_COLUMNS, iter_mentions

    rec = {"id": "n", "lang": "zh-Hans", "text": "花了几百块钱。", "body": [0, 7], "entities": [
        {"start": 2, "end": 6, "text": "几百块钱", "label": "MONEY", "sentence": 0, "source": "rules:numeric",
         "norm": {"currency": "CNY", "value_note": "vague amount"}}], "meta": {}}
    path = tmp_path / "n.jsonl"
    path.write_bytes(orjson.dumps(rec) + b"\n")
    (r,) = list(iter_records(path))
    assert r.entities[0].value_note == "vague amount"
    (row,) = list(iter_mentions([r]))
    assert dict(zip(MENTION_COLUMNS, row))["value_note"] == "vague amount"
    ents = article_data(r, {})["ents"]
    assert ents[0][12:] == ["CNY", None, "vague amount"]
