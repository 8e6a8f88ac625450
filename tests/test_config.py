"""pipeline/config.py: the registry builds what a config names; mistakes in a config are
ConfigErrors, bugs inside a factory are not disguised as config mistakes."""

from __future__ import annotations

import catalogue
import pytest

from pipeline.config import ConfigError, build, load_config

REG = catalogue.create("shinbun_test", "things")


@REG.register("ok")
def make_ok(size: int, name: str = "x"):
    return (size, name)


@REG.register("buggy")
def make_buggy(size: int):
    return len(size)  # TypeError inside the factory: a bug, not a config mistake


def test_builds_with_arguments():
    assert build(REG, {"factory": "ok", "size": 3}, "[thing]") == (3, "x")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"factory": "ok"}, "bad arguments for 'ok'"),
        ({"factory": "ok", "size": 1, "colour": "red"}, "bad arguments for 'ok'"),
        ({"factory": "nope"}, "unknown factory 'nope' \\(known: buggy, ok\\)"),
        ({"size": 1}, "expected a table with a 'factory' key"),
    ],
)
def test_config_mistakes_are_config_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        build(REG, spec, "[thing]")


def test_a_type_error_inside_a_factory_is_not_a_config_error():
    with pytest.raises(TypeError, match="has no len"):
        build(REG, {"factory": "buggy", "size": 1}, "[thing]")


def test_overrides_and_hash(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[pipeline]\nemit_tokens = true\n', encoding="utf-8")
    plain = load_config(path)
    over = load_config(path, {"pipeline.emit_tokens": False, "extra.deep.key": 1})
    assert over.data == {"pipeline": {"emit_tokens": False}, "extra": {"deep": {"key": 1}}}
    assert plain.hash != over.hash and len(plain.hash) == 16


@pytest.mark.parametrize(("text", "message"), [("[pipeline\n", "invalid TOML"), (None, "not found")])
def test_unreadable_configs(tmp_path, text, message):
    path = tmp_path / "c.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)
