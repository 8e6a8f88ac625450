"""The local runner: read inputs, process articles (in parallel), write records in input order.

- ``workers == 1`` processes in this process. ``workers > 1`` starts worker processes, each of
  which builds its own pipeline once (taggers and models are never pickled or shipped).
- Articles travel in chunks; results are written strictly in input order through a reorder
  buffer, and at most ``window`` articles are in flight, so memory does not grow with the dump.
- A worker that dies (segfault, OOM kill, ``os._exit``) is replaced; the chunk it was working on
  is re-run one article at a time, and only an article that kills a worker again becomes an error
  record (``WorkerCrashed``). Nothing is dropped: every input item yields one output line.
- Output lines are written with one ``os.write`` per record (looping on short writes) and never
  buffered in Python, so after a crash or ``kill -9`` the file holds complete lines, except at
  worst a torn last line, which ``--resume`` cuts off before it continues. Resume relies on the
  output being in input order: it skips as many input items as the file holds complete lines.
- Stopping (``stop_on_signals``, which ``shinbun run`` uses): SIGINT or SIGTERM raises
  ``Interrupted`` in the main process, which hands out no more work, kills the workers and drops
  their in-flight chunks, closes the output (never in the middle of a line) and reports how many
  records were written; ``--resume`` redoes the dropped chunks. A second signal exits at once.
  Workers ignore SIGINT (a terminal's Ctrl-C reaches the whole process group; the main process
  decides) and never outlive the main process (see ``_bind_to_parent``).
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection as mp_connection
import os
import queue
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pipeline.config import Config, ConfigError
from pipeline.io.readers import InputFields, read_articles, refuse_overwriting_inputs
from pipeline.io.writers import COMPRESSED_OUTPUT, open_compressed
from pipeline.record import Article, InputError
from pipeline.serialize import error_record

Item = Article | InputError
# What a worker sends back per article: (position, line bytes, stats).
Stats = tuple[bool, str, int, str, tuple[str, ...]]  # is_error, error key, chars, lang, labels


def record_stats(rec: dict[str, Any]) -> Stats:
    if "error" in rec:
        err = rec["error"]
        return (True, f"{err['stage']}:{err['type']}", 0, "", ())
    return (False, "", len(rec["text"]), rec["lang"], tuple(e["label"] for e in rec["entities"]))


@dataclass
class Summary:
    articles: int = 0
    characters: int = 0
    errors: int = 0
    seconds: float = 0.0
    skipped: int = 0  # already in the output when resuming
    languages: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    error_types: Counter = field(default_factory=Counter)
    worker_crashes: int = 0

    def add(self, stats: Stats) -> None:
        is_err, err_key, chars, lang, labels = stats
        if is_err:
            self.errors += 1
            self.error_types[err_key] += 1
            return
        self.articles += 1
        self.characters += chars
        self.languages[lang] += 1
        self.labels.update(labels)

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles, "errors": self.errors, "characters": self.characters,
            "seconds": round(self.seconds, 3), "skipped": self.skipped, "worker_crashes": self.worker_crashes,
            "chars_per_second": round(self.characters / self.seconds) if self.seconds > 0 else 0,
            "languages": dict(sorted(self.languages.items())), "labels": dict(sorted(self.labels.items())),
            "error_types": dict(sorted(self.error_types.items())),
        }

    def lines(self) -> list[str]:
        rate = self.characters / self.seconds if self.seconds > 0 else 0.0
        arts = self.articles + self.errors
        out = [
            f"{self.articles} articles, {self.errors} errors, {self.characters:,} characters in {self.seconds:.1f}s "
            f"({rate:,.0f} chars/s, {arts / self.seconds if self.seconds > 0 else 0:,.1f} articles/s)",
        ]
        if self.skipped:
            out.append(f"resumed: {self.skipped} records were already in the output")
        if self.worker_crashes:
            out.append(f"worker processes that died and were replaced: {self.worker_crashes}")
        if self.languages:
            out.append("languages: " + ", ".join(f"{k} {v}" for k, v in sorted(self.languages.items())))
        if self.labels:
            out.append("entities: " + ", ".join(f"{k} {v}" for k, v in sorted(self.labels.items())))
        if self.error_types:
            out.append("errors: " + ", ".join(f"{k} {v}" for k, v in sorted(self.error_types.items())))
        return out


# --- stopping on signals ---------------------------------------------------------------------

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while ``stop_on_signals`` was active.

    A BaseException, as KeyboardInterrupt, so that no ``except Exception`` on its way swallows it.
    The runner that was stopped sets ``line`` (what to tell the user: how many records were
    written, how to continue) and ``summary`` (what was written)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.line: str | None = None
        self.summary: Summary | None = None

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 after SIGINT, 143 after SIGTERM


class _Stopper:
    """The SIGINT/SIGTERM handler of ``stop_on_signals``.

    The first signal raises ``Interrupted`` in the main thread wherever it is, except inside the
    stopper used as a context manager (a record being written, a worker being started): there it
    is raised as the section ends, so no record is torn and no worker is half registered. A second
    signal kills the worker processes it knows of and exits at once (``os._exit``), for a stop that
    does not wait for anything; an output file then holds at worst a torn last line, which
    ``--resume`` cuts off."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.forced: int | None = None
        self.raise_pending = False
        self.depth = 0
        self.children: set[int] = set()  # worker pids, killed by a forced stop

    def handle(self, signum: int, frame: Any) -> None:
        if self.signum is None:
            self.signum = signum
            self.raise_pending = True
        else:
            self.forced = signum
        if self.depth == 0:
            self._act()

    def _act(self) -> None:
        if self.forced is not None:
            for pid in list(self.children):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                # os.write, not print: a signal handler may run inside a print to the same stream
                os.write(2, b"\nshinbun: stopped at once (second signal)\n")
            except OSError:
                pass  # no stderr to tell: exiting is all that is left
            os._exit(128 + self.forced)
        if self.raise_pending:
            self.raise_pending = False
            raise Interrupted(self.signum)  # type: ignore[arg-type]

    def __enter__(self) -> None:
        self.depth += 1

    def __exit__(self, *exc: object) -> None:
        self.depth -= 1
        if self.depth == 0:
            self._act()

    def reinstall(self) -> None:
        """Take SIGINT/SIGTERM back after a library replaced the handler (``ray.init`` does)."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.handle)


_STOPPER: _Stopper | None = None


@contextmanager
def stop_on_signals() -> Iterator[_Stopper | None]:
    """Within this block SIGINT and SIGTERM raise ``Interrupted`` (see ``_Stopper``); the runners
    then stop handing out work, drop what is in flight, close their output and report. Outside
    the main thread (where Python cannot handle signals) it does nothing and yields None."""
    global _STOPPER
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    stopper = _Stopper()
    previous = {signum: signal.signal(signum, stopper.handle) for signum in STOP_SIGNALS}
    outer, _STOPPER = _STOPPER, stopper
    try:
        yield stopper
    finally:
        _STOPPER = outer
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


@contextmanager
def _signals_blocked() -> Iterator[None]:
    """SIGINT/SIGTERM held back in this thread: a process forked meanwhile starts with them
    blocked (and unblocks them in ``_bind_to_parent``, once it has its own handlers)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


# --- output ----------------------------------------------------------------------------------


class LineSink:
    """Appends whole lines to a file or stdout; one os.write per line for plain files."""

    def __init__(self, path: str | Path, append: bool) -> None:
        self.path = str(path)
        self._fd: int | None = None
        self._stream = None
        if self.path == "-":
            self._stream = sys.stdout.buffer
            return
        p = Path(self.path)
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.suffix in COMPRESSED_OUTPUT:
            if append:
                raise ConfigError(f"--resume needs an uncompressed output file, got {p}")
            self._stream = open_compressed(p)
        else:
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
            self._fd = os.open(p, flags, 0o644)

    @property
    def resumable(self) -> bool:
        """An uncompressed file, which ``--resume`` can continue."""
        return self._fd is not None

    def write(self, line: bytes) -> None:
        if self._fd is not None:
            view = memoryview(line)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        else:
            self._stream.write(line)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        elif self.path == "-":
            self._stream.flush()
        else:
            self._stream.close()


def prepare_resume(path: str | Path, config_hash: str) -> int:
    """Cut a torn last line off ``path`` and return how many complete records it holds.

    Refuses to continue a file written with a different config (its records would not match)."""
    p = Path(path)
    if str(path) == "-" or not p.exists():
        return 0
    size = p.stat().st_size
    count = 0
    last_good = 0
    first: bytes | None = None
    with p.open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break
            if first is None:
                first = line
            count += 1
            last_good += len(line)
    if last_good < size:
        with p.open("r+b") as fh:
            fh.truncate(last_good)
    if first is not None:
        rec = orjson.loads(first)
        if "meta" in rec and rec["meta"].get("config_hash") != config_hash:
            raise ConfigError(
                f"cannot resume {p}: it was written with config {rec['meta'].get('config_hash')}, this run uses {config_hash}"
            )
    return count


def rebuild_errors_file(output: str | Path, errors: str | Path) -> None:
    """On resume, the errors file is re-derived from the output (the output is the truth)."""
    with open(output, "rb") as src, open(errors, "wb") as dst:
        for line in src:
            if b'"error":{"stage"' in line:
                rec = orjson.loads(line)
                if set(rec) == {"id", "error"}:
                    dst.write(line)


# --- processing ------------------------------------------------------------------------------


def _process_chunk(nlp, items: list[Item]) -> list[tuple[int, bytes, Stats]]:
    # one Pipeline.process_batch per chunk: the entity models see the chunk's sentences together
    return [
        (item.position, orjson.dumps(rec) + b"\n", record_stats(rec))
        for item, rec in zip(items, nlp.process_batch(items))
    ]


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_CHECK_SECONDS = 1.0  # how often an idle worker checks that the main process is still there


def _kill_me_when_parent_dies() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        # A failure (prctl only fails for an invalid signal number) leaves the fallback in place.
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _bind_to_parent(parent_pid: int) -> None:
    """Signal dispositions of a worker, and its tie to the main process.

    - SIGINT is ignored: a terminal sends Ctrl-C to the whole process group, and the main process
      decides what happens (it kills the workers as it stops). SIGTERM kills as by default (a
      forked worker would otherwise run the main process's handler).
    - The worker never outlives the main process, whatever kills that (``kill -9``, the OOM
      killer): on Linux the kernel sends it SIGKILL when its parent dies (prctl
      PR_SET_PDEATHSIG; the standard library has no wrapper, hence ctypes). Everywhere, as a
      fallback, ``_worker_main`` stops when the parent pid changes or a result cannot be sent.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _kill_me_when_parent_dies()
    if os.getppid() != parent_pid:  # the parent died before the prctl took effect
        os._exit(1)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by _signals_blocked


def _worker_main(config: Config, inbox, results_conn, worker_id: int, parent_pid: int) -> None:
    _bind_to_parent(parent_pid)
    from pipeline.core import Pipeline

    nlp = Pipeline(config)
    while True:
        try:
            task = inbox.get(timeout=PARENT_CHECK_SECONDS)
        except queue.Empty:
            if os.getppid() != parent_pid:
                return  # the main process is gone: nobody wants the results
            continue
        if task is None or os.getppid() != parent_pid:
            break
        chunk_id, items = task
        results = _process_chunk(nlp, items)
        try:
            # A Pipe send is synchronous: once it returns, the results survive this process dying.
            results_conn.send((chunk_id, results))
        except (BrokenPipeError, ConnectionResetError):
            return  # the main process is gone


def _chunks(items: Iterable[Item], max_items: int, max_chars: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    chars = 0
    for item in items:
        chunk.append(item)
        chars += len(item.text) if isinstance(item, Article) else 0
        if len(chunk) >= max_items or chars >= max_chars:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


class _Worker:
    def __init__(self, ctx, config: Config, worker_id: int) -> None:
        self.id = worker_id
        self.inbox = ctx.Queue()
        self.assigned: deque[int] = deque()
        self.results, child_end = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_worker_main, args=(config, self.inbox, child_end, worker_id, os.getpid()),
                                daemon=True)
        with _signals_blocked():
            self.proc.start()
        child_end.close()  # only the worker writes; EOF then means the worker is gone

    def release(self) -> None:
        """Close this side of the worker's pipes once the process has ended. The inbox's feeder
        thread may still be blocked writing chunks nobody will read: exiting must not wait for it."""
        self.inbox.cancel_join_thread()
        self.inbox.close()
        self.results.close()


def _shut_down(workers: list[_Worker], graceful: bool, stopper: _Stopper | None) -> None:
    """Graceful (all work done): tell the workers to stop and give them 5 s. Otherwise (an
    interrupt, an error): kill them at once, dropping the chunks they were working on."""
    try:
        if graceful:
            for w in workers:
                try:
                    w.inbox.put(None)
                except (OSError, ValueError):
                    pass
            deadline = time.monotonic() + 5
            for w in workers:
                w.proc.join(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        for w in workers:
            if w.proc.is_alive():
                w.proc.kill()
        for w in workers:
            w.proc.join()
            w.release()
            if stopper is not None:
                stopper.children.discard(w.proc.pid)


def _parallel(config: Config, items: Iterator[Item], workers: int, window: int,
              chunk_items: int, chunk_chars: int, summary: Summary) -> Iterator[tuple[int, bytes, Stats]]:
    """Yields (position, line, stats) in completion order; the caller reorders."""
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    if ctx.get_start_method() == "fork":
        # Load models once here: forked workers (and replacements for crashed ones) inherit
        # them, sharing the memory copy-on-write, instead of each loading its own.
        from pipeline.core import Pipeline

        Pipeline(config).warm_up()
    pool: dict[int, _Worker] = {}
    next_worker_id = 0
    stopper = _STOPPER
    shield = stopper if stopper is not None else nullcontext()
    completed = False

    def spawn() -> None:
        nonlocal next_worker_id
        with shield:  # an interrupt waits until the new worker is in the pool (and is killed with it)
            w = _Worker(ctx, config, next_worker_id)
            pool[w.id] = w
            if stopper is not None:
                stopper.children.add(w.proc.pid)
        next_worker_id += 1

    for _ in range(workers):
        spawn()
    chunks: dict[int, tuple[list[Item], bool]] = {}  # chunk id -> (items, isolated)
    retry: deque[tuple[list[Item], bool]] = deque()
    source = _chunks(items, chunk_items, chunk_chars)
    exhausted = False
    next_chunk = 0
    in_flight = 0

    def assign(w: _Worker, batch: list[Item], isolated: bool) -> None:
        nonlocal next_chunk, in_flight
        cid = next_chunk
        next_chunk += 1
        chunks[cid] = (batch, isolated)
        w.assigned.append(cid)
        in_flight += len(batch)
        w.inbox.put((cid, batch))

    def finished(w: _Worker, cid: int) -> None:
        nonlocal in_flight
        if w.assigned and w.assigned[0] == cid:
            w.assigned.popleft()
        batch, _ = chunks.pop(cid)
        in_flight -= len(batch)

    def died(w: _Worker) -> Iterator[tuple[int, bytes, Stats]]:
        # Its first unfinished chunk is the one it was running when it died.
        nonlocal in_flight
        summary.worker_crashes += 1
        del pool[w.id]
        code = w.proc.exitcode
        for k, lost in enumerate(list(w.assigned)):
            batch, isolated = chunks.pop(lost)
            in_flight -= len(batch)
            if k == 0 and isolated:
                item = batch[0]
                rec = error_record(item.id, "worker", "WorkerCrashed",
                                   f"the worker process died (exit code {code}) while processing this article")
                yield (item.position, orjson.dumps(rec) + b"\n", record_stats(rec))
            elif k == 0:
                retry.extendleft(reversed([([it], True) for it in batch]))  # find the culprit alone
            else:
                retry.appendleft((batch, isolated))
        w.release()
        if stopper is not None:
            stopper.children.discard(w.proc.pid)
        spawn()

    try:
        while True:
            # Keep each worker fed with up to two chunks while the window allows.
            for w in list(pool.values()):
                while len(w.assigned) < 2 and in_flight < window:
                    if retry:
                        batch, isolated = retry.popleft()
                    elif not exhausted:
                        batch = next(source, None)
                        if batch is None:
                            exhausted = True
                            break
                        isolated = False
                    else:
                        break
                    assign(w, batch, isolated)
            if exhausted and not retry and not chunks:
                completed = True
                break
            by_handle = {}
            for w in pool.values():
                by_handle[w.results] = w
                by_handle[w.proc.sentinel] = w
            for handle in mp_connection.wait(list(by_handle), timeout=1.0):
                w = by_handle[handle]
                if w.id not in pool:
                    continue  # already handled this round
                # Drain what the worker sent before deciding whether it died.
                try:
                    while w.results.poll():
                        cid, results = w.results.recv()
                        finished(w, cid)
                        yield from results
                except (EOFError, OSError):
                    pass
                if not w.proc.is_alive():
                    w.proc.join()
                    yield from died(w)
    finally:
        _shut_down(list(pool.values()), completed, stopper)


def _in_order(results: Iterator[tuple[int, bytes, Stats]], first: int) -> Iterator[tuple[int, bytes, Stats]]:
    buffer: dict[int, tuple[int, bytes, Stats]] = {}
    expected = first
    for res in results:
        buffer[res[0]] = res
        while expected in buffer:
            yield buffer.pop(expected)
            expected += 1
    for pos in sorted(buffer):  # only if positions had gaps (they never should)
        yield buffer.pop(pos)


def input_fields(config: Config) -> InputFields:
    """The config's ``[input]`` section (field names, default language); ConfigError if bad."""
    try:
        return InputFields.from_config(config.section("input"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def count_input_items(paths: Iterable[str | Path]) -> int | None:
    """Number of input items when cheap to know (plain JSONL and .txt files), else None."""
    total = 0
    for p in map(Path, paths):
        if not p.is_file() or p.suffix.lower() not in (".jsonl", ".ndjson", ".txt"):
            return None
        if p.suffix.lower() == ".txt":
            total += 1
            continue
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                total += block.count(b"\n")
    return total


def run(
    config: Config,
    inputs: Iterable[str | Path],
    output: str | Path,
    errors: str | Path | None = None,
    *,
    workers: int = 1,
    resume: bool = False,
    window: int | None = None,
    chunk_items: int = 16,
    chunk_chars: int = 64_000,
    progress: Callable[[Summary, int | None], None] | None = None,
) -> Summary:
    """Process ``inputs`` into ``output``; returns the run's summary.

    Inside ``stop_on_signals`` a SIGINT or SIGTERM ends the run early with ``Interrupted``: the
    records already written stay (each one whole), the chunks in flight are dropped (``--resume``
    redoes them), the workers are killed, and the exception carries the summary and a line that
    says how many records were written. Without it, KeyboardInterrupt ends the run the same way
    except for that report."""
    inputs = list(inputs)
    summary = Summary()
    t0 = time.perf_counter()
    total: int | None = None
    skip = 0
    sink: LineSink | Any = None
    err_sink: LineSink | None = None
    results: Iterator[tuple[int, bytes, Stats]] | None = None
    parallel: Iterator[tuple[int, bytes, Stats]] | None = None
    # The write of a record and its count are one step that an interrupt waits for.
    shield = _STOPPER if _STOPPER is not None else nullcontext()
    refuse_overwriting_inputs(inputs, (output, errors))  # --summary-json: checked by the CLI
    try:
        skip = prepare_resume(output, config.hash) if resume else 0
        summary.skipped = skip
        if resume and errors and skip:
            rebuild_errors_file(output, errors)
        total = count_input_items(inputs)
        if workers > 1 and total is not None and total - skip <= 2 * chunk_items:
            workers = 1  # starting processes (each loading models) costs more than a few articles
        own = [p for p in (output, errors) if p is not None]
        items = (it for it in read_articles(inputs, input_fields(config), exclude=own) if it.position >= skip)
        if str(output).endswith(".parquet"):
            if resume:
                raise ConfigError("--resume needs a JSONL output; Parquet files cannot be appended to")
            from pipeline.io.parquet import ParquetSink

            sink = ParquetSink(output)
        else:
            sink = LineSink(output, append=resume)
        err_sink = LineSink(errors, append=bool(resume and skip)) if errors else None
        last_report = 0.0
        if workers <= 1:
            from pipeline.core import Pipeline

            nlp = Pipeline(config)
            # the same chunks as the workers get, so that every article is batched with the same
            # neighbours whatever the number of workers
            results = (r for chunk in _chunks(items, chunk_items, chunk_chars) for r in _process_chunk(nlp, chunk))
        else:
            parallel = _parallel(config, items, workers, window or workers * chunk_items * 4, chunk_items, chunk_chars,
                                 summary)
            results = _in_order(parallel, skip)
        for _pos, line, stats in results:
            with shield:
                sink.write(line)
                if err_sink is not None and stats[0]:
                    err_sink.write(line)
                summary.add(stats)
            if progress is not None:
                now = time.perf_counter()
                if now - last_report >= 0.5:
                    summary.seconds = now - t0
                    progress(summary, None if total is None else total - skip)
                    last_report = now
    except Interrupted as exc:
        summary.seconds = time.perf_counter() - t0
        written = skip + summary.articles + summary.errors
        count = (f"{written} of {total} records written" if total is not None
                 else f"{written} records written (the input's size is not known in advance)")
        then = ("run again with --resume to continue" if isinstance(sink, LineSink) and sink.resumable
                else "this output cannot be resumed (only an uncompressed JSONL file can)")
        exc.line = f"interrupted: {count}; {then}"
        exc.summary = summary
        raise
    finally:
        # Stop the workers first (killing them if the run did not complete), then close the files.
        for gen in (results, parallel):
            if gen is not None and hasattr(gen, "close"):
                gen.close()
        if sink is not None:
            sink.close()
        if err_sink is not None:
            err_sink.close()
    summary.seconds = time.perf_counter() - t0
    if progress is not None:
        progress(summary, None if total is None else total - skip)
    return summary
