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
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection as mp_connection
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pipeline.config import Config, ConfigError
from pipeline.io.readers import read_articles
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
        if p.suffix in (".gz", ".zst", ".zstd"):
            if append:
                raise ConfigError(f"--resume needs an uncompressed output file, got {p}")
            from pipeline.io.writers import JsonlWriter

            self._stream = JsonlWriter(p)._fh
            self._closer = self._stream
        else:
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
            self._fd = os.open(p, flags, 0o644)

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


def _worker_main(config: Config, inbox, results_conn, worker_id: int) -> None:
    from pipeline.core import Pipeline

    nlp = Pipeline(config)
    while True:
        task = inbox.get()
        if task is None:
            break
        chunk_id, items = task
        # A Pipe send is synchronous: once it returns, the results survive this process dying.
        results_conn.send((chunk_id, _process_chunk(nlp, items)))


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
        self.proc = ctx.Process(target=_worker_main, args=(config, self.inbox, child_end, worker_id), daemon=True)
        self.proc.start()
        child_end.close()  # only the worker writes; EOF then means the worker is gone


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

    def spawn() -> None:
        nonlocal next_worker_id
        w = _Worker(ctx, config, next_worker_id)
        pool[w.id] = w
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
        w.results.close()
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
        for w in pool.values():
            try:
                w.inbox.put(None)
            except (OSError, ValueError):
                pass
        for w in pool.values():
            w.proc.join(timeout=5)
            if w.proc.is_alive():
                w.proc.kill()


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


def count_input_items(paths: Iterable[str | Path]) -> int | None:
    """Number of input items when cheap to know (plain JSONL and .txt files), else None."""
    total = 0
    for p in map(Path, paths):
        if p.is_dir() or p.suffix.lower() not in (".jsonl", ".ndjson", ".txt"):
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
    """Process ``inputs`` into ``output``; returns the run's summary."""
    inputs = list(inputs)
    summary = Summary()
    t0 = time.perf_counter()
    skip = prepare_resume(output, config.hash) if resume else 0
    summary.skipped = skip
    if resume and errors and skip:
        rebuild_errors_file(output, errors)
    total = count_input_items(inputs)
    if workers > 1 and total is not None and total - skip <= 2 * chunk_items:
        workers = 1  # starting processes (each loading models) costs more than a few articles
    items = (it for it in read_articles(inputs) if it.position >= skip)
    if str(output).endswith(".parquet"):
        if resume:
            raise ConfigError("--resume needs a JSONL output; Parquet files cannot be appended to")
        from pipeline.io.parquet import ParquetSink

        sink: LineSink | ParquetSink = ParquetSink(output)
    else:
        sink = LineSink(output, append=resume)
    err_sink = LineSink(errors, append=bool(resume and skip)) if errors else None
    last_report = 0.0
    try:
        if workers <= 1:
            from pipeline.core import Pipeline

            nlp = Pipeline(config)
            # the same chunks as the workers get, so that every article is batched with the same
            # neighbours whatever the number of workers
            results: Iterator[tuple[int, bytes, Stats]] = (
                r for chunk in _chunks(items, chunk_items, chunk_chars) for r in _process_chunk(nlp, chunk)
            )
        else:
            results = _in_order(
                _parallel(config, items, workers, window or workers * chunk_items * 4, chunk_items, chunk_chars, summary), skip
            )
        for _pos, line, stats in results:
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
    finally:
        sink.close()
        if err_sink is not None:
            err_sink.close()
    summary.seconds = time.perf_counter() - t0
    if progress is not None:
        progress(summary, None if total is None else total - skip)
    return summary
