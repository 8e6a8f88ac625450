#!/usr/bin/env python
"""Throughput of pipeline.numeric.find_numeric alone (one core).

Usage: scripts/bench/bench_numeric.py [--data ../shared/data/raw] [--repeat 3]

Reads {ja,zh}_news_sample.jsonl (field "text") from --data; if a file is
missing, a synthetic corpus is used instead: numeric-heavy sentences mixed with
plain prose (about 3 entities per KB, denser than the real samples).
Prints MB/s (UTF-8 bytes of text processed per second, best of --repeat) and
the entity density (matches per KB) of the corpus that was measured.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pipeline.numeric import find_numeric  # noqa: E402
from scripts import SHARED_DATA  # noqa: E402

_SYNTH = {
    "ja": ("政府は20日、2021年度の予算案を閣議決定した。総額は約106兆6097億円で、前年度比3.8%増。"
           "売上高は500億元で、純利益は2,000万に達した。従業員は2万人。円安が進み1ドル=110円。"
           "令和3年5月1日に発表された計画では、3〜5億円を投じる。7割の企業が賛成した。\n"),
    "zh": ("国家统计局20日发布数据，2021年前4个月全国规模以上工业企业实现利润总额2.5万亿元，"
           "同比增长百分之一百零六。公司去年营收3.5亿元，净利润三千多万元，约占三成。"
           "张元表示，单元测试和一元化改革将于下月完成。电话010-12345678。\n"),
}


# Plain prose (no numerals) mixed in so that the fallback corpus has a news-like
# density of entities (a few per KB) instead of only numeric sentences.
_PROSE = {
    "ja": ("関係者によると、同社は新しい事業計画について社内で議論を重ねており、"
           "市場の動向や競合他社の戦略を慎重に見極めたうえで最終的な判断を下す方針だという。"
           "専門家の間では、消費者の需要が回復するかどうかが今後の焦点になるとの見方が強い。"
           "地元の住民からは期待と不安の声が上がっており、行政も説明会の開催を検討している。\n"),
    "zh": ("据了解，该公司近期多次召开内部会议，围绕新的发展规划展开讨论，"
           "并将在充分研判市场走势和竞争对手策略的基础上作出最终决定。"
           "业内人士普遍认为，消费需求能否回暖将成为下一阶段的关键，"
           "当地居民对此既有期待也有担忧，有关部门正在研究召开说明会。\n"),
}


def load(data: Path, lang: str) -> tuple[list[str], str]:
    f = data / f"{lang}_news_sample.jsonl"
    texts: list[str] = []
    if f.is_file():
        with f.open(encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    t = json.loads(line).get("text")
                except (ValueError, AttributeError):
                    continue
                if isinstance(t, str) and t:
                    texts.append(t)
    if texts:
        return texts, str(f)
    return [(_SYNTH[lang] + _PROSE[lang] * 6) * 10] * 300, "synthetic"


def bench(texts: list[str], lang: str, repeat: int) -> tuple[float, int, int]:
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    best = float("inf")
    count = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        c = 0
        for t in texts:
            c += len(find_numeric(t, lang, published="2021-05-20"))
        best = min(best, time.perf_counter() - t0)
        count = c
    return nbytes / 1e6 / best, nbytes, count


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SHARED_DATA / "raw")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    for lang, code in (("ja", "ja"), ("zh", "zh-Hans")):
        texts, src = load(args.data, lang)
        mbs, nbytes, count = bench(texts, code, max(1, args.repeat))
        print(f"{lang}: {mbs:.2f} MB/s  ({nbytes / 1e6:.2f} MB, {len(texts)} docs, "
              f"{count} matches = {count / (nbytes / 1e3):.1f}/KB, source={src})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
