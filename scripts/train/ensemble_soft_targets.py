#!/usr/bin/env python
"""Soft targets for knowledge distillation from an ensemble of our own trained models.

Every member (a model directory trained by ``scripts/train/train_ner.py``, same tags and features)
tags each training record of the config's sources, and optionally unlabelled sentences of
raw news files; the members' tag probabilities are averaged per token. ``--mix FILE:W`` adds an
existing soft-target file (e.g. the LAC teacher's, ``scripts/train/train_lac_teacher.py soft``) with
weight W (zh: character tokens only); several ``--mix`` are applied in order, each as
``(1 - W) x so far + W x file`` (so members, 1/3, 1/4 give four equal shares).
``--unlabelled-from FILE`` takes the unlabelled sentences of an existing soft-target file instead
of splitting ``--raw`` files, so that a mixed-in teacher covers the same texts. The output is the ``.npz`` format that
``scripts/train/train_ner.py --soft-targets`` reads (one row per character; a token's row is the one of
its first character). ``--flag-styled``: the records of the config's ``style_sources`` are tagged
with their flagged TAG strings, as the members saw them in training (members trained with that
style flag), so their targets follow that corpus's convention; without it every record is tagged
plain (the unflagged corpora's convention).

    python -m scripts.train.ensemble_soft_targets --lang ja --data ../shared/data/ja \\
        --models pipeline/models/ner-ja,RUN/ja-s1,RUN/ja-s2 --raw ../shared/data/raw/ja_news_sample.jsonl \\
        --out training/ja_ens_soft.npz

Dev splits are never read.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from scripts import ROOT  # noqa: E402


def softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def raw_sentences(path: Path, lang: str, articles: int | None = None) -> list[str]:
    """Sentences of a raw news JSONL file (``text`` field; plain, .gz or .zst), split by the
    pipeline's splitter; the first ``articles`` articles when given."""
    import io
    from itertools import islice

    from pipeline.io.compression import open_binary
    from pipeline.stages.sentences import split_sentences

    with io.TextIOWrapper(open_binary(path), encoding="utf-8") as fh:
        texts = [json.loads(line).get("text") or "" for line in islice((ln for ln in fh if ln.strip()), articles)]
    out = []
    for text in texts:
        for s in split_sentences(text, 0, len(text), lang):
            part = text[s.start : s.end].strip()
            if 5 <= len(part) <= 300:
                out.append(part)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", required=True, choices=["ja", "zh"])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--models", required=True, help="comma-separated model directories")
    ap.add_argument("--config", type=Path, default=None, help="default: configs/train/ner_<lang>.cfg (for the sources)")
    ap.add_argument("--raw", type=Path, action="append", default=[], help="unlabelled raw news JSONL (repeatable)")
    ap.add_argument("--raw-articles", type=int, default=None, help="read only the first N articles of each --raw file")
    ap.add_argument("--mix", action="append", default=[], help="FILE:W, an existing soft-target file mixed in with weight W")
    ap.add_argument("--unlabelled-from", type=Path, default=None, help="a soft-target file whose unlabelled texts to tag")
    ap.add_argument("--flag-styled", action="store_true",
                    help="tag the records of the config's style_sources with their flagged TAG strings")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)

    import spacy
    from thinc.api import Config

    import pipeline.ner.architectures  # noqa: F401  (registers the model layers)
    from pipeline.ner.features import TAGGER_PIPE, _FeatureRows, fast_features
    from pipeline.ner.spacy_ner import use_fast_gemm
    from scripts.train.train_ner import Builder, flag_style, load_records

    cfg = Config().from_disk(args.config or ROOT / "configs" / "train" / f"ner_{args.lang}.cfg")
    tcfg = dict(cfg["shinbun_train"])
    builder = Builder(args.lang)

    recs, seen = [], set()
    for src in tcfg["sources"]:
        style = tcfg.get("style_sources", {}).get(src, "") if args.flag_styled else ""
        for r in load_records(args.data, src):
            if r["id"] not in seen:
                seen.add(r["id"])
                recs.append({"id": r["id"], "text": r["text"], "labelled": True, "style": style})
    n_raw = 0
    for p in args.raw:
        for text in raw_sentences(p, args.lang, args.raw_articles):
            recs.append({"id": f"raw-{n_raw}", "text": text, "labelled": False})
            n_raw += 1
    if args.unlabelled_from:
        with np.load(args.unlabelled_from, allow_pickle=False) as z:
            for rec_id, text, lab in zip(z["ids"], z["texts"], z["labelled"]):
                if not lab:
                    recs.append({"id": str(rec_id), "text": str(text), "labelled": False})
                    n_raw += 1
    arrays = [flag_style(builder.arrays(r["text"]), r.get("style", "")) for r in recs]

    tags, probs = None, []
    members = args.models.split(",")
    # sentences of similar length batched together (less padding), the same order for every member
    order = sorted((i for i, a in enumerate(arrays) if a[0]), key=lambda i: len(arrays[i][0]))
    for path in members:
        nlp = spacy.load(path)
        use_fast_gemm(nlp)
        mtags = list(nlp.get_pipe(TAGGER_PIPE).labels)
        if tags is None:
            tags = mtags
            probs = [np.zeros((len(r["text"]), len(tags)), np.float32) for r in recs]
        elif mtags != tags:
            raise SystemExit(f"{path}: other tags than {members[0]}")
        feats = fast_features(nlp)
        model = nlp.get_pipe(TAGGER_PIPE).model
        for k in range(0, len(order), 256):
            idx = order[k : k + 256]
            scores = model.predict([_FeatureRows(feats.rows(arrays[i]).rows) for i in idx])
            for i, sc in zip(idx, scores):
                starts = [s for s, _ in arrays[i][3]]
                probs[i][starts] += softmax(np.asarray(sc, dtype=np.float32)) / len(members)
        print(f"{path}: tagged {len(order)} sentences", flush=True)

    for mix in args.mix:
        file, weight = mix.rsplit(":", 1)
        w = float(weight)
        with np.load(file, allow_pickle=False) as z:
            row_of = {str(i): k for k, i in enumerate(z["ids"])}
            mtexts, mstarts, mprobs = z["texts"], z["starts"], z["probs"]
            cols = [list(map(str, z["tags"])).index(t) for t in tags]
        n_mixed = 0
        for r, pr in zip(recs, probs):
            k = row_of.get(r["id"])
            if k is None or str(mtexts[k]) != r["text"]:
                continue
            base = int(mstarts[k])
            other = mprobs[base : base + len(r["text"])][:, cols].astype(np.float32)
            other /= np.maximum(other.sum(axis=1, keepdims=True), 1e-6)
            has = pr.sum(axis=1) > 0  # token-start characters
            pr[has] = (1 - w) * pr[has] + w * other[has]
            n_mixed += 1
        print(f"mixed {file} (weight {w}) into {n_mixed} of {len(recs)} records", flush=True)

    starts = np.cumsum([0] + [len(p) for p in probs[:-1]])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        args.out,
        ids=np.array([r["id"] for r in recs]),
        texts=np.array([r["text"] for r in recs]),
        starts=starts,
        probs=np.concatenate(probs).astype(np.float16),
        tags=np.array(tags),
        labelled=np.array([r["labelled"] for r in recs]),
    )
    print(f"{len(recs)} records ({n_raw} unlabelled), {len(members)} models -> {args.out}", flush=True)


if __name__ == "__main__":
    main()
