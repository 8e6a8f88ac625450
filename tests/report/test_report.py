"""pipeline.report and the `view` / `entities` / `stats` commands, without a browser."""

from __future__ import annotations

import csv
import gzip
import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from pipeline.io.typed import as_text
from pipeline.report import compute_stats, iter_records, write_aggregate, write_mentions, write_report
from pipeline.report.html import embed_json
from pipeline.report.tables import AGGREGATE_COLUMNS, MENTION_COLUMNS
from pipeline.report.records import NOT_A_RECORD, RecordsFormatError

EVIL_TITLE = '<script>alert("title")</script>'
META = {"schema_version": "1.0", "pipeline_version": "0", "config_hash": "x", "models": []}


def _ent(text: str, surface: str, label: str, *, nth: int = 0, sentence: int = 0, source: str = "test", **extra) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return {"start": start, "end": start + len(surface), "text": surface, "label": label, "sentence": sentence,
            "source": source, **extra}


def hand_made_records() -> list[dict]:
    """Three articles (one with an astral character, one with a malicious title), an error record."""
    ja_title = "𠮷野家、東京に新店舗"
    ja_text = ja_title + "\n𠮷野家は10日、東京で5億円を投資すると発表した。𠮷野家の社長が語った。\n関連記事: 大阪の新店舗"
    b0 = len(ja_title) + 1
    b1 = ja_text.index("\n関連記事")
    ja = {
        "id": "ja-yoshinoya", "lang": "ja", "text": ja_text, "title": ja_title, "published": "2024-01-10",
        "url": "https://example.com/ja/1", "body": [b0, b1],
        "boilerplate": [{"start": 0, "end": len(ja_title), "reason": "title"},
                        {"start": b1 + 1, "end": len(ja_text), "reason": "related_links"}],
        "sentences": [{"start": b0, "end": ja_text.index("𠮷野家の")}, {"start": ja_text.index("𠮷野家の"), "end": b1}],
        "entities": [
            _ent(ja_text, "𠮷野家", "ORG", nth=1, cluster=0, canonical="𠮷野家"),
            _ent(ja_text, "10日", "DATE", norm={"value": "2024-01-10"}),
            _ent(ja_text, "東京", "GPE", nth=1, cluster=1, canonical="東京"),
            _ent(ja_text, "5億円", "MONEY", norm={"value": "500000000", "currency": "JPY"}),
            _ent(ja_text, "𠮷野家", "ORG", nth=2, sentence=1, cluster=0, canonical="𠮷野家", score=0.875),
        ],
        "meta": META,
    }
    zh_text = "华为公司在深圳发布新手机，售价约5000元。华为表示，销量增长三成。"
    zh = {
        "id": "zh-evil", "lang": "zh-Hans", "text": zh_text, "title": EVIL_TITLE, "url": "javascript:alert('url')",
        "body": [0, len(zh_text)], "boilerplate": [], "sentences": [{"start": 0, "end": len(zh_text)}],
        "entities": [
            _ent(zh_text, "华为公司", "ORG", cluster=0, canonical="华为"),
            _ent(zh_text, "深圳", "GPE"),
            _ent(zh_text, "约5000元", "MONEY", norm={"value": "5000", "currency": "CNY", "qualifier": "approx"}),
            _ent(zh_text, "华为", "ORG", nth=1, cluster=0, canonical="华为"),
            _ent(zh_text, "三成", "PERCENT", norm={"value": "30"}),
        ],
        "meta": META,
    }
    tw_text = "台積電在高雄擴廠，投資新台幣1兆元至2兆元。</script><b>台積電</b>"
    tw = {
        "id": "zh-tw-1", "lang": "zh-Hant", "text": tw_text, "title": "台積電在高雄擴廠",
        "body": [0, len(tw_text)], "boilerplate": [], "sentences": [{"start": 0, "end": len(tw_text)}],
        "entities": [
            _ent(tw_text, "台積電", "ORG"),
            _ent(tw_text, "高雄", "GPE"),
            _ent(tw_text, "新台幣1兆元至2兆元", "MONEY",
                 norm={"value_min": "1000000000000", "value_max": "2000000000000", "currency": "TWD"}),
            _ent(tw_text, "台積電", "ORG", nth=1),
        ],
        "meta": META,
    }
    err = {"id": "bad-1", "error": {"stage": "entities", "type": "ValueError", "message": "boom </script><script>alert(2)</script>"}}
    return [ja, zh, tw, err]


def write_records(path: Path) -> Path:
    """The hand-made records plus one line that is not JSON, as JSONL (gzip if the name ends in .gz)."""
    lines = [json.dumps(r, ensure_ascii=False) for r in hand_made_records()] + ["{not json"]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


@pytest.fixture()
def records_file(tmp_path) -> Path:
    return write_records(tmp_path / "records.jsonl")


def shinbun(*args):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], capture_output=True, text=True)


def test_reader_keeps_every_line(records_file):
    recs = list(iter_records(records_file))
    assert [r.id for r in recs] == ["ja-yoshinoya", "zh-evil", "zh-tw-1", "bad-1", "records.jsonl:5"]
    assert [r.is_error for r in recs] == [False, False, False, True, True]
    assert recs[4].error["stage"] == "read" and recs[4].error["type"] == "JSONDecodeError"
    assert list(iter_records(records_file, limit=2))[-1].id == "zh-evil"


def test_reader_compressed_and_untrusted(tmp_path, records_file):
    import zstandard

    raw = records_file.read_bytes()
    gz = tmp_path / "r.jsonl.gz"
    gz.write_bytes(gzip.compress(raw))
    zst = tmp_path / "r.jsonl.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(raw))
    plain = [(r.id, r.text, len(r.entities)) for r in iter_records(records_file)]
    assert [(r.id, r.text, len(r.entities)) for r in iter_records(gz)][:4] == plain[:4]
    assert [(r.id, r.text, len(r.entities)) for r in iter_records(zst)][:4] == plain[:4]
    assert [r.id for r in iter_records(zst)][4] == "r.jsonl.zst:5"
    odd = tmp_path / "odd.jsonl"
    odd.write_bytes(b'{"id": 7, "text": "ab\\ud800c", "entities": [{"start": 0, "end": 9, "label": "ORG"},'
                    b' {"start": "0", "end": 1, "label": "ORG"}, {"start": 0, "end": 2, "label": "ORG", "text": "ab"}],'
                    b' "boilerplate": "x", "body": [5, 1]}\n[1,2]\n{"id": "x", "lang": 3}\n\n\xff\xfe\n{"id": "art", "text": "an article"}\n')
    recs = list(iter_records(odd))
    assert [r.id for r in recs] == ["7", "odd.jsonl:2", "x", "odd.jsonl:5", "art"]
    assert recs[1].error["type"] == "InvalidRecord" and recs[2].error["type"] == "InvalidRecord"
    assert recs[3].error["type"] in ("UnicodeDecodeError", "JSONDecodeError")
    assert recs[4].error == {"stage": "read", "type": "NotARecord", "message": NOT_A_RECORD}
    r = recs[0]
    assert r.text == "ab\ufffdc" and r.body == (0, 4) and r.invalid_entities == 2
    assert [(e.start, e.end, e.text) for e in r.entities] == [(0, 2, "ab")]


def test_stats_numbers(records_file):
    s = compute_stats(iter_records(records_file), top=2).as_dict()
    recs = hand_made_records()
    assert s["records"] == 5 and s["articles"] == 3 and s["errors"] == 2
    assert s["characters"] == sum(len(r["text"]) for r in recs[:3])
    assert s["body_characters"] == sum(r["body"][1] - r["body"][0] for r in recs[:3])
    assert s["mentions"] == 14 and s["invalid_entities"] == 0
    assert s["languages"] == {"ja": 1, "zh-Hans": 1, "zh-Hant": 1}
    assert s["error_stages"] == {"entities": 1, "read": 1}
    assert s["labels"] == {
        "ORG": {"mentions": 6, "articles": 3, "entities": 3},
        "MONEY": {"mentions": 3, "articles": 3, "entities": 3},
        "GPE": {"mentions": 3, "articles": 3, "entities": 3},
        "DATE": {"mentions": 1, "articles": 1, "entities": 1},
        "PERCENT": {"mentions": 1, "articles": 1, "entities": 1},
    }
    # by articles, then mentions, then text; canonical form when present
    assert s["top"]["ORG"] == [{"entity": "华为", "articles": 1, "mentions": 2},
                               {"entity": "台積電", "articles": 1, "mentions": 2}]
    assert s["top"]["GPE"][0] == {"entity": "東京", "articles": 1, "mentions": 1}


def test_stats_cli(records_file):
    r = shinbun("stats", records_file, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["articles"] == 3
    r = shinbun("stats", records_file)
    assert r.returncode == 0, r.stderr
    assert "articles" in r.stdout and "華" not in r.stdout and "华为" in r.stdout
    assert shinbun("stats", records_file.parent / "missing.jsonl").returncode == 2


EXPECTED_MENTIONS = [
    # article_id, lang, label, text, start, end, sentence, cluster, canonical, value, value_min, value_max, currency, qualifier, source, score
    ("ja-yoshinoya", "ja", "ORG", "𠮷野家", 11, 14, 0, 0, "𠮷野家", None, None, None, None, None, "test", None),
    ("ja-yoshinoya", "ja", "DATE", "10日", 15, 18, 0, None, None, "2024-01-10", None, None, None, None, "test", None),
    ("ja-yoshinoya", "ja", "GPE", "東京", 19, 21, 0, 1, "東京", None, None, None, None, None, "test", None),
    ("ja-yoshinoya", "ja", "MONEY", "5億円", 22, 25, 0, None, None, "500000000", None, None, "JPY", None, "test", None),
    ("ja-yoshinoya", "ja", "ORG", "𠮷野家", 36, 39, 1, 0, "𠮷野家", None, None, None, None, None, "test", 0.875),
    ("zh-evil", "zh-Hans", "ORG", "华为公司", 0, 4, 0, 0, "华为", None, None, None, None, None, "test", None),
    ("zh-evil", "zh-Hans", "GPE", "深圳", 5, 7, 0, None, None, None, None, None, None, None, "test", None),
    ("zh-evil", "zh-Hans", "MONEY", "约5000元", 15, 21, 0, None, None, "5000", None, None, "CNY", "approx", "test", None),
    ("zh-evil", "zh-Hans", "ORG", "华为", 22, 24, 0, 0, "华为", None, None, None, None, None, "test", None),
    ("zh-evil", "zh-Hans", "PERCENT", "三成", 31, 33, 0, None, None, "30", None, None, None, None, "test", None),
    ("zh-tw-1", "zh-Hant", "ORG", "台積電", 0, 3, 0, None, None, None, None, None, None, None, "test", None),
    ("zh-tw-1", "zh-Hant", "GPE", "高雄", 4, 6, 0, None, None, None, None, None, None, None, "test", None),
    ("zh-tw-1", "zh-Hant", "MONEY", "新台幣1兆元至2兆元", 11, 21, 0, None, None, None, "1000000000000", "2000000000000", "TWD", None, "test", None),
    ("zh-tw-1", "zh-Hant", "ORG", "台積電", 34, 37, 0, None, None, None, None, None, None, None, "test", None),
]


_NONE = (None,) * 10
TYPED_EXTRAS = {
    # (article_id, text): value_note, amount, amount_min, amount_max, percent, percent_min, percent_max, date_start, date_end, date_granularity
    ("ja-yoshinoya", "10日"): (None,) * 7 + (date(2024, 1, 10), date(2024, 1, 10), "day"),
    ("ja-yoshinoya", "5億円"): (None, Decimal("500000000")) + (None,) * 8,
    ("zh-evil", "约5000元"): (None, Decimal("5000")) + (None,) * 8,
    ("zh-evil", "三成"): (None,) * 4 + (Decimal("30"),) + (None,) * 5,
    ("zh-tw-1", "新台幣1兆元至2兆元"): (None, None, Decimal("1000000000000"), Decimal("2000000000000")) + (None,) * 6,
}


def full_mentions(typed: bool = True) -> list[tuple]:
    """EXPECTED_MENTIONS with value_note and the typed columns: Decimal and date (Parquet) or their text."""
    out = []
    for row in EXPECTED_MENTIONS:
        extra = TYPED_EXTRAS.get((row[0], row[3]), _NONE)
        out.append(row + (extra if typed else (extra[0], *as_text(extra[1:]))))
    return out


def test_expected_mentions_match_the_records():
    texts = {r["id"]: r["text"] for r in hand_made_records() if "text" in r}
    for row in EXPECTED_MENTIONS:
        assert texts[row[0]][row[4]:row[5]] == row[3]


def test_mentions_table_round_trips(tmp_path, records_file):
    import pyarrow.parquet as pq

    assert write_mentions(iter_records(records_file), tmp_path / "m.parquet") == len(EXPECTED_MENTIONS)
    table = pq.read_table(tmp_path / "m.parquet")
    assert tuple(table.column_names) == MENTION_COLUMNS
    assert [tuple(r.values()) for r in table.to_pylist()] == full_mentions()
    assert str(table.schema.field("amount").type) == "decimal128(38, 9)" and str(table.schema.field("date_end").type) == "date32[day]"
    assert str(table.schema.field("start").type) == "int64" and str(table.schema.field("score").type) == "double"

    write_mentions(iter_records(records_file), tmp_path / "m.jsonl")
    rows = [orjson.loads(x) for x in (tmp_path / "m.jsonl").read_bytes().splitlines()]
    assert [tuple(r[c] for c in MENTION_COLUMNS) for r in rows] == full_mentions(typed=False)
    assert rows[3]["amount"] == "500000000" and rows[1]["date_end"] == "2024-01-10"
    assert list(rows[0]) == list(MENTION_COLUMNS)

    write_mentions(iter_records(records_file), tmp_path / "m.csv")
    with open(tmp_path / "m.csv", encoding="utf-8", newline="") as fh:
        got = list(csv.reader(fh))
    assert tuple(got[0]) == MENTION_COLUMNS
    assert [tuple(r) for r in got[1:]] == [tuple("" if v is None else str(v) for v in row) for row in full_mentions(typed=False)]


def test_mentions_cli_deterministic_and_empty(tmp_path, records_file):
    for name in ("a.csv", "b.csv", "a.parquet", "b.parquet"):
        r = shinbun("entities", records_file, "-o", tmp_path / name)
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    r = shinbun("entities", records_file, "-o", "-")
    assert r.stdout == (tmp_path / "a.csv").read_text(encoding="utf-8")
    assert shinbun("entities", records_file, "-o", tmp_path / "x.xlsx").returncode == 2
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"id": "e", "error": {"stage": "read", "type": "X", "message": "m"}}\n')
    import pyarrow.parquet as pq

    assert write_mentions(iter_records(empty), tmp_path / "e.parquet") == 0
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0


def test_aggregate_counts(tmp_path, records_file):
    r = shinbun("entities", records_file, "--aggregate", "-o", tmp_path / "agg.csv")
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "agg.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == AGGREGATE_COLUMNS
    assert rows[1:] == [
        ["ORG", "华为", "1", "2"], ["ORG", "台積電", "1", "2"], ["ORG", "𠮷野家", "1", "2"],
        ["DATE", "10日", "1", "1"], ["GPE", "東京", "1", "1"], ["GPE", "深圳", "1", "1"], ["GPE", "高雄", "1", "1"],
        ["MONEY", "5億円", "1", "1"], ["MONEY", "新台幣1兆元至2兆元", "1", "1"], ["MONEY", "约5000元", "1", "1"],
        ["PERCENT", "三成", "1", "1"],
    ]
    # the same article twice counts articles once per article
    two = tmp_path / "two.jsonl"
    recs = hand_made_records()
    two.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [recs[1], {**recs[1], "id": "again"}]) + "\n", encoding="utf-8")
    write_aggregate(iter_records(two), tmp_path / "two.jsonl.out.jsonl")
    rows = [orjson.loads(x) for x in (tmp_path / "two.jsonl.out.jsonl").read_bytes().splitlines()]
    assert rows[0] == {"label": "ORG", "entity": "华为", "articles": 2, "mentions": 4}


def _embedded(html_text: str) -> dict:
    m = re.search(r'<script type="application/json" id="shinbun-data">(.*?)</script>', html_text, re.S)
    assert m
    return json.loads(m.group(1))


def test_html_escapes_everything(tmp_path, records_file):
    out = tmp_path / "report.html"
    r = shinbun("view", records_file, "-o", out)
    assert r.returncode == 0, r.stderr
    page = out.read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert page.count("<script") == 2  # the data block and the report's own script
    assert "</script><b>" not in page and "alert(2)</script>" not in page
    data_block = page.split('id="shinbun-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_block and ">" not in data_block
    data = _embedded(page)
    evil = next(a for a in data["articles"] if a["id"] == "zh-evil")
    assert evil["title"] == EVIL_TITLE and evil["url"] is None  # javascript: URLs are never links
    assert embed_json({"t": "</script><!--"}) == '{"t":"\\u003c/script\\u003e\\u003c!--"}'
    # the overview is rendered in Python: an entity text with markup shows escaped
    recs = hand_made_records()
    recs[1]["entities"][1]["canonical"] = EVIL_TITLE
    recs[1]["entities"][1]["cluster"] = 5
    evil_file = tmp_path / "evil.jsonl"
    evil_file.write_text(json.dumps(recs[1], ensure_ascii=False) + "\n", encoding="utf-8")
    write_report(iter_records(evil_file), tmp_path / "evil.html")
    page = (tmp_path / "evil.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_html_segments_are_exact(tmp_path, records_file):
    write_report(iter_records(records_file), tmp_path / "r.html")
    data = _embedded((tmp_path / "r.html").read_text(encoding="utf-8"))
    by_id = {a["id"]: a for a in data["articles"]}
    assert set(by_id) == {"ja-yoshinoya", "zh-evil", "zh-tw-1", "bad-1", "records.jsonl:5"}
    for rec in hand_made_records()[:3]:
        a = by_id[rec["id"]]
        # the pieces put back together are the text; each highlight is exactly its entity
        pieces = [a["ents"][p][1] if isinstance(p, int) else p for b in a["blocks"] for p in b[1]]
        assert "".join(pieces) == rec["text"]
        shown = [a["ents"][p] for b in a["blocks"] for p in b[1] if isinstance(p, int)]
        assert [(e[0], e[1], e[2], e[3]) for e in shown] == [(e["label"], e["text"], e["start"], e["end"]) for e in rec["entities"]]
    ja = by_id["ja-yoshinoya"]
    assert ja["ents"][0][1] == "𠮷野家" and ja["hl"] == "ja"
    assert [b[0] for b in ja["blocks"]] == ["boilerplate: title (10 chars)", None, "boilerplate: related_links (12 chars)"]
    assert data["sources"] == ["test"]
    assert ja["ents"][3] == ["MONEY", "5億円", 22, 25, 1, None, None, 0, None, "500000000", None, None, "JPY"]
    assert ja["ents"][4] == ["ORG", "𠮷野家", 36, 39, 1, "𠮷野家", 0, 0, 0.875]
    tw = by_id["zh-tw-1"]
    assert tw["ents"][2][9:] == [None, "1000000000000", "2000000000000", "TWD"] and tw["hl"] == "zh-Hant"
    assert by_id["zh-evil"]["ents"][2][9:] == ["5000", None, None, "CNY", "approx"]
    assert by_id["bad-1"]["err"]["type"] == "ValueError"


def test_view_filters(tmp_path, records_file):
    r = shinbun("view", records_file, "-o", tmp_path / "o.html", "--label", "PERCENT")
    assert r.returncode == 0, r.stderr
    data = _embedded((tmp_path / "o.html").read_text(encoding="utf-8"))
    assert [a["id"] for a in data["articles"]] == ["zh-evil", "bad-1", "records.jsonl:5"]
    assert [e[0] for e in data["articles"][0]["ents"]] == ["PERCENT"]
    r = shinbun("view", records_file, "-o", tmp_path / "q.html", "--query", "高雄", "--limit", "3")
    assert r.returncode == 0, r.stderr
    assert [a["id"] for a in _embedded((tmp_path / "q.html").read_text(encoding="utf-8"))["articles"]] == ["zh-tw-1"]


def test_overlapping_and_out_of_range_spans_do_not_break_the_view(tmp_path):
    text = "東京都庁で会見"
    rec = {"id": "o", "lang": "xx<y", "text": text, "body": [0, 7],
           "boilerplate": [{"start": 0, "end": 2, "reason": "a"}, {"start": 1, "end": 3, "reason": "b"}],
           "entities": [{"start": 0, "end": 4, "text": "東京都庁", "label": "FAC"}, {"start": 0, "end": 2, "text": "東京", "label": "GPE"},
                        {"start": 5, "end": 99, "text": "x", "label": "ORG"}]}
    p = tmp_path / "o.jsonl"
    p.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    write_report(iter_records(p), tmp_path / "o.html")
    a = _embedded((tmp_path / "o.html").read_text(encoding="utf-8"))["articles"][0]
    assert a["hl"] == "und"
    assert "".join(a["ents"][p][1] if isinstance(p, int) else p for b in a["blocks"] for p in b[1]) == text
    assert a["invalid"] == 1 and len(a["ents"]) == 2


def test_on_pipeline_output(tmp_path, nlp, sample_path):
    """The three commands on what `shinbun run` really writes."""
    from pipeline.io.readers import read_articles

    src = tmp_path / "sample.jsonl.gz"
    records = list(nlp.process_all(read_articles([sample_path])))
    src.write_bytes(gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in records)))
    n_mentions = sum(len(r.get("entities", [])) for r in records)
    assert shinbun("view", src, "-o", tmp_path / "s.html").returncode == 0
    data = _embedded((tmp_path / "s.html").read_text(encoding="utf-8"))
    assert len(data["articles"]) == len(records)
    for rec, a in zip(records, data["articles"]):
        if "error" in rec:
            continue
        pieces = [a["ents"][p][1] if isinstance(p, int) else p for b in a["blocks"] for p in b[1]]
        assert "".join(pieces) == rec["text"]
    assert shinbun("entities", src, "-o", tmp_path / "m.parquet").returncode == 0
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "m.parquet").num_rows == n_mentions
    r = shinbun("stats", src, "--json")
    assert json.loads(r.stdout)["mentions"] == n_mentions


def test_entities_filters_and_sort(tmp_path, records_file):
    def agg(*args, src=records_file):
        out = tmp_path / "agg.csv"
        r = shinbun("entities", src, "--aggregate", "-o", out, *args)
        assert r.returncode == 0, r.stderr
        return [tuple(row) for row in csv.reader(out.read_text(encoding="utf-8").splitlines())][1:]

    assert agg("--label", "ORG") == [("ORG", "华为", "1", "2"), ("ORG", "台積電", "1", "2"), ("ORG", "𠮷野家", "1", "2")]
    assert agg("--label", "org", "--lang", "zh") == [("ORG", "华为", "1", "2"), ("ORG", "台積電", "1", "2")]
    assert agg("--label", "ORG,GPE", "--lang", "zh-Hant") == [("ORG", "台積電", "1", "2"), ("GPE", "高雄", "1", "1")]
    assert agg("--min-articles", "2") == []
    # a label that no record can have (a typo) is refused, not an empty table
    for cmd in (["entities", records_file, "-o", tmp_path / "typo.csv"], ["view", records_file, "-o", tmp_path / "typo.html"],
                ["cooccur", records_file]):
        r = shinbun(*cmd, "--label", "ORG,PERSN")
        assert r.returncode == 2 and r.stdout == "", cmd
        assert r.stderr == ("shinbun: error: unknown label PERSN: the labels are PERSON, ORG, GPE, LOC, FAC, EVENT, "
                            "PRODUCT, MONEY, PERCENT, DATE\n")
    assert not (tmp_path / "typo.csv").exists() and not (tmp_path / "typo.html").exists()
    m = tmp_path / "m.csv"
    assert shinbun("entities", records_file, "--label", "MONEY", "--lang", "ja", "-o", m).returncode == 0
    rows = list(csv.DictReader(m.read_text(encoding="utf-8").splitlines()))
    assert [(r["article_id"], r["text"], r["amount"]) for r in rows] == [("ja-yoshinoya", "5億円", "500000000")]
    # articles first by default (as stats ranks), mentions first with --sort mentions
    two = tmp_path / "two.jsonl"
    text = "甲乙。乙乙乙。"
    recs = [{"id": "1", "lang": "ja", "text": text, "entities": [
                {"start": 0, "end": 1, "label": "ORG", "text": "甲"}, *[{"start": s, "end": s + 1, "label": "ORG", "text": "乙"} for s in (1, 3, 4, 5)]]},
            {"id": "2", "lang": "ja", "text": "甲。", "entities": [{"start": 0, "end": 1, "label": "ORG", "text": "甲"}]}]
    two.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    assert agg(src=two) == [("ORG", "甲", "2", "2"), ("ORG", "乙", "1", "4")]
    assert agg("--sort", "mentions", src=two) == [("ORG", "乙", "1", "4"), ("ORG", "甲", "2", "2")]
    stats = json.loads(shinbun("stats", two, "--json").stdout)
    assert [t["entity"] for t in stats["top"]["ORG"]] == ["甲", "乙"]
    for bad in (("--sort", "name", "--aggregate"), ("--min-articles", "2")):
        r = shinbun("entities", two, "-o", tmp_path / "x.csv", *bad)
        assert r.returncode == 2 and len(r.stderr.splitlines()) == 1


def test_aggregate_counts_script_forms_of_one_entity_together(tmp_path):
    """騰訊 (zh-Hant) and 腾讯 (zh-Hans) share a cross-script key: one row in the aggregate table and
    the overview, shown as the form with more mentions; the katakana form keeps its own row."""

    def rec(i, lang, text, forms):
        ents, pos = [], 0
        for form in forms:
            start = text.index(form, pos)
            pos = start + len(form)
            ents.append({"start": start, "end": pos, "text": form, "label": "ORG", "source": "t", "sentence": 0})
        return {"id": f"a{i}", "lang": lang, "text": text, "body": [0, len(text)], "boilerplate": [],
                "sentences": [{"start": 0, "end": len(text)}], "entities": ents}

    records = [
        rec(1, "zh-Hant", "騰訊與騰訊音樂", ["騰訊", "騰訊"]),
        rec(2, "zh-Hans", "腾讯发布财报", ["腾讯"]),
        rec(3, "ja", "テンセントが発表", ["テンセント"]),
    ]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "agg.csv"
    write_aggregate(iter_records(path), out)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "label,entity,articles,mentions", "ORG,騰訊,2,3", "ORG,テンセント,1,1"]
    assert compute_stats(iter_records(path), top=5).top["ORG"] == [
        {"entity": "騰訊", "articles": 2, "mentions": 3}, {"entity": "テンセント", "articles": 1, "mentions": 1}]


def test_a_file_of_input_articles_is_refused_before_anything_is_written(tmp_path):
    """``shinbun view articles.jsonl`` before ``shinbun run``: the first line has text but neither
    entities nor an error. The readers refuse the file at once, the commands say so in one line."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    articles = tmp_path / "articles.jsonl"
    articles.write_text('\n{"id": "a1", "lang": "ja", "text": "東京で会議。"}\n{"id": "a2", "text": "x", "entities": []}\n',
                        encoding="utf-8")
    with pytest.raises(RecordsFormatError, match=r"articles.jsonl is not a records file: line 2 is an object with text but no 'entities'"):
        iter_records(articles)
    report = tmp_path / "r.html"
    for args in (["view", str(articles), "-o", str(report)], ["stats", str(articles)],
                 ["entities", str(articles), "-o", str(tmp_path / "e.csv")]):
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 2, args
        assert out.stderr == (f"shinbun: error: {articles} is not a records file: line 2 is {NOT_A_RECORD} "
                              f"(run `shinbun run {articles} -o records.jsonl` first)\n")
    assert not report.exists() and not (tmp_path / "e.csv").exists()
    # a records file's later lines may be anything: each is read (an article line is an error record)
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"id": "r", "text": "x", "entities": []}\n{"id": "a", "text": "y"}\n', encoding="utf-8")
    assert [(r.id, r.error and r.error["type"]) for r in iter_records(mixed)] == [("r", None), ("a", "NotARecord")]
    assert [r.id for r in iter_records(mixed, limit=1)] == ["r"] and list(iter_records(mixed, limit=0)) == []
