"""Run the configured pipeline over a gold JSONL file and score it (``shinbun eval``).

Gold records are single sentences or short texts, so boilerplate detection is switched off for
scoring: every character of the gold text is treated as body, as the annotators saw it.

A gold text the pipeline turns into an error record scores as a text in which nothing was found,
and the result counts them (``errors``, ``error_types``, ``first_error``): a score is never
silently lowered by failures. When nothing can be scored (no gold record, or every record an
error record) :class:`EvaluationError` says why, rather than a table of zeros.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from pipeline.core import load
from pipeline.record import Article
from pipeline.scoring import gold_tuples, micro_f1_interval, read_gold, score


class EvaluationError(ValueError):
    """Nothing could be scored: the gold file has no record, the config has no recogniser, or the
    pipeline turned every record into an error record."""


def parse_label_map(spec: str | None) -> dict[str, str]:
    """'GPE=LOC,FAC=LOC' -> {'GPE': 'LOC', 'FAC': 'LOC'}."""
    out: dict[str, str] = {}
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"--map: expected FROM=TO, got {part!r}")
        src, dst = (x.strip() for x in part.split("=", 1))
        out[src] = dst
    return out


def predict_gold(
    gold_path: str | Path, config: str | Path | None = None, limit: int | None = None
) -> Iterator[tuple[dict, dict]]:
    """(gold record, the pipeline's record of its text) for each gold record, the pipeline set up
    for scoring (no boilerplate detection, no tokens in the records)."""
    nlp = load(config, overrides={"pipeline.detect_boilerplate": False, "pipeline.emit_tokens": False})
    if not nlp.recognizers:  # `recognizers = []` runs on purpose, but scoring it can only give zeros
        raise EvaluationError("the config has no recogniser (recognizers = []): there is nothing to score")
    for i, g in enumerate(islice(read_gold(gold_path), limit)):
        yield g, nlp.process(Article(id=str(g.get("id", i)), text=g["text"], lang=g.get("lang")))


def evaluate_pipeline(
    gold_path: str | Path,
    config: str | Path | None = None,
    labels: Collection[str] | None = None,
    label_map: Mapping[str, str] | None = None,
    limit: int | None = None,
    bootstrap: int = 0,
) -> dict[str, Any]:
    gold_sets, pred_sets = [], []
    errors: Counter[str] = Counter()
    first_error = None
    for g, rec in predict_gold(gold_path, config, limit):
        gold_sets.append(gold_tuples(g))
        err = rec.get("error")
        if err is not None:
            kind = f"{err.get('stage')}:{err.get('type')}"
            errors[kind] += 1
            first_error = first_error or f"record {rec.get('id')!r}: {kind}: {err.get('message')}"
            pred_sets.append([])
        else:
            pred_sets.append(gold_tuples(rec))
    if not gold_sets:
        raise EvaluationError(f"{gold_path}: no gold record to score")
    n_errors = sum(errors.values())
    if n_errors == len(gold_sets):
        raise EvaluationError(f"all {n_errors} records are error records, nothing was scored ({first_error})")
    result = score(gold_sets, pred_sets, labels=labels, label_map=label_map)
    result["records"] = len(gold_sets)
    result["errors"] = n_errors
    if n_errors:
        result["error_types"] = dict(sorted(errors.items()))
        result["first_error"] = first_error
    if bootstrap:
        interval = micro_f1_interval(gold_sets, pred_sets, labels, label_map, samples=bootstrap)
        result["bootstrap"] = {"samples": bootstrap, "level": 0.95, "seed": 0, "f1_interval": list(interval)}
    return result
