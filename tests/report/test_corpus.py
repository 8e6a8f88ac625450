"""Corpus questions: the cross-script entity key, entities over time, co-occurrence, KWIC, the alias
file, and the DuckDB file (``shinbun db``) that answers the same questions with SQL.

The corpus is tests/report/corpus_data.py; the expected numbers below are counted by hand from it.
"""

from __future__ import annotations

import csv
import io
import math
import subprocess
import sys
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.record import Article, Document, Entity
from pipeline.report import corpus as C
from pipeline.report import db as D
from pipeline.report.corpus_html import corpus_view_data
from pipeline.report.html import write_report
from pipeline.report.records import iter_records
from pipeline.serialize import to_record
from pipeline.stages.entity_key import entity_key, query_keys
from tests.report.corpus_data import corpus_records, write_corpus

duckdb = pytest.importorskip("duckdb", reason="duckdb is a dependency of shinbun: pip install duckdb")


@pytest.mark.parametrize(("form", "lang", "key"), [
    ("騰訊", "zh-Hant", "腾讯"),
    ("腾讯", "zh-Hans", "腾讯"),
    ("騰訊", "ja", "腾讯"),
    ("陳菊紅", "ja", "陈菊红"),
    ("陈菊红", "zh-Hans", "陈菊红"),
    ("広島", "ja", "广岛"),        # shinjitai -> Traditional -> Simplified, in a Japanese record
    ("廣島", "zh-Hant", "广岛"),
    ("芸", "zh-Hans", "芸"),       # in Chinese 芸 is its own character, not 藝
    ("芸能", "ja", "艺能"),
    ("テンセント", "ja", "テンセント"),  # kana keeps its own key
    ("ﾃﾝｾﾝﾄ", "ja", "テンセント"),      # half-width katakana
    ("ＴＥＮＣＥＮＴ", "zh-Hans", "tencent"),  # full-width Latin, case
    ("Tencent", "und", "tencent"),
])
def test_entity_key(form, lang, key):
    assert entity_key(form, lang) == key


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=12),
       st.sampled_from(["ja", "zh-Hans", "zh-Hant", "und"]))
def test_entity_key_of_han_text_keeps_its_length_and_has_no_traditional_left(form, lang):
    from pipeline.stages.zh_script import to_simplified

    k = entity_key(form, lang)
    assert len(k) == len(unicodedata.normalize("NFKC", form))
    assert k == entity_key(form, lang)
    # a Traditional rendering of the key folds back onto a key of the same length
    assert len(entity_key(k, "zh-Hant")) == len(k) and to_simplified(k) == entity_key(k, "zh-Hans")


def test_query_keys_reads_a_typed_form_as_japanese_and_as_chinese():
    assert query_keys("騰訊") == ("腾讯",)
    assert set(query_keys("広島")) == {"広岛", "广岛"}


def test_every_serialized_entity_has_the_key_last():
    text = "騰訊と陳菊紅"
    doc = Document(article=Article(id="x", text=text), lang="ja", entities=[
        Entity(0, 2, "ORG", "test", cluster=0, canonical="騰訊"), Entity(3, 6, "PERSON", "test"),
        Entity(2, 3, "MONEY", "test", norm={"value": "1"}),
    ])
    ents = to_record(doc, {})["entities"]
    assert [list(e)[-1] for e in ents] == ["key", "key", "key"]
    assert [e["key"] for e in ents] == ["腾讯", "陈菊红", "と"]


def test_the_schema_requires_the_key():
    import jsonschema

    from pipeline.schema import validate

    rec = to_record(Document(article=Article(id="x", text="騰訊"), lang="zh-Hant",
                             entities=[Entity(0, 2, "ORG", "test")]), {"schema_version": "1.0", "pipeline_version": "0",
                                                                       "config_hash": "x", "models": []})
    validate(rec)
    del rec["entities"][0]["key"]
    with pytest.raises(jsonschema.ValidationError, match="is not valid under any of the given schemas"):
        validate(rec)


@pytest.mark.parametrize(("published", "expected"), [
    ("2024-03-05", date(2024, 3, 5)),
    ("2024-03-05T23:30:00+09:00", date(2024, 3, 5)),  # the date as written, no time-zone arithmetic
    ("2024-03", None), ("2024-02-30", None), ("20240305", None), ("昨日", None), (None, None), ("2024-03-051", None),
])
def test_published_date(published, expected):
    assert C.published_date(published) == expected


@pytest.mark.parametrize(("days", "period"), [(0, "day"), (62, "day"), (63, "week"), (731, "week"), (732, "month")])
def test_choose_period(days, period):
    first = date(2020, 1, 1)
    assert C.choose_period(first, date.fromordinal(first.toordinal() + days)) == period


def test_bucket_start():
    d = date(2024, 3, 15)  # a Friday
    assert [C.bucket_start(d, p) for p in C.PERIODS] == [d, date(2024, 3, 11), date(2024, 3, 1)]
    with pytest.raises(ValueError):
        C.bucket_start(d, "year")


@pytest.fixture()
def records_path(tmp_path) -> Path:
    return write_corpus(tmp_path / "corpus.jsonl")


@pytest.fixture()
def alias_path(tmp_path) -> Path:
    p = tmp_path / "aliases.tsv"
    p.write_text("# form\tkey\nテンセント\t騰訊\n\n", encoding="utf-8")
    return p


def _index(path, aliases=None):
    return C.build_index(iter_records(path), aliases=aliases)


TENCENT_MONTHS = [("ORG", "腾讯", "腾讯", "month", "2024-01-01", 2, 3), ("ORG", "腾讯", "腾讯", "month", "2024-03-01", 1, 1),
                  ("ORG", "腾讯", "腾讯", "month", "2024-04-01", 1, 1), ("ORG", "腾讯", "腾讯", "month", None, 2, 2)]


def test_timeline_by_month(records_path):
    rows = C.timeline_rows(_index(records_path), "month")
    assert rows[:4] == TENCENT_MONTHS
    assert [r for r in rows if r[1] == "陈菊红"] == [("PERSON", "陈菊红", "陳菊紅", "month", b, 1, 1)
                                                    for b in ("2024-01-01", "2024-02-01", "2024-03-01")]
    # no article is dropped: undated rows carry a5 (no published) and a8 (a month only)
    assert sum(r[5] for r in rows if r[1] == "腾讯") == 6
    assert sum(r[6] for r in rows if r[1] == "腾讯") == 7


def test_timeline_auto_picks_weeks_for_a_span_of_88_days(records_path):
    rows = C.timeline_rows(_index(records_path), "auto")
    assert {r[3] for r in rows} == {"week"}
    assert [(r[4], r[5], r[6]) for r in rows if r[1] == "腾讯"] == [
        ("2024-01-01", 1, 2), ("2024-01-15", 1, 1), ("2024-03-11", 1, 1), ("2024-04-01", 1, 1), (None, 2, 2)]


def test_aliases_merge_keys(records_path, alias_path):
    aliases = C.Aliases.load(alias_path)
    assert aliases.mapping == {"テンセント": "腾讯"}
    rows = C.timeline_rows(_index(records_path, aliases), "month")
    assert [(r[4], r[5], r[6]) for r in rows if r[1] == "腾讯"] == [
        ("2024-01-01", 2, 3), ("2024-02-01", 1, 1), ("2024-03-01", 1, 1), ("2024-04-01", 1, 1), (None, 2, 2)]
    assert not [r for r in rows if r[1] == "テンセント"]


@pytest.mark.parametrize(("content", "message"), [
    ("テンセント\n", "two tab-separated columns"),
    ("テンセント\t腾讯\textra\n", "two tab-separated columns"),
    ("テンセント\t腾讯\nテンセント\t华为\n", "already an alias"),
])
def test_bad_alias_files_fail_with_the_line(tmp_path, content, message):
    p = tmp_path / "a.tsv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(C.AliasError, match=message) as exc:
        C.Aliases.load(p)
    assert f"{p}:" in str(exc.value)


def _lift_pmi(both, a, b, n):
    lift = both * n / (a * b)
    return round(lift, 6), round(math.log2(lift), 6)


def test_cooccurrence_counts_and_scores(records_path):
    rows = C.cooccur_rows(_index(records_path))
    # N = 7 articles; 华为 in a1 a4 a5, 腾讯 in a1 a2 a4 a5 a6 a8, 陈菊红 in a2 a3 a4
    assert rows == [
        ("ORG", "华为", "华为", "ORG", "腾讯", "腾讯", 3, 2, 3, 6, *_lift_pmi(3, 3, 6, 7)),
        ("ORG", "腾讯", "腾讯", "PERSON", "陈菊红", "陳菊紅", 2, 1, 6, 3, *_lift_pmi(2, 6, 3, 7)),
    ]
    assert rows[0][10:] == (1.166667, 0.222392)
    one = C.cooccur_rows(_index(records_path), min_count=1, entity="騰訊")
    assert [(r[1], r[4], r[6], r[7]) for r in one] == [
        ("华为", "腾讯", 3, 2), ("腾讯", "陈菊红", 2, 1), ("深圳", "腾讯", 1, 1), ("广岛", "腾讯", 1, 1)]
    money = C.cooccur_rows(_index(records_path), min_count=1, labels=["MONEY", "GPE"])
    assert [(r[1], r[4]) for r in money] == [("广岛", "5亿元")]


def test_cooccurrence_with_aliases(records_path, alias_path):
    rows = C.cooccur_rows(_index(records_path, C.Aliases.load(alias_path)))
    assert [(r[1], r[4], r[6], r[7], r[8], r[9]) for r in rows] == [
        ("华为", "腾讯", 3, 2, 3, 7), ("腾讯", "陈菊红", 3, 2, 7, 3), ("广岛", "腾讯", 2, 1, 2, 7)]
    assert all(r[10:] == (1.0, 0.0) for r in rows)


TENCENT_KWIC = [
    ("a1", "2024-01-05", "zh-Hans", "ORG", "腾讯", "", "腾讯", "与华为在深", 0, 2, 0),
    ("a1", "2024-01-05", "zh-Hans", "ORG", "腾讯", "深圳合作。", "腾讯", "表示满意。", 11, 13, 1),
    ("a2", "2024-01-20", "zh-Hant", "ORG", "腾讯", "", "騰訊", "公布財報。", 0, 2, 0),
    ("a4", "2024-03-15", "zh-Hans", "ORG", "腾讯", "陈菊红与", "腾讯", "高管会面。", 4, 6, 0),
    ("a6", "2024-04-02", "zh-Hant", "ORG", "腾讯", "廣島與", "騰訊", "合作，投資", 3, 5, 0),
    ("a5", None, "ja", "ORG", "腾讯", "華為と", "騰訊", "が提携。", 3, 5, 0),
    ("a8", None, "zh-Hans", "ORG", "腾讯", "", "腾讯", "。", 0, 2, 0),
]


def test_kwic(records_path):
    assert C.kwic_rows(iter_records(records_path), "騰訊", width=5) == TENCENT_KWIC
    assert C.kwic_rows(iter_records(records_path), "腾讯", width=5, labels=["PERSON"]) == []


def _astral_records(tmp_path) -> Path:
    text = "𠮷野家\n社長と腾讯\t𠮷"
    rec = {"id": "x", "lang": "zh-Hans", "text": text, "published": "2024-05-01",
           "entities": [{"start": 7, "end": 9, "text": "腾讯", "label": "ORG", "sentence": 0, "source": "t"}]}
    p = tmp_path / "astral.jsonl"
    p.write_bytes(orjson.dumps(rec) + b"\n")
    return p


def test_kwic_counts_code_points_and_shows_line_breaks_as_spaces(tmp_path):
    p = _astral_records(tmp_path)
    expected = [("x", "2024-05-01", "zh-Hans", "ORG", "腾讯", "野家 社長と", "腾讯", " 𠮷", 7, 9, 0)]
    assert C.kwic_rows(iter_records(p), "腾讯", width=6) == expected
    D.load(iter_records(p), tmp_path / "a.duckdb")
    with D.connect(tmp_path / "a.duckdb") as con:
        assert D.kwic_rows(con, "腾讯", width=6) == expected


@pytest.fixture()
def db_path(tmp_path, records_path) -> Path:
    out = tmp_path / "corpus.duckdb"
    D.load(iter_records(records_path), out, sentences=True)
    return out


def test_db_answers_like_the_records(records_path, db_path, alias_path, tmp_path):
    idx = _index(records_path)
    with D.connect(db_path) as con:
        for by in ("auto", *C.PERIODS):
            assert D.timeline_rows(con, by) == C.timeline_rows(idx, by)
        for kw in ({}, {"min_count": 1}, {"min_count": 1, "entity": "騰訊"}, {"min_count": 1, "labels": ["MONEY", "GPE"]}):
            assert D.cooccur_rows(con, **kw) == C.cooccur_rows(idx, **kw)
        assert D.kwic_rows(con, "騰訊", width=5) == TENCENT_KWIC
    aliased = tmp_path / "aliased.duckdb"
    aliases = C.Aliases.load(alias_path)
    D.load(iter_records(records_path), aliased, aliases=aliases)
    idx = _index(records_path, aliases)
    with D.connect(aliased) as con:
        assert D.timeline_rows(con, "month") == C.timeline_rows(idx, "month")
        assert D.cooccur_rows(con) == C.cooccur_rows(idx)
        assert D.cooccur_rows(con, entity="テンセント", min_count=1) == C.cooccur_rows(idx, entity="テンセント", min_count=1)
        assert [r[6] for r in D.kwic_rows(con, "テンセント", width=5)] == [r[6] for r in C.kwic_rows(iter_records(records_path), "テンセント", aliases=aliases, width=5)]


def test_db_loads_in_batches_with_the_same_result(records_path, tmp_path, monkeypatch):
    monkeypatch.setattr(D, "BATCH_RECORDS", 2)
    small = tmp_path / "small.duckdb"
    D.load(iter_records(records_path), small)
    with D.connect(small) as con:
        assert D.timeline_rows(con, "week") == C.timeline_rows(_index(records_path), "week")
        assert con.execute("SELECT list(seq ORDER BY seq) FROM articles").fetchone()[0] == [0, 1, 2, 3, 4, 5, 7]


def test_db_tables_and_views(db_path):
    with D.connect(db_path) as con:
        def one(sql):
            return con.execute(sql).fetchall()

        assert one("SELECT articles, dated_articles, first_date, last_date, period FROM corpus") == [
            (7, 5, date(2024, 1, 5), date(2024, 4, 2), "week")]
        assert one("SELECT seq, article_id, type FROM errors") == [(6, "bad", "ValueError")]
        assert one("SELECT article_id, published, published_date FROM articles WHERE published_date IS NULL ORDER BY seq") == [
            ("a5", None, None), ("a8", "2024-04", None)]
        types = dict(one("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'mentions'"))
        assert (types["published_date"], types["amount"], types["value_date"]) == ("DATE", "DECIMAL(38,10)", "DATE")
        assert one("SELECT text, value, amount, currency FROM mentions WHERE label = 'MONEY'") == [
            ("5億元", "500000000", Decimal("500000000"), "CNY")]
        # mentions are stored sorted by key
        keys = [r[0] for r in one("SELECT key FROM mentions")]
        assert keys == sorted(keys)
        assert one("SELECT count(*), sum(mentions) FROM entity_articles WHERE key = '腾讯'") == [(6, 7)]
        assert one("SELECT entity, articles, mentions FROM entities WHERE key = '腾讯'") == [("腾讯", 6, 7)]
        assert one("SELECT article_id, cluster, canonical, key, mentions FROM clusters") == [("a1", 0, "腾讯", "腾讯", 2)]
        assert one("SELECT bucket, articles, mentions FROM entity_timeline_month WHERE key = '腾讯' ORDER BY bucket NULLS LAST") == [
            (date(2024, 1, 1), 2, 3), (date(2024, 3, 1), 1, 1), (date(2024, 4, 1), 1, 1), (None, 2, 2)]
        assert one("SELECT count(*) FROM entity_timeline") == one("SELECT count(*) FROM entity_timeline_week")
        lift, pmi = one("SELECT lift, pmi FROM cooccurrence WHERE key_a = '华为' AND key_b = '腾讯'")[0]
        assert (round(lift, 6), round(pmi, 6)) == _lift_pmi(3, 3, 6, 7)
        assert one("SELECT sentences FROM sentence_cooccurrence WHERE key_a = '华为' AND key_b = '腾讯'") == [(2,)]
        assert one("SELECT count(*) FROM sentences") == [(11,)]
        assert [r[5] for r in one("SELECT * FROM kwic('腾讯', 2)")][:3] == ["", "作。", ""]


def test_decimal_values_that_do_not_fit_are_left_out():
    assert D._decimal("1.5") == Decimal("1.5")
    assert D._decimal("0.00000000001") is None  # 11 decimal places
    assert D._decimal("1" + "0" * 28) is None
    assert D._decimal("abc") is None and D._decimal(None) is None


def test_is_duckdb(db_path, records_path):
    assert D.is_duckdb(db_path)
    assert not D.is_duckdb(records_path)
    with pytest.raises(D.NotADatabase):
        D.connect(records_path)


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_cli_commands_give_the_same_rows_from_records_and_from_the_db(records_path, tmp_path):
    db = tmp_path / "c.duckdb"
    r = _cli("db", records_path, "-o", db, "--sentences")
    assert r.returncode == 0, r.stderr
    assert "7 articles (5 dated, 2024-01-05 to 2024-04-02)" in r.stderr
    for args in (["entities", "{}", "--by", "month"], ["cooccur", "{}", "--min-count", "1"], ["kwic", "騰訊", "{}", "--width", "5"]):
        outs = []
        for src in (records_path, db):
            r = _cli(*[str(src) if a == "{}" else a for a in args])
            assert r.returncode == 0, r.stderr
            outs.append(r.stdout)
        assert outs[0] == outs[1]
    rows = list(csv.reader(io.StringIO(outs[0])))
    assert rows[0] == list(C.KWIC_COLUMNS)
    assert rows[1] == ["a1", "2024-01-05", "zh-Hans", "ORG", "腾讯", "", "腾讯", "与华为在深", "0", "2", "0"]
    assert rows[-1][0] == "a8" and rows[-1][1] == ""


def test_cli_writes_parquet_with_typed_columns(records_path, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "co.parquet"
    assert _cli("cooccur", records_path, "-o", out).returncode == 0
    t = pq.read_table(out)
    assert t.column_names == list(C.COOCCUR_COLUMNS)
    assert [str(t.schema.field(c).type) for c in ("articles", "sentences", "lift", "pmi")] == ["int64", "int64", "double", "double"]
    assert t.column("lift").to_pylist() == [1.166667, 0.777778]


def test_cli_aliases_and_errors(records_path, alias_path, tmp_path):
    r = _cli("entities", records_path, "--by", "month", "--aliases", alias_path)
    assert r.returncode == 0 and "ORG,腾讯,腾讯,month,2024-02-01,1,1" in r.stdout.splitlines()
    r = _cli("entities", records_path, "--by", "year")
    assert r.returncode == 2 and "--by must be auto, day, week or month" in r.stderr
    db = tmp_path / "c.duckdb"
    assert _cli("db", records_path, "-o", db, "--aliases", alias_path).returncode == 0
    r = _cli("cooccur", db, "--aliases", alias_path)
    assert r.returncode == 2 and "aliases are applied when the database is written" in r.stderr
    r = _cli("entities", db, "--by", "week", "--limit", "3")
    assert r.returncode == 2 and "--limit applies to records files" in r.stderr
    r = _cli("kwic", "x", db, records_path)
    assert r.returncode == 2 and "one DuckDB file" in r.stderr
    r = _cli("cooccur", records_path, "-o", tmp_path / "x.xlsx")
    assert r.returncode == 2 and "unknown output format" in r.stderr
    bad = tmp_path / "bad.tsv"
    bad.write_text("onlyone\n", encoding="utf-8")
    r = _cli("db", records_path, "-o", db, "--aliases", bad)
    assert r.returncode == 2 and "bad.tsv:1" in r.stderr


def test_report_corpus_data_and_article_limit(records_path, tmp_path):
    data = corpus_view_data(C.build_index(iter_records(records_path), kwic_per_entity=2, kwic_width=3))
    assert data["period"] == "week" and data["buckets"][0] == "2024-01-01" and data["buckets"][-1] == "2024-04-01"
    assert len(data["buckets"]) == 14
    tencent = data["ents"][0]
    assert tencent[:6] == ["ORG", "腾讯", "腾讯", 6, 7, 2]
    assert sum(tencent[6]) == 4 and tencent[6][0] == 1 and tencent[6][2] == 1
    assert [p[2:5] for p in tencent[7]] == [["华为", 3, 2], ["陳菊紅", 2, 1]]
    assert tencent[8] == [["a1", "2024-01-05", "zh-Hans", "", "腾讯", "与华为"], ["a1", "2024-01-05", "zh-Hans", "合作。", "腾讯", "表示满"]]
    assert "MONEY" not in {e[0] for e in data["ents"]}
    out = tmp_path / "r.html"
    summary = write_report(iter_records(records_path), out, max_articles=2)
    assert (summary.included, summary.embedded) == (8, 2)
    page = out.read_text(encoding="utf-8")
    assert "Article bodies: the first 2 of the 8 records are included" in page
    assert page.count('"id":"a') == 2
    write_report(iter_records(records_path), out)
    assert "Article bodies" not in out.read_text(encoding="utf-8")


def test_records_without_a_key_get_the_same_key(tmp_path):
    recs = corpus_records()
    assert all("key" not in e for r in recs if "entities" in r for e in r["entities"])
    keyed = [e.script_key for r in iter_records(write_corpus(tmp_path / "c.jsonl")) for e in r.entities]
    assert keyed.count("腾讯") == 7 and keyed.count("陈菊红") == 3
