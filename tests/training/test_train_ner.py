"""scripts/train/train_ner.py end to end on a few sentences (no pretrained vectors)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from scripts.train import train_ner

ROOT = Path(__file__).resolve().parents[2]

RECORDS = [
    {"id": "t-0", "text": "東京でトヨタ自動車の社長に会った。", "entities": [
        {"start": 0, "end": 2, "label": "GPE", "text": "東京"}, {"start": 3, "end": 9, "label": "ORG", "text": "トヨタ自動車"}]},
    {"id": "t-1", "text": "大阪の源氏物語展に行った。", "entities": [
        {"start": 0, "end": 2, "label": "GPE", "text": "大阪"}, {"start": 3, "end": 7, "label": "WORK_OF_ART", "text": "源氏物語"}]},
]


@pytest.fixture()
def tiny(tmp_path):
    """A data folder with one training and one dev file, and a training config without the
    pretrained vectors (so ja_ginza is not needed), GSD-style label rules, a first evaluation
    after 1,000 updates and two epochs: training ends before any evaluation."""
    data = tmp_path / "ja"
    data.mkdir()
    for name in ("tiny_train", "tiny_dev"):
        with open(data / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for r in RECORDS:
                f.write(json.dumps({**r, "lang": "ja"}, ensure_ascii=False) + "\n")
    cfg = (ROOT / "configs" / "train" / "ner_ja.cfg").read_text(encoding="utf-8")
    head, rest = cfg.split("[system]", 1)
    head = "\n".join([
        "[shinbun_train]",
        'sources = ["tiny_train"]', 'dev = ["tiny_dev"]', 'labels = ["ORG", "LOC", "PRODUCT"]',
        'other_labels = "outside"', "batch_words = 1000", "dropout = 0.2", "eval_every = 1000",
        "patience = 8", "max_epochs = 2", "learn_rate = 0.001",
        'label_map = {"tiny_train": {"GPE": "LOC"}, "tiny_dev": {"GPE": "LOC"}}',
        'missing_labels = {"tiny_train": ["WORK_OF_ART"]}', "",
    ])
    rest = re.sub(r'@architectures = "shinbun.SumHashEmbedVectors.v1"\n(?:.*\n)*?fine_tune_vectors = false\n',
                  '@architectures = "shinbun.SumHashEmbed.v1"\nwidth = 96\nattrs = ["NORM", "PREFIX", "SUFFIX", "TAG", "LEMMA"]\n'
                  "rows = [200, 50, 100, 20, 5]\n", rest)
    assert "SumHashEmbed.v1" in rest and "vectors_source" not in rest
    (tmp_path / "tiny.cfg").write_text(head + "[system]" + rest, encoding="utf-8")
    return tmp_path


def test_a_run_that_ends_before_its_first_evaluation_still_saves_its_model(tiny, monkeypatch, capsys):
    out = tiny / "model"
    monkeypatch.setattr("sys.argv", ["train_ner", "--lang", "ja", "--data", str(tiny / "ja"), "--out", str(out),
                                     "--config", str(tiny / "tiny.cfg"), "--max-minutes", "5"])
    train_ner.main()
    log = capsys.readouterr().out
    assert "saved best" in log and "finished: best mean dev micro F1 -1" not in log
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["shinbun"]["labels"] == ["LOC", "ORG", "PRODUCT"]
    assert set(meta["performance"]) == {"tiny_dev"}
    assert (out / "dev_scores.json").exists()


ZH_REC = {"id": "z-0", "text": "新华社记者王建国报道，李明会见了美国代表团。", "entities": [
    {"start": 0, "end": 3, "label": "ORG", "text": "新华社"},
    {"start": 5, "end": 8, "label": "PERSON", "text": "王建国"},
    {"start": 11, "end": 13, "label": "PERSON", "text": "李明"},
    {"start": 16, "end": 18, "label": "LOC", "text": "美国"}]}
POOL_RECS = [{"id": f"p-{i}", "text": n, "entities": [{"start": 0, "end": len(n), "label": "PERSON", "text": n}]}
             for i, n in enumerate(["张伟", "刘洋", "陈静", "约翰·史密斯", "赵丽华", "马", "Smith", "孙志强先生的"])]


def test_name_pool_keeps_han_names_and_transliterations_only():
    assert train_ner.name_pool(POOL_RECS) == sorted(["张伟", "刘洋", "陈静", "约翰·史密斯", "赵丽华"])
    assert not train_ner.listable("·约翰") and not train_ner.listable("马")


@pytest.mark.parametrize("seed", range(40))
def test_name_list_copy_keeps_every_span_exact_and_every_listed_name_a_person(seed):
    import random

    pool = train_ner.name_pool(POOL_RECS)
    out = train_ner.name_list(ZH_REC, pool, random.Random(seed))
    assert out["id"] == "z-0-list"
    text, ents = out["text"], out["entities"]
    for e in ents:
        assert text[e["start"]:e["end"]] == e["text"]
    assert [e["label"] for e in ents if e["label"] != "PERSON"] == ["ORG", "LOC"]
    assert {"新华社", "美国"} <= {e["text"] for e in ents}
    persons = [e for e in ents if e["label"] == "PERSON"]
    # runs of PERSONs back to back or with one note between them: one of the two names became a
    # list of 2-5 starting with itself, the other stands alone
    runs = [[persons[0]]]
    for a, b in zip(persons, persons[1:]):
        gap = text[a["end"]:b["start"]]
        if gap == "" or gap in train_ner.LIST_NOTES:
            runs[-1].append(b)
        else:
            runs.append([b])
    assert len(runs) == 2 and sorted(len(r) == 1 for r in runs) == [False, True]
    listed = next(r for r in runs if len(r) > 1)
    assert 2 <= len(listed) <= 5 and listed[0]["text"] in ("王建国", "李明")
    assert all(e["text"] in train_ner.name_pool(POOL_RECS) for e in listed[1:])
    assert ZH_REC["text"] == "新华社记者王建国报道，李明会见了美国代表团。"  # the original is untouched


def test_name_list_needs_a_listable_person_and_a_pool():
    import random

    rng = random.Random(0)
    assert train_ner.name_list({**ZH_REC, "entities": ZH_REC["entities"][:1]}, train_ner.name_pool(POOL_RECS), rng) is None
    assert train_ner.name_list(ZH_REC, ["张伟"], rng) is None
