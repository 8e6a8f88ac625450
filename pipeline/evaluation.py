"""Run the configured pipeline over a gold JSONL file and score it (``shinbun eval``).

Gold records are single sentences or short texts, so boilerplate detection is switched off for
scoring: every character of the gold text is treated as body, as the annotators saw it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import orjson

from pipeline.record import Article


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


def evaluate_pipeline(
    gold_path: str | Path,
    config: str | Path | None = None,
    labels: Collection[str] | None = None,
    label_map: Mapping[str, str] | None = None,
    limit: int | None = None,
    bootstrap: int = 0,
) -> dict[str, Any]:
    from pipeline.core import load
    from pipeline.evaluate import micro_f1_interval, score

    nlp = load(config, overrides={"pipeline.detect_boilerplate": False, "pipeline.emit_tokens": False})
    gold_sets, pred_sets = [], []
    with open(gold_path, "rb") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                break
            if not line.strip():
                continue
            g = orjson.loads(line)
            gold_sets.append([(e["start"], e["end"], e["label"]) for e in g.get("entities", [])])
            rec = nlp.process(Article(id=str(g.get("id", i)), text=g["text"], lang=g.get("lang")))
            pred_sets.append([(e["start"], e["end"], e["label"]) for e in rec.get("entities", [])])
    result = score(gold_sets, pred_sets, labels=labels, label_map=label_map)
    result["records"] = len(gold_sets)
    if bootstrap:
        interval = micro_f1_interval(gold_sets, pred_sets, labels, label_map, samples=bootstrap)
        result["bootstrap"] = {"samples": bootstrap, "level": 0.95, "seed": 0, "f1_interval": list(interval)}
    return result
