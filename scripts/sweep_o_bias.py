"""Pipeline dev F1 at several values of a model's decoding prior ``o_bias`` (the amount subtracted
from the "O" logit before constrained Viterbi; ``meta.json`` ``shinbun.o_bias``, default 0).

    python scripts/sweep_o_bias.py --lang zh --values 0 0.5 1.0 -0.5
    python scripts/sweep_o_bias.py --lang ja --values 0 0.5 1.0 1.5
    python scripts/sweep_o_bias.py --lang zh --config my.toml --model /path/to/model   # a model not shipped

Scores with ``shinbun eval``'s code and the project's label sets (the issue's commands); the
model's ``meta.json`` on disk is not changed. Dev data only: this is model selection.
"""

from __future__ import annotations

import argparse
from pathlib import Path

SETS = {
    "ja": [("ja/stockmark_dev.jsonl", ["PERSON", "ORG", "LOC", "FAC", "PRODUCT", "EVENT"], {"GPE": "LOC"}),
           ("ja/kwdlc_dev.jsonl", ["PERSON", "ORG", "LOC", "PRODUCT", "DATE", "MONEY", "PERCENT"], {"GPE": "LOC", "FAC": "LOC"})],
    "zh": [("zh/pd_dev.jsonl", ["PERSON", "ORG", "LOC"], {"GPE": "LOC"}),
           ("zh/cluener_dev.jsonl", ["PERSON", "ORG", "LOC"], {"GPE": "LOC"})],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", choices=sorted(SETS), required=True)
    ap.add_argument("--values", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    ap.add_argument("--config", default=None, help="pipeline config (default: the packaged one)")
    ap.add_argument("--model", default=None, help="the model path that --config names (default: ner-<lang>)")
    args = ap.parse_args()

    from pipeline.evaluation import evaluate_pipeline
    from pipeline.stages.ner_spacy import SpacyNER

    # the pipeline's SpacyNER shares this loaded model (one per path and process)
    nlp = SpacyNER(args.model or f"ner-{args.lang}", args.lang)._get_nlp()
    for value in args.values:
        nlp.meta.setdefault("shinbun", {})["o_bias"] = value
        scores = []
        for rel, labels, label_map in SETS[args.lang]:
            m = evaluate_pipeline(args.data / rel, args.config, labels=labels, label_map=label_map)["micro"]
            scores.append(m["f1"])
            print(f"o_bias {value:+.2f}  {rel:24s} P {m['precision']:.4f} R {m['recall']:.4f} F1 {m['f1']:.4f}")
        print(f"o_bias {value:+.2f}  mean F1 {sum(scores) / len(scores):.4f}")


if __name__ == "__main__":
    main()
