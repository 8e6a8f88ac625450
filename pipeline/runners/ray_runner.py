"""The Ray runner: the same records as the local runner, processed by a pool of Ray actors.

    from pipeline.config import load_config
    from pipeline.runners.ray_runner import run_ray
    manifest = run_ray(load_config(), ["dump.jsonl.gz"], "out/", address="auto", num_actors=32)

Several input files, a glob or a URI go to the sharded layout (``pipeline.runners.ray_shards``:
the workers read and write each shard, resumably). One local input file gets the partitions
layout described here (Ray Data, streaming; docs/ray.md has the user's side):

- **Read.** One read task runs our own reader (``pipeline.io.readers.read_articles``) over all
  inputs, so ids, positions, error records for broken lines and ``meta`` fields are exactly the
  local runner's. It emits blocks of about ``batch_size`` items as it goes (nothing is
  materialised in the driver; Ray Data's backpressure bounds the blocks in flight), then one
  end-of-input row carrying the item count. The read task runs on the driver's node
  (``supports_distributed_reads = False``), so the inputs need to exist only there. Items travel
  pickled (a ``position`` column and an opaque ``item`` column), so every field, including
  ``meta`` values that JSON cannot hold (datetimes from Parquet), reaches the pipeline unchanged.
- **Process.** ``Dataset.map_batches(ShinbunActor, compute=ActorPoolStrategy(size=num_actors))``:
  each actor builds ``pipeline.core.Pipeline`` once from the config's *data* (a dict); taggers and
  models are loaded in the actor and never go through the object store. Factories the config
  names that were registered in the driver (a plugin, a script, a test) are shipped to the actors
  (by reference, or by value when the actor cannot import their module). Every item gives exactly
  one line: ``Pipeline.process`` never raises, and anything that still goes wrong for one article
  inside the actor becomes an error record (stage ``worker``).
- **Crashes.** A batch whose actor process dies (segfault, OOM kill, ``os._exit``) is retried
  ``task_retries`` times; then Ray Data drops it (``max_errored_blocks = -1``) and the driver sees
  its positions missing. After the stream ends, those articles are re-read and processed one at a
  time in an actor that Ray restarts when it dies; an article that kills it becomes a
  ``WorkerCrashed`` error record, as in the local runner. Nothing is dropped.
- **Write.** Order is preserved (``DataContext.execution_options.preserve_order``; the driver
  checks that positions only increase) and the driver writes the records to
  ``part-00000.jsonl``, ``part-00001.jsonl``... where partition k holds input positions
  [k * partition_size, (k + 1) * partition_size) (``fmt="parquet"``: ``part-00000.parquet``...).
  Concatenating the partitions in name order gives byte for byte what ``shinbun run`` writes for
  the same inputs and config. ``manifest.json`` is written last: a run is complete when it exists.
- **Stopping.** Inside ``pipeline.runners.local.stop_on_signals`` (as ``shinbun run --engine ray``
  is), SIGINT or SIGTERM in the driver raises ``Interrupted``: the dataset is cancelled (Ray Data
  shuts its executor and actor pool down), the partition being written is closed, no manifest is
  written, and a Ray instance that ``run_ray`` started itself is shut down. A cluster it only
  connected to keeps running (the driver just disconnects), and a Ray that was already
  initialised in the process is left as it was. There is no resume in this layout: the run is
  done again.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from pipeline import __version__
from pipeline.config import Config, ConfigError
from pipeline.runners.ray_common import (  # noqa: F401 - RayNotInstalledError and _import_ray are part of this module's API
    MANIFEST,
    RAY_MISSING,
    RayNotInstalledError,
    _import_ray,
    _register_shipped,
    _ship_factories,
    actor_build_error,
    check_unavailable,
    stopped,
)

FORMATS = ("jsonl", "parquet")


def _line_stats(rec: dict[str, Any]) -> bytes:
    from pipeline.runners.local import record_stats

    return orjson.dumps(record_stats(rec))


END_OF_INPUT = -1  # the position of the reader's last row, whose item is the number of items read


class ShinbunActor:
    """A Ray Data callable class: builds the pipeline once, turns batches of items into lines.

    Input batch columns: ``position`` (int), ``item`` (a pickled Article | InputError).
    Output batch columns: ``position`` (int64), ``record`` (the orjson JSON line, bytes, ending in
    a newline), ``stats`` (orjson of the local runner's per-record stats, for the manifest).
    The reader's end-of-input row (position -1) passes through with its item as ``stats``."""

    def __init__(self, config_data: dict[str, Any], config_source: str = "<ray>",
                 factories: dict[str, dict[str, list[bytes]]] | None = None) -> None:
        import pipeline.core  # noqa: F401  - built-in factories first

        _register_shipped(factories or {})
        from pipeline.core import Pipeline

        self.nlp = Pipeline(Config(data=config_data, source=config_source))

    def process_one(self, position: int, blob: bytes) -> tuple[bytes, bytes]:
        from pipeline.serialize import error_record

        if position == END_OF_INPUT:
            return b"", bytes(blob)
        item_id = f"position:{position}"
        try:
            item = pickle.loads(blob)
            item_id = item.id
            rec = self.nlp.process(item)
            line = orjson.dumps(rec) + b"\n"
        except Exception as exc:  # noqa: BLE001 - one article never takes the batch down
            rec = error_record(item_id, "worker", type(exc).__name__, str(exc) or repr(exc))
            line = orjson.dumps(rec) + b"\n"
        return line, _line_stats(rec)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        positions = [int(p) for p in batch["position"]]
        blobs = list(batch["item"])
        done: list[tuple[bytes, bytes] | None] = [None] * len(positions)
        items = {}
        for k, (pos, blob) in enumerate(zip(positions, blobs)):
            if pos == END_OF_INPUT:
                done[k] = self.process_one(pos, blob)
                continue
            try:
                items[k] = pickle.loads(blob)
            except Exception:  # noqa: BLE001 - process_one reports it
                done[k] = self.process_one(pos, blob)
        try:
            # the entity models see the whole batch's sentences together (Pipeline.process_batch)
            recs = self.nlp.process_batch(list(items.values()))
            for k, rec in zip(items, recs):
                done[k] = (orjson.dumps(rec) + b"\n", _line_stats(rec))
        except Exception:  # noqa: BLE001 - then one article at a time, each with its own record
            for k in items:
                if done[k] is None:
                    done[k] = self.process_one(positions[k], blobs[k])
        out_lines = np.empty(len(done), dtype=object)
        out_lines[:] = [d[0] for d in done]
        out_stats = np.empty(len(done), dtype=object)
        out_stats[:] = [d[1] for d in done]
        return {"position": np.asarray(positions, dtype=np.int64), "record": out_lines, "stats": out_stats}


# --- reading -----------------------------------------------------------------------------------


def _item_blocks(inputs: list[str], block_items: int) -> Iterator[Any]:
    import pyarrow as pa

    from pipeline.io.readers import read_articles

    def table(positions: list[int], blobs: list[bytes]):
        return pa.table({"position": pa.array(positions, pa.int64()), "item": pa.array(blobs, pa.binary())})

    positions: list[int] = []
    blobs: list[bytes] = []
    count = 0
    for item in read_articles(inputs):
        positions.append(item.position)
        blobs.append(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        count = item.position + 1
        if len(positions) >= block_items:
            yield table(positions, blobs)
            positions, blobs = [], []
    if positions:
        yield table(positions, blobs)
    # Lets the driver tell "the reader finished" from "the tail was lost", and know every position.
    yield table([END_OF_INPUT], [orjson.dumps(["end", count])])


def _make_datasource(inputs: list[str], block_items: int):
    from ray.data import Datasource, ReadTask
    from ray.data.block import BlockMetadata

    class ShinbunReaderDatasource(Datasource):
        """All inputs, read by ``read_articles`` in one streaming read task on the driver's node."""

        def __init__(self) -> None:
            super().__init__()
            self.inputs = inputs
            self.block_items = block_items

        def get_name(self) -> str:
            return "ShinbunRead"

        @property
        def supports_distributed_reads(self) -> bool:
            return False  # the input paths are the driver's

        def estimate_inmemory_data_size(self) -> int | None:
            try:
                return sum(Path(p).stat().st_size for p in self.inputs if Path(p).is_file()) or None
            except OSError:
                return None

        def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                           data_context: Any = None) -> list:
            paths, n = self.inputs, self.block_items
            meta = BlockMetadata(num_rows=None, size_bytes=self.estimate_inmemory_data_size(), exec_stats=None,
                                 input_files=tuple(paths))
            return [ReadTask(lambda: _item_blocks(paths, n), meta)]

    return ShinbunReaderDatasource()


# --- writing -----------------------------------------------------------------------------------


class _Partitions:
    """Partition k holds positions [k * size, (k + 1) * size), in position order, in
    ``part-<k:05d>.<fmt>``. Lines arrive in increasing position order, possibly with gaps (a batch
    whose actor died); :meth:`fill` puts the recovered lines into the gaps afterwards."""

    def __init__(self, out_dir: Path, fmt: str, size: int) -> None:
        self.dir, self.fmt, self.size = out_dir, fmt, size
        self._sink = None
        self._index = -1
        self.last = -1
        self.gaps: list[tuple[int, int]] = []  # [start, end) ranges of positions that never arrived

    def name(self, k: int) -> str:
        return f"part-{k:05d}.{self.fmt}"

    def _open(self, k: int) -> None:
        if self.fmt == "parquet":
            from pipeline.io.parquet import ParquetSink

            self._sink = ParquetSink(self.dir / self.name(k))
        else:
            self._sink = open(self.dir / self.name(k), "wb")  # noqa: SIM115 - closed in close()
        self._index = k

    def write(self, position: int, line: bytes) -> None:
        if position <= self.last:
            raise RuntimeError(f"records arrived out of order (position {position} after {self.last})")
        if position > self.last + 1:
            self.gaps.append((self.last + 1, position))
        self.last = position
        k = position // self.size
        if k != self._index:
            self.close()
            self._open(k)
        self._sink.write(line)

    def missing(self, total: int) -> list[tuple[int, int]]:
        return self.gaps + ([(self.last + 1, total)] if self.last + 1 < total else [])

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def fill(self, recovered: dict[int, bytes], total: int) -> None:
        """Rewrite the partitions that have gaps with the recovered lines in their places."""
        by_part: dict[int, list[int]] = {}
        for pos in sorted(recovered):
            by_part.setdefault(pos // self.size, []).append(pos)
        for k, missing in by_part.items():
            start, end = k * self.size, min((k + 1) * self.size, total)
            path, tmp = self.dir / self.name(k), self.dir / (self.name(k) + ".tmp")
            missing_set = set(missing)
            if self.fmt == "parquet":
                import pyarrow as pa
                import pyarrow.parquet as pq

                from pipeline.io.parquet import SCHEMA, to_row

                have = pq.read_table(path) if path.exists() else SCHEMA.empty_table()
                new = pa.Table.from_pylist([to_row(orjson.loads(recovered[p])) for p in missing], schema=SCHEMA)
                order = [p for p in range(start, end) if p not in missing_set] + missing
                both = pa.concat_tables([have.cast(SCHEMA), new])
                both = both.take(sorted(range(len(order)), key=order.__getitem__))
                pq.write_table(both, tmp, compression="zstd", row_group_size=1000)
            else:
                old = path.open("rb") if path.exists() else None
                with tmp.open("wb") as out:
                    for p in range(start, end):
                        out.write(recovered[p] if p in missing_set else old.readline())  # type: ignore[union-attr]
                if old is not None:
                    old.close()
            os.replace(tmp, path)

    def describe(self, total: int) -> list[dict[str, Any]]:
        parts = []
        for k in range(-(-total // self.size)):
            start, end = k * self.size, min((k + 1) * self.size, total)
            path = self.dir / self.name(k)
            parts.append({"file": path.name, "records": end - start, "first_position": start,
                          "last_position": end - 1, "bytes": path.stat().st_size})
        return parts


def _clear_previous(out_dir: Path) -> None:
    """A new run replaces a previous run's manifest and partitions in the same directory."""
    (out_dir / MANIFEST).unlink(missing_ok=True)
    for p in out_dir.glob("part-[0-9][0-9][0-9][0-9][0-9].*"):
        if p.suffix in (".jsonl", ".parquet", ".tmp"):
            p.unlink()


# --- recovery of batches whose actor died ------------------------------------------------------


def _recover(ray, inputs: list[str], missing: list[int], actor_args: tuple, num_cpus: float, num_gpus: float,
             retries: int) -> tuple[dict[int, bytes], dict[int, bytes], int]:
    """Re-read the inputs for the ``missing`` positions and process each article alone in an actor
    that is replaced when it dies; an article that kills it becomes a ``WorkerCrashed`` error
    record (as in the local runner). Returns (lines, stats, articles that crashed).

    A dead actor is killed and replaced, never reused: a call sent to an actor that Ray is
    restarting fails as *unavailable* and may still run later; an unavailable actor (an overloaded
    node) is replaced too and the article tried again, ``MAX_UNAVAILABLE`` times at most."""
    from ray.exceptions import ActorUnavailableError, RayActorError

    from pipeline.io.readers import read_articles
    from pipeline.serialize import error_record

    want = set(missing)
    isolated = ray.remote(max_restarts=0, max_task_retries=0, num_cpus=num_cpus, num_gpus=num_gpus or None)(ShinbunActor)
    actor = isolated.remote(*actor_args)
    lines: dict[int, bytes] = {}
    stats: dict[int, bytes] = {}
    crashed = 0
    try:
        for item in read_articles(inputs):
            if item.position not in want:
                continue
            blob = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
            line, unavailable = None, 0
            while line is None:
                try:
                    line, st = ray.get(actor.process_one.remote(item.position, blob))
                except RayActorError as exc:
                    ray.kill(actor, no_restart=True)
                    actor = isolated.remote(*actor_args)
                    if not isinstance(exc, ActorUnavailableError):
                        break  # it died on this article
                    unavailable += 1
                    check_unavailable(unavailable, f"input record {item.id}", exc)
            if line is None:
                crashed += 1
                rec = error_record(item.id, "worker", "WorkerCrashed",
                                   f"the Ray actor died while processing this article (its batch was tried {retries + 1} times, then the article alone)")
                line, st = orjson.dumps(rec) + b"\n", _line_stats(rec)
            lines[item.position], stats[item.position] = line, st
            want.discard(item.position)
            if not want:
                break
    finally:
        ray.kill(actor)
    if want:
        raise RuntimeError(f"could not re-read {len(want)} input record(s) for recovery (the inputs changed?)")
    return lines, stats, crashed


# --- the runner --------------------------------------------------------------------------------


def _default_actors(ray, num_cpus_per_actor: float, num_gpus_per_actor: float) -> int:
    res = ray.cluster_resources()
    n = int(res.get("CPU", 1) // num_cpus_per_actor) if num_cpus_per_actor > 0 else int(res.get("CPU", 1))
    if num_gpus_per_actor > 0:
        n = min(n, int(res.get("GPU", 0) // num_gpus_per_actor))
        if n < 1:
            raise ConfigError(f"num_gpus_per_actor={num_gpus_per_actor} but the Ray cluster has {res.get('GPU', 0)} GPU(s)")
    return max(1, n)


def run_ray(
    config: Config,
    inputs: list[Path | str],
    output_dir: Path | str,
    *,
    address: str | None = None,
    fmt: str = "jsonl",
    num_actors: int | None = None,
    batch_size: int = 64,
    num_cpus_per_actor: float = 1,
    num_gpus_per_actor: float = 0,
    partition_size: int = 100_000,
    num_cpus: int | None = None,
    runtime_env: dict[str, Any] | None = None,
    task_retries: int = 2,
    max_recover: int = 10_000,
    progress: bool = False,
    shards: bool | None = None,
    resume: bool = False,
) -> dict[str, Any]:
    """Process ``inputs`` on Ray into ``output_dir``; returns the manifest.

    Two layouts (docs/ray.md):

    - **shards** (``pipeline.runners.ray_shards``): one output shard per input file, read and
      written by the workers, resumable shard by shard (``resume=True``). Chosen when ``shards``
      is True, or when it is None and the inputs are a URI (``s3://``, ``gs://``, ``hdfs://``,
      ``file://``), a glob, or more than one file (a list, a directory). ``output_dir`` may then
      be a URI too. ``fmt``: ``"jsonl"``, ``"jsonl.gz"``, ``"jsonl.zst"`` or ``"parquet"``.
    - **partitions** (this module): one reader on the driver's node, records written by the
      driver into ``part-NNNNN`` files of ``partition_size`` positions. Chosen for one local
      input file (or ``shards=False``); no resume.

    - ``address``: a Ray cluster to connect to (``"auto"``, ``"ray://head:10001"``, ``"head:6379"``);
      ``None`` connects to ``RAY_ADDRESS`` if set, else starts a local instance (with ``num_cpus``
      CPUs, default all) that is shut down again at the end. If Ray is already initialised in this
      process, that instance is used as it is and left running.
    - ``num_actors``: pipeline actors (default: cluster CPUs // ``num_cpus_per_actor``, or GPUs //
      ``num_gpus_per_actor`` when that is set). Each loads the models once.
    - ``batch_size``: articles per ``map_batches`` call (and per read block).
    - ``fmt``: ``"jsonl"`` or ``"parquet"``; partition k holds input positions
      [k * partition_size, (k + 1) * partition_size).
    - ``runtime_env``: passed to ``ray.init`` (e.g. ``{"pip": ["shinbun"]}`` for a cluster without it).
    - ``task_retries``: times Ray retries a batch whose actor died (node lost, OOM kill, segfault).
      After that its articles are re-run one at a time; one that kills the actor again becomes a
      ``WorkerCrashed`` error record. More than ``max_recover`` such articles fail the run.
    - ``progress``: show Ray Data's progress bars (partitions) or a line per shard (shards) on stderr.

    Raises ``ConfigError`` (bad config/arguments; ``RayNotInstalledError`` when Ray is missing) and
    ``pipeline.io.readers.InputPathError`` (an input that does not exist) before anything runs.
    """
    from pipeline.io.readers import check_inputs
    from pipeline.runners import ray_shards

    if batch_size < 1 or partition_size < 1:
        raise ConfigError("batch_size and partition_size must be at least 1")
    if num_actors is not None and num_actors < 1:
        raise ConfigError("num_actors must be at least 1")
    input_strs = [str(p) for p in inputs]
    listed = ray_shards.list_shards(input_strs)
    sharded = shards if shards is not None else ray_shards.wants_shards(input_strs, listed)
    formats = ray_shards.FORMATS if sharded else FORMATS
    if fmt not in formats:
        raise ConfigError(f"unknown output format {fmt!r} (expected one of {', '.join(formats)})")
    if not sharded:
        if resume:
            raise ConfigError("resume needs the sharded layout (shards=True): partitions are written again")
        if any(ray_shards.is_pattern_or_uri(s) for s in input_strs) or ray_shards.is_uri(str(output_dir)):
            raise ConfigError("URIs and globs need the sharded layout (shards=True)")
        check_inputs(input_strs)
    ray = _import_ray()
    factories = _ship_factories(config)
    out_dir = Path(output_dir)
    if not sharded:
        out_dir.mkdir(parents=True, exist_ok=True)
        _clear_previous(out_dir)

    from pipeline.runners.local import Interrupted

    started_here = False
    if not ray.is_initialized():
        init_args: dict[str, Any] = {"address": address, "include_dashboard": False, "runtime_env": runtime_env}
        if address is None and not os.environ.get("RAY_ADDRESS"):
            init_args["num_cpus"] = num_cpus
        ray.init(**init_args)
        started_here = True
        from pipeline.runners import local

        if local._STOPPER is not None:
            local._STOPPER.reinstall()  # ray.init replaces the SIGTERM handler with sys.exit(15)
    try:
        if sharded:
            settings = {"batch_size": ray_shards.CHUNK_ITEMS, "num_cpus_per_actor": num_cpus_per_actor,
                        "num_gpus_per_actor": num_gpus_per_actor, "task_retries": task_retries}
            return ray_shards.run_shards(
                ray, config, listed, str(output_dir), fmt=fmt,
                num_actors=num_actors or _default_actors(ray, num_cpus_per_actor, num_gpus_per_actor),
                num_cpus_per_actor=num_cpus_per_actor, num_gpus_per_actor=num_gpus_per_actor, factories=factories,
                resume=resume, task_retries=task_retries, max_recover=max_recover, progress=progress,
                settings=settings)
        return _run(ray, config, input_strs, out_dir, fmt, num_actors, batch_size, num_cpus_per_actor,
                    num_gpus_per_actor, partition_size, factories, task_retries, max_recover, progress)
    except Interrupted as exc:
        if exc.line is None:  # before or after the stream (starting, recovering crashed batches)
            exc.line = f"interrupted: no {MANIFEST} was written (the output is incomplete); run again to process everything"
        raise
    finally:
        if started_here:
            ray.shutdown()


def _run(ray, config: Config, inputs: list[str], out_dir: Path, fmt: str, num_actors: int | None, batch_size: int,
         num_cpus_per_actor: float, num_gpus_per_actor: float, partition_size: int,
         factories: dict[str, dict[str, list[bytes]]], task_retries: int, max_recover: int,
         progress: bool) -> dict[str, Any]:
    from ray.data import DataContext

    from pipeline.runners import local
    from pipeline.runners.local import Interrupted, Summary

    actors = num_actors or _default_actors(ray, num_cpus_per_actor, num_gpus_per_actor)
    actor_args = (config.data, config.source, factories)
    ctx = DataContext.get_current()
    saved = (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.max_errored_blocks,
             ctx.target_max_block_size)
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = progress
    # A batch whose actor died task_retries + 1 times is dropped by Ray Data, not fatal: its
    # positions show up as gaps, and _recover re-runs those articles one at a time.
    ctx.max_errored_blocks = -1
    # Ray Data coalesces the reader's output into blocks of up to target_max_block_size (128 MiB by
    # default, i.e. the whole input for most dumps: one actor would get everything). Blocks of about
    # batch_size items spread the work over the actors and make a failed task cost one batch.
    ctx.target_max_block_size = _block_bytes(inputs, batch_size)
    summary = Summary()
    t0 = time.perf_counter()
    parts = _Partitions(out_dir, fmt, partition_size)
    shield = local._STOPPER if local._STOPPER is not None else contextlib.nullcontext()
    seen = 0
    total: int | None = None
    try:
        # The read task asks for no CPU so it can never be starved by the actors holding every CPU
        # (it is one light task: JSON decoding + pickling, far faster than the pipeline).
        ds = ray.data.read_datasource(_make_datasource(inputs, batch_size), num_cpus=0)
        map_args: dict[str, Any] = dict(
            fn_constructor_args=actor_args,
            batch_size=batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=num_cpus_per_actor,
            num_gpus=num_gpus_per_actor or None,
        )
        with warnings.catch_warnings():
            # Ray 2.5x-2.6x: extra remote args are "deprecated" but are still the documented way to
            # bound actor task retries (Ray Data's default is to retry forever, which would hang
            # the job on an article that kills its actor).
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
            try:
                ds = ds.map_batches(ShinbunActor, **map_args, max_restarts=-1, max_task_retries=task_retries)
            except TypeError:  # a Ray without extra remote args: Ray's own retry policy applies
                ds = ds.map_batches(ShinbunActor, **map_args)
        batches = iter(ds.iter_batches(batch_size=None, batch_format="numpy"))
        try:
            for batch in batches:
                for pos, line, st in zip(batch["position"], batch["record"], batch["stats"]):
                    pos = int(pos)
                    if pos == END_OF_INPUT:
                        total = int(orjson.loads(bytes(st))[1])
                        continue
                    with shield:  # an interrupt waits until the line is written and counted
                        parts.write(pos, bytes(line))
                        _add(summary, bytes(st))
                        seen += 1
        except ray.exceptions.RayActorError as exc:
            text = str(exc)
            if "creation task" not in text:
                raise
            raise actor_build_error(exc) from exc
        finally:
            # Ends the stream now rather than when the iterator is collected: on an interrupt or
            # an error this cancels the dataset (Ray Data shuts its executor and actors down).
            batches.close()  # type: ignore[attr-defined]
    except Interrupted as exc:
        stopped(exc, summary, t0, f"interrupted: {seen} records written to {out_dir} (no {MANIFEST}: the output is "
                                  "incomplete); run again to process everything")
        raise
    finally:
        parts.close()
        (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.max_errored_blocks,
         ctx.target_max_block_size) = saved
    if total is None:
        # The reader's end row was lost with a failed batch (or the read task itself failed):
        # count the input again here to know which positions are missing.
        from pipeline.io.readers import read_articles

        total = 0
        for item in read_articles(inputs):
            total = item.position + 1
    crashed = 0
    if seen < total:
        gaps = parts.missing(total)
        n_missing = sum(end - start for start, end in gaps)
        if n_missing != total - seen:
            raise RuntimeError(f"internal error: {total - seen} records missing but {n_missing} in gaps")
        if n_missing > max_recover:
            raise RuntimeError(f"{n_missing} records were lost with actors that died (more than max_recover="
                               f"{max_recover}): something is systematically wrong, see the Ray logs")
        missing = [p for start, end in gaps for p in range(start, end)]
        lines, stats, crashed = _recover(ray, inputs, missing, actor_args, num_cpus_per_actor, num_gpus_per_actor,
                                         task_retries)
        parts.fill(lines, total)
        for pos in missing:
            _add(summary, stats[pos])
    summary.worker_crashes = crashed
    summary.seconds = time.perf_counter() - t0
    s = summary.as_dict()
    manifest = {
        "engine": "ray",
        "format": fmt,
        "records": summary.articles + summary.errors,
        "articles": summary.articles,
        "errors": summary.errors,
        "characters": summary.characters,
        "error_types": s["error_types"],
        "languages": s["languages"],
        "labels": s["labels"],
        "seconds": s["seconds"],
        "chars_per_second": s["chars_per_second"],
        "recovered": total - seen,
        "worker_crashes": crashed,
        "config_hash": config.hash,
        "config_source": config.source,
        "versions": {"shinbun": __version__, "ray": ray.__version__},
        "ray": {"num_actors": actors, "batch_size": batch_size, "num_cpus_per_actor": num_cpus_per_actor,
                "num_gpus_per_actor": num_gpus_per_actor, "task_retries": task_retries},
        "inputs": inputs,
        "order": "input-position order within and across partitions; partition k holds positions "
                 f"[k*{partition_size}, (k+1)*{partition_size})",
        "partitions": parts.describe(total),
    }
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(tmp, out_dir / MANIFEST)
    return manifest


def _block_bytes(inputs: list[str], batch_size: int, sample: int = 256) -> int:
    """Bytes of about ``batch_size`` pickled items, estimated from the first ``sample`` items."""
    import itertools

    from pipeline.io.readers import read_articles

    sizes = [len(pickle.dumps(it, protocol=pickle.HIGHEST_PROTOCOL)) for it in itertools.islice(read_articles(inputs), sample)]
    avg = sum(sizes) / len(sizes) if sizes else 1024
    return max(4096, int(avg * batch_size))


def _add(summary: Any, st: bytes) -> None:
    is_err, key, chars, lang, labels = orjson.loads(st)
    summary.add((is_err, key, chars, lang, tuple(labels)))
