"""How well a Chinese model separates names written back to back (李明王芳张伟（女）刘洋…).

    python -m scripts.eval.name_lists pipeline/models/ner-zh RUN/student-s1 ...

A probe, not a test set: every pd_dev sentence with a PERSON that looks like a name gets one copy
where that PERSON starts a list of 2-5 names written back to back (the copies
``scripts/train/train_ner.py`` makes for ``augment_name_lists``, :func:`name_list`, random seed 0),
the names drawn from msra_train's PERSON mentions. Each model runs through the default pipeline
(as in :mod:`scripts.eval.seed_table`); printed per model: PERSON precision / recall / F1 on the
copies, and the share of lists whose every name was found exactly. Dev data only: a diagnostic of
one known weakness, never used to pick a model.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from scripts import SHARED_DATA
from scripts.data.splits import load_split
from scripts.eval.seed_table import config_for


def probe_records(data: Path) -> list[tuple[dict, list[tuple[int, int]]]]:
    """(copy, spans of its listed names) for every pd_dev sentence with a listable PERSON."""
    from scripts.train.train_ner import name_list, name_pool

    pool = name_pool(list(load_split(data / "zh", "msra_train")))
    rng = random.Random(0)
    out = []
    for rec in load_split(data / "zh", "pd_dev"):
        rec = {**rec, "entities": [e for e in rec["entities"] if e["label"] in ("PERSON", "PER")]}
        rec["entities"] = [{**e, "label": "PERSON"} for e in rec["entities"]]
        copy = name_list(rec, pool, rng)
        if copy is None:
            continue
        first, last = copy["list"]
        listed = [(e["start"], e["end"]) for e in copy["entities"] if first <= e["start"] and e["end"] <= last]
        out.append((copy, listed))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--data", type=Path, default=SHARED_DATA)
    args = ap.parse_args(argv)
    from pipeline.core import load
    from pipeline.record import Article

    probes = probe_records(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        for k, model in enumerate(args.models):
            nlp = load(config_for(model, "zh", Path(tmp), k),
                       overrides={"pipeline.detect_boilerplate": False, "pipeline.emit_tokens": False})
            tp = fp = fn = whole = 0
            for copy, listed in probes:
                rec = nlp.process(Article(id=copy["id"], text=copy["text"], lang="zh"))
                pred = {(e["start"], e["end"]) for e in rec["entities"] if e["label"] == "PERSON"}
                gold = {(e["start"], e["end"]) for e in copy["entities"]}
                tp += len(pred & gold)
                fp += len(pred - gold)
                fn += len(gold - pred)
                whole += all(s in pred for s in listed)
            p = tp / max(1, tp + fp)
            r = tp / max(1, tp + fn)
            f = 2 * p * r / max(1e-9, p + r)
            print(f"{model}  lists {len(probes)}  PERSON P {p:.4f} R {r:.4f} F1 {f:.4f}  "
                  f"lists found whole {whole / max(1, len(probes)):.4f}", flush=True)


if __name__ == "__main__":
    main()
