"""Build the table of frequent character bigrams that the zh features load at start-up.

    python -m scripts.train.build_zh_bigrams --data ../shared/data/zh --out pipeline/models/zh-bigrams.npz

The character-level Chinese model reads, per character, hashes of its right and left bigrams
(:mod:`pipeline.ner.zh_features`). Hashing a bigram seen for the first time costs a few
microseconds of Python; in a fresh worker about a third of the bigrams of news text are new,
which made the first few hundred thousand characters about 15 % slower than a warm run. The
table holds the most frequent bigrams of the *training* splits (never dev or test data) with
their six lexeme-attribute hashes, computed by the reference code (``FastFeatures._lexrow``),
so loading it changes no feature value: it only moves work from the run to the start-up.
The file holds code-point pairs and hashes, no text.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

import numpy as np

TRAIN_SPLITS = ("msra_train", "cluener_train", "weibo_train")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the zh folder of the shared corpora")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--top", type=int, default=100_000)
    args = ap.parse_args()

    from pipeline.ner.features import fast_features, norm_text
    from pipeline.ner.spacy_ner import SpacyNER
    from pipeline.ner.zh_features import _LOW, _SHIFT, code_points

    counts: collections.Counter[int] = collections.Counter()
    for name in TRAIN_SPLITS:
        path = args.data / f"{name}.jsonl"
        if not path.exists():
            raise SystemExit(f"missing {path}")
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                cps = code_points(json.loads(line)["text"]).astype(np.uint64)
                if len(cps) > 1:
                    counts.update(((cps[:-1] << np.uint64(_SHIFT)) | cps[1:]).tolist())
    keys = sorted(k for k, _ in counts.most_common(args.top))
    feats = fast_features(SpacyNER("ner-zh", "zh")._get_nlp())
    rows = np.array(
        [feats._lexrow(norm_text(chr(k >> _SHIFT)) + norm_text(chr(k & _LOW))) for k in keys], dtype=np.uint64
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, keys=np.array(keys, dtype=np.uint64), rows=rows)
    print(f"{len(keys):,} bigrams (of {len(counts):,} distinct in {', '.join(TRAIN_SPLITS)}) -> {args.out}")


if __name__ == "__main__":
    main()
