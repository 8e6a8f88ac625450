"""HTML input: .html files and directories of them, JSONL records with an ``html`` field, the
charset order (BOM, HTTP, <meta>, detection) and the pages that end in error records."""

from __future__ import annotations

import gzip

import orjson
import pytest
from web_pages import JA, ZH_HANS, ZH_HANT, light_pipeline, page

from pipeline.io import html as web_html
from pipeline.io.readers import read_articles
from pipeline.record import Article


@pytest.fixture(scope="module")
def nlp():
    return light_pipeline()


def test_directory_of_pages(tmp_path, nlp):
    (tmp_path / "a.html").write_bytes(page(JA, head='<meta charset="Shift_JIS">').encode("cp932"))
    (tmp_path / "b.htm.gz").write_bytes(gzip.compress(page(ZH_HANT, title="新聞", head='<meta charset="big5">').encode("big5")))
    items = list(read_articles([tmp_path]))
    assert [(it.id, it.position, it.source["format"]) for it in items] == [("a.html", 0, "html"), ("b.htm.gz", 1, "html")]
    recs = nlp.process_batch(items)
    assert [(r["text"], r["lang"], r["title"]) for r in recs] == [(JA, "ja", "見出し"), (ZH_HANT, "zh-Hant", "新聞")]
    assert [(r["meta"]["source"]["charset"], r["meta"]["source"]["charset_from"]) for r in recs] == [
        ("cp932", "meta"), ("big5hkscs", "meta")]
    assert "published" not in recs[0] and "published_from" not in recs[0]["meta"]["source"]


def test_page_date_wins_over_nothing(tmp_path, nlp):
    head = '<meta property="article:published_time" content="2023-11-02T08:00:00+09:00">'
    (tmp_path / "dated.html").write_text(page(JA, head=head), encoding="utf-8")
    rec = nlp.process(next(iter(read_articles([tmp_path / "dated.html"]))))
    assert rec["published"] == "2023-11-02" and rec["meta"]["source"]["published_from"] == "page"


def test_jsonl_records_with_html(tmp_path, nlp):
    path = tmp_path / "pages.jsonl"
    rows = [{"id": "p1", "html": page(ZH_HANS, title="新闻"), "url": "http://zh.example/1", "site": "x"},
            {"id": "p2", "html": page(JA), "published": "2024-02-03"},
            {"id": "p3", "html": 42}]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    recs = nlp.process_batch(list(read_articles([path])))
    assert (recs[0]["text"], recs[0]["url"], recs[0]["meta"]["input"]) == (ZH_HANS, "http://zh.example/1", {"site": "x"})
    assert recs[0]["meta"]["source"] == {"format": "jsonl", "charset": None, "charset_from": "input",
                                         "extractor": web_html.extractor_versions()}
    assert recs[1]["published"] == "2024-02-03" and recs[1]["meta"]["source"]["published_from"] == "input"
    assert recs[2] == {"id": "p3", "error": {"stage": "read", "type": "MissingText", "message": "record has no 'text' field (its fields: 'id', 'html')"}}


@pytest.mark.parametrize(
    ("data", "http", "expected"),
    [
        (b"\xef\xbb\xbf" + page(JA).encode(), "shift_jis", ("utf-8-sig", "bom")),
        (page(JA).encode("euc_jp"), "EUC-JP", ("euc_jp", "http")),
        (page(JA, head='<meta charset="utf-8">').encode("cp932"), "utf-8", None),  # both wrong: detected
        (page(ZH_HANS, head="<meta charset='GB2312'>").encode("gb18030"), None, ("gb18030", "meta")),
        (page(ZH_HANS * 3).encode("gbk"), "no-such-charset", ("gb18030", "detected")),
    ],
)
def test_charset_order(data, http, expected):
    text, codec, origin = web_html.decode(data, http)
    if expected is None:
        assert (codec, origin) == ("cp932", "detected")
    else:
        assert (codec, origin) == expected
    assert JA in text or ZH_HANS in text


def test_undecodable_page_is_an_error(monkeypatch, nlp):
    class NoMatch:
        def best(self):
            return None

    monkeypatch.setattr(web_html.require()["charset_normalizer"], "from_bytes", lambda data: NoMatch())
    art = Article(id="bad", text="", page=web_html.WebPage(html=b"<p>\xff\xfe\xfa</p>", http_charset="utf-8"))
    rec = nlp.process(art)
    assert rec == {"id": "bad", "error": {"stage": "read", "type": "UndecodablePage", "message":
                   "no charset decodes the page (tried: utf-8; detection found none that does)"}}


def test_empty_and_unparseable_pages_are_errors(nlp):
    for html in ("", "\x00\x00<<<>>>", "<html><body><script>var a = 1;</script></body></html>"):
        rec = nlp.process(Article(id="e", text="", page=web_html.WebPage(html=html)))
        assert rec["error"]["stage"] == "read" and rec["error"]["type"] == "EmptyExtraction"


def test_missing_extra_is_one_fatal_line(tmp_path, monkeypatch):
    from pipeline.io.readers import InputPathError

    (tmp_path / "a.html").write_text(page(JA), encoding="utf-8")

    def missing():
        raise web_html.WebExtraMissing(web_html.WEB_EXTRA_HINT)

    monkeypatch.setattr(web_html, "require", missing)
    with pytest.raises(InputPathError, match=r'pip install -e "\.\[web\]"'):
        list(read_articles([tmp_path / "a.html"]))
