"""Web-archive throughput: WARC reading, text extraction, and the whole run on the WARC beside the
same articles given as JSONL, so a user sees which part bounds a run.

    python -m scripts.bench.bench_warc [--pages 400] [--workers 1]

Input: the raw news samples (../shared/data/raw/{ja,zh}_news_sample.jsonl; corpora/sample.jsonl
when absent) as news pages in a generated WARC (``scripts.data.make_warc.write_warc``: UTF-8,
Shift_JIS, EUC-JP, GBK, Big5). Measured in this process: reading (FastWARC, the HTTP headers and
payloads; pages/s and MB/s of WARC) and extraction (charset + trafilatura + htmldate, one core).
Then ``shinbun run`` (a fresh process each, same workers) on the WARC and on a JSONL file of the
very articles the extraction produced (same id, text, title, published, url): the difference is
the extraction's cost inside a run. Rates of the runs come from their ``--summary-json``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from pipeline.io import html as web_html
from pipeline.io.readers import read_articles
from pipeline.record import Article
from scripts import ROOT, SHARED_DATA
from scripts.data.make_warc import write_warc


def load_articles(n: int) -> list[dict]:
    sources = [SHARED_DATA / "raw" / f"{lang}_news_sample.jsonl" for lang in ("ja", "zh")]
    sources = [p for p in sources if p.exists()] or [ROOT / "corpora" / "sample.jsonl"]
    pools = [[orjson.loads(x) for x in p.read_bytes().splitlines() if x.strip()] for p in sources]
    mixed = [a for pair in itertools.zip_longest(*pools) for a in pair if a is not None]
    out = []
    for k in range(n):
        art = dict(mixed[k % len(mixed)])
        art["id"] = f"{art['id']}#{k // len(mixed)}"
        out.append(art)
    return out


def run_cli(path: Path, out: Path, workers: int) -> dict:
    summary = out.with_suffix(".summary.json")
    cmd = [sys.executable, "-m", "pipeline.cli", "run", str(path), "-o", str(out), "-w", str(workers),
           "--quiet", "--summary-json", str(summary)]
    subprocess.run(cmd, check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
    return orjson.loads(summary.read_bytes())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=400)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        warc = tmpdir / "bench.warc.gz"
        write_warc(warc, load_articles(args.pages))
        mb = warc.stat().st_size / 1e6

        t0 = time.perf_counter()
        pages = [it for it in read_articles([warc]) if isinstance(it, Article)]
        t_read = time.perf_counter() - t0
        html_mb = sum(len(p.page.html) for p in pages) / 1e6

        t0 = time.perf_counter()
        extracted = [web_html.extract(p) for p in pages]
        t_extract = time.perf_counter() - t0

        jsonl = tmpdir / "same.jsonl"
        with open(jsonl, "wb") as fh:
            for a in extracted:
                row = {"id": a.id, "text": a.text, "title": a.title, "published": a.published, "url": a.url}
                fh.write(orjson.dumps({k: v for k, v in row.items() if v is not None}) + b"\n")
        runs = {name: run_cli(path, tmpdir / f"{name}.jsonl", args.workers) for name, path in (("jsonl", jsonl), ("warc", warc))}

    n = len(pages)
    print(f"{n} pages, WARC {mb:.2f} MB (gzip), HTML {html_mb:.2f} MB, {os.cpu_count()} CPUs")
    print(f"read (FastWARC)          {n / t_read:10,.0f} pages/s  {mb / t_read:8.2f} MB/s of WARC")
    print(f"extract (1 core)         {n / t_extract:10,.1f} pages/s  {mb / t_extract:8.2f} MB/s of WARC")
    for name, s in runs.items():
        items = s["articles"] + s["errors"]
        print(f"shinbun run {name:5} -w {args.workers}  {items / s['seconds']:10,.1f} pages/s  "
              f"{s['chars_per_second']:8,} chars/s  ({s['seconds']:.1f}s, {s['errors']} errors)")
    ratio = (runs["warc"]["seconds"] / runs["jsonl"]["seconds"]) if runs["jsonl"]["seconds"] else float("nan")
    print(f"WARC run time / JSONL run time: {ratio:.2f}")


if __name__ == "__main__":
    main()
