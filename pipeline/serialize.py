"""Document -> the JSON record (a plain dict with a stable key order) and error records.

The key order is part of the format: same input + same config = byte-identical output.
The JSON Schema in ``pipeline/schema/record.schema.json`` describes exactly these dicts.
"""

from __future__ import annotations

from typing import Any

from pipeline.record import Document, Entity, Token
from pipeline.stages.entity_key import entity_key


def _token(text: str, t: Token) -> dict[str, Any]:
    out: dict[str, Any] = {"start": t.start, "end": t.end, "text": text[t.start : t.end]}
    if t.pos:
        out["pos"] = t.pos
    if t.lemma is not None:
        out["lemma"] = t.lemma
    if t.reading is not None:
        out["reading"] = t.reading
    return out


def _entity(text: str, e: Entity, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "start": e.start,
        "end": e.end,
        "text": text[e.start : e.end],
        "label": e.label,
        "sentence": e.sentence,
        "source": e.source,
    }
    if e.score is not None:
        out["score"] = round(float(e.score), 4)
    if e.norm:
        out["norm"] = e.norm
    if e.cluster is not None:
        out["cluster"] = e.cluster
        out["canonical"] = e.canonical
    out["key"] = entity_key(e.canonical or out["text"], lang)
    return out


def to_record(doc: Document, meta: dict[str, Any], *, emit_tokens: bool = True) -> dict[str, Any]:
    art = doc.article
    text = art.text
    rec: dict[str, Any] = {"id": art.id, "lang": doc.lang, "text": text}
    for key in ("title", "published", "url"):
        value = getattr(art, key)
        if value is not None:
            rec[key] = value
    body = doc.body
    rec["body"] = [body.start, body.end] if body is not None else [0, 0]
    rec["boilerplate"] = [{"start": b.start, "end": b.end, "reason": b.reason} for b in doc.boilerplate]
    rec["sentences"] = [{"start": s.start, "end": s.end} for s in doc.sentences]
    if emit_tokens:
        rec["tokens"] = [_token(text, t) for t in doc.tokens]
    rec["entities"] = [_entity(text, e, doc.lang) for e in doc.entities]
    if doc.warnings:
        rec["warnings"] = list(doc.warnings)
    rec["meta"] = dict(meta)
    if art.meta:
        rec["meta"]["input"] = art.meta
    if art.source:
        rec["meta"]["source"] = art.source
    return rec


def error_record(article_id: str, stage: str, type_: str, message: str) -> dict[str, Any]:
    # Messages can be huge (an exception quoting a 2 MB article): keep them readable.
    if len(message) > 1000:
        message = message[:1000] + "…"
    return {"id": article_id, "error": {"stage": stage, "type": type_, "message": message}}


def is_error(record: dict[str, Any]) -> bool:
    return "error" in record
