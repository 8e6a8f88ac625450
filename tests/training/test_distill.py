"""The knowledge-distillation loss of scripts/train/train_ner.py (``--soft-targets``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scripts.train import train_ner as train_ner_module

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def train_ner():
    return train_ner_module


def _tagger():
    import spacy

    nlp = spacy.blank("xx")
    tagger = nlp.add_pipe("tagger")
    for lab in ("O", "U-LOC", "U-ORG"):
        tagger.add_label(lab)
    return nlp, tagger


def _example(nlp, tags, teacher=None):
    from spacy.tokens import Doc
    from spacy.training import Example

    words = [f"w{i}" for i in range(len(tags))]
    ref = Doc(nlp.vocab, words=words, tags=tags)
    if teacher is not None:
        ref.user_data["teacher"] = np.asarray(teacher, dtype="float32")
    return Example(Doc(nlp.vocab, words=words), ref)


def test_target_mixes_teacher_and_gold(train_ner):
    nlp, tagger = _tagger()
    gold_loss = tagger.get_loss
    # teacher columns in another order than the tagger's labels, and not normalised
    teacher_tags = ["U-ORG", "O", "U-LOC"]
    train_ner.distill_loss(tagger, teacher_tags, weight=0.25)
    guess = np.full((3, 3), 1 / 3, dtype="float32")
    teacher = [[2.0, 0.0, 2.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]
    eg = _example(nlp, ["U-LOC", "O", ""], teacher)  # the last token has no gold tag
    _, (d,) = tagger.get_loss([eg], [guess])
    # student order O, U-LOC, U-ORG; teacher rows normalised: [0, .5, .5], [1, 0, 0], [.5, 0, .5]
    want = np.array([
        0.75 * np.array([0, 1, 0]) + 0.25 * np.array([0, 0.5, 0.5]),
        0.75 * np.array([1, 0, 0]) + 0.25 * np.array([1, 0, 0]),
        np.array([0.5, 0, 0.5]),  # no gold: the teacher alone
    ])
    np.testing.assert_allclose(np.asarray(d), guess - want, atol=1e-6)
    # a batch without teacher rows keeps spaCy's own loss
    plain = _example(nlp, ["U-LOC", "O", "U-ORG"])
    _, (d_plain,) = tagger.get_loss([plain], [guess])
    _, (d_ref,) = gold_loss([plain], [guess])
    np.testing.assert_allclose(np.asarray(d_plain), np.asarray(d_ref), atol=1e-6)


def test_missing_gold_without_teacher_has_no_loss(train_ner):
    nlp, tagger = _tagger()
    train_ner.distill_loss(tagger, ["O", "U-LOC", "U-ORG"], weight=0.5)
    guess = np.full((2, 3), 1 / 3, dtype="float32")
    with_teacher = _example(nlp, ["O", "O"], [[1, 0, 0], [1, 0, 0]])
    without = _example(nlp, ["U-ORG", ""])
    _, (_, d) = tagger.get_loss([with_teacher, without], [guess, guess])
    d = np.asarray(d)
    np.testing.assert_allclose(d[0], guess[0] - np.array([0, 0, 1]), atol=1e-6)
    assert not d[1].any()


def test_soft_targets_file_rows_follow_character_offsets(train_ner, tmp_path):
    probs = np.arange(7 * 2, dtype="float16").reshape(7, 2)
    np.savez(
        tmp_path / "soft.npz",
        ids=np.array(["a-1", "raw-0"]), texts=np.array(["北 京", "上海市!"]),
        starts=np.array([0, 3]), probs=probs, tags=np.array(["O", "U-LOC"]), labelled=np.array([True, False]),
    )
    soft = train_ner.SoftTargets(tmp_path / "soft.npz")
    assert soft.tags == ["O", "U-LOC"] and list(soft.index) == ["a-1"]
    # tokens at characters 0 and 2 (the space at 1 is not a token)
    np.testing.assert_array_equal(soft.rows("a-1", [(0, 1), (2, 3)]), probs[[0, 2]].astype("float32"))
    assert soft.unlabelled() == [("raw-0", "上海市!")]
    np.testing.assert_array_equal(soft.rows("raw-0", [(1, 2)]), probs[[4]].astype("float32"))


def test_config_overrides(train_ner):
    from thinc.api import Config

    over = train_ner.parse_overrides(["components.ner_tagger.model.tok2vec.encode.depth=5", "nlp.lang=xx"])
    assert over == {"components.ner_tagger.model.tok2vec.encode.depth": 5, "nlp.lang": "xx"}
    cfg = Config().from_disk(ROOT / "configs" / "train" / "ner_ja.cfg", overrides=over)
    assert cfg["components"]["ner_tagger"]["model"]["tok2vec"]["encode"]["depth"] == 5
    with pytest.raises(SystemExit):
        train_ner.parse_overrides(["depth"])


def test_style_flag_prefixes_tags_only(train_ner):
    arrays = (["北京", "京大"], ["B2", "E2"], ["<s>北", "北京"], [(0, 1), (1, 2)])
    assert train_ner.flag_style(arrays, "") is arrays
    assert train_ner.flag_style(arrays, "c") == (["北京", "京大"], ["cB2", "cE2"], ["<s>北", "北京"], [(0, 1), (1, 2)])


def test_relabel_maps_and_unannotates_per_source(train_ner):
    rec = {"id": "g-1", "text": "東京で源氏物語と民法を読む日本人", "entities": [
        {"start": 0, "end": 2, "label": "GPE", "text": "東京"},
        {"start": 3, "end": 7, "label": "WORK_OF_ART", "text": "源氏物語"},
        {"start": 8, "end": 10, "label": "LAW", "text": "民法"},
        {"start": 13, "end": 16, "label": "NORP", "text": "日本人"},
    ]}
    tcfg = {"label_map": {"gsd_train": {"GPE": "LOC"}}, "missing_labels": {"gsd_train": ["WORK_OF_ART", "LAW"]}}
    out = train_ner.relabel(rec, "gsd_train", tcfg)
    assert [e["label"] for e in out["entities"]] == ["LOC", "WORK_OF_ART?", "LAW?", "NORP"]
    assert [e["label"] for e in rec["entities"]] == ["GPE", "WORK_OF_ART", "LAW", "NORP"]  # input untouched
    assert train_ner.relabel(rec, "stockmark_train", tcfg) is rec  # other sources unchanged
    # BILUO: LOC trained, the unannotated classes carry no loss, NORP (not a model label) is O
    offs = [(0, 2), (2, 3), (3, 7), (7, 8), (8, 10), (10, 13), (13, 16)]
    stats = {"gold": 0, "misaligned": 0}
    tags = train_ner.biluo(offs, out["entities"], {"LOC", "PRODUCT"}, "outside", stats)
    assert tags == ["U-LOC", "O", "-", "O", "-", "O", "O"]
