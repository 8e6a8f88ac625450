"""The Ray runner's sharded layout: every input shard read, processed and written by a worker.

    from pipeline.config import load_config
    from pipeline.runners.ray_runner import run_ray
    run_ray(load_config(), ["s3://news/2024/*.jsonl.gz"], "s3://news-out/2024/", address="auto", resume=True)

``run_ray`` uses this layout when the inputs are several files (a list, a directory, a glob) or a
URI, or when ``shards=True``; docs/ray.md has the user's side.

- **Shards.** The driver lists the inputs (local or NFS paths, directories, globs, or URIs that
  ``pyarrow.fs.FileSystem.from_uri`` opens: ``s3://``, ``gs://``, ``hdfs://``, ``file://``), one
  shard per file, in the local runner's order (directories in sorted path order). Shard *i* is
  written to ``shard-<i:05d>.<fmt>`` with its summary in ``shard-<i:05d>.summary.json``.
- **Workers.** ``num_actors`` actors (``ShardWorker``), each building the pipeline once, take one
  shard at a time. A worker reads its shard with shinbun's own reader
  (``pipeline.io.readers.read_articles``; a URI is first copied to a local temporary file of the
  same name), processes it in the local runner's chunks, and writes the records in input order
  (error records in place) to a temporary name beside the output, renamed when complete; then it
  writes the shard's summary (counts, config hash, the input's size). A shard's records are the
  bytes ``shinbun run SHARD -o x.jsonl`` writes (Parquet: the same rows).
- **Driver.** It lists shards, hands them to idle workers, receives one small summary per shard
  and writes ``manifest.json`` last. No record passes through it, so its memory and CPU do not
  grow with the number of records.
- **Resume** (``resume=True``): a shard whose output and summary exist, with the same input size,
  format and config hash, is skipped. Temporary files of an interrupted run are removed; its
  half-written shards are written again.
- **Crashes.** A worker that dies (segfault, OOM kill, lost node) is replaced by a fresh one, and
  its shard is run again in *careful* mode: the worker reports each chunk before processing it. If it
  dies again, the chunk where it died is run one article at a time, each reported first; the
  article it dies on is written as a ``WorkerCrashed`` error record in its place and the shard
  goes on. Deaths with no article in flight (reading, writing) fail the run after
  ``task_retries`` + 1 of them for one shard: that is a broken setup, not a bad article. A worker
  that Ray reports *unavailable* (it may or may not have run the call: an overloaded node) is
  replaced too, and its shard run again carefully without counting a death, up to
  ``MAX_UNAVAILABLE`` times per shard. Workers are never reused after either: Ray may still run a
  call sent to an actor it is restarting once the actor is back, with no one reading its events
  (a stale run of the shard that killed it would kill it again); a killed actor runs nothing more.
- **Stopping.** Inside ``pipeline.runners.local.stop_on_signals``, SIGINT or SIGTERM raises
  ``Interrupted`` in the driver: the workers are killed, no manifest is written, and the shards
  already written stay for ``resume``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pipeline import __version__
from pipeline.config import Config
from pipeline.io.readers import InputPathError, _expand, check_inputs, read_articles
from pipeline.io.writers import open_compressed
from pipeline.runners.local import (
    Interrupted,
    Summary,
    _chunks,
    _process_chunk,
    input_fields,
    record_stats,
)
from pipeline.runners.ray_common import (
    MANIFEST,
    _register_shipped,
    actor_build_error,
    check_unavailable,
    stopped,
)
from pipeline.serialize import error_record

FORMATS = ("jsonl", "jsonl.gz", "jsonl.zst", "parquet")
SUMMARY_SUFFIX = ".summary.json"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB = re.compile(r"[*?\[]")
# The local runner's chunking (pipeline.runners.local.run's defaults): the same neighbours per
# Pipeline.process_batch call, so a shard's records are the local runner's bytes.
CHUNK_ITEMS = 16
CHUNK_CHARS = 64_000


def is_uri(s: str) -> bool:
    return bool(_URI.match(s))


def is_pattern_or_uri(s: str) -> bool:
    """An input the driver expands itself (a URI or a glob), which need not exist as a local path."""
    return is_uri(s) or (bool(_GLOB.search(s)) and not Path(s).exists())


# --- listing the shards ------------------------------------------------------------------------


@dataclass(frozen=True)
class Shard:
    uri: str  # an absolute local path or a URI
    size: int  # bytes, for resume: a shard whose input changed size is written again


def _local_shards(path: Path) -> list[Shard]:
    out = []
    for p in _expand(path):
        p = p.resolve()
        size = p.stat().st_size if p.is_file() else sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        out.append(Shard(str(p), size))
    return out


def _remote_shards(uri: str) -> list[Shard]:
    import pyarrow.fs as pafs

    pattern = None
    base_uri = uri
    m = _GLOB.search(uri)
    if m:  # list the folder above the first wildcard, then match the rest of the pattern
        base_uri = uri[: uri.rfind("/", 0, m.start())]
        pattern = uri[len(base_uri) + 1:]
    try:
        fs, base = pafs.FileSystem.from_uri(base_uri)
        info = fs.get_file_info(base)
    except (OSError, ValueError) as exc:  # pyarrow: ArrowInvalid (a ValueError) or an OSError
        raise InputPathError(f"cannot open input {uri}: {exc}") from exc
    if info.type == pafs.FileType.File and pattern is None:
        return [Shard(uri, info.size)]
    if info.type != pafs.FileType.Directory:
        raise InputPathError(f"input not found: {uri}")
    found = []
    for f in fs.get_file_info(pafs.FileSelector(base, recursive=True)):
        rel = f.path[len(base.rstrip("/")) + 1:]
        if f.type != pafs.FileType.File or any(part.startswith(".") for part in rel.split("/")):
            continue
        if pattern is None or _glob_match(rel, pattern):
            found.append(Shard(base_uri.rstrip("/") + "/" + rel, f.size))
    if not found:
        raise InputPathError(f"no input file matches {uri}")
    return sorted(found, key=lambda s: s.uri)


def _glob_match(rel: str, pattern: str) -> bool:
    """A URI's wildcards, matched against the path below the listed folder (``*`` also matches ``/``)."""
    return fnmatch.fnmatchcase(rel, pattern)


def list_shards(inputs: list[str]) -> list[Shard]:
    """The input files, one shard each, in the local runner's order; fails on a missing input."""
    shards: list[Shard] = []
    for s in inputs:
        if is_uri(s):
            shards.extend(_remote_shards(s))
        elif is_pattern_or_uri(s):
            matches = sorted(glob.glob(s, recursive=True))
            if not matches:
                raise InputPathError(f"no input file matches {s}")
            for m in matches:
                shards.extend(_local_shards(Path(m)))
        else:
            check_inputs([s])
            shards.extend(_local_shards(Path(s)))
    return shards


# --- the output location -----------------------------------------------------------------------


class Output:
    """The output folder: a local (or NFS) path, written directly, or a URI, written through
    ``pyarrow.fs``. Files appear whole: written under a temporary name, then renamed."""

    def __init__(self, where: str) -> None:
        import pyarrow.fs as pafs

        if is_uri(where):
            self.fs, self.base = pafs.FileSystem.from_uri(where)
            self.local: Path | None = None
        else:
            self.local = Path(where).resolve()
            self.fs, self.base = pafs.LocalFileSystem(), str(self.local)
        self.base = self.base.rstrip("/")
        self.where = where

    def path(self, name: str) -> str:
        return f"{self.base}/{name}"

    def mkdir(self) -> None:
        self.fs.create_dir(self.base, recursive=True)

    def listing(self) -> dict[str, int]:
        """name -> size of the files directly in the folder."""
        import pyarrow.fs as pafs

        infos = self.fs.get_file_info(pafs.FileSelector(self.base, allow_not_found=True))
        return {f.base_name: f.size for f in infos if f.type == pafs.FileType.File}

    def read(self, name: str) -> bytes:
        with self.fs.open_input_stream(self.path(name), compression=None) as fh:
            return fh.read()

    def delete(self, name: str) -> None:
        try:
            self.fs.delete_file(self.path(name))
        except FileNotFoundError:
            pass  # gone meanwhile: a worker of a run that was just stopped renamed its temporary file

    def put_bytes(self, name: str, data: bytes) -> None:
        tmp = f"{name}.{uuid.uuid4().hex}.tmp"
        with self.fs.open_output_stream(self.path(tmp), compression=None) as fh:
            fh.write(data)
        self.fs.move(self.path(tmp), self.path(name))

    def put_file(self, local: Path, name: str) -> None:
        """Move a finished file, written at ``self.local/...tmp`` or in a local temporary folder, to ``name``."""
        if self.local is not None and local.parent == self.local:
            os.replace(local, self.local / name)
            return
        tmp = f"{name}.{uuid.uuid4().hex}.tmp"
        with local.open("rb") as src, self.fs.open_output_stream(self.path(tmp), compression=None) as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
        self.fs.move(self.path(tmp), self.path(name))


def output_name(index: int, fmt: str) -> str:
    return f"shard-{index:05d}.{fmt}"


def summary_name(index: int) -> str:
    return f"shard-{index:05d}{SUMMARY_SUFFIX}"


# --- in the worker -----------------------------------------------------------------------------


def _open_sink(path: Path, fmt: str) -> Any:
    if fmt == "parquet":
        from pipeline.io.parquet import ParquetSink

        return ParquetSink(path)
    if fmt == "jsonl":
        return path.open("wb")
    return open_compressed(path, {"jsonl.gz": "gzip", "jsonl.zst": "zstd"}[fmt])


def _stage_input(uri: str, tmp: Path) -> Path:
    """A local path to read ``uri`` from: the path itself, or a copy of a remote file under its
    own name (the reader's fallback ids, ``name:line``, use the file name)."""
    if not is_uri(uri):
        return Path(uri)
    import pyarrow.fs as pafs

    fs, path = pafs.FileSystem.from_uri(uri)
    local = tmp / path.rstrip("/").rsplit("/", 1)[-1]
    # compression=None: the bytes as stored (pyarrow would otherwise decompress by extension;
    # shinbun's reader recognises compression by content)
    with fs.open_input_stream(path, compression=None) as src, local.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 22)
    return local


def crash_record(item_id: str) -> bytes:
    rec = error_record(item_id, "worker", "WorkerCrashed",
                       "the Ray actor died while processing this article alone (its chunk had killed it before)")
    return orjson.dumps(rec) + b"\n"


def process_shard(nlp: Any, fields: Any, job: dict[str, Any], careful: bool, isolate: frozenset[int],
                  crashed: frozenset[int]) -> Iterator[tuple]:
    """Read, process and write one shard; yields progress events and, last, ``("done", summary)``.

    ``careful``: ``("chunk", first, last)`` before each chunk and ``("ok",)`` after it.
    ``isolate``: the chunks starting at these positions are processed one article at a time, each
    between ``("article", position)`` and ``("ok",)``; positions in ``crashed`` are written as
    ``WorkerCrashed`` error records instead of being processed."""
    t0 = time.perf_counter()
    out = Output(job["output"])
    fmt = job["format"]
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="shinbun-shard-") as tmpdir:
        src = _stage_input(job["input"], Path(tmpdir))
        folder = out.local if out.local is not None else Path(tmpdir)
        target = folder / f"{job['file']}.{uuid.uuid4().hex}.tmp"
        sink = _open_sink(target, fmt)
        try:
            for chunk in _chunks(read_articles([src], fields), CHUNK_ITEMS, CHUNK_CHARS):
                first, last = chunk[0].position, chunk[-1].position
                if first in isolate:
                    results = []
                    for item in chunk:
                        yield ("article", item.position)
                        if item.position in crashed:
                            line = crash_record(item.id)
                            results.append((item.position, line, record_stats(orjson.loads(line))))
                        else:
                            results.extend(_process_chunk(nlp, [item]))
                        yield ("ok",)
                else:
                    if careful:
                        yield ("chunk", first, last)
                    results = _process_chunk(nlp, chunk)
                for _pos, line, stats in results:
                    sink.write(line)
                    summary.add(stats)
                if careful:
                    yield ("ok",)
            sink.close()
            size = target.stat().st_size
            out.put_file(target, job["file"])
        except BaseException:
            sink.close()
            target.unlink(missing_ok=True)
            raise
    summary.worker_crashes = len(crashed)
    summary.seconds = time.perf_counter() - t0
    import ray

    doc = {
        "shard": job["index"], "input": job["input"], "input_bytes": job["input_bytes"], "file": job["file"],
        "format": fmt, "bytes": size, "records": summary.articles + summary.errors,
        **{k: v for k, v in summary.as_dict().items() if k != "skipped"},
        "config_hash": job["config_hash"], "shinbun": __version__,
        "node": ray.get_runtime_context().get_node_id(), "host": socket.gethostname(),
    }
    # The summary is written after the records are in place: a shard is complete when it exists.
    out.put_bytes(summary_name(job["index"]), orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    yield ("done", doc)


class ShardWorker:
    """A Ray actor: builds the pipeline once, then processes whole shards (``run_shard``)."""

    def __init__(self, config_data: dict[str, Any], config_source: str = "<ray>",
                 factories: dict[str, dict[str, list[bytes]]] | None = None) -> None:
        import pipeline.core  # noqa: F401  - built-in factories first

        _register_shipped(factories or {})
        from pipeline.core import Pipeline

        config = Config(data=config_data, source=config_source)
        self.fields = input_fields(config)  # the config's [input] field names, as the local runner reads them
        self.nlp = Pipeline(config)

    def run_shard(self, job: dict[str, Any], careful: bool, isolate: list[int], crashed: list[int]) -> Iterator[tuple]:
        yield from process_shard(self.nlp, self.fields, job, careful, frozenset(isolate), frozenset(crashed))


# --- in the driver -----------------------------------------------------------------------------


@dataclass
class _Job:
    spec: dict[str, Any]
    careful: bool = False
    isolate: set[int] = field(default_factory=set)  # first positions of the chunks run one article at a time
    crashed: set[int] = field(default_factory=set)
    blind_deaths: int = 0  # deaths with no article in flight
    unavailable: int = 0  # attempts whose actor Ray reported unavailable (see _unavailable)
    last: tuple = ()  # the last progress event of the attempt that runs now


def _is_complete(out: Output, names: dict[str, int], spec: dict[str, Any]) -> dict[str, Any] | None:
    """The summary of a shard already written with this input, format and config, else None."""
    sname = summary_name(spec["index"])
    if spec["file"] not in names or sname not in names:
        return None
    try:
        doc = orjson.loads(out.read(sname))
    except orjson.JSONDecodeError:
        return None
    same = all(doc.get(k) == spec[k] for k in ("input", "input_bytes", "format", "config_hash", "file"))
    return doc if same and doc.get("bytes") == names[spec["file"]] else None


def _prepare(out: Output, specs: list[dict[str, Any]], resume: bool) -> dict[int, dict[str, Any]]:
    """Clear what must be rewritten; returns the summaries of the shards that are kept (resume)."""
    out.mkdir()
    names = out.listing()
    if MANIFEST in names:
        out.delete(MANIFEST)
    done: dict[int, dict[str, Any]] = {}
    if resume:
        for spec in specs:
            doc = _is_complete(out, names, spec)
            if doc is not None:
                done[spec["index"]] = doc
    keep = {s["file"] for s in specs if s["index"] in done} | {summary_name(i) for i in done}
    for name in names:
        if name.startswith("shard-") and name not in keep and name.endswith((".tmp", SUMMARY_SUFFIX, *FORMATS)):
            out.delete(name)
    return done


def _merge(total: Summary, doc: dict[str, Any]) -> None:
    total.articles += doc["articles"]
    total.errors += doc["errors"]
    total.characters += doc["characters"]
    total.worker_crashes += doc["worker_crashes"]
    total.languages.update(doc["languages"])
    total.labels.update(doc["labels"])
    total.error_types.update(doc["error_types"])


class DriverStats:
    """What the driver received from the workers: events and their pickled bytes."""

    def __init__(self) -> None:
        self.events = 0
        self.bytes = 0

    def add(self, ev: tuple) -> None:
        import pickle

        self.events += 1
        self.bytes += len(pickle.dumps(ev, protocol=pickle.HIGHEST_PROTOCOL))


def run_shards(ray: Any, config: Config, shards: list[Shard], output: str, *, fmt: str, num_actors: int,
               num_cpus_per_actor: float, num_gpus_per_actor: float, factories: dict[str, Any], resume: bool,
               task_retries: int, max_recover: int, progress: bool, settings: dict[str, Any]) -> dict[str, Any]:
    """Process every shard on ``num_actors`` workers; returns the manifest (also written last)."""
    from ray.exceptions import ActorUnavailableError, RayActorError

    from pipeline.runners import local

    out = Output(output)
    where = str(out.local) if out.local is not None else output  # absolute: workers run elsewhere
    specs = [{"index": i, "input": s.uri, "input_bytes": s.size, "file": output_name(i, fmt), "format": fmt,
              "output": where, "config_hash": config.hash} for i, s in enumerate(shards)]
    t0 = time.perf_counter()
    done = _prepare(out, specs, resume)
    total = Summary()
    resumed = len(done)
    for doc in done.values():
        _merge(total, doc)
        total.skipped += doc["records"]
    resumed_chars = total.characters
    pending = deque(_Job(s) for s in specs if s["index"] not in done)
    n_actors = max(1, min(num_actors, len(pending)))
    worker_cls = ray.remote(ShardWorker).options(max_restarts=0, max_task_retries=0, num_cpus=num_cpus_per_actor,
                                                 num_gpus=num_gpus_per_actor or None)

    def new_actor() -> Any:
        with shield:
            return worker_cls.remote(config.data, config.source, factories)

    actors: list[Any] = []
    running: dict[Any, tuple[Any, _Job]] = {}  # generator -> (actor, job)
    stats = DriverStats()
    shield = local._STOPPER if local._STOPPER is not None else contextlib.nullcontext()
    crashes = 0
    try:
        if pending:
            actors = [new_actor() for _ in range(n_actors)]
        idle = list(actors)
        while pending or running:
            while idle and pending:
                actor, job = idle.pop(), pending.popleft()
                job.last = ()
                # Backpressure 1: the worker waits at each yield until the driver has taken the event,
                # so the last event the driver saw is where a worker that died was.
                gen = actor.run_shard.options(num_returns="streaming", _generator_backpressure_num_objects=1).remote(
                    job.spec, job.careful, sorted(job.isolate), sorted(job.crashed))
                running[gen] = (actor, job)
            ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
            for gen in ready:
                actor, job = running[gen]
                try:
                    ev = ray.get(next(gen))
                except StopIteration:
                    raise RuntimeError(f"internal error: shard {job.spec['input']} ended without a summary") from None
                except RayActorError as exc:
                    if getattr(exc, "actor_init_failed", False) or "creation task" in str(exc):
                        raise actor_build_error(exc) from exc
                    del running[gen]
                    # never reused (see the module docstring): killed, so that nothing sent to it runs later
                    ray.kill(actor, no_restart=True)
                    actors[actors.index(actor)] = fresh = new_actor()
                    idle.append(fresh)
                    if isinstance(exc, ActorUnavailableError):
                        _unavailable(job, exc)
                    else:
                        crashes += _died(job, task_retries)
                    if crashes > max_recover:
                        raise RuntimeError(f"more than max_recover={max_recover} articles killed their actor: "
                                           "something is systematically wrong, see the Ray logs") from exc
                    pending.appendleft(job)
                    continue
                stats.add(ev)
                if ev[0] == "done":
                    del running[gen]
                    idle.append(actor)
                    done[job.spec["index"]] = ev[1]
                    with shield:
                        _merge(total, ev[1])
                    if progress:
                        print(f"shinbun: shard {len(done)}/{len(specs)} done: {ev[1]['input']} "
                              f"({ev[1]['records']} records)", flush=True, file=sys.stderr)
                else:
                    job.last = ev
    except Interrupted as exc:
        stopped(exc, total, t0, f"interrupted: {len(done)} of {len(specs)} shards written to {output} (no "
                                f"{MANIFEST}: the output is incomplete); run again with --resume to process the rest")
        raise
    finally:
        for actor in actors:
            ray.kill(actor, no_restart=True)
    total.seconds = time.perf_counter() - t0
    s = total.as_dict()
    docs = [done[i] for i in range(len(specs))]
    new_chars = total.characters - resumed_chars
    manifest = {
        "engine": "ray", "layout": "shards", "format": fmt,
        "records": sum(d["records"] for d in docs), "articles": total.articles, "errors": total.errors,
        "characters": total.characters, "error_types": s["error_types"], "languages": s["languages"],
        "labels": s["labels"], "seconds": s["seconds"],
        "chars_per_second": round(new_chars / total.seconds) if total.seconds else 0,
        "worker_crashes": total.worker_crashes, "resumed_shards": resumed,
        "config_hash": config.hash, "config_source": config.source,
        "versions": {"shinbun": __version__, "ray": ray.__version__},
        "ray": {**settings, "num_actors": len(actors)},
        "driver": {"events": stats.events, "bytes_received": stats.bytes},
        "order": "one output shard per input shard, in input order within each",
        "shards": [{k: d[k] for k in ("input", "file", "records", "articles", "errors", "bytes", "node")} for d in docs],
    }
    out.put_bytes(MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return manifest


def _unavailable(job: _Job, exc: BaseException) -> None:
    """After Ray reported the worker running ``job`` unavailable (it may or may not have run it):
    run the shard again carefully, without counting a death, at most ``MAX_UNAVAILABLE`` times."""
    job.unavailable += 1
    check_unavailable(job.unavailable, job.spec["input"], exc)
    job.careful = True


def _died(job: _Job, task_retries: int) -> int:
    """Where to go on after the worker running ``job`` died; returns 1 if an article is now known
    to kill it (written as an error record on the next attempt)."""
    last = job.last
    if last and last[0] == "article":
        job.crashed.add(last[1])
        return 1
    if last and last[0] == "chunk":
        job.isolate.add(last[1])
        return 0
    job.blind_deaths += 1
    if job.blind_deaths > task_retries + 1:
        raise RuntimeError(f"the Ray actor died {job.blind_deaths} times on {job.spec['input']} with no article "
                           "in flight (reading or writing the shard): see the Ray logs")
    job.careful = True
    return 0


def wants_shards(inputs: list[str], shards: list[Shard]) -> bool:
    """The automatic choice: the sharded layout for a URI, a glob, or more than one input file."""
    return any(is_pattern_or_uri(s) for s in inputs) or len(shards) > 1

