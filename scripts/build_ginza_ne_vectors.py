"""Word vectors distilled from GiNZA's named-entity tagger for the ja NER model (training-time source).

GiNZA (``ja_ginza`` 5.3, MIT) tags 189 Extended Named Entity classes (Company, Province,
Position_Vocation, Person, Car_Stop, ...), trained on an annotated corpus we do not have. Its
NER is far too slow to run in our pipeline (about 1-3k chars/s here), so it is run once over
unlabelled Japanese text and summarised per *word type*: for every fugashi/UniDic token (the
pipeline's own tokens, keyed by its ``NORM`` feature) the share of its occurrences that GiNZA put
outside any entity, at the start, inside, at the end or as the whole of an entity, and the share
of each entity class. The NER model reads these like pretrained vectors (``vector_attrs`` in the
model config, ``shinbun.SumHashEmbedVectors.v2``).

Only unlabelled text is read: the *training* splits' text (no labels) and the raw news sample.
Dev and test text is never read. Word types seen fewer than ``--min-count`` times are dropped,
and only the ``--max-types`` most frequent are kept.

    python scripts/build_ginza_ne_vectors.py --data ../shared/data/ja \\
        --raw ../shared/data/raw/ja_news_sample.jsonl --out training/ginza_ne_ja.npz

Output: ``strings`` (the token's normal form), ``vectors`` (float32: 5 position shares + one
share per GiNZA class), ``counts``, ``labels``. Needs the ``bench`` extra (ginza, ja-ginza).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

TRAIN_FILES = ("stockmark_train.jsonl", "kwdlc_train.jsonl", "hironsan_train.jsonl")
POSITIONS = ("O", "B", "I", "L", "U")


def texts(paths: list[Path], max_len: int = 2000):
    seen = set()
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                t = json.loads(line).get("text") or ""
                for part in t.splitlines():
                    part = part.strip()[:max_len]
                    if part and part not in seen:
                        seen.add(part)
                        yield part


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="folder with the ja training splits")
    ap.add_argument("--raw", type=Path, action="append", default=[], help="extra unlabelled JSONL (text field)")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--max-types", type=int, default=100_000)
    args = ap.parse_args()

    import spacy

    from pipeline.record import Span
    from pipeline.stages.ner_spacy import norm_text
    from pipeline.stages.tokenize_ja import FugashiTokenizer
    from type_means import TypeMeans  # scripts/ (on sys.path when run as a script)

    ginza = spacy.load("ja_ginza", exclude=["parser", "morphologizer", "compound_splitter", "bunsetu_recognizer"])
    labels = sorted(ginza.get_pipe("ner").labels)
    lab_index = {lab: i for i, lab in enumerate(labels)}
    dims = len(POSITIONS) + len(labels)
    tok = FugashiTokenizer()

    paths = [args.data / f for f in TRAIN_FILES if (args.data / f).exists()] + list(args.raw)
    all_texts = list(texts(paths))
    print(f"{len(all_texts)} texts, {sum(map(len, all_texts)):,} chars from {[p.name for p in paths]}", flush=True)
    means = TypeMeans(dims)
    t0 = time.time()
    for n_done, (text, doc) in enumerate(zip(all_texts, ginza.pipe(all_texts, batch_size=64))):
        # per character: (entity index, label) of GiNZA's entities
        ent_of = [-1] * len(text)
        ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        for k, (s, e, _) in enumerate(ents):
            for c in range(s, e):
                ent_of[c] = k
        for t in tok.tokenize(text, [Span(0, len(text))]):
            if t.end <= t.start or text[t.start : t.end].isspace():
                continue
            row = np.zeros(dims)
            k = ent_of[t.start]
            if k < 0 or ent_of[t.end - 1] != k:
                row[0] = 1.0  # outside, or across an entity boundary
            else:
                s, e, lab = ents[k]
                first, last = t.start == s, t.end == e
                row[POSITIONS.index("U" if first and last else "B" if first else "L" if last else "I")] = 1.0
                row[len(POSITIONS) + lab_index[lab]] = 1.0
            means.add(norm_text(text[t.start : t.end]), row)
        if n_done % 5000 == 0:
            print(f"  {n_done} texts, {time.time() - t0:.0f}s", flush=True)
    n, kept, covered = means.save(args.out, args.min_count, args.max_types, labels=np.array(list(POSITIONS) + labels))
    print(
        f"{n:,} word types, {kept:,} kept (count >= {args.min_count}, at most {args.max_types:,}),"
        f" covering {covered:.1%} of the corpus tokens; {time.time() - t0:.0f}s -> {args.out}"
    )


if __name__ == "__main__":
    main()
