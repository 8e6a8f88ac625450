"""Strict span+label scoring of entity predictions against gold annotations.

An entity counts as a true positive only when (start, end, label) match exactly. The scorer is
used by ``shinbun eval`` (:mod:`pipeline.evaluation`) and by ``scripts/eval/eval_ner.py``; one
reader of the common gold format (:func:`read_gold`) serves both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import orjson


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


def scored_spans(ents: Sequence[tuple[int, int, str]], labels, label_map) -> set[tuple[int, int, str]]:
    """The ``(start, end, label)`` set the scorer compares: labels renamed by ``label_map``, then
    those outside ``labels`` (None: all) dropped."""
    out = set()
    for start, end, label in ents:
        if label_map:
            label = label_map.get(label, label)
        if labels is not None and label not in labels:
            continue
        out.add((int(start), int(end), label))
    return out


def _compare(g_doc, p_doc, labels, label_map):
    """(true positives, false positives, false negatives) of one document, as entity sets."""
    g = scored_spans(g_doc, labels, label_map)
    p = scored_spans(p_doc, labels, label_map)
    return g & p, p - g, g - p


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
        hits, extra, missed = _compare(g_doc, p_doc, labels, label_map)
        for counter, ents in ((tp, hits), (fp, extra), (fn, missed)):
            for e in ents:
                counter[e[2]] += 1
            seen.update(e[2] for e in ents)
    per_label = {lab: _prf(tp[lab], fp[lab], fn[lab]) for lab in sorted(seen)}
    micro = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {"micro": micro, "per_label": per_label}


def micro_f1_interval(
    gold: Iterable[Sequence[tuple[int, int, str]]],
    pred: Iterable[Sequence[tuple[int, int, str]]],
    labels: Collection[str] | None = None,
    label_map: Mapping[str, str] | None = None,
    samples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the micro F1: documents are resampled with replacement
    ``samples`` times (fixed ``seed``: the same input gives the same interval) and the interval
    holds the central ``level`` share of the resampled F1 values. It says how much the score
    moves with the choice of documents, e.g. what to expect on another test set of the same kind."""
    labels = set(labels) if labels is not None else None
    counts = [tuple(map(len, _compare(g, p, labels, label_map))) for g, p in zip(gold, pred, strict=True)]
    if not counts:
        return (0.0, 0.0)
    c = np.asarray(counts, dtype=np.int64)
    rng = np.random.default_rng(seed)
    f1 = np.empty(samples)
    for k in range(samples):  # one resample at a time keeps memory flat for any corpus size
        tp, fp, fn = c[rng.integers(0, len(c), size=len(c))].sum(axis=0)
        f1[k] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(f1, [tail, 100 - tail])
    return (float(lo), float(hi))


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
    boot = result.get("bootstrap")
    if boot:
        lo, hi = boot["f1_interval"]
        lines.append(
            f"micro F1 {boot['level']:.0%} interval [{lo:.4f}, {hi:.4f}] "
            f"(bootstrap: {boot['samples']} resamples of the {result.get('records', '?')} documents)"
        )
    return "\n".join(lines)


class GoldError(ValueError):
    """A gold file line that is not a record of the common format; the message names the file and
    line."""


def _check_gold(rec: object) -> str | None:
    """What is wrong with a parsed gold record, or None: an object with a string ``text`` and
    ``entities`` (a list, maybe empty) whose ``start`` / ``end`` are code-point offsets into it, with a label."""
    if not isinstance(rec, dict):
        return "not a JSON object"
    text = rec.get("text")
    if not isinstance(text, str):
        return "no string 'text'"
    if "entities" not in rec:  # an input article: scoring it would give zeros
        return "no 'entities' list (a gold record lists its entities, [] for none)"
    if isinstance(rec.get("meta"), dict) and "schema_version" in rec["meta"]:  # scoring it would give 1.0
        return "a record written by `shinbun run`, not gold annotation (gold made from one: drop its meta)"
    ents = rec["entities"]
    if not isinstance(ents, list):
        return "'entities' is not a list"
    for k, e in enumerate(ents):
        if not isinstance(e, dict) or not isinstance(e.get("label"), str):
            return f"entity {k} has no string 'label'"
        start, end = e.get("start"), e.get("end")
        if type(start) is not int or type(end) is not int or not 0 <= start < end <= len(text):
            return f"entity {k}: start {start!r} / end {end!r} are not offsets of a span of the text ({len(text)} characters)"
    return None


def read_gold(path: str | Path) -> Iterator[dict]:
    """Records of a common-format JSONL file (``{"id","lang","source","text","entities":[...]}``).
    A line that is not JSON or not such a record raises :class:`GoldError` naming the file and
    line, before anything is scored with it."""
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise GoldError(f"{path}:{lineno}: not JSON ({exc})") from None
            problem = _check_gold(rec)
            if problem:
                raise GoldError(f"{path}:{lineno}: not a gold record: {problem}")
            yield rec


def gold_tuples(record: dict) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` of a gold record's entities."""
    return [(e["start"], e["end"], e["label"]) for e in record.get("entities", [])]
