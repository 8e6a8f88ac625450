"""scripts/train/ensemble_soft_targets.py: the averaged member probabilities it writes for distillation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scripts.train import ensemble_soft_targets

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "pipeline" / "models" / "ner-ja"

RECORDS = [
    {"id": "tiny-0", "text": "陳菊紅氏は東京都でトヨタ自動車の社長と会った。", "entities": []},
    {"id": "tiny-1", "text": "大阪城ホールで公演。", "entities": []},
]


@pytest.fixture(scope="module")
def script():
    return ensemble_soft_targets  # the module under test, as the tests below name it


@pytest.fixture()
def data(tmp_path):
    with open(tmp_path / "tiny_train.jsonl", "w", encoding="utf-8") as f:
        for r in RECORDS:
            f.write(json.dumps({**r, "lang": "ja"}, ensure_ascii=False) + "\n")
    with open(tmp_path / "raw.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "a", "text": "日本銀行は金利を据え置いた。京都で会見した。"}, ensure_ascii=False) + "\n")
    cfg = (ROOT / "configs" / "train" / "ner_ja.cfg").read_text(encoding="utf-8")
    start = cfg.index("sources = ")
    cfg = cfg[:start] + 'sources = ["tiny_train"]' + cfg[cfg.index("\n", start) :]
    (tmp_path / "tiny.cfg").write_text(cfg, encoding="utf-8")
    return tmp_path


def _load(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _run(script, data, out, models, extra=()):
    script.main(["--lang", "ja", "--data", str(data), "--config", str(data / "tiny.cfg"),
                 "--models", ",".join(map(str, models)), "--out", str(out), *extra])
    return _load(out)


def test_rows_are_the_model_probabilities_at_token_starts(script, data):
    import spacy

    import pipeline.ner.architectures  # noqa: F401  (registers the model layers)
    from pipeline.ner.features import TAGGER_PIPE, _FeatureRows, fast_features
    from scripts.train.train_ner import Builder

    z = _run(script, data, data / "one.npz", [MODEL], ["--raw", str(data / "raw.jsonl")])
    assert [str(x) for x in z["ids"]][:2] == ["tiny-0", "tiny-1"]
    assert list(z["labelled"]) == [True, True, False, False]
    assert [str(x) for x in z["texts"]][2:] == ["日本銀行は金利を据え置いた。", "京都で会見した。"]

    nlp = spacy.load(MODEL)
    assert [str(t) for t in z["tags"]] == list(nlp.get_pipe(TAGGER_PIPE).labels)
    builder = Builder("ja")
    text = RECORDS[0]["text"]
    arr = builder.arrays(text)
    feats = fast_features(nlp)
    (scores,) = nlp.get_pipe(TAGGER_PIPE).model.predict([_FeatureRows(feats.rows(arr).rows)])
    want = script.softmax(np.asarray(scores, dtype=np.float32))
    rows = z["probs"][: len(text)].astype(np.float32)
    starts = [s for s, _ in arr[3]]
    np.testing.assert_allclose(rows[starts], want, atol=2e-3)  # float16 storage
    inner = np.setdiff1d(np.arange(len(text)), starts)
    assert len(inner) and not rows[inner].any()
    assert z["starts"][1] == len(text)


def test_two_members_average_and_mix(script, data):
    one = _run(script, data, data / "one.npz", [MODEL])
    two = _run(script, data, data / "two.npz", [MODEL, MODEL])
    np.testing.assert_allclose(two["probs"].astype(np.float32), one["probs"].astype(np.float32), atol=2e-3)

    # a second file with a one-hot "O" at every character, mixed in with weight 0.25
    o = np.zeros_like(one["probs"], dtype=np.float32)
    o[:, [str(t) for t in one["tags"]].index("O")] = 1.0
    np.savez(data / "other.npz", ids=one["ids"], texts=one["texts"], starts=one["starts"], probs=o.astype(np.float16),
             tags=one["tags"], labelled=one["labelled"])
    mixed = _run(script, data, data / "mixed.npz", [MODEL], ["--mix", f"{data / 'other.npz'}:0.25"])
    p1 = one["probs"].astype(np.float32)
    has = p1.sum(axis=1) > 0
    want = p1.copy()
    want[has] = 0.75 * p1[has] + 0.25 * o[has]
    np.testing.assert_allclose(mixed["probs"].astype(np.float32), want, atol=2e-3)


def test_raw_sentences_read_gzip_and_stop_after_n_articles(script, tmp_path):
    import gzip

    arts = [{"id": str(i), "text": f"記事{i}の本文です。二文目もあります。"} for i in range(3)]
    with gzip.open(tmp_path / "raw.jsonl.gz", "wt", encoding="utf-8") as f:
        for a in arts:
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    every = script.raw_sentences(tmp_path / "raw.jsonl.gz", "ja")
    first = script.raw_sentences(tmp_path / "raw.jsonl.gz", "ja", articles=2)
    assert every == ["記事0の本文です。", "二文目もあります。", "記事1の本文です。", "二文目もあります。",
                     "記事2の本文です。", "二文目もあります。"]
    assert first == every[:4]


def test_flag_styled_tags_a_style_source_with_its_flagged_tags(script, data):
    """With --flag-styled the records of a ``style_sources`` source are tagged from their flagged
    TAG strings (what the members saw for that corpus); without it, or for other sources, plain."""
    import spacy

    import pipeline.ner.architectures  # noqa: F401  (registers the model layers)
    from pipeline.ner.features import TAGGER_PIPE, _FeatureRows, fast_features
    from scripts.train.train_ner import Builder, flag_style

    cfg = (data / "tiny.cfg").read_text(encoding="utf-8")
    cfg = cfg.replace("[shinbun_train]\n", '[shinbun_train]\nstyle_sources = {"tiny_train": "g"}\n', 1)
    (data / "tiny.cfg").write_text(cfg, encoding="utf-8")
    plain = _run(script, data, data / "plain.npz", [MODEL])
    flagged = _run(script, data, data / "flagged.npz", [MODEL], ["--flag-styled"])
    nlp = spacy.load(MODEL)
    feats = fast_features(nlp)
    text = RECORDS[0]["text"]
    arr = flag_style(Builder("ja").arrays(text), "g")
    (scores,) = nlp.get_pipe(TAGGER_PIPE).model.predict([_FeatureRows(feats.rows(arr).rows)])
    starts = [s for s, _ in arr[3]]
    rows = flagged["probs"][: len(text)].astype(np.float32)
    np.testing.assert_allclose(rows[starts], script.softmax(np.asarray(scores, dtype=np.float32)), atol=2e-3)
    assert not np.allclose(rows[starts], plain["probs"][: len(text)].astype(np.float32)[starts], atol=2e-3)
