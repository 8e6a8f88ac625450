"""Where a model's errors on the dev sets come from: the strict-F1 errors of the whole pipeline
sorted into kinds, with counts and examples.

    python -m scripts.eval.errors --lang ja pipeline/models/ner-ja
    python -m scripts.eval.errors --lang zh pipeline/models/ner-zh --sets pd_dev --examples 20

The scored labels and label maps are those of :mod:`scripts.eval.seed_table` (the model cards').
Every gold span the pipeline missed and every predicted span that is not gold counts once, as a
pair where they overlap:

* ``label G->P``: the same span, another label;
* ``boundary G`` / ``boundary G->P``: overlapping spans, other edges (and maybe another label);
* ``miss G``: a gold span no prediction touches;
* ``spurious P``: a prediction that pairs with no missed gold span (one that touches none, or
  a second one over a gold span already paired), and
  ``spurious P (gold X)`` where the gold file has exactly that span under a label that is not
  scored (GSD-NE's NORP, WORK_OF_ART, QUANTITY...): a convention difference more than an error.

Dev data only: a diagnostic for model cards and for choosing what to work on, never a score.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from scripts import SHARED_DATA
from scripts.eval.seed_table import DEV_SETS, config_for, gold_file

Span = tuple[int, int, str]


def classify(gold: set[Span], pred: set[Span], unscored: dict[tuple[int, int], str]) -> list[tuple[str, Span]]:
    """The errors of one document as (kind, span): the gold span for misses, label and boundary
    errors, the predicted span for spurious ones. ``gold`` and ``pred`` hold the scored labels
    only (after the label map); ``unscored`` maps (start, end) to the label of gold spans outside
    the scored labels."""
    missed = sorted(gold - pred)
    extra = sorted(pred - gold)
    used: set[Span] = set()
    out: list[tuple[str, Span]] = []
    for g in missed:
        kind = f"miss {g[2]}"
        for p in extra:
            if p in used:
                continue
            if (p[0], p[1]) == (g[0], g[1]):
                kind = f"label {g[2]}->{p[2]}"
            elif p[0] < g[1] and g[0] < p[1]:
                kind = f"boundary {g[2]}" + ("" if p[2] == g[2] else f"->{p[2]}")
            else:
                continue
            used.add(p)
            break
        out.append((kind, g))
    for p in extra:
        if p in used:
            continue
        other = unscored.get((p[0], p[1]))
        out.append((f"spurious {p[2]}" + (f" (gold {other})" if other else ""), p))
    return out


def document_errors(gold_rec: dict, pred_rec: dict, labels: list[str], label_map: dict[str, str]):
    """:func:`classify` for a gold record and the pipeline's record of the same text, on the
    spans the scorer compares (:func:`~pipeline.scoring.scored_spans`)."""
    from pipeline.scoring import gold_tuples, scored_spans

    g_all = scored_spans(gold_tuples(gold_rec), None, label_map)
    unscored = {(s, e): lab for s, e, lab in g_all if lab not in labels}
    return classify({x for x in g_all if x[2] in labels},
                    scored_spans(gold_tuples(pred_rec), labels, label_map), unscored)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", required=True, choices=sorted(DEV_SETS))
    ap.add_argument("model", type=Path, help="a model folder")
    ap.add_argument("--data", type=Path, default=SHARED_DATA)
    ap.add_argument("--sets", default=None, help="comma-separated subset of the dev sets")
    ap.add_argument("--examples", type=int, default=8, help="examples printed per kind")
    ap.add_argument("--limit", type=int, default=None, help="only the first N records of each set")
    args = ap.parse_args(argv)

    from pipeline.evaluation import predict_gold

    sets = DEV_SETS[args.lang]
    if args.sets:
        sets = [s for s in sets if s[0] in args.sets.split(",")]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        config = config_for(args.model, args.lang, tmp, 0)
        for name, labels, label_map in sets:
            counts: Counter[str] = Counter()
            examples: dict[str, list[str]] = defaultdict(list)
            records, failed = 0, []
            for g, rec in predict_gold(gold_file(args.data, args.lang, name, tmp), config, args.limit):
                records += 1
                if "error" in rec:  # the pipeline failed on it: not the model's error, listed apart
                    failed.append(f"{rec['id']} ({rec['error']['stage']}:{rec['error']['type']}: {rec['error']['message']})")
                    continue
                for kind, (s, e, _) in document_errors(g, rec, labels, label_map):
                    counts[kind] += 1
                    examples[kind].append(g["text"][s:e])
            if records and len(failed) == records:
                raise SystemExit(f"{name}: all {records} records are error records, e.g. {failed[0]}")
            print(f"== {name}: {sum(counts.values())} errors"
                  + (f"; {len(failed)} error records left out, e.g. {failed[0]}" if failed else ""))
            for kind, n in counts.most_common():
                print(f"{n:5d}  {kind:32s} {' '.join(examples[kind][: args.examples])}")


if __name__ == "__main__":
    main()
