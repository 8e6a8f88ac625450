"""A config never silently turns a part off: building a Pipeline refuses unknown sections, unknown
tokenizer languages, recogniser languages that match no document and settings of the wrong type
with a ConfigError naming the setting (the CLI prints it as one line and exits 2)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import pytest

from pipeline.config import ConfigError, check_type, check_types, load_config, registry
from pipeline.core import Pipeline
from pipeline.record import Article
from pipeline.stages import entities as _entities  # noqa: F401  (registers the recognisers)
from pipeline.stages.entities import LangFiltered, NumericRules
from tests.conftest import LIGHT_CONFIG


@pytest.fixture()
def light(tmp_path) -> Path:
    path = tmp_path / "light.toml"
    path.write_text(LIGHT_CONFIG, encoding="utf-8")
    return path


def _error(path, overrides=None) -> str:
    with pytest.raises(ConfigError) as info:
        Pipeline(load_config(path, overrides))
    return str(info.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pipeline.emit_tokens": "False"}, "[pipeline] emit_tokens must be true or false, got 'False' (a string)"),
        ({"pipeline.detect_boilerplate": "no"}, "[pipeline] detect_boilerplate must be true or false, got 'no' (a string)"),
        ({"pipeline.entities_in_boilerplate": 1}, "[pipeline] entities_in_boilerplate must be true or false, got 1 (an integer)"),
        ({"pipeline.keep_other_langs": "true"}, "[pipeline] keep_other_langs must be true or false, got 'true' (a string)"),
        ({"pipeline.langs": "ja"}, "[pipeline] langs must be a list of ja, zh, zh-Hans, zh-Hant, und, got 'ja' (a string)"),
        ({"pipeline.langs": ["jp"]}, "[pipeline] langs must be a list of ja, zh, zh-Hans, zh-Hant, und, got ['jp']"),
        ({"pipeline.emit_token": False},
         ("[pipeline]: unknown setting(s) ['emit_token'] (known: emit_tokens, detect_boilerplate, "
          "entities_in_boilerplate, langs, keep_other_langs)")),
        ({"web.html_hash": "false"}, "[web] html_hash must be true or false, got 'false' (a string)"),
        ({"web.html_sha": True}, "[web]: unknown setting(s) ['html_sha'] (known: html_hash)"),
        ({"pipelin.emit_tokens": False},
         "unknown config section(s) ['pipelin'] (known: input, pipeline, recognizers, tokenizers, web)"),
        ({"tokenizers.jp.factory": "fugashi"}, "[tokenizers]: unknown language(s) ['jp'] (known: ja, zh, zh-Hans, zh-Hant)"),
        ({"tokenizers.zh.hmm": "no"}, "[tokenizers.zh] hmm must be true or false, got 'no' (a string)"),
        ({"tokenizers.zh.backend": "foo"}, "[tokenizers.zh]: jieba backend must be one of ('rust', 'python'), not 'foo'"),
        ({"recognizers.0.langs": ["zh", "jp"]},
         "[[recognizers]] #1 langs must be a list of ja, zh, zh-Hans, zh-Hant, got ['zh', 'jp']"),
        # und documents never reach the recognisers: such a recogniser would never run
        ({"recognizers.1.langs": ["und"]}, "[[recognizers]] #2 langs must be a list of ja, zh, zh-Hans, zh-Hant, got ['und']"),
        ({"recognizers.1.langs": "ja"}, "[[recognizers]] #2 langs must be a list of ja, zh, zh-Hans, zh-Hant, got 'ja' (a string)"),
    ],
)
def test_bad_settings_are_refused_with_the_key_the_type_and_the_value(light, overrides, message):
    assert _error(light, overrides) == message


def test_a_config_file_is_checked_like_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[pipeline]\nemit_tokens = "false"\n', encoding="utf-8")
    assert _error(path) == "[pipeline] emit_tokens must be true or false, got 'false' (a string)"
    path.write_text("[pipelin]\nemit_tokens = false\n", encoding="utf-8")
    assert _error(path) == "unknown config section(s) ['pipelin'] (known: input, pipeline, recognizers, tokenizers, web)"


def test_good_settings_still_build(light):
    nlp = Pipeline(load_config(light, {"pipeline.emit_tokens": False, "pipeline.langs": ["ja", "zh"],
                                        "web.html_hash": True, "input.text_field": "body"}))
    assert nlp.settings.emit_tokens is False and nlp.html_hash is True


@pytest.mark.parametrize(
    "path", [None, *sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.toml"))], ids=lambda p: getattr(p, "name", "default")
)
def test_the_shipped_configs_pass_the_checks(path):
    """The recognisers' arguments are checked without building them (transformers.toml's model is
    not shipped)."""
    cfg = load_config(path)
    for i, spec in enumerate(cfg.data["recognizers"]):
        check_types(registry.recognizers.get(spec["factory"]), {k: v for k, v in spec.items() if k != "factory"}, f"#{i}")
    Pipeline(load_config(path, {"recognizers": []}))


def test_recognizers_empty_on_purpose_is_still_allowed(light):
    assert Pipeline(load_config(light, {"recognizers": []})).recognizers == []


def test_zh_in_a_recognizers_langs_means_both_scripts(light):
    assert LangFiltered(NumericRules(), ["zh"]).langs == {"zh-Hans", "zh-Hant"}
    assert LangFiltered(NumericRules(), ["ja", "zh-Hant"]).langs == {"ja", "zh-Hant"}
    assert LangFiltered(NumericRules(), []).langs is None
    with pytest.raises(ConfigError, match=r"langs must be a list of ja, zh, zh-Hans, zh-Hant, got \['zh-CN'\]"):
        LangFiltered(NumericRules(), ["zh-CN"])
    nlp = Pipeline(load_config(light, {"recognizers.0.langs": ["zh"]}))
    found = {lang: [e.label for e in nlp.analyse(Article(id=lang, text=text, lang=lang)).entities if e.label == "MONEY"]
             for lang, text in [("zh-Hans", "他花了500元。"), ("zh-Hant", "他花了500元。"), ("ja", "彼は500円を払った。")]}
    assert found == {"zh-Hans": ["MONEY"], "zh-Hant": ["MONEY"], "ja": []}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("style_alpha", "x", "[[recognizers]] #3 style_alpha must be a number, got 'x' (a string)"),
        ("cascade_threshold", True, "[[recognizers]] #3 cascade_threshold must be a number, got True (a boolean)"),
        ("second_network", "false", "[[recognizers]] #3 second_network must be true or false, got 'false' (a string)"),
        ("model_lang", "cn", "[[recognizers]] #3 model_lang must be one of ja, zh, got 'cn' (a string)"),
        ("model", 3, "[[recognizers]] #3 model must be a string, got 3 (an integer)"),
        ("langs", ["zh-TW"], "[[recognizers]] #3 langs must be a list of ja, zh, zh-Hans, zh-Hant, got ['zh-TW']"),
        ("style_alpha", 2, "[[recognizers]] #3 style_alpha must be within [0, 1], not 2"),
    ],
)
def test_spacy_ner_arguments_are_checked(key, value, message):
    assert _error(None, {f"recognizers.2.{key}": value}) == message


def test_transformers_arguments_are_checked_before_the_model_is_loaded(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[[recognizers]]\nfactory = "transformers"\nmodel = "no-such-model"\nbatch_size = "8"\n', encoding="utf-8")
    assert _error(path) == "[[recognizers]] #1 batch_size must be an integer, got '8' (a string)"
    path.write_text('[[recognizers]]\nfactory = "transformers"\nmodel = "m"\nbatchsize = 8\n', encoding="utf-8")
    assert _error(path).startswith("[[recognizers]] #1: bad arguments for 'transformers': got an unexpected keyword argument 'batchsize'")
    path.write_text('[[recognizers]]\nfactory = "transformers"\nmodel = "m"\nlabel_map = { PER = 1 }\n', encoding="utf-8")
    assert _error(path) == "[[recognizers]] #1 label_map must be a table of strings, got {'PER': 1}"


@pytest.mark.parametrize(
    ("value", "hint", "ok"),
    [
        (True, bool, True), (1, bool, False), (1, int, True), (True, int, False), (1, float, True), (0.5, float, True),
        ("a", str, True), (None, float | None, True), ([], list[str], True), (("a",), Sequence[str], True),
        ("ab", Sequence[str], False), (["a", 1], list[str], False), ({"a": "b"}, Mapping[str, str], True),
        ("ja", Literal["ja", "zh"], True), ("jp", Literal["ja", "zh"], False), ("x", str | Path, True),
        (object(), object, True),
    ],
)
def test_check_type(value, hint, ok):
    if ok:
        check_type(value, hint, "[t]", "k")
    else:
        with pytest.raises(ConfigError, match=r"^\[t\] k must be "):
            check_type(value, hint, "[t]", "k")


def test_the_cli_says_it_in_one_line_and_exits_2(tmp_path, light):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id":"a","text":"東京で地震。"}\n', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(src), "-o", str(tmp_path / "o.jsonl"), "-c", str(light),
                        "--set", "pipeline.emit_tokens=False"], check=False, capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr == "shinbun: error: [pipeline] emit_tokens must be true or false, got 'False' (a string)\n"
    assert not (tmp_path / "o.jsonl").exists()
