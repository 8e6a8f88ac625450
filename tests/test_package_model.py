"""scripts/package_model.py: a training output folder becomes a model as it ships."""

from __future__ import annotations

import json


def test_package_model(load_script, tmp_path):
    (tmp_path / "vocab").mkdir()
    (tmp_path / "vocab" / "strings.json").write_text('["a", "b"]', encoding="utf-8")
    (tmp_path / "dev_scores.json").write_text("{}", encoding="utf-8")
    meta = {"version": "9.9", "shinbun": {"lang": "zh", "soft_targets": {"file": "x.npz", "weight": 0.8}}}
    (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    load_script("package_model").package(tmp_path, 3, "src", "kept", "four models", "100 sentences")
    assert not (tmp_path / "dev_scores.json").exists()
    assert (tmp_path / "vocab" / "strings.json").read_text(encoding="utf-8") == "[]"
    got = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert got == {"version": "9.9", "shinbun": {
        "lang": "zh",
        "soft_targets": {"file": "x.npz", "weight": 0.8, "teacher": "four models", "unlabelled": "100 sentences"},
        "static_vectors": {"source": "src", "kept": "kept"},
        "seed": 3,
    }}
