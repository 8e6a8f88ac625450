"""Turn a ``scripts/train/train_ner.py`` output folder into a model as it ships (used by the
``scripts/train_*_distilled.sh`` chains):

* the dev scores file goes (the model card has the pipeline's scores);
* the vocab string table is emptied (``[]``): features are hashes, the strings are not needed;
* ``meta.json`` gets the provenance the card cites: the static vectors' source, the
  distillation teacher, the unlabelled text and the training seed;
* with ``--cascade FILE --threshold P``: a second network (``train_lac_teacher.py export``) is
  copied in as ``teacher.npz`` and ``meta.json`` ``shinbun.cascade`` names it, so the pipeline
  averages it in on sentences where the model's least sure character is below ``P``;
* with ``--second-model DIR --threshold P``: a second model of the same architecture (another
  seed of the recipe, ner-ja) is copied in as the subfolder ``second`` (packaged the same way:
  no dev scores, an empty string table) and ``shinbun.cascade`` names it with ``kind: tagger``:
  the pipeline runs it on the same token features of the unsure sentences;
* with ``--style-alpha A``: a model trained with a style flag runs at that style mix
  (``shinbun.style.alpha``; ``scripts/eval/sweep_style.py`` scores values on the dev sets).

    python -m scripts.train.package_model pipeline/models/ner-zh --seed 0 \\
        --vectors-source "..." --vectors-kept "..." --teacher "..." --unlabelled "..."
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

CASCADE_FILE = "teacher.npz"
SECOND_DIR = "second"


def package(
    out: Path,
    seed: int,
    vectors_source: str,
    vectors_kept: str,
    teacher: str,
    unlabelled: str,
    cascade: Path | None = None,
    threshold: float = 0.8,
    cascade_about: str = "",
    style_alpha: float | None = None,
    second_model: Path | None = None,
) -> None:
    if cascade is not None and second_model is not None:
        raise SystemExit("one second network: --cascade or --second-model, not both")
    (out / "dev_scores.json").unlink(missing_ok=True)
    (out / "vocab" / "strings.json").write_text("[]", encoding="utf-8")
    path = out / "meta.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    info = meta.setdefault("shinbun", {})
    info["static_vectors"] = {"source": vectors_source, "kept": vectors_kept}
    info.setdefault("soft_targets", {}).update(teacher=teacher, unlabelled=unlabelled)
    info["seed"] = seed
    if style_alpha is not None:
        if "style" not in info:
            raise SystemExit(f"{out} was not trained with a style flag (no shinbun.style in meta.json)")
        info["style"]["alpha"] = style_alpha
    if cascade is not None:
        shutil.copyfile(cascade, out / CASCADE_FILE)
        info["cascade"] = {"model": CASCADE_FILE, "threshold": threshold, "about": cascade_about}
    if second_model is not None:
        dest = out / SECOND_DIR
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(second_model, dest, ignore=shutil.ignore_patterns("dev_scores.json", "MODEL_CARD.md", SECOND_DIR))
        (dest / "vocab" / "strings.json").write_text("[]", encoding="utf-8")
        info["cascade"] = {"model": SECOND_DIR, "kind": "tagger", "threshold": threshold, "about": cascade_about}
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="the trained model folder (changed in place)")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--vectors-source", required=True)
    ap.add_argument("--vectors-kept", required=True)
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--unlabelled", required=True)
    ap.add_argument("--cascade", type=Path, default=None, help="a second network (train_lac_teacher.py export)")
    ap.add_argument("--second-model", type=Path, default=None, help="a second model of the same architecture (a folder)")
    ap.add_argument("--threshold", type=float, default=0.8, help="cascade: least-sure character probability")
    ap.add_argument("--cascade-about", default="", help="cascade: what the second network is (for the card)")
    ap.add_argument("--style-alpha", type=float, default=None, help="a style-flag model's style mix (0..1)")
    args = ap.parse_args()
    package(
        args.out, args.seed, args.vectors_source, args.vectors_kept, args.teacher, args.unlabelled,
        args.cascade, args.threshold, args.cascade_about, args.style_alpha, args.second_model,
    )


if __name__ == "__main__":
    main()
