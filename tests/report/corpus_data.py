"""A small corpus in ja, zh-Hans and zh-Hant over January to April 2024 (one article without a
date, one with a month only, an error record), with entities spelled in several scripts.

Entity keys: 腾讯/騰訊 -> 腾讯, 华为/華為 -> 华为, 陈菊红/陳菊紅 -> 陈菊红, 広島/廣島 -> 广岛,
テンセント keeps its own.
"""

from __future__ import annotations

from pathlib import Path

import orjson

META = {"schema_version": "1.0", "pipeline_version": "0", "config_hash": "x", "models": []}


def _article(aid: str, lang: str, published: str | None, sentences: list[str], ents: list[tuple[str, str, int]]) -> dict:
    """``ents``: (surface, label, sentence); each surface is found from where the previous one ended
    in that sentence."""
    text = "".join(sentences)
    starts = [sum(len(s) for s in sentences[:i]) for i in range(len(sentences))]
    cursor = {i: starts[i] for i in range(len(sentences))}
    entities = []
    for surface, label, sent in ents:
        start = text.index(surface, cursor[sent])
        cursor[sent] = start + len(surface)
        e = {"start": start, "end": start + len(surface), "text": surface, "label": label, "sentence": sent, "source": "test"}
        if label == "MONEY":
            e["norm"] = {"value": "500000000", "currency": "CNY"}
        entities.append(e)
    rec = {"id": aid, "lang": lang, "text": text, "title": sentences[0]}
    if published is not None:
        rec["published"] = published
    rec.update({"body": [0, len(text)], "boilerplate": [],
                "sentences": [{"start": s, "end": s + len(t)} for s, t in zip(starts, sentences)],
                "entities": entities, "meta": META})
    return rec


def corpus_records() -> list[dict]:
    a1 = _article("a1", "zh-Hans", "2024-01-05", ["腾讯与华为在深圳合作。", "腾讯表示满意。"],
                  [("腾讯", "ORG", 0), ("华为", "ORG", 0), ("深圳", "GPE", 0), ("腾讯", "ORG", 1)])
    for i in (0, 3):
        a1["entities"][i].update(cluster=0, canonical="腾讯")
    return [
        a1,
        _article("a2", "zh-Hant", "2024-01-20", ["騰訊公布財報。", "陳菊紅出席。"],
                 [("騰訊", "ORG", 0), ("陳菊紅", "PERSON", 1)]),
        _article("a3", "ja", "2024-02-10", ["陳菊紅氏がテンセントを訪問した。", "広島で会見。"],
                 [("陳菊紅", "PERSON", 0), ("テンセント", "ORG", 0), ("広島", "GPE", 1)]),
        _article("a4", "zh-Hans", "2024-03-15", ["陈菊红与腾讯高管会面。", "华为未回应。"],
                 [("陈菊红", "PERSON", 0), ("腾讯", "ORG", 0), ("华为", "ORG", 1)]),
        _article("a5", "ja", None, ["華為と騰訊が提携。"], [("華為", "ORG", 0), ("騰訊", "ORG", 0)]),
        _article("a6", "zh-Hant", "2024-04-02T08:00:00+08:00", ["廣島與騰訊合作，投資5億元。"],
                 [("廣島", "GPE", 0), ("騰訊", "ORG", 0), ("5億元", "MONEY", 0)]),
        {"id": "bad", "error": {"stage": "entities", "type": "ValueError", "message": "boom"}},
        _article("a8", "zh-Hans", "2024-04", ["腾讯。"], [("腾讯", "ORG", 0)]),
    ]


def write_corpus(path: Path) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in corpus_records()))
    return path
