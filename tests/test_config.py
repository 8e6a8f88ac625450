"""pipeline/config.py: the registry builds what a config names; mistakes in a config are
ConfigErrors, bugs inside a factory are not disguised as config mistakes."""

from __future__ import annotations

import tomllib

import catalogue
import pytest

from pipeline.config import Config, ConfigError, build, default_config_path, load_config, merge, parse_override
from pipeline.core import Pipeline

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
    assert over.data == {**plain.data, "pipeline": {**plain.data["pipeline"], "emit_tokens": False},
                         "extra": {"deep": {"key": 1}}}
    assert plain.hash != over.hash and len(plain.hash) == 16


def _default_data() -> dict:
    return tomllib.loads(default_config_path().read_text(encoding="utf-8"))


def test_the_default_alone_is_the_packaged_file_unchanged():
    """No user file: the resolved config is the packaged file as it is, so its hash (written in
    every record's meta) is the file's."""
    cfg = load_config()
    assert cfg.data == _default_data()
    assert cfg.hash == Config(data=_default_data(), source="x").hash
    assert load_config(default_config_path()).hash == cfg.hash


def test_a_partial_config_changes_only_what_it_sets(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text("[pipeline]\nemit_tokens = false\n[tokenizers.zh]\nhmm = false\n", encoding="utf-8")
    cfg = load_config(path)
    expected = _default_data()
    expected["pipeline"]["emit_tokens"] = False
    expected["tokenizers"]["zh"]["hmm"] = False
    assert cfg.data == expected
    assert [r["factory"] for r in cfg.data["recognizers"]] == ["numeric", "spacy_ner", "spacy_ner"]
    assert cfg.source == f"{default_config_path()} + {path}"
    # the same settings through overrides give the same config, hash included
    assert load_config(None, {"pipeline.emit_tokens": False, "tokenizers.zh.hmm": False}).hash == cfg.hash


def test_an_array_of_tables_replaces_the_default_list_whole(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text('[[recognizers]]\nfactory = "numeric"\n', encoding="utf-8")
    assert load_config(path).data["recognizers"] == [{"factory": "numeric"}]


def test_merge_leaves_its_inputs_alone():
    base = {"a": {"b": 1, "c": [1]}, "d": 2}
    out = merge(base, {"a": {"b": 5}, "d": {"e": 1}})
    assert out == {"a": {"b": 5, "c": [1]}, "d": {"e": 1}}
    assert base == {"a": {"b": 1, "c": [1]}, "d": 2}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("pipeline.emit_tokens=false", ("pipeline.emit_tokens", False)),
        ("recognizers.2.style_alpha=0.5", ("recognizers.2.style_alpha", 0.5)),
        ('input.lang="ja"', ("input.lang", "ja")),
        ("input.lang=ja", ("input.lang", "ja")),  # a bare word is a string
        ('recognizers.1.langs=["ja", "zh-Hans"]', ("recognizers.1.langs", ["ja", "zh-Hans"])),
        (" tokenizers.zh.backend = python ", ("tokenizers.zh.backend", "python")),
    ],
)
def test_parse_override(item, expected):
    assert parse_override(item) == expected


@pytest.mark.parametrize("item", ["emit_tokens", "=1", "pipeline..x=1", "pipeline.=1"])
def test_a_malformed_override_is_a_config_error(item):
    with pytest.raises(ConfigError, match="--set expects KEY=VALUE"):
        parse_override(item)


def test_an_override_indexes_arrays_and_refuses_what_is_not_there():
    cfg = load_config(None, {"recognizers.2.style_alpha": 0.5})
    assert cfg.data["recognizers"][2]["style_alpha"] == 0.5 and "style_alpha" not in cfg.data["recognizers"][1]
    with pytest.raises(ConfigError, match="recognizers is an array of 3; use an index 0-2"):
        load_config(None, {"recognizers.3.model": "x"})
    with pytest.raises(ConfigError, match="pipeline.emit_tokens is a value, not a table"):
        load_config(None, {"pipeline.emit_tokens.x": 1})


def test_a_pipeline_without_recognizers_is_refused_unless_asked_for():
    data = _default_data()
    del data["recognizers"]
    with pytest.raises(ConfigError, match=r"no \[\[recognizers\]\].*write `recognizers = \[\]`"):
        Pipeline(Config(data=data, source="x"))
    data["recognizers"] = []
    assert Pipeline(Config(data=data, source="x")).recognizers == []


def test_a_recognizer_entry_without_factory_says_the_list_is_replaced(tmp_path):
    """The mistake of a user who expects entries to merge: one [[recognizers]] entry with only a
    setting in it."""
    path = tmp_path / "my.toml"
    path.write_text("[[recognizers]]\nstyle_alpha = 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"#1 has no factory. A \[\[recognizers\]\] list in a config file replaces the default list whole"):
        Pipeline(load_config(path))


@pytest.mark.parametrize(("text", "message"), [("[pipeline\n", "invalid TOML"), (None, "not found")])
def test_unreadable_configs(tmp_path, text, message):
    path = tmp_path / "c.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)
