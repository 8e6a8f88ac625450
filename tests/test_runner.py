"""The local runner: parallel = serial, order kept, worker crashes contained, kill -9 + resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import orjson
import pytest

from pipeline.config import load_config, registry
from pipeline.runners.local import run
from tests.conftest import LIGHT_CONFIG, check_record

NO_MODELS = LIGHT_CONFIG


class Poison:
    """Kills its worker process outright on an article containing the poison marker."""

    name = "test:poison"
    version = "0"

    def __call__(self, doc):
        if "☠" in doc.text:
            os._exit(13)
        return []


@registry.recognizers.register("test_poison")
def make_poison():
    return Poison()


def make_input(path, n, poison_at=()):
    with path.open("wb") as fh:
        for i in range(n):
            text = f"記事{i}。東京都の陳菊紅氏は{i % 97}日に大阪を訪れた。" + ("☠" if i in poison_at else "")
            if i % 50 == 7:
                fh.write(b"{broken json\n")
                continue
            fh.write(orjson.dumps({"id": f"a{i}", "text": text, "lang": "ja" if i % 3 else None}) + b"\n")


@pytest.fixture()
def cfg_path(tmp_path):
    p = tmp_path / "cfg.toml"
    p.write_text(NO_MODELS)
    return p


def test_parallel_output_equals_serial(tmp_path, cfg_path):
    src = tmp_path / "in.jsonl"
    make_input(src, 300)
    cfg = load_config(cfg_path)
    s1 = run(cfg, [src], tmp_path / "one.jsonl", workers=1)
    s2 = run(cfg, [src], tmp_path / "two.jsonl", workers=2, chunk_items=7)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    for line in (tmp_path / "one.jsonl").read_bytes().splitlines():
        check_record(orjson.loads(line))
    assert s1.articles == s2.articles == 294 and s1.errors == s2.errors == 6
    assert s2.labels == s1.labels and s1.labels["PERSON"] > 0


def test_worker_crash_loses_only_the_poisoned_article(tmp_path, cfg_path):
    cfg_path.write_text(NO_MODELS + '[[recognizers]]\nfactory = "test_poison"\n')
    src = tmp_path / "in.jsonl"
    make_input(src, 120, poison_at={33, 90})
    errors = tmp_path / "errors.jsonl"
    summary = run(load_config(cfg_path), [src], tmp_path / "out.jsonl", errors=errors, workers=2, chunk_items=8)
    recs = [orjson.loads(x) for x in (tmp_path / "out.jsonl").read_bytes().splitlines()]
    for rec in recs:
        check_record(rec)
    assert len(recs) == 120
    crashed = [r["id"] for r in recs if r.get("error", {}).get("type") == "WorkerCrashed"]
    assert crashed == ["a33", "a90"]
    assert summary.worker_crashes >= 2 and summary.errors == 2 + 3  # two poisoned + three broken lines
    ids = [r["id"] for r in recs]
    assert ids[:8] == ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "in.jsonl:8"]
    assert sum(1 for _ in errors.read_bytes().splitlines()) == 5


def test_kill_9_then_resume_equals_uninterrupted(tmp_path, cfg_path):
    src = tmp_path / "in.jsonl"
    make_input(src, 4000)
    full, part = tmp_path / "full.jsonl", tmp_path / "part.jsonl"
    cmd = [sys.executable, "-m", "pipeline.cli", "run", str(src), "--config", str(cfg_path), "-w", "1", "-q"]
    subprocess.run([*cmd, "-o", str(full)], check=True)
    proc = subprocess.Popen([*cmd, "-o", str(part)])
    deadline = time.time() + 60
    while time.time() < deadline and (not part.exists() or part.stat().st_size < 200_000):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    size = part.stat().st_size
    assert 0 < size < full.stat().st_size, "the run was not interrupted mid-way"
    with part.open("ab") as fh:  # simulate a torn last line as well
        fh.write(b'{"id":"torn')
    r = subprocess.run([*cmd, "-o", str(part), "--resume"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert part.read_bytes() == full.read_bytes()


def test_resume_refuses_other_config(tmp_path, cfg_path):
    src = tmp_path / "in.jsonl"
    make_input(src, 10)
    out = tmp_path / "out.jsonl"
    run(load_config(cfg_path), [src], out)
    other = tmp_path / "other.toml"
    other.write_text(NO_MODELS.replace("emit_tokens = true", "emit_tokens = false"))
    from pipeline.config import ConfigError

    with pytest.raises(ConfigError, match="cannot resume"):
        run(load_config(other), [src], out, resume=True)


def test_parquet_output_one_row_per_input(tmp_path, cfg_path):
    import pyarrow.parquet as pq

    src = tmp_path / "in.jsonl"
    make_input(src, 60)
    run(load_config(cfg_path), [src], tmp_path / "out.jsonl", workers=1)
    run(load_config(cfg_path), [src], tmp_path / "out.parquet", workers=1)
    table = pq.read_table(tmp_path / "out.parquet")
    jsonl = [orjson.loads(x) for x in (tmp_path / "out.jsonl").read_bytes().splitlines()]
    assert table.num_rows == 60 == len(jsonl)
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [r["id"] for r in jsonl]
    assert rows[7]["error"]["type"] == "InvalidJSON" and rows[7]["text"] is None
    ents = [(e["start"], e["end"], e["text"], e["label"]) for e in rows[0]["entities"]]
    assert ents == [(e["start"], e["end"], e["text"], e["label"]) for e in jsonl[0]["entities"]]


def test_compressed_jsonl_output(tmp_path, cfg_path):
    import gzip

    import zstandard

    src = tmp_path / "in.jsonl"
    make_input(src, 20)
    run(load_config(cfg_path), [src], tmp_path / "o.jsonl")
    run(load_config(cfg_path), [src], tmp_path / "o.jsonl.gz")
    run(load_config(cfg_path), [src], tmp_path / "o.jsonl.zst")
    plain = (tmp_path / "o.jsonl").read_bytes()
    assert gzip.decompress((tmp_path / "o.jsonl.gz").read_bytes()) == plain
    with zstandard.ZstdDecompressor().stream_reader((tmp_path / "o.jsonl.zst").open("rb")) as fh:
        assert fh.read() == plain


def test_warm_up_loads_models_and_changes_no_record():
    """Pipeline.warm_up (called by the local runner before forking workers) loads the models
    into the process-wide cache; records are the same as from a pipeline that was not warmed."""
    from pipeline import Article
    from pipeline.config import load_config
    from pipeline.core import Pipeline
    from pipeline.ner import spacy_ner

    cfg = load_config(None)
    art_ja = Article(id="a", text="岸田首相は東京で陳菊紅氏と会談した。", lang="ja")
    art_zh = Article(id="b", text="国务院总理李强在北京会见了来访的法国外长。", lang="zh")
    cold = Pipeline(cfg)
    before = [cold.process(art_ja), cold.process(art_zh)]
    Pipeline(cfg).warm_up()
    assert {p.split("/")[-1] for p in spacy_ner._LOADED} >= {"ner-ja", "ner-zh"}
    warm = Pipeline(cfg)
    assert [warm.process(art_ja), warm.process(art_zh)] == before


def test_gzip_output_is_the_same_bytes_every_run(tmp_path, cfg_path):
    """The gzip header carries no time or file name: two runs give byte-identical .gz files."""
    cfg = load_config(cfg_path)
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "東京で地震。"}\n', encoding="utf-8")
    run(cfg, [src], tmp_path / "one.jsonl.gz", workers=1)
    time.sleep(1.1)  # gzip.open would write a different mtime now
    run(cfg, [src], tmp_path / "two.jsonl.gz", workers=1)
    assert (tmp_path / "one.jsonl.gz").read_bytes() == (tmp_path / "two.jsonl.gz").read_bytes()
