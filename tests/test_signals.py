"""Stopping a run: Ctrl-C (SIGINT to the process group), SIGTERM, SIGKILL of the main process.

The CLI tests start ``shinbun run --workers 2`` (default config: the models loaded, as in real
use) in a new session, send the signal while records are being written, and check that the main
process ends in time, that no process of the group is left, that stderr holds one line and no
traceback, and that ``--resume`` then completes the output byte for byte."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

from pipeline.config import load_config, registry
from pipeline.runners.local import Interrupted, run, stop_on_signals
from tests.conftest import LIGHT_CONFIG

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists() or not hasattr(os, "killpg"),
                                reason="needs POSIX process groups and /proc to list a group's processes")

N_ARTICLES = 600
CLI = [sys.executable, "-m", "pipeline.cli"]


def proc_table() -> dict[int, tuple[str, int, int]]:
    """pid -> (state, ppid, process group) of every process, from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (fields[0], int(fields[1]), int(fields[2]))
    return table


def live_in_group(pgid: int) -> list[int]:
    """Processes of the group that still run. Zombies (dead, waiting to be reaped by init after
    their parent was killed) do not count: they hold no memory and do no work."""
    return [pid for pid, (state, _ppid, grp) in proc_table().items() if grp == pgid and state != "Z"]


def descendants(pid: int) -> set[int]:
    table = proc_table()
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, (_state, ppid, _grp) in table.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def wait_until(cond, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def count_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.fixture(scope="module")
def articles(tmp_path_factory, sample_path) -> Path:
    """N_ARTICLES articles: the sample texts over and over, each with its own id."""
    src = [orjson.loads(line) for line in sample_path.read_bytes().splitlines()]
    path = tmp_path_factory.mktemp("signals") / "articles.jsonl"
    with path.open("wb") as fh:
        for i in range(N_ARTICLES):
            rec = dict(src[i % len(src)], id=f"{src[i % len(src)]['id']}-{i}")
            fh.write(orjson.dumps(rec) + b"\n")
    return path


@pytest.fixture(scope="module")
def uninterrupted(articles) -> bytes:
    out = articles.parent / "uninterrupted.jsonl"
    subprocess.run([*CLI, "run", str(articles), "-o", str(out), "--workers", "2", "-q"], check=True)
    data = out.read_bytes()
    assert data.count(b"\n") == N_ARTICLES
    return data


@pytest.mark.parametrize("how", ["SIGINT to the group", "SIGTERM to the main process", "SIGKILL to the main process"])
def test_stopped_run_stops_and_resumes(tmp_path, articles, uninterrupted, how):
    out = tmp_path / "out.jsonl"
    cmd = [*CLI, "run", str(articles), "-o", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    pgid = proc.pid  # the leader of its new session and process group
    try:
        # the signal has to arrive while work is in flight: some records written, not all
        assert wait_until(lambda: count_lines(out) >= 20, timeout=60), "no record was written"
        assert proc.poll() is None
        workers = descendants(proc.pid)
        assert len(workers) >= 2, f"expected two worker processes, found {workers}"
        t0 = time.monotonic()
        if how.startswith("SIGINT"):
            os.killpg(pgid, signal.SIGINT)  # what a terminal's Ctrl-C does
        elif how.startswith("SIGTERM"):
            os.kill(proc.pid, signal.SIGTERM)
        else:
            os.kill(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=10)
        took = time.monotonic() - t0
        err = err.decode()
        # nothing of the group is left (workers included, whatever killed the main process)
        assert wait_until(lambda: not live_in_group(pgid), timeout=5, step=0.1), live_in_group(pgid)
        assert not [p for p in workers if p in proc_table() and proc_table()[p][0] != "Z"]
    finally:
        if proc.poll() is None or live_in_group(pgid):
            os.killpg(pgid, signal.SIGKILL)
            proc.wait()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    written = out.read_bytes()
    n = written.count(b"\n")
    assert 0 < n < N_ARTICLES, "the run was not interrupted mid-way"
    if how.startswith("SIGKILL"):
        assert proc.returncode == -signal.SIGKILL and took < 2
    else:
        assert proc.returncode == (130 if how.startswith("SIGINT") else 143)
        # one line that counts exactly the complete records in the file, then the summary
        lines = err.splitlines()
        assert lines[0] == f"shinbun: interrupted: {n} of {N_ARTICLES} records written; run again with --resume to continue"
        assert lines[1].startswith(f"{n} articles, 0 errors")
        assert written.endswith(b"\n") and uninterrupted.startswith(written)
    r = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"resumed: {n} records were already in the output" in r.stderr
    assert out.read_bytes() == uninterrupted


def test_first_signal_waits_for_the_record_being_written():
    """Inside the stopper's section (a record being written and counted) the first signal is
    held back and raised as the section ends; outside it is raised at once."""
    # what the test process started with: Python's default_int_handler, or SIG_IGN when it was
    # started in the background of a non-interactive shell
    before = signal.getsignal(signal.SIGINT)
    events = []
    with stop_on_signals() as stopper:
        with pytest.raises(Interrupted) as info:
            with stopper:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # the handler has run by now, and only noted the signal
                events.append("section ended")
        assert events == ["section ended"]
        assert info.value.signum == signal.SIGTERM and info.value.exit_code == 143
    with stop_on_signals():
        with pytest.raises(Interrupted) as info:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
            events.append("not reached")
        assert info.value.exit_code == 130
    assert events == ["section ended"]
    # the handlers are restored afterwards
    assert signal.getsignal(signal.SIGINT) is before


def test_second_signal_stops_at_once(tmp_path):
    """After the first signal the process cleans up; a second one ends it at once, killing the
    workers it knows of, without a traceback."""
    script = textwrap.dedent("""
        import os, signal, subprocess, sys, time
        from pipeline.runners.local import Interrupted, stop_on_signals
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        with stop_on_signals() as stopper:
            stopper.children.add(child.pid)
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)
            except Interrupted:
                print("first", child.pid, flush=True)
                os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C during a slow clean-up
                time.sleep(5)
                print("not reached", flush=True)
    """)
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert time.monotonic() - t0 < 4
    assert r.returncode == 130
    first, child = r.stdout.split()
    assert first == "first"
    assert r.stderr.strip() == "shinbun: stopped at once (second signal)"
    assert wait_until(lambda: int(child) not in proc_table() or proc_table()[int(child)][0] == "Z", timeout=5)


def test_worker_exits_when_parent_dies_without_the_kernel_tie(tmp_path):
    """The portable fallback: without PR_SET_PDEATHSIG a worker notices that its parent pid
    changed and exits within about PARENT_CHECK_SECONDS."""
    cfg = tmp_path / "light.toml"
    cfg.write_text(LIGHT_CONFIG)
    script = textwrap.dedent(f"""
        import multiprocessing as mp, time
        import pipeline.runners.local as local
        from pipeline.config import load_config
        local._kill_me_when_parent_dies = lambda: None  # the forked worker inherits this
        w = local._Worker(mp.get_context("fork"), load_config({str(cfg)!r}), 0)
        print(w.proc.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        worker = int(parent.stdout.readline())
        time.sleep(0.5)
        assert proc_table()[worker][1] == parent.pid
        parent.kill()
        parent.wait()
        t0 = time.monotonic()
        assert wait_until(lambda: worker not in proc_table() or proc_table()[worker][0] == "Z", timeout=10)
        assert time.monotonic() - t0 < 5
    finally:
        if live_in_group(parent.pid):
            os.killpg(parent.pid, signal.SIGKILL)


@pytest.mark.parametrize("command", [["stats"], ["view", "-o", "{tmp}/view.html"], ["entities", "-o", "{tmp}/ents.csv"]])
def test_ctrl_c_in_report_commands(tmp_path, uninterrupted, command):
    """Records come on stdin, which stays open: once more than a pipe's buffer has been taken in,
    the command is surely reading; Ctrl-C then ends it with one line and status 130."""
    args = [a.format(tmp=tmp_path) for a in command]
    proc = subprocess.Popen([*CLI, args[0], "-", *args[1:]], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        proc.stdin.write(uninterrupted * 4)  # ~1 MB: returns once the command has read most of it
        proc.stdin.flush()
        os.killpg(proc.pid, signal.SIGINT)
        err = proc.stderr.read().decode()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdin.close()
    assert proc.returncode == 130
    assert err == "shinbun: interrupted\n"


class TermSelf:
    """On an article holding ``⏹<flag file>⏹``, sends SIGTERM to its own process once (the flag
    file keeps the resumed run from sending it again)."""

    name = "test:term_self"
    version = "0"

    def __call__(self, doc):
        text = doc.article.text
        if "⏹" in text:
            try:
                os.close(os.open(text.split("⏹")[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return []
            os.kill(os.getpid(), signal.SIGTERM)
        return []


@registry.recognizers.register("test_term_self")
def make_term_self():
    return TermSelf()


def test_in_process_run_drops_the_chunk_in_flight(tmp_path):
    """One process, a gzip input (size unknown in advance): SIGTERM while article 40 is being
    processed drops its chunk (articles 32-47 with 16 per chunk), even though the pipeline turns
    an ordinary exception into an error record; the 32 records before it are complete, the line
    says so, and resuming gives the uninterrupted output."""
    import gzip

    cfg_path = tmp_path / "cfg.toml"
    cfg_path.write_text(LIGHT_CONFIG + '[[recognizers]]\nfactory = "test_term_self"\n')
    cfg = load_config(cfg_path)
    flag = tmp_path / "sent"
    src = tmp_path / "in.jsonl.gz"
    with gzip.open(src, "wb") as fh:
        for i in range(100):
            text = f"記事{i}。東京都の陳菊紅氏は{i % 28 + 1}日に大阪を訪れた。" + (f"⏹{flag}⏹" if i == 40 else "")
            fh.write(orjson.dumps({"id": f"a{i}", "text": text}) + b"\n")
    out = tmp_path / "out.jsonl"
    with stop_on_signals(), pytest.raises(Interrupted) as info:
        run(cfg, [src], out, workers=1, chunk_items=16)
    assert flag.exists() and info.value.exit_code == 143
    written = out.read_bytes()
    assert written.count(b"\n") == 32 and written.endswith(b"\n")
    assert info.value.line == ("interrupted: 32 records written (the input's size is not known in advance); "
                               "run again with --resume to continue")
    assert info.value.summary.articles == 32
    summary = run(cfg, [src], out, workers=1, chunk_items=16, resume=True)
    assert summary.skipped == 32 and summary.articles == 68
    full = tmp_path / "full.jsonl"
    run(cfg, [src], full, workers=1, chunk_items=16)
    assert out.read_bytes() == full.read_bytes()
