"""Whole-pipeline dev F1 of several trained models (the seeds of one recipe) on every dev set of
a language: each model's micro F1 and bootstrap interval per set, then the mean over the models,
their spread (standard deviation, min-max) and the mean per label. The numbers a model card
reports and the ones a recipe choice is made on (the mean, never the best seed).

    python -m scripts.eval.seed_table --lang ja RUN/s0 RUN/s1 RUN/s2 --bootstrap 1000
    python -m scripts.eval.seed_table --lang zh pipeline/models/ner-zh --json scores.json

Each model runs through the default pipeline (``pipeline/default.toml`` with the language's
recogniser naming the model folder) and ``shinbun eval``'s scorer, with the label sets and maps
of the model cards. Dev data only (``msra_dev`` is carved out of msra_train by
:mod:`scripts.data.splits`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from scripts import ROOT, SHARED_DATA

# (dev set, scored labels, gold label map): the sets and label rules of the model cards
DEV_SETS = {
    "ja": [
        ("stockmark_dev", ["PERSON", "ORG", "LOC", "FAC", "PRODUCT", "EVENT"], {"GPE": "LOC"}),
        ("kwdlc_dev", ["PERSON", "ORG", "LOC", "PRODUCT", "DATE", "MONEY", "PERCENT"], {"GPE": "LOC", "FAC": "LOC"}),
        ("gsd_dev", ["PERSON", "ORG", "LOC", "FAC", "PRODUCT", "EVENT", "DATE", "MONEY", "PERCENT"], {"GPE": "LOC"}),
    ],
    "zh": [
        ("pd_dev", ["PERSON", "ORG", "LOC"], {"GPE": "LOC"}),
        ("msra_dev", ["PERSON", "ORG", "LOC"], {"GPE": "LOC"}),
        ("cluener_dev", ["PERSON", "ORG", "LOC"], {"GPE": "LOC", "FAC": "LOC"}),
    ],
}
DEFAULT_MODEL = {"ja": "ner-ja", "zh": "ner-zh"}


def gold_file(data: Path, lang: str, name: str, tmp: Path) -> Path:
    """The dev set's JSONL file; a carved split is written to ``tmp`` first."""
    path = data / lang / f"{name}.jsonl"
    if path.exists():
        return path
    from scripts.data import splits

    out = tmp / f"{name}.jsonl"
    splits.main(["--data", str(data / lang), "--split", name, "--out", str(out)])
    return out


def config_for(model: Path, lang: str, tmp: Path, k: int) -> Path:
    """The default config with ``lang``'s recogniser naming ``model``."""
    text = (ROOT / "pipeline" / "default.toml").read_text(encoding="utf-8")
    old = f'model = "{DEFAULT_MODEL[lang]}"\n'
    if text.count(old) != 1:
        raise SystemExit(f"pipeline/default.toml: expected one line {old.strip()!r}")
    out = tmp / f"config-{k}.toml"
    out.write_text(text.replace(old, f'model = "{model.resolve()}"\n'), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", required=True, choices=sorted(DEV_SETS))
    ap.add_argument("models", nargs="+", type=Path, help="model folders (train_ner.py outputs)")
    ap.add_argument("--data", type=Path, default=SHARED_DATA)
    ap.add_argument("--bootstrap", type=int, default=0, help="bootstrap samples for each model's interval")
    ap.add_argument("--sets", default=None, help="comma-separated subset of the dev sets")
    ap.add_argument("--json", type=Path, default=None, help="also write every result here")
    args = ap.parse_args(argv)

    from pipeline.evaluation import evaluate_pipeline

    sets = DEV_SETS[args.lang]
    if args.sets:
        wanted = args.sets.split(",")
        sets = [s for s in sets if s[0] in wanted]
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for k, model in enumerate(args.models):
            config = config_for(model, args.lang, tmp, k)
            for name, labels, label_map in sets:
                res = evaluate_pipeline(gold_file(args.data, args.lang, name, tmp), config, labels=labels,
                                        label_map=label_map, bootstrap=args.bootstrap)
                results.setdefault(str(model), {})[name] = res
                m = res["micro"]
                ci = res.get("bootstrap", {}).get("f1_interval")
                ci_txt = f" [{ci[0]:.4f}, {ci[1]:.4f}]" if ci else ""
                failed = f"  ({res['errors']} error records: {res['first_error']})" if res["errors"] else ""
                print(f"{model}  {name:14s} P {m['precision']:.4f} R {m['recall']:.4f} F1 {m['f1']:.4f}{ci_txt}{failed}",
                      flush=True)
    print()
    for name, labels, _ in sets:
        f1s = [results[str(m)][name]["micro"]["f1"] for m in args.models]
        sd = statistics.stdev(f1s) if len(f1s) > 1 else 0.0
        per_label = "  ".join(
            f"{lab} {statistics.mean(results[str(m)][name]['per_label'][lab]['f1'] for m in args.models):.3f}"
            for lab in labels if lab in results[str(args.models[0])][name].get("per_label", {})
        )
        print(f"{name:14s} mean F1 {statistics.mean(f1s):.4f}  sd {sd:.4f}  min {min(f1s):.4f}  max {max(f1s):.4f}"
              f"  ({len(f1s)} models)  per label: {per_label}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
