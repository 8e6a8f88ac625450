"""Pipeline dev F1 of a style-flag model (``style_sources`` in ``scripts/train/train_ner.py``) at
several style mixes ``alpha`` (0: the unflagged corpora's convention, 1: the flagged corpus's).

    python -m scripts.eval.sweep_style --model RUN/student --values 0 0.1 0.2 0.3

Each value runs the whole default pipeline (``pipeline/default.toml`` with the zh recogniser
naming a temporary folder: links to the model's files and a ``meta.json`` whose ``style`` has
that alpha) and scores every zh dev set (pd_dev, msra_dev, cluener_dev) with ``shinbun eval``'s
code. Dev data only: this is model selection. The model folder is not changed; a model trained before ``style`` was written
to meta.json gets ``{"flag": --flag}`` in the temporary copy.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path

from scripts import ROOT, SHARED_DATA  # noqa: E402
from scripts.eval.seed_table import gold_file  # noqa: E402
from scripts.eval.sweep_cascade import SETS, linked_copy  # noqa: E402


def model_folder(tmp: Path, model: Path, alpha: float, flag: str) -> Path:
    """A folder of links to ``model``'s files with ``style.alpha`` set in its meta.json."""
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    style = meta.setdefault("shinbun", {}).get("style") or {"flag": flag}
    meta["shinbun"]["style"] = dict(style, alpha=alpha)
    return linked_copy(tmp / f"model-{alpha}", model, meta)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="a style-flag model folder (train_ner.py output)")
    ap.add_argument("--values", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3])
    ap.add_argument("--flag", default="c", help="the TAG prefix, for a model whose meta.json lacks `style`")
    ap.add_argument("--data", type=Path, default=SHARED_DATA)
    args = ap.parse_args()

    from pipeline.evaluation import evaluate_pipeline

    config_text = (ROOT / "pipeline" / "default.toml").read_text(encoding="utf-8")
    zh_model = re.compile(r'model = "ner-zh[^"]*"')
    if not zh_model.search(config_text):
        raise SystemExit("pipeline/default.toml names no ner-zh model; edit this script's replacement")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        golds = {name: gold_file(args.data, "zh", name, tmp) for name, _, _ in SETS}
        for value in args.values:
            folder = model_folder(tmp, args.model, value, args.flag)
            config = tmp / f"config-{value}.toml"
            config.write_text(zh_model.sub(f'model = "{folder}"', config_text, count=1), encoding="utf-8")
            scores = []
            for name, labels, label_map in SETS:
                m = evaluate_pipeline(golds[name], config, labels=labels, label_map=label_map)["micro"]
                scores.append(m["f1"])
                print(f"alpha {value:.2f}  {name:12s} P {m['precision']:.4f} R {m['recall']:.4f} F1 {m['f1']:.4f}",
                      flush=True)
            print(f"alpha {value:.2f}  mean F1 {sum(scores) / len(scores):.4f}", flush=True)


if __name__ == "__main__":
    main()
