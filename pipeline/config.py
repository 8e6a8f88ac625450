"""Config files -> settings, and the registry of named implementations.

A config is a TOML file layered on the packaged default (``pipeline/default.toml``): a user file
sets only what it changes. Tables merge key by key; any other value replaces the default's whole,
arrays of tables included, so a file that has ``[[recognizers]]`` entries replaces the whole list
of recognisers (it is not merged entry by entry). ``overrides`` (``shinbun run --set KEY=VALUE``)
go on top with dotted keys (``pipeline.emit_tokens``, ``recognizers.2.style_alpha``: a number
picks an entry of an array, 0 for the first). Every swappable part names a
``factory`` registered here, with its arguments next to it, so switching a tokenizer, an
entity recogniser or an output format is a config edit, not a code edit. The registry is
built on ``catalogue`` (the mechanism behind spaCy's registry) and also reads the
``shinbun_*`` entry-point groups, so third-party packages can add implementations.
"""

from __future__ import annotations

import hashlib
import inspect
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

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
        """Stable hash of the settings (not of the file's formatting or comments). The ``[input]``
        section is left out: it says where to find the text in the input records, not how text is
        analysed, so a CSV read with ``--text-field content`` gives the same records as JSONL."""
        analysed = {k: v for k, v in self.data.items() if k != "input"}
        canonical = orjson.dumps(analysed, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()[:16]

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"config section [{name}] must be a table, got {type(value).__name__}")
        return value


def _read_toml(p: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {p}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in config file {p}: {exc}") from None


def merge(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    """``layer`` on top of ``base`` (neither is changed): tables merge key by key, every other
    value (a string, a number, an array, an array of tables) replaces the base's whole."""
    out = dict(base)
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_override(item: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from the command line -> (dotted key, value). The value is read as a TOML
    value (``false``, ``0.5``, ``"ja"``, ``["ja"]``); a bare word that is not TOML is a string."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set expects KEY=VALUE with a dotted KEY (e.g. pipeline.emit_tokens=false), got {item!r}")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``value`` at the dotted key in ``data`` (in place; tables are made as needed)."""
    *parents, last = dotted.split(".")
    node: Any = data
    for depth, part in enumerate([*parents, last]):
        where = ".".join(parents[:depth]) or "the config"
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"override {dotted!r}: {where} is an array of {len(node)}; use an index 0-{len(node) - 1}")
            if depth == len(parents):
                node[int(part)] = value
                return
            node = node[int(part)]
        elif isinstance(node, dict):
            if depth == len(parents):
                node[part] = value
                return
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, (dict, list)):
                raise ConfigError(f"override {dotted!r}: {'.'.join(parents[:depth + 1])} is a value, not a table")
            node = child
        else:
            raise ConfigError(f"override {dotted!r}: {where} is a value, not a table")


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """The packaged default, with the TOML file ``path`` layered on it (see the module docstring)
    and ``overrides`` (``{"section.key": value}``) on top. ``Config.source`` names the layers."""
    default = default_config_path()
    data = _read_toml(default)
    source = str(default)
    if path is not None and Path(path).resolve() != default.resolve():
        data = merge(data, _read_toml(Path(path)))
        source = f"{default} + {path}"
    for dotted, value in (overrides or {}).items():
        _set(data, dotted, value)
    return Config(data=data, source=source)


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
    # the arguments are checked against the factory's signature (names, then the types its
    # annotations give) before the call, so that a TypeError raised inside the factory (a bug) is
    # not reported as a config mistake; a ValueError from the factory is a bad argument value
    try:
        signature = inspect.signature(factory)
        signature.bind(**args)
    except TypeError as exc:
        raise ConfigError(f"{what}: bad arguments for {name!r}: {exc}") from None
    named = {p.name for p in signature.parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    check_types(factory, {k: v for k, v in args.items() if k in named}, what)
    try:
        return factory(**args)
    except ValueError as exc:  # ConfigError included
        message = str(exc)
        # "[[recognizers]] #3 style_alpha must be ...", as check_type says it; else "WHAT: message"
        sep = " " if message.split(" ", 1)[0] in args else ": "
        raise ConfigError(f"{what}{sep}{message}") from None


# -- type checks of settings --------------------------------------------------------------------
# A setting of the wrong type is refused, never coerced: `emit_tokens = "false"` (or `--set
# pipeline.emit_tokens=False`, which is not TOML and so reads as the string "False") would
# otherwise be true. The expected types are the annotations of the factory or dataclass that
# takes the settings; an annotation not understood here accepts anything.

_VALUE_KINDS = ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
                ((list, tuple), "a list"), (dict, "a table"))


def _kind(value: Any) -> str:
    return next((name for t, name in _VALUE_KINDS if isinstance(value, t)), f"a {type(value).__name__}")


def _alternatives(hint: Any) -> list[Any]:
    """The members of a union, ``None`` left out (TOML has no null); ``[hint]`` otherwise."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(hint) if a is not type(None)]
    return [hint]


def _fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` has the type ``hint``, by pydantic's strict validation (no coercion: the
    string "false" is no boolean, 1.0 no integer); a hint pydantic cannot use accepts anything."""
    import pydantic

    try:
        adapter = pydantic.TypeAdapter(hint)
    except pydantic.PydanticUserError:  # an annotation pydantic cannot build a validator for
        return True
    try:
        adapter.validate_python(value, strict=True)
    except pydantic.ValidationError:
        return False
    return True


def _describe(hint: Any, plural: bool = False) -> str:
    alternatives = _alternatives(hint)
    if len(alternatives) != 1 or alternatives[0] is not hint:
        return " or ".join(_describe(a, plural) for a in alternatives)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    simple = {bool: ("true or false", "booleans"), int: ("an integer", "integers"), float: ("a number", "numbers"),
              str: ("a string", "strings")}
    if hint in simple:
        return simple[hint][plural]
    if origin is Literal:
        return ("" if plural else "one of ") + ", ".join(map(str, args))
    if origin in (list, tuple, Sequence):
        return "lists" if plural else "a list" + (f" of {_describe(args[0], True)}" if args else "")
    if origin in (dict, Mapping):
        return "tables" if plural else "a table" + (f" of {_describe(args[1], True)}" if args else "")
    return getattr(hint, "__name__", str(hint))


def check_type(value: Any, hint: Any, where: str, key: str) -> None:
    """ConfigError unless ``value`` has the type ``hint`` (bool, int, float, str, a ``Literal``
    of strings, a list or table of those, a union of them), naming the setting, the type and the
    value: ``[pipeline] emit_tokens must be true or false, got 'False' (a string)``."""
    if not _fits(value, hint):
        kind = "" if isinstance(value, (list, tuple, dict)) else f" ({_kind(value)})"
        raise ConfigError(f"{where} {key}".lstrip() + f" must be {_describe(hint)}, got {value!r}{kind}")


def check_types(target: Callable[..., Any] | type, settings: Mapping[str, Any], where: str) -> None:
    """:func:`check_type` for each of ``settings`` that ``target`` (a function or a dataclass)
    annotates."""
    try:
        hints = typing.get_type_hints(target)
    except (NameError, TypeError):  # annotations that cannot be resolved are not checked
        return
    for key, value in settings.items():
        if key in hints:
            check_type(value, hints[key], where, key)
