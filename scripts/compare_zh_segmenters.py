"""Measure the Chinese segmenters we could ship: jieba (Python), jieba-rs (rjieba), spacy-pkuseg.

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
Since session 2 the last line compares jieba-rs (``rjieba``, the default backend) with Python jieba:
the share of word boundaries (raw sample + pd_dev) that are the same. Measured 2026-11-27:
    jieba          ~388,000 chars/s
    jieba-rs     ~5,880,000 chars/s, entity-boundary agreement 0.927 (the same as jieba)
    jieba-rs vs jieba: 0.9979 of jieba's word boundaries identical (400,055 chars)
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


def rjieba_segment():
    import rjieba

    return lambda text: [(s, e) for _, s, e in rjieba.tokenize(text, hmm=True)]


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
    for name, make in (("jieba", jieba_segment), ("jieba-rs", rjieba_segment), ("spacy-pkuseg", pkuseg_segment)):
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
    py, rs = jieba_segment(), rjieba_segment()
    texts = raw + [r["text"] for r in gold]
    a = {(i, b) for i, t in enumerate(texts) for s, e in py(t) for b in (s, e)}
    b = {(i, b) for i, t in enumerate(texts) for s, e in rs(t) for b in (s, e)}
    print(f"jieba-rs vs jieba: {len(a & b) / len(a):.4f} of jieba's word boundaries identical ({sum(map(len, texts)):,} chars)")


if __name__ == "__main__":
    main()
