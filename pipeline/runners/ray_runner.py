"""The Ray runner: the same records as the local runner, processed by a pool of Ray actors.

    from pipeline.config import load_config
    from pipeline.runners.ray_runner import run_ray
    manifest = run_ray(load_config(), ["dump.jsonl.gz"], "out/", address="auto", num_actors=32)

How it works (Ray Data, streaming):

- **Read.** One read task runs our own reader (``pipeline.io.readers.read_articles``) over all
  inputs, so ids, positions, error records for broken lines and ``meta`` fields are exactly the
  local runner's. It yields blocks of ``batch_size`` items as it goes (nothing is materialised in
  the driver; Ray Data's backpressure keeps the number of blocks in flight bounded). The read task
  runs on the driver's node (``supports_distributed_reads = False``), so the inputs need to exist
  only there. Items travel pickled (a ``position`` column and an opaque ``item`` column), so every
  field, including ``meta`` values that JSON cannot hold, reaches the pipeline unchanged.
- **Process.** ``Dataset.map_batches(ShinbunActor, compute=ActorPoolStrategy(size=num_actors))``: each actor builds
  ``pipeline.core.Pipeline`` once from the config's *data* (a dict); taggers and models are loaded
  in the actor and never go through the object store. Factories registered in the driver (e.g. by
  a plugin or a test) are shipped by reference to the actors so a config naming them builds there.
  Every item gives exactly one line: ``Pipeline.process`` never raises, and anything that still
  goes wrong for one article inside the actor becomes an error record (stage ``worker``).
- **Write.** Order is preserved (``DataContext.execution_options.preserve_order``, plus a reorder
  buffer keyed by position as a guard), and the driver writes the records, in input-position
  order, to ``part-00000.jsonl``, ``part-00001.jsonl``... (``partition_size`` records each;
  ``fmt="parquet"``: ``part-00000.parquet``...). Concatenating the partitions in name order gives
  byte for byte what ``shinbun run`` writes for the same inputs and config. ``manifest.json`` is
  written last: a run is complete when it exists.

Not handled (see docs/ray.md): an article that kills the actor process (segfault, OOM kill) is
retried by Ray and, if it kills every retry, fails the job; the local runner isolates such
articles, this runner does not.
"""

from __future__ import annotations

import os
import pickle
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from pipeline import __version__
from pipeline.config import Config, ConfigError, registry

RAY_MISSING = "Ray is not installed: pip install 'shinbun[ray]'"
MANIFEST = "manifest.json"
FORMATS = ("jsonl", "parquet")


class RayNotInstalledError(ConfigError, ImportError):
    """``ray[data]`` is not importable (a ConfigError, so the CLI reports it as a fatal setup error)."""

    def __init__(self, message: str = RAY_MISSING) -> None:
        super().__init__(message)


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise RayNotInstalledError() from exc
    return ray


# --- what travels to the actors ----------------------------------------------------------------


def _factory_names(config: Config) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {"tokenizers": set(), "recognizers": set()}
    for spec in config.section("tokenizers").values():
        if isinstance(spec, dict) and "factory" in spec:
            names["tokenizers"].add(spec["factory"])
    specs = config.data.get("recognizers", [])
    if isinstance(specs, list):
        for spec in specs:
            if isinstance(spec, dict) and "factory" in spec:
                names["recognizers"].add(spec["factory"])
    return names


def _pickle_factory(fn: Any) -> list[bytes]:
    """[by reference, by value]: a factory from an installed module unpickles by reference in the
    actor; one defined in a script, notebook or test module the actor cannot import needs its
    code (cloudpickle by value). Either may be missing if it cannot be pickled."""
    import sys

    from ray import cloudpickle

    blobs: list[bytes] = []
    try:
        blobs.append(cloudpickle.dumps(fn))
    except Exception:  # noqa: BLE001
        pass
    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    name = getattr(module, "__name__", "")
    if module is not None and name != "__main__" and not name.startswith("pipeline."):
        try:
            cloudpickle.register_pickle_by_value(module)
            try:
                blobs.append(cloudpickle.dumps(fn))
            finally:
                cloudpickle.unregister_pickle_by_value(module)
        except Exception:  # noqa: BLE001
            pass
    return blobs


def _ship_factories(config: Config) -> dict[str, dict[str, list[bytes]]]:
    """The factory functions the config names, as resolved in the driver, pickled for the actors,
    so a factory registered in the driver (plugin, script, test) also builds there. Unknown
    factories fail here, before any actor starts."""
    import catalogue

    import pipeline.core  # noqa: F401  - registers the built-in factories

    shipped: dict[str, dict[str, list[bytes]]] = {}
    for kind, names in _factory_names(config).items():
        reg = getattr(registry, kind)
        for name in sorted(names):
            try:
                fn = reg.get(name)
            except catalogue.RegistryError:
                known = ", ".join(sorted(reg.get_all())) or "none"
                raise ConfigError(f"[{kind}]: unknown factory {name!r} (known: {known})") from None
            if getattr(fn, "__module__", "").startswith("pipeline."):
                continue  # built in: the actor registers it itself
            shipped.setdefault(kind, {})[name] = _pickle_factory(fn)
    return shipped


def _register_shipped(shipped: dict[str, dict[str, list[bytes]]]) -> None:
    import catalogue

    for kind, fns in shipped.items():
        reg = getattr(registry, kind)
        for name, blobs in fns.items():
            try:
                reg.get(name)
                continue  # already known here (built-in, entry point, imported module)
            except catalogue.RegistryError:
                pass
            for blob in blobs:
                try:
                    fn = pickle.loads(blob)
                except Exception:  # noqa: BLE001 - e.g. its module is not importable here
                    continue
                reg.register(name, func=fn)
                break


def _line_stats(rec: dict[str, Any]) -> bytes:
    from pipeline.runners.local import record_stats

    return orjson.dumps(record_stats(rec))


class ShinbunActor:
    """A Ray Data callable class: builds the pipeline once, turns batches of items into lines.

    Input batch columns: ``position`` (int), ``item`` (a pickled Article | InputError).
    Output batch columns: ``position`` (int64), ``record`` (the orjson JSON line, bytes, ending in
    a newline), ``stats`` (orjson of the local runner's per-record stats, for the manifest)."""

    def __init__(self, config_data: dict[str, Any], config_source: str = "<ray>",
                 factories: dict[str, dict[str, list[bytes]]] | None = None) -> None:
        import pipeline.core  # noqa: F401  - built-in factories first

        _register_shipped(factories or {})
        from pipeline.core import Pipeline

        self.nlp = Pipeline(Config(data=config_data, source=config_source))

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        from pipeline.serialize import error_record

        positions = [int(p) for p in batch["position"]]
        lines: list[bytes] = []
        stats: list[bytes] = []
        for pos, blob in zip(positions, batch["item"]):
            item_id = f"position:{pos}"
            try:
                item = pickle.loads(blob)
                item_id = item.id
                rec = self.nlp.process(item)
                line = orjson.dumps(rec) + b"\n"
            except Exception as exc:  # noqa: BLE001 - one article never takes the batch down
                rec = error_record(item_id, "worker", type(exc).__name__, str(exc) or repr(exc))
                line = orjson.dumps(rec) + b"\n"
            lines.append(line)
            stats.append(_line_stats(rec))
        out_lines = np.empty(len(lines), dtype=object)
        out_lines[:] = lines
        out_stats = np.empty(len(stats), dtype=object)
        out_stats[:] = stats
        return {"position": np.asarray(positions, dtype=np.int64), "record": out_lines, "stats": out_stats}


# --- reading -----------------------------------------------------------------------------------


def _item_blocks(inputs: list[str], block_items: int) -> Iterator[Any]:
    import pyarrow as pa

    from pipeline.io.readers import read_articles

    positions: list[int] = []
    blobs: list[bytes] = []
    for item in read_articles(inputs):
        positions.append(item.position)
        blobs.append(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        if len(positions) >= block_items:
            yield pa.table({"position": pa.array(positions, pa.int64()), "item": pa.array(blobs, pa.binary())})
            positions, blobs = [], []
    if positions:
        yield pa.table({"position": pa.array(positions, pa.int64()), "item": pa.array(blobs, pa.binary())})


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
    """Writes lines to part-NNNNN.<fmt> files of at most ``size`` records, in the order given."""

    def __init__(self, out_dir: Path, fmt: str, size: int) -> None:
        self.dir, self.fmt, self.size = out_dir, fmt, size
        self.done: list[dict[str, Any]] = []
        self._sink = None
        self._cur: dict[str, Any] | None = None

    def _open(self, position: int) -> None:
        name = f"part-{len(self.done):05d}.{self.fmt}"
        if self.fmt == "parquet":
            from pipeline.io.parquet import ParquetSink

            self._sink = ParquetSink(self.dir / name)
        else:
            self._sink = open(self.dir / name, "wb")  # noqa: SIM115 - closed in _close
        self._cur = {"file": name, "records": 0, "first_position": position, "last_position": position}

    def _close(self) -> None:
        if self._sink is None:
            return
        self._sink.close()
        assert self._cur is not None
        self._cur["bytes"] = (self.dir / self._cur["file"]).stat().st_size
        self.done.append(self._cur)
        self._sink, self._cur = None, None

    def write(self, position: int, line: bytes) -> None:
        if self._cur is not None and self._cur["records"] >= self.size:
            self._close()
        if self._sink is None:
            self._open(position)
        assert self._cur is not None
        self._sink.write(line)
        self._cur["records"] += 1
        self._cur["last_position"] = position

    def close(self) -> list[dict[str, Any]]:
        self._close()
        return self.done


def _clear_previous(out_dir: Path) -> None:
    """A new run replaces a previous run's manifest and partitions in the same directory."""
    (out_dir / MANIFEST).unlink(missing_ok=True)
    for p in out_dir.glob("part-[0-9][0-9][0-9][0-9][0-9].*"):
        if p.suffix in (".jsonl", ".parquet"):
            p.unlink()


def _in_order(batches: Iterable[dict[str, Any]]) -> Iterator[tuple[int, bytes, bytes]]:
    """(position, line, stats) in position order. Ray Data already preserves order; the buffer
    only holds anything if a block ever arrives early."""
    buffer: dict[int, tuple[bytes, bytes]] = {}
    expected = 0
    for batch in batches:
        for pos, line, st in zip(batch["position"], batch["record"], batch["stats"]):
            pos = int(pos)
            if pos == expected and not buffer:
                yield pos, bytes(line), bytes(st)
                expected += 1
                continue
            buffer[pos] = (bytes(line), bytes(st))
            while expected in buffer:
                line_b, st_b = buffer.pop(expected)
                yield expected, line_b, st_b
                expected += 1
    for pos in sorted(buffer):  # only if positions had gaps (they never should)
        line_b, st_b = buffer.pop(pos)
        yield pos, line_b, st_b


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
    progress: bool = False,
) -> dict[str, Any]:
    """Process ``inputs`` on Ray into partitions under ``output_dir``; returns the manifest.

    - ``address``: a Ray cluster to connect to (``"auto"``, ``"ray://head:10001"``, ``"head:6379"``);
      ``None`` connects to ``RAY_ADDRESS`` if set, else starts a local instance (with ``num_cpus``
      CPUs, default all) that is shut down again at the end. If Ray is already initialised in this
      process, that instance is used as it is and left running.
    - ``num_actors``: pipeline actors (default: cluster CPUs // ``num_cpus_per_actor``, or GPUs //
      ``num_gpus_per_actor`` when that is set). Each loads the models once.
    - ``batch_size``: articles per ``map_batches`` call (and per read block).
    - ``fmt``: ``"jsonl"`` or ``"parquet"`` partitions of ``partition_size`` records each.
    - ``runtime_env``: passed to ``ray.init`` (e.g. ``{"pip": ["shinbun"]}`` for a cluster without it).
    - ``progress``: show Ray Data's progress bars on stderr.

    Raises ``ConfigError`` (bad config/arguments; ``RayNotInstalledError`` when Ray is missing) and
    ``pipeline.io.readers.InputPathError`` (an input that does not exist) before anything runs.
    """
    from pipeline.io.readers import check_inputs

    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if batch_size < 1 or partition_size < 1:
        raise ConfigError("batch_size and partition_size must be at least 1")
    if num_actors is not None and num_actors < 1:
        raise ConfigError("num_actors must be at least 1")
    input_strs = [str(p) for p in inputs]
    check_inputs(input_strs)
    ray = _import_ray()
    factories = _ship_factories(config)
    out_dir = Path(output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous(out_dir)

    started_here = False
    if not ray.is_initialized():
        init_args: dict[str, Any] = {"address": address, "include_dashboard": False, "runtime_env": runtime_env}
        if address is None and not os.environ.get("RAY_ADDRESS"):
            init_args["num_cpus"] = num_cpus
        ray.init(**init_args)
        started_here = True
    try:
        return _run(ray, config, input_strs, out_dir, fmt, num_actors, batch_size, num_cpus_per_actor,
                    num_gpus_per_actor, partition_size, factories, progress)
    finally:
        if started_here:
            ray.shutdown()


def _run(ray, config: Config, inputs: list[str], out_dir: Path, fmt: str, num_actors: int | None, batch_size: int,
         num_cpus_per_actor: float, num_gpus_per_actor: float, partition_size: int,
         factories: dict[str, dict[str, list[bytes]]], progress: bool) -> dict[str, Any]:
    from ray.data import DataContext

    from pipeline.runners.local import Summary

    actors = num_actors or _default_actors(ray, num_cpus_per_actor, num_gpus_per_actor)
    ctx = DataContext.get_current()
    saved = (ctx.execution_options.preserve_order, ctx.enable_progress_bars)
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = progress
    summary = Summary()
    t0 = time.perf_counter()
    parts = _Partitions(out_dir, fmt, partition_size)
    try:
        # The read task asks for no CPU so it can never be starved by the actors holding every CPU
        # (it is one light task: JSON decoding + pickling, far faster than the pipeline).
        ds = ray.data.read_datasource(_make_datasource(inputs, batch_size), num_cpus=0)
        ds = ds.map_batches(
            ShinbunActor,
            fn_constructor_args=(config.data, config.source, factories),
            batch_size=batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=num_cpus_per_actor,
            num_gpus=num_gpus_per_actor or None,
        )
        for pos, line, st in _in_order(ds.iter_batches(batch_size=None, batch_format="numpy")):
            parts.write(pos, line)
            is_err, key, chars, lang, labels = orjson.loads(st)
            summary.add((is_err, key, chars, lang, tuple(labels)))
    finally:
        partitions = parts.close()
        ctx.execution_options.preserve_order, ctx.enable_progress_bars = saved
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
        "config_hash": config.hash,
        "config_source": config.source,
        "versions": {"shinbun": __version__, "ray": ray.__version__},
        "ray": {"num_actors": actors, "batch_size": batch_size, "num_cpus_per_actor": num_cpus_per_actor,
                "num_gpus_per_actor": num_gpus_per_actor},
        "inputs": inputs,
        "order": "records are in input-position order within and across partitions (partitions in name order)",
        "partitions": partitions,
    }
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(tmp, out_dir / MANIFEST)
    return manifest
