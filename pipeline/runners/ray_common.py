"""What both Ray layouts share: importing Ray, and carrying the config's factories to the actors.

``pipeline.runners.ray_runner`` (one reader, partitions written by the driver) and
``pipeline.runners.ray_shards`` (shards read and written by the workers) build the same pipeline
in their actors from the config's data; factories registered only in the driver (a plugin, a
script, a test) travel with it, pickled here and registered again in the actor.
"""

from __future__ import annotations

import pickle
from typing import Any

from pipeline.config import Config, ConfigError, registry

RAY_MISSING = "Ray is not installed: pip install 'shinbun[ray]'"
MANIFEST = "manifest.json"
# how often one unit of work (a shard, an article in recovery) may find its actor unavailable
# (Ray: "may or may not have been executed", e.g. an overloaded node) before the run fails
MAX_UNAVAILABLE = 5


def check_unavailable(count: int, what: str, exc: BaseException) -> None:
    """Fail the run once the actor running ``what`` (a shard's input, an article in recovery) was
    reported unavailable more than ``MAX_UNAVAILABLE`` times."""
    if count > MAX_UNAVAILABLE:
        raise RuntimeError(f"the Ray actor running {what} was unavailable {count} times "
                           f"(is the cluster overloaded? see the Ray logs): {exc}") from exc


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


def actor_build_error(exc: BaseException) -> ConfigError:
    """The ConfigError for an actor whose constructor failed: the pipeline could not be built
    there (a model missing on a node, no GPU...); its last line says why."""
    last = [ln.strip() for ln in str(exc).splitlines() if ln.strip()][-1]
    return ConfigError(f"the pipeline could not be built in a Ray actor: {last}")


def stopped(exc: Any, summary: Any, t0: float, line: str) -> None:
    """Fill in the ``Interrupted`` that stops a Ray run: its summary so far and what to tell."""
    import time

    summary.seconds = time.perf_counter() - t0
    exc.line = line
    exc.summary = summary
