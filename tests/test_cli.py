"""The `shinbun` command, run as a user would (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import orjson

from tests.conftest import check_record


def shinbun(*args, **kw):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], capture_output=True, text=True, **kw)


def test_run_sample_writes_one_record_per_article(tmp_path, sample_path):
    out, errs = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    r = shinbun("run", sample_path, "-o", out, "--errors", errs)
    assert r.returncode == 0, r.stderr
    lines = out.read_bytes().splitlines()
    assert len(lines) == 13
    for line in lines:
        check_record(orjson.loads(line))
    assert errs.read_bytes() == b""
    assert "13 articles, 0 errors" in r.stderr


def test_run_to_stdout_with_bad_lines(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes('{"id":"a","text":"東京で地震。"}\n{oops\n{"id":"b"}\n{"id":"c","text":"北京下雪。"}\n'.encode())
    errs = tmp_path / "e.jsonl"
    r = shinbun("run", src, "-o", "-", "--errors", errs, "--quiet")
    assert r.returncode == 0 and r.stderr == ""
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in recs] == ["a", "in.jsonl:2", "b", "c"]
    assert [("error" in x) for x in recs] == [False, True, True, False]
    assert [json.loads(x)["id"] for x in errs.read_text().splitlines()] == ["in.jsonl:2", "b"]


def test_fatal_errors_exit_nonzero_with_one_line(tmp_path):
    r = shinbun("run", tmp_path / "missing.jsonl", "-o", tmp_path / "o.jsonl")
    assert r.returncode == 2 and r.stderr.strip().startswith("shinbun: error: input not found") and "Traceback" not in r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[[recognizers]]\nfactory = 'nope'\n")
    src = tmp_path / "in.jsonl"
    src.write_text('{"id":"a","text":"x"}\n')
    r = shinbun("run", src, "-o", tmp_path / "o.jsonl", "--config", bad)
    assert r.returncode == 2 and "unknown factory 'nope'" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_schema_command_prints_the_schema():
    r = shinbun("schema")
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    assert schema["$schema"].endswith("2020-12/schema") and "result" in schema["$defs"]


def test_help_mentions_commands():
    r = shinbun("--help")
    assert r.returncode == 0
    for cmd in ("run", "schema", "eval"):
        assert cmd in r.stdout


def test_a_bad_recogniser_setting_is_a_config_error(tmp_path, sample_path):
    """An out-of-range option or a missing model is a config mistake: one line, exit 2."""
    for line, message in [("cascade_threshold = 2.0", "cascade_threshold must be within [0, 1]"), ('model = "no-such-model"', "no spaCy NER model at no-such-model")]:
        cfg = tmp_path / "c.toml"
        cfg.write_text(
            '[tokenizers.zh]\nfactory = "jieba"\n[[recognizers]]\nfactory = "spacy_ner"\nmodel_lang = "zh"\n'
            + ("" if line.startswith("model ") else 'model = "ner-zh"\n') + line + "\n",
            encoding="utf-8",
        )
        r = shinbun("run", sample_path, "-o", tmp_path / "o.jsonl", "-c", cfg, "--quiet", "--workers", "1")
        assert r.returncode == 2, r.stderr
        assert message in r.stderr and "Traceback" not in r.stderr


def test_a_partial_config_keeps_the_default_recognisers(tmp_path, sample_path):
    """`-c` with only `[pipeline] emit_tokens = false` gives the default's entities, without tokens;
    --no-tokens and --set give the same records (same resolved config, same hash)."""
    part = tmp_path / "my.toml"
    part.write_text("[pipeline]\nemit_tokens = false\n", encoding="utf-8")
    outs = {}
    for name, args in {"default": (), "partial": ("-c", part), "no_tokens": ("--no-tokens",),
                       "set": ("--set", "pipeline.emit_tokens=false")}.items():
        out = tmp_path / f"{name}.jsonl"
        r = shinbun("run", sample_path, "-o", out, "--quiet", "--workers", "1", *args)
        assert r.returncode == 0, r.stderr
        outs[name] = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    default = outs["default"]
    assert sum(len(r["entities"]) for r in default) > 50
    assert all("tokens" in r for r in default)
    for name in ("partial", "no_tokens", "set"):
        assert [r["entities"] for r in outs[name]] == [r["entities"] for r in default]
        assert all("tokens" not in r for r in outs[name])
        assert [m["name"] for m in outs[name][0]["meta"]["models"]] == [m["name"] for m in default[0]["meta"]["models"]]
    assert outs["partial"] == outs["no_tokens"] == outs["set"]


def test_a_bad_override_is_one_line_and_status_2(tmp_path, sample_path):
    r = shinbun("run", sample_path, "-o", tmp_path / "o.jsonl", "--set", "recognizers.7.model=x")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == "shinbun: error: override 'recognizers.7.model': recognizers is an array of 3; use an index 0-2"


def test_input_field_options_stdin_and_lang(tmp_path):
    """A CSV whose text column is `content`, read with --text-field content, gives the records of the
    same articles as JSONL; `-` reads JSONL from stdin; --lang fills in the language of records
    without one; an unknown --lang is refused."""
    import pandas as pd

    from tests.conftest import LIGHT_CONFIG

    cfg = tmp_path / "light.toml"
    cfg.write_text(LIGHT_CONFIG, encoding="utf-8")
    rows = [{"id": "j1", "text": "トヨタ自動車は2012年7月5日、100億円を投資した。", "published": "2012-07-05 10:00:00+0900"},
            {"id": "z1", "text": "北京今天下雪。"}]
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    csv = tmp_path / "in.csv"
    pd.DataFrame([{"content": r["text"], "id": r["id"], "published": r.get("published")} for r in rows]).to_csv(csv, index=False)
    common = ("-c", cfg, "--quiet", "--workers", "1", "-o", "-")
    a = shinbun("run", src, *common)
    b = shinbun("run", csv, "--text-field", "content", *common)
    c = shinbun("run", "-", *common, input=src.read_text(encoding="utf-8"))
    assert a.returncode == b.returncode == c.returncode == 0, a.stderr + b.stderr + c.stderr
    assert [orjson.loads(x) for x in b.stdout.splitlines()] == [orjson.loads(x) for x in a.stdout.splitlines()]
    assert c.stdout == a.stdout
    langs = [orjson.loads(x)["lang"] for x in shinbun("run", src, "--lang", "ja", *common).stdout.splitlines()]
    assert langs == ["ja", "ja"]
    r = shinbun("run", src, "--lang", "japanese", *common)
    assert r.returncode == 2 and r.stderr == "shinbun: error: unknown language 'japanese' (known: ja, zh, zh-Hans, zh-Hant, und)\n"
    missing = shinbun("run", csv, *common)
    assert json.loads(missing.stdout.splitlines()[0])["error"]["message"] == "record has no 'text' field (its fields: 'content', 'id', 'published')"


def test_exit_status_3_when_every_record_failed_or_too_many_did(tmp_path):
    from tests.conftest import LIGHT_CONFIG

    cfg = tmp_path / "light.toml"
    cfg.write_text(LIGHT_CONFIG, encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_bytes('{"id":"a","text":"東京で地震。"}\n{oops\n{"id":"b"}\n{"id":"c","text":"北京下雪。"}\n'.encode())
    out = tmp_path / "o.jsonl"
    common = ("-c", cfg, "--workers", "1", "-o", out)
    ok = shinbun("run", src, *common, "--max-error-rate", "0.5")
    assert ok.returncode == 0 and "2 articles, 2 errors" in ok.stderr
    r = shinbun("run", src, *common, "--max-error-rate", "0.4")
    assert r.returncode == 3 and len(out.read_bytes().splitlines()) == 4
    assert r.stderr.splitlines()[-1] == "shinbun: error: 2 of 4 records are error records (50.0%), above --max-error-rate 0.4"
    content = tmp_path / "content.jsonl"
    content.write_text('{"id":"a","content":"x"}\n{"id":"b","content":"y"}\n', encoding="utf-8")
    r = shinbun("run", content, *common, "--quiet")
    assert r.returncode == 3
    assert r.stderr == "shinbun: error: all 2 records are error records (no article was processed)\n"
    assert shinbun("run", src, *common, "--max-error-rate", "1.5").returncode == 2  # out of range


def test_exit_status_3_when_the_input_holds_no_record(tmp_path):
    """An empty input (an upstream export that wrote nothing) is a run in which nothing worked:
    one line, status 3, not "0 articles" and status 0. A resumed run with nothing left is fine."""
    from tests.conftest import LIGHT_CONFIG

    cfg = tmp_path / "light.toml"
    cfg.write_text(LIGHT_CONFIG, encoding="utf-8")
    out = tmp_path / "o.jsonl"
    common = ("-c", cfg, "--workers", "1", "-o", out)
    for name, content in (("empty.jsonl", b""), ("blank.jsonl", b"\n  \n\n")):
        src = tmp_path / name
        src.write_bytes(content)
        r = shinbun("run", src, *common)
        assert r.returncode == 3, r.stderr
        assert r.stderr.splitlines()[-1] == ("shinbun: error: the input holds no record (0 articles read): nothing was "
                                             "processed (--allow-empty if that can be right)")
        allowed = shinbun("run", src, *common, "--allow-empty")
        assert allowed.returncode == 0 and allowed.stderr.startswith("0 articles, 0 errors")
        assert out.read_bytes() == b""
    r = shinbun("run", "-", *common, "--quiet", input="")
    assert r.returncode == 3
    assert r.stderr == ("shinbun: error: the input holds no record (0 articles read): nothing was processed "
                        "(--allow-empty if that can be right)\n")
    src = tmp_path / "one.jsonl"
    src.write_text('{"id":"a","text":"東京で地震。"}\n', encoding="utf-8")
    assert shinbun("run", src, *common).returncode == 0
    again = shinbun("run", src, *common, "--resume")
    assert again.returncode == 0, again.stderr
    assert "resumed: 1 records were already in the output" in again.stderr


def test_run_never_reads_or_overwrites_its_own_output(tmp_path):
    """-o naming the input would empty it before it is read; an output inside an input folder is
    not read back as articles (with --resume it would be, record by record, as it grows)."""
    from tests.conftest import LIGHT_CONFIG

    cfg = tmp_path / "light.toml"
    cfg.write_text(LIGHT_CONFIG, encoding="utf-8")
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    src = dumps / "a.jsonl"
    src.write_text('{"id":"a","text":"東京で地震。"}\n{"id":"b","text":"北京下雪。"}\n', encoding="utf-8")
    before = src.read_bytes()
    r = shinbun("run", src, "-c", cfg, "--workers", "1", "-o", src)
    assert r.returncode == 2 and src.read_bytes() == before
    assert r.stderr == f"shinbun: error: the output {src} is also an input: writing it would destroy the input; write to another file\n"
    r = shinbun("run", src, "-c", cfg, "--workers", "1", "-o", tmp_path / "s.json", "--summary-json", src)
    assert r.returncode == 2 and src.read_bytes() == before
    assert r.stderr == f"shinbun: error: the output {src} is also an input: writing it would destroy the input; write to another file\n"
    r = shinbun("run", src, "-c", cfg, "--workers", "1", "-o", tmp_path / "o.jsonl", "--errors", tmp_path / "o.jsonl")
    assert r.returncode == 2
    assert r.stderr == f"shinbun: error: {tmp_path / 'o.jsonl'} is named as two outputs: give each its own file\n"
    out = dumps / "out.jsonl"
    for extra in ((), ("--resume",), ()):
        r = shinbun("run", dumps, "-c", cfg, "--workers", "1", "-o", out, *extra)
        assert r.returncode == 0, r.stderr
        assert [json.loads(x)["id"] for x in out.read_bytes().splitlines()] == ["a", "b"]
        if extra:
            assert r.stderr.startswith("0 articles, 0 errors") and "resumed: 2 records were already in the output" in r.stderr


def test_an_input_folder_without_a_file_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / ".DS_Store").write_bytes(b"x")
    src = tmp_path / "a.jsonl"
    src.write_text('{"id":"a","text":"東京で地震。"}\n', encoding="utf-8")
    for folder in ("empty", "hidden"):
        r = shinbun("run", src, tmp_path / folder, "-o", tmp_path / "o.jsonl")
        assert r.returncode == 2
        assert r.stderr == f"shinbun: error: input folder {tmp_path / folder} holds no file (hidden files are not read)\n"
    assert not (tmp_path / "o.jsonl").exists()


def test_an_unwritable_summary_file_is_one_line(tmp_path):
    from tests.conftest import LIGHT_CONFIG

    cfg = tmp_path / "light.toml"
    cfg.write_text(LIGHT_CONFIG, encoding="utf-8")
    src = tmp_path / "a.jsonl"
    src.write_text('{"id":"a","text":"東京で地震。"}\n', encoding="utf-8")
    r = shinbun("run", src, "-c", cfg, "--workers", "1", "-o", tmp_path / "o.jsonl", "-q", "--summary-json", tmp_path / "no" / "s.json")
    assert r.returncode == 2
    assert r.stderr == f"shinbun: error: cannot write --summary-json {tmp_path / 'no' / 's.json'}: No such file or directory\n"
    assert len((tmp_path / "o.jsonl").read_bytes().splitlines()) == 1


def test_a_named_field_that_no_record_has_is_refused(tmp_path):
    """--id-field / --date-field / --title-field / --lang-field with a typo would give made-up ids
    or no dates, status 0; the first records are looked at before the run."""
    from tests.conftest import LIGHT_CONFIG

    cfg = tmp_path / "light.toml"
    cfg.write_text(LIGHT_CONFIG, encoding="utf-8")
    src = tmp_path / "n.csv"
    src.write_text("doc,content,day\nn1,東京で地震。,2024-05-08\nn2,北京下雪。,2024-05-09\n", encoding="utf-8")
    common = ("-c", cfg, "--workers", "1", "-o", tmp_path / "o.jsonl", "--quiet", "--text-field", "content")
    ok = shinbun("run", src, *common, "--id-field", "doc", "--date-field", "day")
    assert ok.returncode == 0, ok.stderr
    assert [json.loads(x)["published"] for x in (tmp_path / "o.jsonl").read_bytes().splitlines()] == ["2024-05-08", "2024-05-09"]
    r = shinbun("run", src, *common, "--id-field", "doc", "--date-field", "date")
    assert r.returncode == 2
    assert r.stderr == "shinbun: error: --date-field 'date': no record has such a field (the first 2 records have content, day, doc)\n"
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"id": "a", "text": "東京で地震。", "headline": "h"}\n', encoding="utf-8")
    r = shinbun("run", jsonl, "-c", cfg, "--workers", "1", "-o", tmp_path / "o.jsonl", "--title-field", "heading")
    assert r.returncode == 2
    assert r.stderr == "shinbun: error: --title-field 'heading': no record has such a field (the first record has headline, id, text)\n"
    assert shinbun("run", jsonl, "-c", cfg, "--workers", "1", "-o", tmp_path / "o.jsonl", "--title-field", "headline").returncode == 0
    # the text field is a field the records have; an input read once (a pipe) is not read ahead
    both = shinbun("run", src, *common, "--id-field", "doc", "--title-field", "content")
    assert both.returncode == 0, both.stderr
    piped = shinbun("run", "/dev/stdin", "-c", cfg, "--workers", "1", "-o", tmp_path / "p.jsonl", "--id-field", "doc",
                    input='{"doc": "d1", "text": "東京で地震。"}\n{"doc": "d2", "text": "北京下雪。"}\n')
    assert piped.returncode == 0, piped.stderr
    assert [json.loads(x)["id"] for x in (tmp_path / "p.jsonl").read_bytes().splitlines()] == ["d1", "d2"]
    (tmp_path / "-").write_text("a stray file named -", encoding="utf-8")  # `-` is still standard input
    dash = shinbun("run", "-", "-c", cfg, "--workers", "1", "-o", tmp_path / "p.jsonl", "--id-field", "doc",
                   input='{"doc": "d1", "text": "東京で地震。"}\n', cwd=tmp_path)
    assert dash.returncode == 0, dash.stderr
    assert [json.loads(x)["id"] for x in (tmp_path / "p.jsonl").read_bytes().splitlines()] == ["d1"]


def test_version_and_honest_workers_help():
    from pipeline import __version__

    r = shinbun("--version")
    assert r.returncode == 0 and r.stdout == f"shinbun {__version__}\n"
    assert shinbun("version").stdout == r.stdout
    import os

    help_text = " ".join(shinbun("run", "--help", env={**os.environ, "COLUMNS": "400"}).stdout.split())
    assert f"Worker processes (default: the number of CPU cores, {os.cpu_count()} here)." in help_text
    assert "[default: 0]" not in help_text


def test_run_without_output_on_a_terminal_asks_for_it(tmp_path):
    """A terminal on stdout: no flood of JSON, one line that asks for -o. Piped: stdout as before."""
    import os
    import pty

    src = tmp_path / "in.jsonl"
    src.write_text('{"id":"a","content":"x"}\n', encoding="utf-8")
    leader, follower = pty.openpty()
    try:
        r = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(src)], stdout=follower, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(follower)
        os.close(leader)
    assert r.returncode == 2
    assert r.stderr == "shinbun: error: give the output file with -o FILE (.jsonl, .jsonl.gz, .parquet), or -o - to print the records here\n"
    piped = shinbun("run", src, "--quiet", "--workers", "1")
    assert piped.returncode == 3 and json.loads(piped.stdout)["error"]["type"] == "MissingText"
