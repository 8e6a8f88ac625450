"""Ray runner vs local runner: same input, same config, same machine; chars/s of each and the ratio.

    python -m scripts.bench.bench_ray                           # ~400k chars of ja+zh news, default config
    python -m scripts.bench.bench_ray --chars 1000000 --actors 2 --workers 2
    python -m scripts.bench.bench_ray --address auto            # the Ray side on a running cluster

Input: the articles of ../shared/data/raw/{ja,zh}_news_sample.jsonl interleaved (or
corpora/sample.jsonl when absent), repeated until --chars, written to a temporary JSONL file.

Rounds (--repeat) alternate the runners so that load from other processes hits them alike; the
summary gives the best and the median of each. What is timed (wall clock, end to end, both sides
loading their models inside the timing):
- local: ``pipeline.runners.local.run`` with --workers processes (1 = in-process), to a JSONL file;
- ray: ``run_ray`` with --actors actors on a Ray instance started *before* the timing (starting
  Ray itself takes seconds and is paid once per job, not per dump), to JSONL partitions.
The two outputs are compared byte for byte (the partitions concatenated).

Sharded layout (``--sharded``): the input split into --shards JSONL files, processed by
``run_ray`` with 1 and then 2 actors (a local Ray instance of 2 CPUs started before each timing),
then once in the partitions layout (the same articles in one file, 2 actors) for contrast. For each
run: wall time and rate, and the driver's cost: CPU time of the driver process (all its threads,
Ray's included), bytes it received from the workers (pickled events, as counted by the runner),
bytes it read from any file or socket (``rchar`` of /proc/self/io) and the growth of its resident
memory over the run (sampled every 20 ms), each per record. Every shard is checked byte for byte
against the single-process local runner on that shard.

    python -m scripts.bench.bench_ray --sharded                                  # ja+zh news, default config
    python -m scripts.bench.bench_ray --sharded --small 200000 --rules-only     # 200,000 tiny articles
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scripts import ROOT, SHARED_DATA  # noqa: E402


def build_input(data: Path, chars: int, out: Path) -> tuple[int, int]:
    base: list[dict] = []
    srcs = [data / "raw" / "ja_news_sample.jsonl", data / "raw" / "zh_news_sample.jsonl"]
    per_src = [[json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()] for p in srcs if p.exists()]
    if per_src:
        for group in zip(*per_src):  # interleave ja / zh
            base.extend(group)
    else:
        base = [json.loads(x) for x in (ROOT / "corpora" / "sample.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    n = n_chars = 0
    with out.open("w", encoding="utf-8") as fh:
        while n_chars < chars:
            b = base[n % len(base)]
            rec = {"id": f"bench-{n}", "text": b["text"]}
            for k in ("title", "lang", "published"):
                if b.get(k):
                    rec[k] = b[k]
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
            n_chars += len(b["text"])
    return n, n_chars


# --rules-only: tokenizers and the numeric rules, no statistical model (the driver's cost per
# record is what --small measures; the pipeline's own speed is not the point there)
RULES_ONLY = """
tokenizers = { ja = { factory = "fugashi" }, zh = { factory = "jieba" } }
recognizers = [{ factory = "numeric" }]
"""


def split_input(src: Path, shards: int, out_dir: Path) -> list[Path]:
    """``src``'s lines dealt into ``shards`` files of consecutive lines."""
    lines = src.read_bytes().splitlines(keepends=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    per = -(-len(lines) // shards)
    paths = []
    for k in range(shards):
        p = out_dir / f"shard-{k:03d}.jsonl"
        p.write_bytes(b"".join(lines[k * per:(k + 1) * per]))
        paths.append(p)
    return paths


def small_input(n: int, out: Path) -> int:
    """n tiny ja/zh articles (one sentence each, a date and an amount); returns their characters."""
    chars = 0
    with out.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = (f"記事{i}。東京で{i % 28 + 1}日、売上高{i}億円と発表した。" if i % 2 else
                    f"第{i}条。杭州{i % 12 + 1}月{i % 28 + 1}日公布营收{i}亿元。")
            chars += len(text)
            fh.write(json.dumps({"id": f"a{i}", "text": text}, ensure_ascii=False) + "\n")
    return chars


class DriverMeter:
    """The driver process's CPU time, bytes read (rchar) and peak resident memory over a block."""

    def __enter__(self) -> DriverMeter:
        import resource
        import threading

        self._resource = resource
        self.rss0 = self.peak = self._rss()
        self.io0 = self._rchar()
        self.own = 0
        ru = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu0 = ru.ru_utime + ru.ru_stime
        self._stop = threading.Event()

        def sample() -> None:
            while not self._stop.wait(0.02):
                self.peak = max(self.peak, self._rss())

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        ru = self._resource.getrusage(self._resource.RUSAGE_SELF)
        self.cpu = ru.ru_utime + ru.ru_stime - self.cpu0
        self.rchar = self._rchar() - self.io0 - self.own
        self.rss_growth = self.peak - self.rss0

    own = 0  # bytes this meter read from /proc itself (counted in rchar, subtracted)

    def _proc(self, name: str, key: str) -> int:
        text = Path(f"/proc/self/{name}").read_bytes()
        self.own += len(text)
        for line in text.decode().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
        return 0

    def _rss(self) -> int:
        return self._proc("status", "VmRSS:") * 1024

    def _rchar(self) -> int:
        return self._proc("io", "rchar:")


def sharded(args: argparse.Namespace) -> None:
    import orjson
    import ray

    from pipeline.config import load_config
    from pipeline.runners.local import run
    from pipeline.runners.ray_runner import run_ray

    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        if args.rules_only:
            (tmpd / "rules-only.toml").write_text(RULES_ONLY)
            cfg = load_config(tmpd / "rules-only.toml")
        else:
            cfg = load_config(args.config)
        whole = tmpd / "all.jsonl"
        if args.small:
            n, n_chars = args.small, small_input(args.small, whole)
        else:
            n, n_chars = build_input(args.data, args.chars, whole)
        shards = split_input(whole, args.shards, tmpd / "in")
        print(f"input: {n} articles, {n_chars:,} characters in {len(shards)} shards; {os.cpu_count()} CPU cores; "
              f"ray {ray.__version__}; load average {os.getloadavg()[0]:.1f}")
        rates: dict[int, float] = {}
        ok = True
        for label, actors, inputs, kw in [("shards", 1, shards, {}), ("shards", 2, shards, {}),
                                          ("partitions", 2, [whole], {"shards": False})]:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            out = tmpd / f"out-{label}-{actors}"
            try:
                # not measured: the driver's first imports and Ray's first tasks in this instance
                run_ray(cfg, [ROOT / "corpora" / "sample.jsonl"], tmpd / "warm-up", num_actors=1, **kw)
                with DriverMeter() as m:
                    t0 = time.perf_counter()
                    man = run_ray(cfg, inputs, out, num_actors=actors, **kw)
                    dt = time.perf_counter() - t0
            finally:
                ray.shutdown()
            recs = man["records"]
            busy = ""
            if label == "shards":
                rates[actors] = n_chars / dt
                received = man["driver"]["bytes_received"]
                # the workers' own time on the shards (no actor start-up, model loading or idle tail)
                work = sum(orjson.loads((out / f"shard-{k:05d}.summary.json").read_bytes())["seconds"]
                           for k in range(len(shards)))
                busy = f" ({n_chars / work:,.0f} chars/s per busy actor)"
            else:
                received = sum(p["bytes"] for p in man["partitions"])  # every record passed the driver
            print(f"  {label:<10} {actors} actor(s) {dt:7.1f} s {n_chars / dt:>9,.0f} chars/s{busy} {recs / dt:>8,.0f} records/s | "
                  f"driver: CPU {m.cpu:5.1f} s ({m.cpu / recs * 1e6:6.1f} us/record), received "
                  f"{received / recs:8.2f} B/record, rchar {m.rchar / recs:8.2f} B/record, RSS growth "
                  f"{m.rss_growth / 2**20:6.1f} MiB  (load average {os.getloadavg()[0]:.1f})")
            if label == "shards" and not args.small:
                for path, entry in zip(shards, man["shards"]):
                    run(cfg, [path], tmpd / "local.jsonl")
                    if (out / entry["file"]).read_bytes() != (tmpd / "local.jsonl").read_bytes():
                        ok = False
                        print(f"  OUTPUT DIFFERS from the local runner: {entry['file']} ({path.name})")
        print(f"scaling, 2 actors vs 1 (end to end): {rates[2] / rates[1]:.2f}x; output "
              f"{sum(p.stat().st_size for p in (tmpd / 'out-shards-2').glob('shard-*.jsonl')) / n_chars:.1f} bytes per input character")
        if not args.small:
            print(f"every shard == the local runner on that shard: {ok}")
        if not ok:
            sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chars", type=int, default=400_000)
    ap.add_argument("--config", default=None, help="config TOML (default: the packaged default)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local runner processes")
    ap.add_argument("--actors", type=int, default=None, help="Ray actors (default: cluster CPUs)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--address", default=None, help="Ray cluster address (default: a local instance)")
    ap.add_argument("--data", type=Path, default=SHARED_DATA)
    ap.add_argument("--skip-local-1", action="store_true", help="skip the single-process local run")
    ap.add_argument("--repeat", type=int, default=3, help="rounds (each: local runs, then a Ray run)")
    ap.add_argument("--sharded", action="store_true", help="the sharded layout with 1 and 2 actors (see above)")
    ap.add_argument("--shards", type=int, default=8, help="--sharded: input shards")
    ap.add_argument("--small", type=int, default=0, help="--sharded: N tiny synthetic articles instead of news")
    ap.add_argument("--rules-only", action="store_true", help="--sharded: tokenizers + numeric rules only")
    args = ap.parse_args()
    if args.sharded:
        sharded(args)
        return

    import ray

    from pipeline.config import load_config
    from pipeline.runners.local import run
    from pipeline.runners.ray_runner import run_ray

    cfg = load_config(args.config)
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        src = tmpd / "in.jsonl"
        n, n_chars = build_input(args.data, args.chars, src)
        print(f"input: {n} articles, {n_chars:,} characters; {os.cpu_count()} CPU cores; ray {ray.__version__}; "
              f"load average {os.getloadavg()[0]:.1f}")
        times: dict[str, list[float]] = {}
        fixed_costs: list[float] = []
        same = True

        def record(label: str, dt: float, chars: int, extra: str = "") -> None:
            times.setdefault(label, []).append(dt)
            print(f"  {label:<22} {dt:7.2f} s  {chars / dt:>10,.0f} chars/s{extra}  (load average {os.getloadavg()[0]:.1f})")

        def local(workers: int) -> None:
            out = tmpd / f"local{workers}.jsonl"
            t0 = time.perf_counter()
            s = run(cfg, [src], out, workers=workers)
            record(f"local, {workers} worker(s)", time.perf_counter() - t0, s.characters)

        def ray_run() -> None:
            nonlocal same
            t0 = time.perf_counter()
            if args.address:
                ray.init(address=args.address)
            else:
                ray.init(include_dashboard=False, log_to_driver=False)
            print(f"  (ray.init {time.perf_counter() - t0:.1f} s, not timed; cluster: {ray.cluster_resources().get('CPU')} CPUs)")
            try:
                # The fixed cost of a Ray run (actor processes, model loading in each actor, Ray
                # Data planning), measured on the 13-article sample corpus.
                t0 = time.perf_counter()
                run_ray(cfg, [ROOT / "corpora" / "sample.jsonl"], tmpd / "ray-small", num_actors=args.actors,
                        batch_size=args.batch_size)
                fixed = time.perf_counter() - t0
                fixed_costs.append(fixed)
                out_dir = tmpd / "ray"
                t0 = time.perf_counter()
                m = run_ray(cfg, [src], out_dir, num_actors=args.actors, batch_size=args.batch_size)
                dt = time.perf_counter() - t0
            finally:
                ray.shutdown()
            rest = f"; without it {m['characters'] / (dt - fixed):,.0f} chars/s" if dt > fixed + 1 else ""
            record(f"ray, {m['ray']['num_actors']} actor(s)", dt, m["characters"], f"  (fixed cost {fixed:.1f} s{rest})")
            ray_lines = b"".join((out_dir / p["file"]).read_bytes() for p in m["partitions"]).splitlines()
            local_lines = (tmpd / f"local{args.workers}.jsonl").read_bytes().splitlines()
            if ray_lines != local_lines:
                same = False
                diff = [i for i, (a, b) in enumerate(zip(ray_lines, local_lines)) if a != b]
                print(f"  OUTPUTS DIFFER: {len(ray_lines)} vs {len(local_lines)} lines, {len(diff)} differ, first at "
                      f"line {diff[0] if diff else min(len(ray_lines), len(local_lines))}")

        # Rounds alternate the runners so that load from other processes hits them alike.
        for r in range(args.repeat):
            print(f"round {r + 1}/{args.repeat}")
            if not args.skip_local_1 and args.workers != 1:
                local(1)
            local(args.workers)
            ray_run()

        print(f"ray output == local output (every round): {same}")
        print(f"ray fixed cost per run: {', '.join(f'{x:.1f}' for x in fixed_costs)} s")
        ref = min(times[f"local, {args.workers} worker(s)"])
        print(f"best of {args.repeat} (median in brackets), chars/s, and best-vs-best ratio to local with {args.workers} worker(s):")
        for label, ts in times.items():
            best, med = min(ts), statistics.median(ts)
            print(f"  {label:<22} {n_chars / best:>10,.0f}  ({n_chars / med:>9,.0f})   {ref / best:5.2f}x")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
