"""scripts/train/package_model.py: a training output folder becomes a model as it ships."""

from __future__ import annotations

import json

import pytest
from scripts.train import package_model
from scripts.eval import sweep_cascade
from scripts.eval import sweep_style


def test_package_model(tmp_path):
    (tmp_path / "vocab").mkdir()
    (tmp_path / "vocab" / "strings.json").write_text('["a", "b"]', encoding="utf-8")
    (tmp_path / "dev_scores.json").write_text("{}", encoding="utf-8")
    meta = {"version": "9.9", "shinbun": {"lang": "zh", "soft_targets": {"file": "x.npz", "weight": 0.8}}}
    (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    package_model.package(tmp_path, 3, "src", "kept", "four models", "100 sentences")
    assert not (tmp_path / "dev_scores.json").exists()
    assert (tmp_path / "vocab" / "strings.json").read_text(encoding="utf-8") == "[]"
    got = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert got == {"version": "9.9", "shinbun": {
        "lang": "zh",
        "soft_targets": {"file": "x.npz", "weight": 0.8, "teacher": "four models", "unlabelled": "100 sentences"},
        "static_vectors": {"source": "src", "kept": "kept"},
        "seed": 3,
    }}


def test_package_model_with_a_second_network(tmp_path):
    model = tmp_path / "model"
    (model / "vocab").mkdir(parents=True)
    (model / "vocab" / "strings.json").write_text("[]", encoding="utf-8")
    (model / "meta.json").write_text(json.dumps({"version": "1", "shinbun": {}}), encoding="utf-8")
    second = tmp_path / "exported.npz"
    second.write_bytes(b"npz bytes")
    package_model.package(model, 0, "s", "k", "t", "u", second, 0.7, "a BiGRU")
    assert (model / "teacher.npz").read_bytes() == b"npz bytes"
    got = json.loads((model / "meta.json").read_text(encoding="utf-8"))["shinbun"]
    assert got["cascade"] == {"model": "teacher.npz", "threshold": 0.7, "about": "a BiGRU"}


def test_package_model_with_a_second_model(tmp_path):
    model, other = tmp_path / "model", tmp_path / "other"
    for d in (model, other):
        (d / "vocab").mkdir(parents=True)
        (d / "vocab" / "strings.json").write_text('["a"]', encoding="utf-8")
        (d / "meta.json").write_text(json.dumps({"version": "1", "shinbun": {}}), encoding="utf-8")
    (other / "dev_scores.json").write_text("{}", encoding="utf-8")
    (other / "ner_tagger").mkdir()
    (other / "ner_tagger" / "model").write_bytes(b"weights")
    package_model.package(model, 0, "s", "k", "t", "u", threshold=0.6, cascade_about="seed 1", second_model=other)
    second = model / "second"
    assert (second / "ner_tagger" / "model").read_bytes() == b"weights"
    assert not (second / "dev_scores.json").exists()
    assert (second / "vocab" / "strings.json").read_text(encoding="utf-8") == "[]"
    got = json.loads((model / "meta.json").read_text(encoding="utf-8"))["shinbun"]
    assert got["cascade"] == {"model": "second", "kind": "tagger", "threshold": 0.6, "about": "seed 1"}
    with pytest.raises(SystemExit, match="not both"):
        package_model.package(model, 0, "s", "k", "t", "u", tmp_path / "x.npz", second_model=other)


def test_package_model_style_alpha(tmp_path):
    (tmp_path / "vocab").mkdir()
    (tmp_path / "vocab" / "strings.json").write_text("[]", encoding="utf-8")
    meta = {"version": "1", "shinbun": {"style": {"flag": "c", "alpha": 0.0}}}
    (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    package = package_model.package
    package(tmp_path, 0, "s", "k", "t", "u", style_alpha=0.3)
    assert json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))["shinbun"]["style"] == {"flag": "c", "alpha": 0.3}
    (tmp_path / "meta.json").write_text(json.dumps({"version": "1", "shinbun": {}}), encoding="utf-8")
    with pytest.raises(SystemExit, match="style flag"):
        package(tmp_path, 0, "s", "k", "t", "u", style_alpha=0.3)


def test_sweep_cascade_model_folder(tmp_path):
    """scripts/eval/sweep_cascade.py pairs a student with a model's second network at a threshold,
    through links, without touching either folder."""
    model, student, work = tmp_path / "model", tmp_path / "student", tmp_path / "work"
    for d in (model, student, work):
        d.mkdir()
    cascade = {"model": "teacher.npz", "threshold": 0.8, "about": "x"}
    (model / "meta.json").write_text(json.dumps({"shinbun": {"cascade": cascade}}), encoding="utf-8")
    (model / "teacher.npz").write_bytes(b"second")
    (student / "meta.json").write_text(json.dumps({"version": "s", "shinbun": {"seed": 1}}), encoding="utf-8")
    (student / "ner_tagger").mkdir()
    (student / "dev_scores.json").write_text("{}", encoding="utf-8")
    out = sweep_cascade.model_folder(work, model, student, 0.5)
    assert sorted(p.name for p in out.iterdir()) == ["meta.json", "ner_tagger", "teacher.npz"]
    assert (out / "ner_tagger").resolve() == (student / "ner_tagger").resolve()
    assert (out / "teacher.npz").read_bytes() == b"second"
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta == {"version": "s", "shinbun": {"seed": 1, "cascade": dict(cascade, threshold=0.5)}}
    assert json.loads((model / "meta.json").read_text(encoding="utf-8"))["shinbun"]["cascade"]["threshold"] == 0.8
    # --second: another second network in place of the model's
    other = tmp_path / "other.npz"
    other.write_bytes(b"other")
    out = sweep_cascade.model_folder(work, model, None, 0.7, other)
    assert (out / "teacher.npz").read_bytes() == b"other"


def test_sweep_style_model_folder(tmp_path):
    """scripts/eval/sweep_style.py sets the style mix in a linked copy of the model; a model trained
    before meta.json carried ``style`` gets the flag given on the command line."""
    model, work = tmp_path / "model", tmp_path / "work"
    model.mkdir()
    work.mkdir()
    (model / "meta.json").write_text(json.dumps({"version": "s", "shinbun": {"style": {"flag": "x", "alpha": 0.0}}}), encoding="utf-8")
    (model / "ner_tagger").mkdir()
    (model / "dev_scores.json").write_text("{}", encoding="utf-8")
    sweep = sweep_style
    out = sweep.model_folder(work, model, 0.3, "c")
    assert sorted(p.name for p in out.iterdir()) == ["meta.json", "ner_tagger"]
    assert json.loads((out / "meta.json").read_text(encoding="utf-8"))["shinbun"]["style"] == {"flag": "x", "alpha": 0.3}
    assert json.loads((model / "meta.json").read_text(encoding="utf-8"))["shinbun"]["style"]["alpha"] == 0.0
    (model / "meta.json").write_text(json.dumps({"version": "s", "shinbun": {}}), encoding="utf-8")
    out = sweep.model_folder(work, model, 0.5, "c")
    assert json.loads((out / "meta.json").read_text(encoding="utf-8"))["shinbun"]["style"] == {"flag": "c", "alpha": 0.5}


def test_sweep_cascade_share_read_on_raw_text(tmp_path, monkeypatch):
    """``--raw``: the share of the raw articles' characters the second network reads; none at
    threshold 0, some at threshold 1 (any doubt at all)."""
    from pipeline.ner import gru_tagger
    from pipeline.ner import MODELS_DIR

    if not (MODELS_DIR / "ner-zh-accurate" / "teacher.npz").exists():
        pytest.skip("pipeline/models/ner-zh-accurate missing")
    monkeypatch.setattr(gru_tagger.CharBiGRUTagger, "probs", gru_tagger.CharBiGRUTagger.probs)  # undone after
    sweep = sweep_cascade
    seen = sweep.count_second_network_reads()
    raw = tmp_path / "raw.jsonl"
    texts = ["国务院总理李强在北京人民大会堂会见了来访的法国外长。", "香港特別行政區政府宣佈，陳菊紅將出任署長。"]
    raw.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    base = (sweep.ROOT / "configs" / "zh_accurate.toml").read_text(encoding="utf-8")
    shares = []
    for value in (0, 1):
        config = tmp_path / f"c{value}.toml"
        config.write_text(base.replace("# cascade_threshold = 0.6", f"cascade_threshold = {value}"), encoding="utf-8")
        shares.append(sweep.read_share_on_raw(config, raw, seen))
    assert shares[0] == 0.0 and 0.0 < shares[1] <= 1.0
