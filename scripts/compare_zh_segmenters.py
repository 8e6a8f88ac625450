"""Measure the Chinese segmenters we could ship: jieba vs spacy-pkuseg.

Two numbers per segmenter, on data in the ../shared/data format:
- speed: characters per second on the raw news sample (one core);
- entity-boundary agreement: the share of gold entity starts/ends (pd_dev) that fall on a
  token boundary. A boundary inside a token is one an entity recogniser working on tokens
  could never predict, so this is the measure that matters for our use.

    python scripts/compare_zh_segmenters.py --data ../shared/data

Measured 2026-11-27 on this machine (2 cores):
    jieba          ~357,000 chars/s, entity-boundary agreement 0.927 (7,578 boundaries, pd_dev)
    spacy-pkuseg   unusable offline: pkuseg() downloads its model from GitHub at first use
                   (no model ships in the PyPI package), which breaks "works offline after install".
So jieba is the default segmenter; the zh NER model works on characters and does not depend on it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import orjson


def load(path: Path, limit: int | None = None) -> list[dict]:
    out = []
    with path.open("rb") as fh:
        for i, line in enumerate(fh):
            if limit and i >= limit:
                break
            out.append(orjson.loads(line))
    return out


def jieba_segment():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return lambda text: [(s, e) for _, s, e in tok.tokenize(text)]


def pkuseg_segment():
    import spacy_pkuseg

    seg = spacy_pkuseg.pkuseg()  # the default "mixed" model shipped with the package

    def run(text: str):
        out, pos = [], 0
        for w in seg.cut(text):
            start = text.find(w, pos)
            if start < 0:
                continue
            out.append((start, start + len(w)))
            pos = start + len(w)
        return out

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    args = ap.parse_args()
    raw = [r["text"] for r in load(args.data / "raw" / "zh_news_sample.jsonl")]
    gold = load(args.data / "zh" / "pd_dev.jsonl")
    chars = sum(map(len, raw))
    for name, make in (("jieba", jieba_segment), ("spacy-pkuseg", pkuseg_segment)):
        try:
            seg = make()
        except Exception as exc:  # noqa: BLE001 - report and go on to the next segmenter
            print(f"{name:14s} unusable here: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        seg("预热")
        t0 = time.perf_counter()
        for text in raw:
            seg(text)
        speed = chars / (time.perf_counter() - t0)
        hits = total = 0
        for rec in gold:
            bounds = set()
            for s, e in seg(rec["text"]):
                bounds.add(s)
                bounds.add(e)
            for ent in rec["entities"]:
                total += 2
                hits += (ent["start"] in bounds) + (ent["end"] in bounds)
        print(f"{name:14s} {speed:>12,.0f} chars/s   entity-boundary agreement {hits / total:.3f} ({total} boundaries)")


if __name__ == "__main__":
    main()
