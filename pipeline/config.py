"""Config files -> settings, and the registry of named implementations.

A config is a TOML file (the default: ``pipeline/default.toml``, packaged). Every swappable part names a
``factory`` registered here, with its arguments next to it, so switching a tokenizer, an
entity recogniser or an output format is a config edit, not a code edit. The registry is
built on ``catalogue`` (the mechanism behind spaCy's registry) and also reads the
``shinbun_*`` entry-point groups, so third-party packages can add implementations.
"""

from __future__ import annotations

import hashlib
import inspect
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import catalogue
import orjson


class registry:  # noqa: N801  (a namespace, named like spaCy's)
    tokenizers = catalogue.create("shinbun", "tokenizers", entry_points=True)
    recognizers = catalogue.create("shinbun", "recognizers", entry_points=True)
    writers = catalogue.create("shinbun", "writers", entry_points=True)


class ConfigError(ValueError):
    """A config file that cannot be used: unreadable, invalid TOML, unknown factory, bad argument."""


DEFAULT_CONFIG_NAME = "default.toml"


def default_config_path() -> Path:
    # The default config ships inside the package so an
    # installed `shinbun` works from any directory.
    return Path(str(resources.files("pipeline") / "default.toml"))


@dataclass(frozen=True, slots=True)
class Config:
    data: dict[str, Any]
    source: str

    @property
    def hash(self) -> str:
        """Stable hash of the settings (not of the file's formatting or comments)."""
        canonical = orjson.dumps(self.data, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()[:16]

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"config section [{name}] must be a table, got {type(value).__name__}")
        return value


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Read a TOML config; ``None`` means the packaged default. ``overrides`` are merged on top
    as ``{"section.key": value}``."""
    p = Path(path) if path is not None else default_config_path()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {p}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in config file {p}: {exc}") from None
    for dotted, value in (overrides or {}).items():
        *parents, key = dotted.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[key] = value
    return Config(data=data, source=str(p))


def build(reg: catalogue.Registry, spec: dict[str, Any], what: str) -> Any:
    """Instantiate ``spec`` = {"factory": NAME, **kwargs} from a registry."""
    if not isinstance(spec, dict) or "factory" not in spec:
        raise ConfigError(f"{what}: expected a table with a 'factory' key, got {spec!r}")
    args = {k: v for k, v in spec.items() if k != "factory"}
    name = spec["factory"]
    try:
        factory = reg.get(name)
    except catalogue.RegistryError:
        known = ", ".join(sorted(reg.get_all())) or "none"
        raise ConfigError(f"{what}: unknown factory {name!r} (known: {known})") from None
    # the arguments are checked against the factory's signature before the call, so that a
    # TypeError raised inside the factory (a bug) is not reported as a config mistake
    try:
        inspect.signature(factory).bind(**args)
    except TypeError as exc:
        raise ConfigError(f"{what}: bad arguments for {name!r}: {exc}") from None
    return factory(**args)
