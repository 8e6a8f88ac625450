"""Corpus scale: ``shinbun db`` memory on growing prefixes of a synthetic dump, and the HTML report
of the whole dump opened in headless Chromium.

    python -m scripts.bench.bench_corpus --articles 100000 --workdir /tmp/shinbun-corpus-bench

Writes a synthetic records file (zh-Hans, zh-Hant and ja articles over two years, entity names
drawn from a Zipf-like vocabulary of 3,000 names per label, Traditional spellings in zh-Hant and ja
articles so that keys merge across scripts), then:

- runs ``shinbun db`` on 10%, 50% and 100% of the articles (``--limit``) and on the dump given
  three times (300%), each in its own process, and reports its wall time and peak RSS (``wait4``'s
  ``ru_maxrss``): Python's share stays flat and DuckDB's stops growing at ``--memory-limit``, so
  the peaks level off while the input grows thirtyfold;
- runs ``shinbun view`` on all of it and reports the file size (the limit set for the report:
  under 20 MB) and the time until Chromium (Debian's /usr/bin/chromium through playwright, when
  both are there) has drawn the corpus views, and any page error.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import orjson

from pipeline.stages.zh_script import to_traditional
from scripts import ROOT

LANGS = ("zh-Hans", "zh-Hant", "ja")
TEMPLATES = ("{a}与{b}在{c}举行会谈。", "{a}表示，{b}将在{c}扩大投资。", "据{c}消息，{a}和{b}签署协议。")
POOL = "华为腾讯阿里巴中国银行国际集团发展科技汽车电子能源东方北京上海广州深圳香港台湾东京大阪王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"


def vocabulary(rng: random.Random, n: int, length: tuple[int, int], suffix: str = "") -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choice(POOL) for _ in range(rng.randint(*length))) + suffix)
    return sorted(names)


def generate(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    vocab = {"ORG": vocabulary(rng, 3000, (2, 3), "公司"), "PERSON": vocabulary(rng, 3000, (2, 3)),
             "GPE": vocabulary(rng, 3000, (2, 2), "市")}
    weights = [1.0 / (r + 1) for r in range(3000)]
    cum = [sum(weights[: i + 1]) for i in range(len(weights))]
    with open(path, "wb") as fh:
        for i in range(n):
            lang = LANGS[i % 3]
            day = rng.randrange(730)
            published = f"{2022 + day // 365}-{(day % 365) // 31 + 1:02d}-{(day % 31) + 1:02d}" if i % 50 else None
            text, ents = "", []
            for s in range(rng.randint(3, 6)):
                tpl = rng.choice(TEMPLATES)
                names = {k: rng.choices(vocab[label], cum_weights=cum)[0] for k, label in (("a", "ORG"), ("b", "PERSON"), ("c", "GPE"))}
                if lang != "zh-Hans":
                    names = {k: to_traditional(v) for k, v in names.items()}
                pos = len(text)
                sentence = tpl.format(**names)
                for k, label in (("a", "ORG"), ("b", "PERSON"), ("c", "GPE")):
                    start = pos + sentence.index(names[k])
                    ents.append({"start": start, "end": start + len(names[k]), "text": names[k], "label": label,
                                 "sentence": s, "source": "bench"})
                text += sentence
            ents.sort(key=lambda e: e["start"])
            rec = {"id": f"doc-{i}", "lang": lang, "text": text}
            if published is not None:
                rec["published"] = published
            rec.update({"body": [0, len(text)], "boilerplate": [], "sentences": [], "entities": ents})
            fh.write(orjson.dumps(rec) + b"\n")


def run_measured(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024


def open_in_chromium(html: Path) -> dict[str, object]:
    chromium = Path(os.environ.get("SHINBUN_CHROMIUM", "/usr/bin/chromium"))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"chromium": "playwright not installed"}
    if not chromium.exists():
        return {"chromium": f"{chromium} not found"}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"], headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.perf_counter()
        page.goto(html.as_uri())
        page.wait_for_selector("body[data-corpus-ready='1']", timeout=120_000)
        seconds = time.perf_counter() - t0
        rects = page.evaluate("() => document.querySelectorAll('#timeline rect').length")
        page.click("#timeline .tl-row >> nth=0")
        kwic = page.evaluate("() => document.querySelectorAll('#kwic-table tr').length - 1")
        browser.close()
    return {"open_s": round(seconds, 2), "timeline_rects": rects, "kwic_lines": kwic, "page_errors": errors}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/shinbun-corpus-bench"))
    ap.add_argument("--memory-limit", default="512MB", help="shinbun db --memory-limit")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    records = args.workdir / f"synthetic-{args.articles}.jsonl"
    if not records.exists():
        t0 = time.perf_counter()
        generate(records, args.articles)
        print(f"generated {records} ({records.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    shinbun = [sys.executable, "-m", "pipeline.cli"]
    results: dict[str, object] = {"articles": args.articles, "records_mib": round(records.stat().st_size / 2**20, 1), "db": []}
    sizes = [(n, [str(records), "--limit", str(n)]) for n in sorted({max(1, args.articles // 10), max(1, args.articles // 2)})]
    sizes += [(args.articles, [str(records)]), (3 * args.articles, [str(records)] * 3)]
    for n, inputs in sizes:
        out = args.workdir / f"corpus-{n}.duckdb"
        wall, rss = run_measured([*shinbun, "db", *inputs, "-o", str(out), "--memory-limit", args.memory_limit])
        results["db"].append({"articles": n, "memory_limit": args.memory_limit, "seconds": round(wall, 1), "peak_rss_mib": round(rss, 1),
                              "db_mib": round(out.stat().st_size / 2**20, 1)})
        print(results["db"][-1], file=sys.stderr)
    html = args.workdir / "report.html"
    wall, rss = run_measured([*shinbun, "view", str(records), "-o", str(html)])
    results["view"] = {"seconds": round(wall, 1), "peak_rss_mib": round(rss, 1), "html_mib": round(html.stat().st_size / 2**20, 2)}
    results["view"].update(open_in_chromium(html))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
