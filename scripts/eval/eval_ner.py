#!/usr/bin/env python
"""Score the project's spaCy NER model on a gold JSONL file (strict span+label micro F1).

    python -m scripts.eval.eval_ner --lang ja --gold /work/shared/data/ja/stockmark_dev.jsonl
    python -m scripts.eval.eval_ner --lang ja --gold /work/shared/data/ja/kwdlc_dev.jsonl --labels PERSON ORG LOC PRODUCT
    python -m scripts.eval.eval_ner --lang zh --gold /work/shared/data/zh/cluener_dev.jsonl --labels PERSON ORG LOC

One document per gold record (sentences = the whole text, tokens from the pipeline's
tokenizer), run through ``SpacyNER`` exactly as the pipeline calls it. Without ``--labels``
the scored label set is the model's labels plus any gold label (so gold labels the model
cannot predict count as misses: the "all labels" number). Also prints the recogniser's
speed in characters per second (tokenisation excluded and included) and per CPU-second of
this process (robust when the machine is shared; single core with ``OPENBLAS_NUM_THREADS=1``,
which this script sets by default).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


from pipeline.ner.spacy_ner import SpacyNER
from pipeline.record import Article, Document, Span  # noqa: E402
from pipeline.scoring import format_table, gold_tuples, read_gold, score  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", required=True, choices=["ja", "zh"])
    ap.add_argument("--gold", required=True, type=Path)
    ap.add_argument("--model", default=None, help="model dir or name (default ner-<lang>)")
    ap.add_argument("--labels", nargs="*", default=None, help="score only these labels (after --map)")
    ap.add_argument("--map", nargs="*", default=[], help="label renames applied to gold and pred, e.g. GPE=LOC")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument(
        "--with-rules", action="store_true",
        help="add the rule recogniser's MONEY/PERCENT/DATE (pipeline.numeric.find_numeric) to the model's entities",
    )
    ap.add_argument(
        "--article-size", type=int, default=20,
        help="for the extra speed figure: sentences per pseudo-article (records joined by newlines)",
    )
    args = ap.parse_args()

    label_map = dict(m.split("=", 1) for m in args.map)
    recs = list(read_gold(args.gold))
    if args.limit:
        recs = recs[: args.limit]
    ner = SpacyNER(args.model or f"ner-{args.lang}", args.lang)
    if args.lang == "ja":
        from pipeline.stages.tokenize_ja import FugashiTokenizer

        tok = FugashiTokenizer()
    else:
        from pipeline.stages.tokenize_zh import JiebaTokenizer

        tok = JiebaTokenizer()

    # warm up (model load, tokenizer dictionaries)
    warm = Document(article=Article(id="w", text=recs[0]["text"]), lang=args.lang, sentences=[Span(0, len(recs[0]["text"]))])
    warm.tokens = tok.tokenize(warm.text, warm.sentences)
    ner(warm)

    t0 = time.perf_counter()
    docs = []
    for r in recs:
        d = Document(article=Article(id=r["id"], text=r["text"]), lang=args.lang, sentences=[Span(0, len(r["text"]))])
        d.tokens = tok.tokenize(d.text, d.sentences)
        docs.append(d)
    t_tok = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    preds = [[(e.start, e.end, e.label) for e in ner(d)] for d in docs]
    t_ner, c_ner = time.perf_counter() - t0, time.process_time() - c0
    for d, p in zip(docs, preds):
        for s, e, _ in p:
            assert 0 <= s < e <= len(d.text)

    # speed on article-sized documents (the pipeline calls the stage once per article)
    t_art = 0.0
    n = args.article_size
    for i in range(0, len(recs), n):
        texts = [r["text"] for r in recs[i : i + n]]
        text = "\n".join(texts)
        sents, pos = [], 0
        for t in texts:
            sents.append(Span(pos, pos + len(t)))
            pos += len(t) + 1
        d = Document(article=Article(id="a", text=text), lang=args.lang, sentences=sents)
        d.tokens = tok.tokenize(text, sents)
        c0 = time.process_time()
        ner(d)
        t_art += time.process_time() - c0

    if args.with_rules:
        from pipeline.numeric import find_numeric

        for r, p in zip(recs, preds):
            p.extend((m.start, m.end, m.label) for m in find_numeric(r["text"], "ja" if args.lang == "ja" else "zh-Hans"))

    gold = [gold_tuples(r) for r in recs]
    labels = args.labels
    res = score(gold, preds, labels=labels, label_map=label_map or None)
    nchars = sum(len(r["text"]) for r in recs)
    speed = {
        "chars": nchars,
        "ner_chars_per_cpu_s": nchars / c_ner,
        "ner_chars_per_s": nchars / t_ner,
        "tokenize_plus_ner_chars_per_s": nchars / (t_ner + t_tok),
        f"ner_chars_per_cpu_s_articles_of_{n}_sentences": nchars / t_art,
    }
    if args.json:
        print(json.dumps({"gold": str(args.gold), "model": ner.version, "labels": labels, "result": res, "speed": speed}, ensure_ascii=False, indent=1))
    else:
        rules = " + rules (pipeline.numeric)" if args.with_rules else ""
        print(f"{args.gold.name}  model {ner.version}{rules}  labels {' '.join(labels) if labels else '(all)'}")
        print(format_table(res))
        print(
            f"speed: {speed['ner_chars_per_cpu_s']:,.0f} chars per CPU-second NER only (wall: {speed['ner_chars_per_s']:,.0f} chars/s), "
            f"{speed['tokenize_plus_ner_chars_per_s']:,.0f} chars/s with tokenisation ({nchars:,} chars, one doc per record); "
            f"{nchars / t_art:,.0f} chars per CPU-second NER only on articles of {n} sentences"
        )


if __name__ == "__main__":
    main()
