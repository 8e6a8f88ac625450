"""Record tools read every records file `shinbun run` writes (JSONL plain or compressed, Parquet),
told by content, and refuse anything else with one line and status 2."""

from __future__ import annotations

import gzip
import os
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
    for path, why in ((empty, "an empty file, or blank lines only"), (blank, "an empty file, or blank lines only"), (rows0, "a Parquet file with no row")):
        with pytest.raises(RecordsFormatError, match=re.escape(f"{path} holds no record ({why}): nothing to read")):
            iter_records(path)
        for cmd in (("stats", path), ("entities", path, "-o", tmp_path / "m.csv"), ("view", path, "-o", tmp_path / "v.html"),
                    ("db", path, "-o", tmp_path / "d.duckdb"), ("cooccur", path), ("kwic", "東京", path)):
            r = shinbun(*cmd)
            assert r.returncode == 2, (cmd, r.stderr)
            assert r.stderr == f"shinbun: error: {path} holds no record ({why}): nothing to read\n", cmd
    r = shinbun("stats", "-", input=None, stdin=open(empty, "rb"))
    assert r.returncode == 2 and r.stderr == "shinbun: error: stdin holds no record (an empty file, or blank lines only): nothing to read\n"
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


@pytest.mark.parametrize("suffix", [".zst", ".xz", ".bz2"])
def test_a_records_file_cut_short_fails_whatever_its_compression(outputs, tmp_path, suffix):
    """zstandard's stream reader ends a truncated file silently; shinbun's reader does not."""
    import bz2
    import lzma

    import zstandard

    compress = {".zst": zstandard.ZstdCompressor().compress, ".xz": lzma.compress, ".bz2": bz2.compress}[suffix]
    raw = (outputs / "r.jsonl").read_bytes() * 8
    whole, cut = tmp_path / f"whole.jsonl{suffix}", tmp_path / f"cut.jsonl{suffix}"
    whole.write_bytes(compress(raw))
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert len(list(iter_records(whole))) == 8 * 14
    with pytest.raises(RecordsFormatError, match=r"cut.jsonl\.\w+ cannot be read after line \d+: EOFError"):
        list(iter_records(cut))
    r = shinbun("view", cut, "-o", tmp_path / "v.html")
    assert r.returncode == 2 and "(the file is truncated or corrupt)" in r.stderr
    assert not (tmp_path / "v.html").exists()


def test_a_damaged_parquet_records_file_fails_in_one_line(outputs, tmp_path):
    raw = bytearray((outputs / "r.parquet").read_bytes())
    # flip bytes inside the first column chunk, after the magic, far from the footer
    for i in range(40, 400):
        raw[i] ^= 0x5A
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(raw))
    r = shinbun("stats", bad)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and r.stderr.startswith(f"shinbun: error: {bad}")


def _damaged(outputs, tmp_path):
    """The sample records eight times over, gzip-compressed: cut at two thirds, and with bytes
    overwritten in the middle (a CRC failure), plus a pretty-printed JSON array of records."""
    data = gzip.compress((outputs / "r.jsonl").read_bytes() * 8)
    cut, bad = tmp_path / "cut.jsonl.gz", tmp_path / "bad.jsonl.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    mid = len(data) // 2
    bad.write_bytes(data[:mid] + b"y" * 20 + data[mid + 20:])
    pretty = tmp_path / "pretty.jsonl"
    pretty.write_text("[\n" + ",\n".join((outputs / "r.jsonl").read_text(encoding="utf-8").splitlines()[:2]) + "\n]\n",
                      encoding="utf-8")
    return cut, bad, pretty


def test_a_damaged_records_file_fails_in_one_line_and_leaves_no_partial_output(outputs, tmp_path):
    """A gzip file cut short or corrupt part-way is not read as its first part (which would pass
    for a report of the whole file): one line naming the last line read, status 2, no output file,
    and an output that was there before is kept."""
    cut, bad, pretty = _damaged(outputs, tmp_path)
    with pytest.raises(RecordsFormatError, match=r"cut.jsonl.gz cannot be read after line \d+: EOFError: .*\(the file is truncated or corrupt\)"):
        list(iter_records(cut))
    with pytest.raises(RecordsFormatError, match=r"bad.jsonl.gz cannot be read after line \d+: (BadGzipFile|error): "):
        list(iter_records(bad))
    with pytest.raises(RecordsFormatError, match=r"pretty.jsonl is not a records file: line 1 is not valid JSON"):
        iter_records(pretty)
    old_db = tmp_path / "old.duckdb"
    assert shinbun("db", outputs / "r.jsonl", "-o", old_db).returncode == 0
    before = old_db.read_bytes()
    for src in (cut, bad, pretty):
        for cmd in (("stats", src), ("view", src, "-o", tmp_path / "v.html"), ("entities", src, "-o", tmp_path / "m.csv"),
                    ("db", src, "-o", old_db), ("cooccur", src, "-o", tmp_path / "c.parquet"),
                    ("kwic", "東京", src, "-o", tmp_path / "k.jsonl")):
            r = shinbun(*cmd)
            assert r.returncode == 2, (cmd, r.stderr)
            assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith(f"shinbun: error: {src}"), (cmd, r.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl.gz", "cut.jsonl.gz", "old.duckdb", "pretty.jsonl"]
    assert old_db.read_bytes() == before


def test_an_output_that_is_one_of_the_inputs_is_refused(outputs, tmp_path):
    src = tmp_path / "r.jsonl"
    src.write_bytes((outputs / "r.jsonl").read_bytes())
    before = src.read_bytes()
    for cmd in (("view", src, "-o", src), ("entities", src, "-o", src), ("entities", src, "--by", "month", "-o", src),
                ("db", src, "-o", src), ("cooccur", src, "-o", src), ("kwic", "東京", src, "-o", src)):
        r = shinbun(*cmd)
        assert r.returncode == 2, cmd
        assert r.stderr == (f"shinbun: error: the output {src} is also an input: writing it would destroy the input; "
                            "write to another file\n"), cmd
    assert src.read_bytes() == before


def test_replaced_outputs_keep_links_and_modes(outputs, tmp_path):
    """A report written through a symlink replaces the file it points to (the link stays), a
    replaced file keeps its mode (a report kept private stays private), /dev/stdout is written to."""
    import os
    import stat

    real, link = tmp_path / "real.html", tmp_path / "link.html"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o600)
    link.symlink_to(real.name)
    assert shinbun("view", outputs / "r.jsonl", "-o", link).returncode == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o600
    piped = shinbun("entities", outputs / "r.jsonl", "-o", "/dev/stdout")
    assert piped.returncode == 2 and "unknown output format" in piped.stderr  # no .csv suffix: as before
    out = subprocess.run(f"{sys.executable} -m pipeline.cli view {outputs / 'r.jsonl'} -o /dev/stdout | wc -c",
                         shell=True, capture_output=True, text=True)
    assert int(out.stdout) > 10_000, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.html", "real.html"]
    aliases = tmp_path / "al.csv"  # a TSV, named so that it is a valid table output too
    aliases.write_text("騰訊\tテンセント\n", encoding="utf-8")
    for cmd in (("view", outputs / "r.jsonl", "--aliases", aliases, "-o", aliases),
                ("cooccur", outputs / "r.jsonl", "--aliases", aliases, "-o", aliases)):
        r = shinbun(*cmd)
        assert r.returncode == 2 and "is also an input" in r.stderr, (cmd, r.stderr)
    assert aliases.read_text(encoding="utf-8") == "騰訊\tテンセント\n"


def test_db_output_problems_are_one_line(outputs, tmp_path):
    r = shinbun("db", outputs / "r.jsonl", "-o", tmp_path / "no" / "x.duckdb")
    assert r.returncode == 2
    assert r.stderr == f"shinbun: error: [Errno 2] no such folder {tmp_path / 'no'}: '{tmp_path / 'no' / 'x.duckdb'}'\n"
    r = shinbun("db", outputs / "r.jsonl", "-o", tmp_path / "x.duckdb", "--memory-limit", "lots")
    assert r.returncode == 2 and r.stderr.startswith("shinbun: error: --memory-limit 'lots': ") and len(r.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_selections_that_cannot_match_are_refused(outputs, tmp_path):
    """A language spelled otherwise than in the records, or a --limit / --top below 1, would
    select nothing (or all but one) and exit 0."""
    r = shinbun("entities", outputs / "r.jsonl", "--lang", "ja,zh-CN")
    assert r.returncode == 2
    assert r.stderr == "shinbun: error: unknown language zh-CN: the record languages are zh, ja, zh-Hans, zh-Hant, und\n"
    ok = shinbun("entities", outputs / "r.jsonl", "--lang", "zh", "-o", tmp_path / "zh.csv")
    assert ok.returncode == 0 and int(ok.stderr.split()[2]) > 0
    r = shinbun("entities", outputs / "r.jsonl", "--by", "month", "--lang", "zh", "-o", "-")
    assert r.returncode == 2
    assert r.stderr == ("shinbun: error: --by counts every entity of every article: --lang, --label, --aggregate, "
                        "--min-articles and --sort do not apply to it\n")
    assert shinbun("entities", outputs / "r.jsonl", "--by", "month", "--sort", "mentions", "-o", "-").returncode == 2
    r = shinbun("entities", outputs / "r.jsonl", "--aliases", tmp_path / "zh.csv")
    assert r.returncode == 2 and r.stderr == "shinbun: error: --aliases applies to --by (and to view, db, cooccur and kwic)\n"
    for cmd in (("stats", outputs / "r.jsonl", "--limit", "0"), ("stats", outputs / "r.jsonl", "--top", "-1"),
                ("view", outputs / "r.jsonl", "-o", tmp_path / "v.html", "--limit", "-1")):
        r = shinbun(*cmd)
        assert r.returncode == 2 and "Invalid value" in r.stderr, cmd


def test_a_first_line_that_is_no_json_object_refuses_the_file(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'[{"id": "a", "text": "x", "entities": []}]\n')
    with pytest.raises(RecordsFormatError, match=re.escape(f"{path} is not a records file: line 1 is an array, not a JSON object")):
        iter_records(path)


def test_view_writes_the_report_to_stdout_for_a_dash(outputs, tmp_path):
    r = shinbun("view", outputs / "r.jsonl", "-o", "-", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("<!DOCTYPE html>") and r.stdout.rstrip().endswith("</html>")
    assert list(tmp_path.iterdir()) == []  # no file named "-"
    assert r.stderr == "shinbun: wrote -: 14 of 14 records (13 articles, 1 errors, " + r.stderr.split(", 1 errors, ", 1)[1]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("cmd", [("stats",), ("stats", "--json"), ("view", "-o", "-"), ("entities", "-o", "-")])
def test_a_full_disk_on_stdout_is_one_line_and_status_2(outputs, cmd):
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "pipeline.cli", cmd[0], str(outputs / "r.jsonl"), *cmd[1:]],
                           stdout=full, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("shinbun: error: ")
    assert "No space left on device" in r.stderr


def test_schema_to_a_full_disk_is_one_line(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full (Linux)")
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "pipeline.cli", "schema"], stdout=full, stderr=subprocess.PIPE, text=True)
    assert (r.returncode, r.stderr) == (2, "shinbun: error: cannot write output: [Errno 28] No space left on device\n")


def test_db_refuses_stdout(outputs, tmp_path):
    r = shinbun("db", outputs / "r.jsonl", "-o", "-", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (2, "shinbun: error: -o -: a DuckDB database is a file, it cannot go to standard output; "
                                           "name a file such as corpus.duckdb\n")
    assert list(tmp_path.iterdir()) == []


def test_an_empty_table_on_stdout_says_so_on_stderr(outputs):
    r = shinbun("kwic", "存在しない固有名", outputs / "r.jsonl")
    assert r.returncode == 0
    assert r.stdout.splitlines() == ["article_id,published,lang,label,key,left,text,right,start,end,sentence"]
    assert r.stderr == "shinbun: no row: nothing in the records matches (the table is its header line)\n"
