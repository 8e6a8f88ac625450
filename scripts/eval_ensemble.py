"""Pipeline dev F1 with the entity model replaced by an ensemble of models (an experiment tool).

The tag log-probabilities of several models with the same feature set are averaged per token
before the constrained Viterbi decoding; everything else is the default pipeline, scored like
``shinbun eval``. Used to decide whether shipping several seeds of the Japanese model would pay
for its cost (see the ner-ja model card, "What was tried"). Japanese models only (the zh article
path caches per-model embeddings and is not wired here).

    python scripts/eval_ensemble.py --models DIR1,DIR2 --gold ../shared/data/ja/stockmark_dev.jsonl \\
        --labels PERSON,ORG,LOC,FAC,PRODUCT,EVENT --map GPE=LOC [--o-bias 0.5]
"""

from __future__ import annotations

import argparse

import numpy as np


def log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", required=True, help="comma-separated model directories (same tags and features)")
    ap.add_argument("--gold", required=True)
    ap.add_argument("--labels", default=None)
    ap.add_argument("--map", default=None)
    ap.add_argument("--o-bias", type=float, default=0.0)
    args = ap.parse_args()

    import spacy

    from pipeline.evaluate import format_table
    from pipeline.evaluation import evaluate_pipeline, parse_label_map
    from pipeline.stages import ner_spacy as ns
    from pipeline.stages.fast_tagger import NumpyTagger

    ns.register_architectures()
    members = []
    for path in args.models.split(","):
        nlp = spacy.load(path)
        ns.use_fast_gemm(nlp)
        members.append((nlp, NumpyTagger.from_model(ns._tagger(nlp).model)))
    tags = list(ns._tagger(members[0][0]).labels)
    for nlp, tagger in members:
        if list(ns._tagger(nlp).labels) != tags or not tagger:
            raise SystemExit("all models need the same tags and the shipped architecture")

    def scorer(batch):
        outs = [tagger.scores_rows(batch) for _, tagger in members]
        return [sum(log_softmax(x) for x in parts) / len(parts) for parts in zip(*outs)]

    def predict_arrays(self, arrays_list, numpy_tagger=True, chars_list=None):  # noqa: ARG001 - same signature
        return ns.predict_entities(self._get_nlp(), arrays_list, self.batch_size, scorer=scorer, o_bias=args.o_bias)

    ns.SpacyNER.predict_arrays = predict_arrays
    labels = [x for x in (args.labels or "").split(",") if x] or None
    result = evaluate_pipeline(args.gold, config=None, labels=labels, label_map=parse_label_map(args.map))
    if result["micro"]["tp"] + result["micro"]["fp"] == 0:
        # a stage error (e.g. a changed signature above) would otherwise read as a zero score
        raise SystemExit("no entity predicted at all: check that the replaced predict_arrays still fits")
    print(f"models: {args.models}  o_bias {args.o_bias}")
    print(format_table(result))


if __name__ == "__main__":
    main()
