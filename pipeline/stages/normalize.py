"""Normalised values for numeric entities that a recogniser found without parsing them.

The numeric grammar already attaches values to what it finds. An entity labelled MONEY,
PERCENT or DATE by another recogniser (a statistical model) gets its value here by running the
same grammar on exactly its span: the value is set only when the grammar reads the whole span
as one expression of the same label, so nothing is guessed.
"""

from __future__ import annotations

from pipeline.numeric import find_numeric
from pipeline.record import Document

NUMERIC_LABELS = frozenset({"MONEY", "PERCENT", "DATE"})


def normalize(doc: Document) -> None:
    pending = [e for e in doc.entities if e.label in NUMERIC_LABELS and e.norm is None]
    if not pending:
        return
    for ent in pending:
        matches = find_numeric(doc.text, doc.lang, published=doc.article.published, spans=[(ent.start, ent.end)])
        if len(matches) == 1 and matches[0].label == ent.label and (matches[0].start, matches[0].end) == (ent.start, ent.end):
            ent.norm = dict(matches[0].norm)
