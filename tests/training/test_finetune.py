"""scripts/train/finetune_ner.py: a few training steps on a tiny model built here; the result loads in
the backend and scores there as the script said. No network."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("datasets")
pytest.importorskip("accelerate")

from pipeline.record import Article, Document, Span  # noqa: E402
from pipeline.ner import transformers_ner as nt  # noqa: E402
from scripts.train import finetune_ner  # noqa: E402

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# (text, [(surface, label)]) - Japanese, with a full-width number and an astral character
TRAIN = [
    ("トヨタ自動車の田中さんは５月１２日に来た。", [("トヨタ自動車", "ORG"), ("田中", "PERSON")]),
    ("田中さんはトヨタ自動車で働く。", [("田中", "PERSON"), ("トヨタ自動車", "ORG")]),
    ("今日は雨が降る。", []),
    ("𠮷野家の田中さん。", [("𠮷野家", "ORG"), ("田中", "PERSON")]),
]
DEV = [TRAIN[0], TRAIN[3]]
JA_VOCAB = ["トヨタ", "自動", "車", "の", "田中", "さん", "は", "5", "月", "1", "##2", "日", "に", "来", "た", "。",
            "で", "働く", "今日", "雨", "が", "降る", "𠮷", "野家"]
ZH_VOCAB = ["王", "小", "明", "在", "北", "京", "大", "学", "。", "１", "##２", "我"]
ZH_TRAIN = [("王小明在北京大学。", [("王小明", "PERSON"), ("北京大学", "ORG")]), ("我在北京。", [("北京", "ORG")])]


def records(pairs, lang):
    out = []
    for i, (text, ents) in enumerate(pairs):
        spans, pos = [], {}
        for surface, label in ents:
            s = text.index(surface, pos.get(surface, 0))
            pos[surface] = s + 1
            spans.append({"start": s, "end": s + len(surface), "label": label, "text": surface})
        out.append({"id": f"r{i}", "lang": lang, "text": text, "entities": spans})
    return out


def write_jsonl(path, recs):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return str(path)


def tiny_base(path, vocab, japanese):
    vocab = SPECIALS + vocab
    (path).mkdir(parents=True)
    vf = path / "vocab.txt"
    vf.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    if japanese:
        tok = transformers.BertJapaneseTokenizer(str(vf), word_tokenizer_type="mecab",
                                                 mecab_kwargs={"mecab_dic": "unidic_lite"})
    else:
        tok = transformers.BertTokenizerFast(str(vf), do_lower_case=False)
    torch.manual_seed(0)
    cfg = transformers.BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=37, max_position_embeddings=64)
    transformers.BertModel(cfg).save_pretrained(path)  # a base model: no classification head yet
    tok.save_pretrained(path)
    return str(path)


@pytest.fixture(autouse=True)
def _one_thread():
    # the test machine is small and busy: torch's default thread pool only adds contention
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_word_tags_first_subword_and_misaligned():
    ft = finetune_ner
    enc = nt.Encoded(ids=[1, 2, 3, 4, 5], spans=[(0, 2), (2, 3), (3, 4), (4, 6), (6, 7)], words=[0, 0, 1, 2, 3])
    ents = [(0, 4, "ORG"), (5, 7, "PERSON")]  # the second starts inside word 2: misaligned
    tags, mis = ft.word_tags(enc, ents, 7)
    assert tags == ["B-ORG", None, "I-ORG", "O", "B-PERSON"]
    assert mis == 1


def test_finetune_then_load_in_backend(tmp_path):
    ft = finetune_ner
    base = tiny_base(tmp_path / "base", JA_VOCAB, japanese=True)
    train = write_jsonl(tmp_path / "train.jsonl", records(TRAIN, "ja"))
    dev = write_jsonl(tmp_path / "dev.jsonl", records(DEV, "ja"))
    out = tmp_path / "out"
    summary = ft.main(["--model", base, "--train", train, "--dev", dev, "--labels", "PERSON,ORG", "--out", str(out),
                       "--max-steps", "40", "--epochs", "40", "--lr", "3e-3", "--batch-size", "4", "--warmup", "0",
                       "--logging-steps", "10", "--local-files-only", "--cpu"])
    cfg = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert set(cfg["id2label"].values()) == {"O", "B-PERSON", "I-PERSON", "B-ORG", "I-ORG"}
    assert (out / "finetune.json").exists() and not (out / "_trainer").exists()
    assert summary["steps"] == 40 and summary["dev_per_epoch"]  # scored during training
    final = summary["dev_final"]["micro"]
    assert final["f1"] == 1.0, summary["dev_final"]  # over-fitted on its own training sentences

    # the saved model is a backend model: same scores through TransformersNER loaded from disk
    from pipeline.scoring import score
    from pipeline.stages.sentences import split_sentences

    ner = nt.TransformersNER(str(out), num_threads=1)
    assert type(ner._load().tokenizer).__name__ == "BertJapaneseTokenizer"
    gold, pred = [], []
    for rec in records(DEV, "ja"):
        text = rec["text"]
        doc = Document(article=Article(id=rec["id"], text=text, lang="ja"), lang="ja",
                       sentences=split_sentences(text, 0, len(text), "ja"))
        ents = ner(doc)
        for e in ents:
            assert e.label in ("PERSON", "ORG") and e.source == "transformers:out"
        pred.append([(e.start, e.end, e.label) for e in ents])
        gold.append([(e["start"], e["end"], e["label"]) for e in rec["entities"]])
    assert score(gold, pred, labels=["PERSON", "ORG"])["micro"] == summary["dev_final"]["micro"]


def test_finetune_fast_tokenizer_all_subwords_no_dev(tmp_path):
    ft = finetune_ner
    base = tiny_base(tmp_path / "base", ZH_VOCAB, japanese=False)
    train = write_jsonl(tmp_path / "train.jsonl", records(ZH_TRAIN, "zh-Hans"))
    out = tmp_path / "zh"
    summary = ft.main(["--model", base, "--train", train, "--labels", "PERSON,ORG", "--out", str(out),
                       "--max-steps", "3", "--batch-size", "2", "--label-all-subwords", "--lang", "zh",
                       "--local-files-only", "--cpu"])
    assert summary["dev_final"] is None and summary["steps"] == 3
    ner = nt.TransformersNER(str(out), aggregation="average", num_threads=1)
    text = ZH_TRAIN[0][0]
    doc = Document(article=Article(id="z", text=text, lang="zh-Hans"), lang="zh-Hans", sentences=[Span(0, len(text))])
    for e in ner(doc):  # 3 steps teach nothing reliable; the model must just load and run
        assert 0 <= e.start < e.end <= len(text) and e.label in ("PERSON", "ORG")


def test_bad_labels_rejected(tmp_path):
    ft = finetune_ner
    with pytest.raises(SystemExit):
        ft.parse_args(["--model", "x", "--train", "t", "--labels", "PERSON,TIME", "--out", str(tmp_path)])
