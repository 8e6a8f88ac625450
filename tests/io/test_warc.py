"""WARC input: one item per response record, charsets, provenance, the language filter, and the
records and error records that come out of the pipeline."""

from __future__ import annotations

import hashlib

import pytest
from web_pages import EN, JA, ZH_HANS, ZH_HANT, light_pipeline, page, write_warc

from pipeline.io.readers import read_articles
from pipeline.record import Article, InputError
from tests.conftest import check_record

from warcio.archiveiterator import ArchiveIterator  # noqa: E402  (web_pages skips without the extra)

EMPTY = "<html><head><title>空のページです</title></head><body><script>var x = 1;</script></body></html>"
PAGES = [  # (url, text, encoding, Content-Type header, <meta> declaration, title)
    ("http://ja.example/utf8", JA, "utf-8", "text/html; charset=utf-8", "", "見出し"),
    ("http://ja.example/sjis", JA + "①", "cp932", "text/html; charset=Shift_JIS", "", "見出し"),
    ("http://ja.example/eucjp", JA, "euc_jp", "text/html", '<meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">', "見出し"),
    ("http://zh.example/gbk", ZH_HANS, "gbk", "text/html", '<meta charset="gbk">', "新闻"),
    ("http://zh.example/big5", ZH_HANT, "big5", "text/html; charset=big5", "", "新聞"),
]


def _records():
    out = [("warcinfo", "", b"software: test\r\n", None)]
    for url, text, enc, ctype, meta, title in PAGES:
        out.append(("request", url, b"GET / HTTP/1.1\r\nHost: example\r\n\r\n", "application/http; msgtype=request"))
        out.append(("response", url, page(text, title=title, head=meta).encode(enc), ctype))
        out.append(("metadata", url, b"fetchTimeMs: 12\r\n", None))
    out.append(("response", "http://img.example/a.png", b"\x89PNG\r\n\x1a\n....", "image/png"))
    out.append(("response", "http://en.example/news", page(EN, title="News").encode(), "text/html; charset=utf-8"))
    out.append(("response", "http://ja.example/empty", EMPTY.encode(), "text/html; charset=utf-8"))
    return out


@pytest.fixture(scope="module")
def warc_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("warc") / "crawl.warc.gz"
    write_warc(path, _records())
    return path


@pytest.fixture(scope="module")
def filtered():
    return light_pipeline(langs=["ja", "zh"])


def test_reader_yields_one_item_per_response_and_counts_the_rest(warc_file, capsys):
    items = list(read_articles([warc_file]))
    assert [it.position for it in items] == list(range(8))
    pages = [it for it in items if isinstance(it, Article)]
    assert [a.url for a in pages] == [p[0] for p in PAGES] + ["http://en.example/news", "http://ja.example/empty"]
    assert all(a.text == "" and a.page is not None for a in pages)
    assert [a.page.http_charset for a in pages[:5]] == ["utf-8", "shift_jis", None, None, "big5"]
    assert pages[0].page.capture_date == "2024-05-06T01:02:03Z"
    png = items[5]
    assert isinstance(png, InputError) and png.type == "NotHTML"
    assert png.message == "http://img.example/a.png: HTTP 200 image/png, not an HTML page"
    assert "crawl.warc.gz: records that hold no page, not read: 5 metadata, 5 request, 1 warcinfo" in capsys.readouterr().err


def test_offsets_seek_back_to_the_record(warc_file):
    pages = [it for it in read_articles([warc_file]) if isinstance(it, Article)]
    with open(warc_file, "rb") as fh:
        for art in pages:
            fh.seek(art.source["warc_offset"])
            rec = next(iter(ArchiveIterator(fh)))
            assert rec.rec_headers.get_header("WARC-Record-ID") == art.id == art.source["warc_record_id"]
            assert rec.rec_headers.get_header("WARC-Target-URI") == art.url


def test_records_charsets_and_errors(warc_file, filtered):
    recs = filtered.process_batch(list(read_articles([warc_file])))
    assert len(recs) == 8
    for rec in recs:
        check_record(rec)  # meta.source and the error records against the published schema
    expected = [  # text, lang, charset, charset_from
        (JA, "ja", "utf-8", "http"),
        (JA + "①", "ja", "cp932", "http"),
        (JA, "ja", "euc_jp", "meta"),
        (ZH_HANS, "zh-Hans", "gb18030", "meta"),
        (ZH_HANT, "zh-Hant", "big5hkscs", "http"),
    ]
    for rec, (url, *_, title), (text, lang, charset, origin) in zip(recs, PAGES, expected):
        assert (rec["text"], rec["lang"], rec["url"], rec["title"]) == (text, lang, url, title)
        assert rec["published"] == "2024-05-06"
        src = rec["meta"]["source"]
        assert (src["charset"], src["charset_from"], src["published_from"]) == (charset, origin, "warc")
        assert src["format"] == "warc" and src["file"].endswith("crawl.warc.gz") and src["warc_record_id"] == rec["id"]
        assert src["warc_date"] == "2024-05-06T01:02:03Z"
        assert set(src["extractor"]) == {"trafilatura", "htmldate"}
        assert "html_sha256" not in src
    assert recs[5]["error"]["type"] == "NotHTML" and recs[5]["error"]["stage"] == "read"
    assert recs[6]["error"] == {"stage": "language", "type": "SkippedLanguage",
                                "message": "the page has no Japanese or Chinese characters"}
    assert recs[7]["error"]["stage"] == "read" and recs[7]["error"]["type"] == "EmptyExtraction"


def test_without_a_filter_the_english_page_is_an_und_record(warc_file):
    nlp = light_pipeline()
    rec = nlp.process_batch(list(read_articles([warc_file])))[6]
    assert (rec["lang"], rec["text"], rec["title"], rec["entities"]) == ("und", EN, "News", [])


def test_keep_other_langs_writes_und_records_with_the_reason(warc_file):
    nlp = light_pipeline(langs=["zh"], keep_other_langs=True)
    recs = nlp.process_batch(list(read_articles([warc_file])))
    assert [r.get("lang") for r in recs] == ["und", "und", "und", "zh-Hans", "zh-Hant", None, "und", None]
    assert recs[0]["warnings"] == ["language ja is not one of [pipeline] langs ['zh']: written as und, not analysed"]
    assert recs[0]["sentences"] == [] and recs[0]["text"] == JA
    assert recs[6]["warnings"] == ["language und is not one of [pipeline] langs ['zh']: written as und, not analysed"]


def test_language_filter_after_extraction(warc_file):
    recs = light_pipeline(langs=["ja"]).process_batch(list(read_articles([warc_file])))
    assert [r["error"]["type"] if "error" in r else r["lang"] for r in recs] == [
        "ja", "ja", "ja", "SkippedLanguage", "SkippedLanguage", "NotHTML", "SkippedLanguage", "EmptyExtraction"]
    assert recs[3]["error"]["message"] == "language zh-Hans is not one of [pipeline] langs ['ja']"


def test_html_hash_switch(warc_file):
    from pipeline.config import load_config
    from pipeline.core import Pipeline

    nlp = Pipeline(load_config(None, {"recognizers": [], "web.html_hash": True}))
    rec = nlp.process(next(iter(read_articles([warc_file]))))
    raw = page(JA).encode("utf-8")
    assert rec["meta"]["source"]["html_sha256"] == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("gzip", [True, False])
def test_truncated_last_record_is_an_error(tmp_path, gzip):
    path = tmp_path / ("cut.warc.gz" if gzip else "cut.warc")
    write_warc(path, [("response", "http://ja.example/1", page(JA).encode(), "text/html; charset=utf-8"),
                      ("response", "http://ja.example/2", page(JA * 20).encode(), "text/html; charset=utf-8")],
                      gzip=gzip)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])
    items = list(read_articles([path]))
    assert isinstance(items[0], Article) and items[0].url == "http://ja.example/1"
    assert len(items) == 2 and isinstance(items[1], InputError)
    assert items[1].type == "TruncatedRecord" and items[1].position == 1


def test_whole_file_has_no_truncation_error(tmp_path):
    path = tmp_path / "whole.warc"
    write_warc(path, [("response", "http://ja.example/1", page(JA).encode(), "text/html; charset=utf-8")], gzip=False)
    items = list(read_articles([path]))
    assert len(items) == 1 and isinstance(items[0], Article)


def test_non_2xx_response_is_not_a_page(tmp_path):
    import io

    from warcio.warcwriter import WARCWriter
    from web_pages import response

    path = tmp_path / "redirect.warc.gz"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(response(writer, "http://ja.example/old", b"", "text/html", status="301 Moved Permanently"))
    (item,) = list(read_articles([path]))
    assert isinstance(item, InputError) and item.type == "NotHTML"
    assert item.message == "http://ja.example/old: HTTP 301 text/html, not an HTML page"
    assert io  # the writer takes file objects; io is used by web_pages.response
