"""Strict span+label scoring of entity predictions against gold annotations.

An entity counts as a true positive only when (start, end, label) match exactly. The scorer is
used by ``shinbun eval`` and by ``scripts/eval_ner.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


def _prepare(ents: Sequence[tuple[int, int, str]], labels, label_map) -> set[tuple[int, int, str]]:
    out = set()
    for start, end, label in ents:
        if label_map:
            label = label_map.get(label, label)
        if labels is not None and label not in labels:
            continue
        out.add((int(start), int(end), label))
    return out


def score(
    gold: Iterable[Sequence[tuple[int, int, str]]],
    pred: Iterable[Sequence[tuple[int, int, str]]],
    labels: Collection[str] | None = None,
    label_map: Mapping[str, str] | None = None,
) -> dict:
    """Micro and per-label precision/recall/F1 over parallel sequences of documents.

    ``gold`` and ``pred`` yield, per document, the entities as ``(start, end, label)``.
    ``label_map`` renames labels on both sides before anything else; then entities whose
    label is not in ``labels`` (when given) are ignored on both sides. Duplicates within a
    document count once.
    """
    labels = set(labels) if labels is not None else None
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    seen: set[str] = set(labels) if labels is not None else set()
    gold_list = list(gold)
    pred_list = list(pred)
    if len(gold_list) != len(pred_list):
        raise ValueError(f"gold has {len(gold_list)} documents but pred has {len(pred_list)}")
    for g_doc, p_doc in zip(gold_list, pred_list):
        g = _prepare(g_doc, labels, label_map)
        p = _prepare(p_doc, labels, label_map)
        for e in g & p:
            tp[e[2]] += 1
        for e in p - g:
            fp[e[2]] += 1
        for e in g - p:
            fn[e[2]] += 1
        seen.update(e[2] for e in g | p)
    per_label = {lab: _prf(tp[lab], fp[lab], fn[lab]) for lab in sorted(seen)}
    micro = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {"micro": micro, "per_label": per_label}


def format_table(result: dict) -> str:
    """A plain-text table: one row per label, then the micro average."""
    header = f"{'label':<10} {'prec':>7} {'rec':>7} {'f1':>7} {'tp':>6} {'fp':>6} {'fn':>6} {'gold':>6}"
    lines = [header, "-" * len(header)]

    def row(name: str, m: dict) -> str:
        return (
            f"{name:<10} {m['precision']:>7.4f} {m['recall']:>7.4f} {m['f1']:>7.4f} "
            f"{m['tp']:>6d} {m['fp']:>6d} {m['fn']:>6d} {m['tp'] + m['fn']:>6d}"
        )

    for lab, m in result["per_label"].items():
        lines.append(row(lab, m))
    lines.append("-" * len(header))
    lines.append(row("micro", result["micro"]))
    return "\n".join(lines)


def read_gold(path: str | Path) -> Iterator[dict]:
    """Records of a common-format JSONL file (``{"id","lang","source","text","entities":[...]}``)."""
    try:
        import orjson

        loads = orjson.loads
    except ImportError:  # pragma: no cover
        import json

        loads = json.loads
    with open(path, "rb") as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield loads(line)


def gold_tuples(record: dict) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` of a gold record's entities."""
    return [(e["start"], e["end"], e["label"]) for e in record.get("entities", [])]
