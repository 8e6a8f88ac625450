"""Throughput benchmark: shinbun (1 worker, all workers) beside GiNZA (ja_ginza, NER only), same text, same run.

    python -m scripts.bench.bench --chars 300000                   # Japanese news text from ../shared/data/raw
    python -m scripts.bench.bench --chars 300000 --repeat 3        # shinbun's median of 3 runs beside one GiNZA run
    python -m scripts.bench.bench --lang zh --chars 300000 --no-ginza
    python -m scripts.bench.bench --articles 20000 --no-ginza       # a synthetic dump of N articles (memory check)

Input: articles from ../shared/data/raw/<lang>_news_sample.jsonl (or corpora/sample.jsonl when
absent), repeated until the requested size, written to a temporary JSONL file. Each measurement
runs in a fresh Python process that reports its own wall time and peak RSS (its own plus its
children's), so numbers do not bleed into each other. shinbun is timed end to end through the
runner (reading, every stage, writing JSONL), after the models of both languages are loaded
(loaded models are shared within a process and inherited by forked workers; the loading time
is printed beside the rate); GiNZA is timed on
`nlp.pipe` over the same texts with only tok2vec+ner enabled (SudachiPy tokenisation included).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts import ROOT, SHARED_DATA  # noqa: E402


def build_input(lang: str, data: Path, chars: int | None, articles: int | None, out: Path,
                article_chars: int | None = None) -> tuple[int, int]:
    src = data / "raw" / f"{lang}_news_sample.jsonl"
    if not src.exists():
        src = ROOT / "corpora" / "sample.jsonl"
    base = [json.loads(x) for x in src.read_text(encoding="utf-8").splitlines() if x.strip()]
    want = "ja" if lang == "ja" else "zh"
    base = [b for b in base if (b.get("lang") or want).startswith(want)] or base
    n_chars = n = 0
    with out.open("w", encoding="utf-8") as fh:
        while (chars is not None and n_chars < chars) or (articles is not None and n < articles):
            b = base[n % len(base)]
            text = b["text"][:article_chars] if article_chars else b["text"]
            rec = {"id": f"bench-{n}", "text": text, "lang": b.get("lang") or want}
            if b.get("published"):
                rec["published"] = b["published"]
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
            n_chars += len(text)
    return n, n_chars


def measure_shinbun(path: str, workers: int, config: str | None) -> dict:
    import resource
    import time

    from pipeline.config import load_config
    from pipeline.core import Pipeline
    from pipeline.runners.local import run

    cfg = load_config(config)
    # Load the models of both languages outside the timing: the run's Pipeline reuses them (loaded
    # models are shared within a process, and forked workers inherit them), so the numbers are
    # steady-state throughput, the same for both languages. Start-up is reported separately.
    t_load = time.perf_counter()
    Pipeline(cfg).warm_up()
    load_secs = time.perf_counter() - t_load
    t0 = time.perf_counter()
    summary = run(cfg, [path], os.devnull, workers=workers)
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": secs, "chars": summary.characters, "articles": summary.articles, "errors": summary.errors,
            "peak_rss_mb": rss / 1024, "startup_seconds": load_secs}


def measure_ginza(path: str) -> dict:
    import resource
    import time

    import spacy

    nlp = spacy.load("ja_ginza", exclude=["parser", "morphologizer", "compound_splitter", "bunsetu_recognizer"])
    texts = [json.loads(x)["text"] for x in open(path, encoding="utf-8")]
    list(nlp.pipe(texts[:2]))
    t0 = time.perf_counter()
    n_ents = sum(len(d.ents) for d in nlp.pipe(texts, batch_size=32))
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": secs, "chars": sum(map(len, texts)), "articles": len(texts), "entities": n_ents, "peak_rss_mb": rss / 1024}


def sub(args: list[str]) -> dict:
    # As the `shinbun` command does: one BLAS thread per process (parallelism is by workers).
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    r = subprocess.run([sys.executable, "-m", "scripts.bench.bench", *args], capture_output=True, text=True, cwd=ROOT, env=env)
    if r.returncode != 0:
        raise SystemExit(f"measurement failed: {' '.join(args)}\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def median_run(runs: list[dict]) -> dict:
    """The run of median rate (the lower middle one for an even count), with every run's rate in
    ``rates``: a median is an actual measurement, not an average of a slow and a fast run."""
    by_rate = sorted(runs, key=lambda r: r["chars"] / r["seconds"])
    mid = dict(by_rate[(len(by_rate) - 1) // 2])
    mid["rates"] = [r["chars"] / r["seconds"] for r in runs]
    return mid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", choices=["ja", "zh"], default="ja")
    ap.add_argument("--chars", type=int, default=None, help="build an input of at least this many characters (default 300,000)")
    ap.add_argument("--articles", type=int, default=None, help="build an input of exactly this many articles")
    ap.add_argument("--data", type=Path, default=SHARED_DATA)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="the 'all workers' run")
    ap.add_argument("--config", default=None)
    ap.add_argument("--article-chars", type=int, default=None, help="cut each article to its first N characters (many short articles)")
    ap.add_argument("--no-single", action="store_true", help="skip the 1-worker run")
    ap.add_argument("--repeat", type=int, default=1,
                    help="measure shinbun N times (1 worker and all workers alternated) and report the median run "
                         "with the range: single runs of a few seconds vary by up to 20 %% on a shared machine")
    ap.add_argument("--no-ginza", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--_measure", choices=["shinbun", "ginza"], help=argparse.SUPPRESS)
    ap.add_argument("--_input", help=argparse.SUPPRESS)
    ap.add_argument("--_workers", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args._measure == "shinbun":
        print(json.dumps(measure_shinbun(args._input, args._workers, args.config)))
        return
    if args._measure == "ginza":
        print(json.dumps(measure_ginza(args._input)))
        return

    if args.repeat < 1:
        ap.error(f"--repeat must be at least 1, got {args.repeat}")
    if args.chars is None and args.articles is None:
        args.chars = 300_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        n, chars = build_input(args.lang, args.data, args.chars, args.articles, path, args.article_chars)
        extra = ["--config", args.config] if args.config else []
        results = {"lang": args.lang, "articles": n, "chars": chars}
        counts = ([1] if not args.no_single else []) + ([args.workers] if args.workers > 1 else [])
        runs: dict[int, list[dict]] = {w: [] for w in counts}
        for _ in range(args.repeat):
            for w in counts:
                runs[w].append(sub(["--_measure", "shinbun", "--_input", str(path), "--_workers", str(w), *extra]))
        for w in counts:
            results[f"shinbun_{w}"] = median_run(runs[w])
        if not args.no_ginza and args.lang == "ja":
            try:
                results["ginza"] = sub(["--_measure", "ginza", "--_input", str(path)])
            except SystemExit as exc:
                print(f"GiNZA not measured: {str(exc)[:300]} (pip install -e '.[bench]')", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"input: {n:,} {args.lang} articles, {chars:,} characters")
    rate = {}
    for key, r in results.items():
        if not isinstance(r, dict):
            continue
        rate[key] = r["chars"] / r["seconds"]
        startup = f"  (model loading before the timing: {r['startup_seconds']:.1f} s)" if "startup_seconds" in r else ""
        spread = (f"  median of {len(r['rates'])} runs, {min(r['rates']):,.0f}-{max(r['rates']):,.0f}"
                  if len(r.get("rates", ())) > 1 else "")
        print(f"{key:12s} {rate[key]:>12,.0f} chars/s  {r['seconds']:8.1f} s  peak RSS {r['peak_rss_mb']:,.0f} MB{startup}{spread}")
    if "ginza" in rate and "shinbun_1" in rate:
        print(f"shinbun (1 worker) / GiNZA: {rate['shinbun_1'] / rate['ginza']:.1f}x")
    multi = [k for k in rate if k.startswith("shinbun_") and k != "shinbun_1"]
    if multi and "shinbun_1" in rate:
        print(f"{multi[0]} / shinbun_1: {rate[multi[0]] / rate['shinbun_1']:.2f}x")


if __name__ == "__main__":
    main()
