"""Turn a ``scripts/train_ner.py`` output folder into a model as it ships (used by the
``scripts/train_*_distilled.sh`` chains):

* the dev scores file goes (the model card has the pipeline's scores);
* the vocab string table is emptied (``[]``): features are hashes, the strings are not needed;
* ``meta.json`` gets the provenance the card cites: the static vectors' source, the
  distillation teacher, the unlabelled text and the training seed.

    python scripts/package_model.py pipeline/models/ner-zh --seed 0 \\
        --vectors-source "..." --vectors-kept "..." --teacher "..." --unlabelled "..."
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def package(out: Path, seed: int, vectors_source: str, vectors_kept: str, teacher: str, unlabelled: str) -> None:
    (out / "dev_scores.json").unlink(missing_ok=True)
    (out / "vocab" / "strings.json").write_text("[]", encoding="utf-8")
    path = out / "meta.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    info = meta.setdefault("shinbun", {})
    info["static_vectors"] = {"source": vectors_source, "kept": vectors_kept}
    info.setdefault("soft_targets", {}).update(teacher=teacher, unlabelled=unlabelled)
    info["seed"] = seed
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="the trained model folder (changed in place)")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--vectors-source", required=True)
    ap.add_argument("--vectors-kept", required=True)
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--unlabelled", required=True)
    args = ap.parse_args()
    package(args.out, args.seed, args.vectors_source, args.vectors_kept, args.teacher, args.unlabelled)


if __name__ == "__main__":
    main()
