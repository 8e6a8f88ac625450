"""scripts/eval/name_lists.py: the probe copies it scores Chinese models on."""

from __future__ import annotations

import json

from scripts.eval import name_lists

NAMES = ["张伟", "刘洋", "陈静", "赵丽华", "孙志强", "约翰·史密斯", "黄志红", "周文斌"]


def write(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps({**r, "lang": "zh"}, ensure_ascii=False) + "\n")


def test_probe_lists_are_names_of_the_training_pool_written_back_to_back(tmp_path):
    zh = tmp_path / "zh"
    zh.mkdir()
    write(zh / "msra_train.jsonl", [
        {"id": f"msra_train-{i}", "text": n + "说。", "entities": [{"start": 0, "end": len(n), "label": "PERSON"}]}
        for i, n in enumerate(NAMES * 5)])
    write(zh / "pd_dev.jsonl", [
        {"id": "pd-0", "text": "记者王建国报道。", "entities": [{"start": 2, "end": 5, "label": "PER"}]},
        {"id": "pd-1", "text": "北京今天下雨。", "entities": [{"start": 0, "end": 2, "label": "LOC"}]},
        {"id": "pd-2", "text": "新华社李明和马报道。", "entities": [
            {"start": 0, "end": 3, "label": "ORG"}, {"start": 3, "end": 5, "label": "PER"},
            {"start": 6, "end": 7, "label": "PER"}]}])
    probes = name_lists.probe_records(tmp_path)
    assert [copy["id"] for copy, _ in probes] == ["pd-0-list", "pd-2-list"]
    for copy, listed in probes:
        assert all(e["label"] == "PERSON" for e in copy["entities"])  # PER mapped, other labels dropped
        texts = [copy["text"][a:b] for a, b in listed]
        assert 2 <= len(texts) <= 5 and texts[0] in ("王建国", "李明")
        assert set(texts[1:]) <= set(NAMES)
        assert copy["text"].endswith("报道。")
