"""Writes corpora/sample.warc.gz: the articles of corpora/sample.jsonl as simple news pages in a
WARC file, each page in the charset a site of its language might use (UTF-8, Shift_JIS, EUC-JP,
GBK, Big5; declared in the HTTP header or in a <meta> tag), each response after its request, as
a crawler writes them. Record ids and dates are derived from the article, so the file is the same
byte for byte on every run. ``shinbun run corpora/sample.warc.gz`` reads it (the extra ``web``).

    python -m scripts.data.make_warc [--input corpora/sample.jsonl] [--output corpora/sample.warc.gz]

:func:`write_warc` is also used by ``scripts.bench.bench_warc``.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import uuid
from collections.abc import Iterable
from pathlib import Path

import orjson

from pipeline.stages.langid import detect_language
from scripts import ROOT

# (encoding Python writes, the label the page declares, where: "http" header or "meta" tag)
CHARSETS = {
    "ja": [("utf-8", "utf-8", "http"), ("cp932", "Shift_JIS", "http"), ("euc_jp", "EUC-JP", "meta")],
    "zh-Hans": [("gbk", "GBK", "meta"), ("utf-8", "utf-8", "meta")],
    "zh-Hant": [("big5", "Big5", "http"), ("utf-8", "utf-8", "http")],
}


def news_page(article: dict, label: str, where: str) -> str:
    """A small news page: title, publication date, one <p> per line of the text, site chrome."""
    esc = html.escape
    meta = f'<meta charset="{label}">' if where == "meta" else ""
    date = article.get("published")
    date_tag = f'<meta property="article:published_time" content="{esc(date)}">' if date else ""
    paragraphs = "".join(f"<p>{esc(line)}</p>" for line in article["text"].split("\n") if line.strip())
    title = esc(article.get("title") or "")
    return (f"<!DOCTYPE html><html><head>{meta}<title>{title}</title>{date_tag}</head><body>"
            f"<header><nav><a href='/'>Home</a> | <a href='/world'>World</a></nav></header>"
            f"<main><article><h1>{title}</h1>{paragraphs}</article></main>"
            f"<footer>Sample pages written for shinbun</footer></body></html>")


def write_warc(path: Path, articles: Iterable[dict], date: str = "2024-06-01T00:00:00Z") -> int:
    """Write one request + one response record per article; returns the number of pages."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    n = 0
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for article in articles:
            choices = CHARSETS.get(detect_language(article["text"]), [("utf-8", "utf-8", "http")])
            encoding, label, where = choices[n % len(choices)]
            url = article.get("url") or f"https://example.com/page/{article['id']}"
            body = news_page(article, label, where).encode(encoding, errors="xmlcharrefreplace")
            ctype = f"text/html; charset={label}" if where == "http" else "text/html"
            seed = hashlib.sha256(f"{article['id']}".encode()).digest()
            for kind in ("request", "response"):
                record_id = f"<urn:uuid:{uuid.UUID(bytes=seed[:16] if kind == 'response' else seed[16:])}>"
                headers = {"WARC-Record-ID": record_id, "WARC-Date": date}
                if kind == "request":
                    http = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", "example.com")], is_http_request=True)
                    payload = b""
                else:
                    http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
                    payload = body
                writer.write_record(writer.create_warc_record(url, kind, payload=io.BytesIO(payload), http_headers=http,
                                                              warc_headers_dict=headers))
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, default=ROOT / "corpora" / "sample.jsonl")
    ap.add_argument("--output", type=Path, default=ROOT / "corpora" / "sample.warc.gz")
    args = ap.parse_args()
    with open(args.input, "rb") as fh:
        articles = [orjson.loads(line) for line in fh if line.strip()]
    n = write_warc(args.output, articles)
    print(f"{args.output}: {n} pages, {args.output.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
