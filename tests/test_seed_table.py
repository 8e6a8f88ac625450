"""scripts/eval/seed_table.py: the config and gold files it scores models with."""

from __future__ import annotations

import json

from scripts.data.splits import load_split
from scripts.eval import seed_table


def test_config_names_the_model_for_its_language_only(tmp_path):
    model = tmp_path / "student"
    model.mkdir()
    text = seed_table.config_for(model, "ja", tmp_path, 0).read_text(encoding="utf-8")
    assert f'model = "{model.resolve()}"' in text
    assert 'model = "ner-ja"' not in text and 'model = "ner-zh"' in text


def test_carved_split_is_written_from_its_training_file(tmp_path):
    data = tmp_path / "data"
    (data / "zh").mkdir(parents=True)
    recs = [{"id": f"msra_train-{i}", "lang": "zh", "text": f"句子{i}", "entities": []} for i in range(200)]
    with open(data / "zh" / "msra_train.jsonl", "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    path = seed_table.gold_file(data, "zh", "msra_dev", tmp_path)
    got = [json.loads(line)["id"] for line in open(path, encoding="utf-8")]
    assert got == [r["id"] for r in load_split(data / "zh", "msra_dev")]
    assert 0 < len(got) < 200
    assert seed_table.gold_file(data, "zh", "msra_train", tmp_path) == data / "zh" / "msra_train.jsonl"
