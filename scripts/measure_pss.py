"""Peak memory of a whole `shinbun run` (the parent and its worker processes), as summed PSS.

    python scripts/measure_pss.py INPUT.jsonl --workers 2

Peak RSS counts memory that forked workers share with the parent once per process; PSS
(proportional set size, Linux /proc/PID/smaps_rollup) splits shared pages between the
processes, so the sum is what the run really occupies. Sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    shinbun = Path(sys.executable).with_name("shinbun")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(shinbun), "run", args.input, "-o", str(Path(tmp) / "out.jsonl"),
                                 "--workers", str(args.workers), "--quiet"])
        peak = 0
        while proc.poll() is None:
            peak = max(peak, pss_kb(proc.pid) + sum(pss_kb(c) for c in children(proc.pid)))
            time.sleep(0.2)
        secs = time.perf_counter() - t0
    print(f"peak summed PSS {peak / 1024:,.0f} MB, {secs:.1f} s wall, exit {proc.returncode}")


if __name__ == "__main__":
    main()
