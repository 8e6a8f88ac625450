"""scripts/bench/bench.py: the median of repeated runs is one of the runs, and --repeat is checked."""

from __future__ import annotations

import subprocess
import sys

from scripts.bench.bench import median_run


def _run(chars, seconds, rss=700.0):
    return {"chars": chars, "seconds": seconds, "articles": 10, "errors": 0, "peak_rss_mb": rss}


def test_median_run_is_the_middle_measurement_with_all_rates():
    runs = [_run(100, 2.0, 1.0), _run(100, 1.0, 2.0), _run(100, 4.0, 3.0)]  # 50, 100, 25 chars/s
    m = median_run(runs)
    assert (m["seconds"], m["peak_rss_mb"]) == (2.0, 1.0)
    assert m["rates"] == [50.0, 100.0, 25.0]
    assert "rates" not in runs[0]  # the runs are not changed


def test_median_of_an_even_count_is_the_lower_middle_run():
    m = median_run([_run(100, 1.0), _run(100, 2.0), _run(100, 4.0), _run(100, 5.0)])
    assert m["seconds"] == 4.0  # rates 100, 50, 25, 20: the lower middle is 25
    assert median_run([_run(300, 3.0)])["rates"] == [100.0]


def test_repeat_below_one_is_refused():
    r = subprocess.run([sys.executable, "-m", "scripts.bench.bench", "--repeat", "0", "--no-ginza"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--repeat must be at least 1, got 0" in r.stderr
