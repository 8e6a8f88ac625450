"""Web pages -> articles: charset, main text, title and publication date.

Readers (``.html`` files, WARC responses in :mod:`pipeline.io.warc`, JSONL records with an
``html`` field) only wrap the page's bytes in an :class:`~pipeline.record.WebPage`; the pipeline
calls :func:`extract` in the worker that analyses the article, so extraction runs in parallel
like every other stage and the local and Ray runners treat pages alike.

- **Charset**: a byte-order mark, then the HTTP ``Content-Type`` header's charset, then the
  page's ``<meta charset>`` / ``<meta http-equiv>`` (in its first 8 KiB), then detection by
  charset-normalizer. The first that decodes the whole page without error is used, and
  ``meta.source.charset`` / ``charset_from`` (``bom``, ``http``, ``meta``, ``detected``) say
  which. A page that none decodes is an ``UndecodablePage`` error.
- **Text, title, date**: trafilatura extracts the main text and title; htmldate (called by
  trafilatura) finds the publication date from the page's metadata and markup only
  (``extensive_search`` off: no guessing from free text), never later than the capture date.
- Errors a page can end in (each an error record of stage ``read``): ``UndecodablePage``,
  ``EmptyExtraction`` (no main text found: an empty page, markup lxml cannot parse, a page
  without an article body). Stage
  ``language``: ``SkippedLanguage`` (see ``[pipeline] langs`` in docs/web-archives.md).

The libraries are the optional extra ``web`` (``pip install -e ".[web]"``), imported on first use.
"""

from __future__ import annotations

import codecs
import hashlib
import html as html_lib
import re
from collections.abc import Collection
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pipeline.io.compression import open_binary
from pipeline.record import Article, WebPage

HTML_EXT = {".html", ".htm", ".xhtml"}
WEB_EXTRA_HINT = ('reading web pages and WARC files needs the optional extra "web": pip install -e ".[web]" '
                  "(fastwarc, warcio, trafilatura, htmldate, charset-normalizer)")


class WebExtraMissing(ImportError):
    """The ``web`` extra is not installed."""


class PageError(Exception):
    """A page that yields no article; the subclass's name is the error record's type."""


class UndecodablePage(PageError):
    pass


class EmptyExtraction(PageError):
    pass


class SkippedLanguage(PageError):
    """The page's language is not one of ``[pipeline] langs``."""


_libs: dict[str, Any] = {}


def require() -> dict[str, Any]:
    """Import the ``web`` extra's libraries once; raise :class:`WebExtraMissing` with the fix."""
    if not _libs:
        try:
            import charset_normalizer
            import fastwarc.warc
            import trafilatura
        except ImportError as exc:
            raise WebExtraMissing(f"{WEB_EXTRA_HINT} ({exc})") from None
        _libs.update(trafilatura=trafilatura, charset_normalizer=charset_normalizer, fastwarc=fastwarc.warc)
    return _libs


def extractor_versions() -> dict[str, str]:
    out = {}
    for dist in ("trafilatura", "htmldate"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover - require() has imported them
            out[dist] = "unknown"
    return out


# --- charset ---------------------------------------------------------------------------------

# Labels that pages declare, mapped to the Python codec that decodes what browsers decode for
# them (the WHATWG Encoding Standard decodes Shift_JIS as windows-31j, GB2312/GBK as GB18030 and
# Big5 as Big5-HKSCS). Python's codec registry maps these labels to the strict legacy codecs,
# which fail on the vendor characters (①, ㈱, 髙, 堃...) that real pages use; webencodings has the
# WHATWG labels but the same strict codecs, hence this short table.
_SUPERSETS = {
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932",
                     "ms932", "x-ms-cp932"), "cp932"),
    **dict.fromkeys(("gb2312", "gbk", "gb18030", "x-gbk", "euc-cn", "cp936", "csgb2312", "chinese", "gb_2312-80",
                     "iso-ir-58", "x-euc-cn", "gb_2312", "ms936", "windows-936"), "gb18030"),
    **dict.fromkeys(("big5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5", "cp950", "big5hkscs"), "big5hkscs"),
    **dict.fromkeys(("euc-jp", "x-euc-jp", "cseucpkdfmtjapanese", "eucjp", "euc_jp"), "euc_jp"),
}
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    if key in _SUPERSETS:
        return _SUPERSETS[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def meta_charset(data: bytes) -> str | None:
    """The charset a page declares in a ``<meta>`` tag of its first 8 KiB, as written."""
    m = _META_CHARSET.search(data, 0, 8192)
    return m.group(1).decode("ascii") if m else None


def decode(data: bytes, http_charset: str | None = None) -> tuple[str, str, str]:
    """Decode a page: (text, codec, where the codec came from). Raises UndecodablePage."""
    candidates: list[tuple[str | None, str]] = [(codec, "bom") for bom, codec in _BOMS if data.startswith(bom)]
    candidates += [(_codec(http_charset), "http"), (_codec(meta_charset(data)), "meta")]
    tried = []
    for codec, origin in candidates:
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        try:
            return data.decode(codec), codec, origin
        except UnicodeDecodeError:
            continue
    best = require()["charset_normalizer"].from_bytes(data).best()
    if best is not None:
        codec = _codec(best.encoding) or best.encoding
        try:
            return data.decode(codec), codec, "detected"
        except (UnicodeDecodeError, LookupError):
            tried.append(codec)
    said = ", ".join(tried) if tried else "none declared"
    raise UndecodablePage(f"no charset decodes the page (tried: {said}; detection found none that does)")


# --- extraction ------------------------------------------------------------------------------

# Kana and the main Han blocks: a page with fewer than two of these cannot be Japanese or Chinese
# by pipeline.stages.langid's first rule, so with a language filter it is skipped unextracted.
_CJK = re.compile("[\u3041-\u30fa\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def has_cjk(text: str) -> bool:
    """True when ``text`` (markup included, character references resolved) has >= 2 kana/Han."""
    found = _CJK.finditer(html_lib.unescape(text) if "&#" in text else text)
    return next(found, None) is not None and next(found, None) is not None


def extract(article: Article, *, html_hash: bool = False, need_cjk: bool = False) -> Article:
    """The article of a page (``article.page``): text, title, published and ``source`` filled in.

    ``need_cjk``: raise SkippedLanguage before extracting a page without Japanese or Chinese
    characters (the language filter's cheap first step). Raises a PageError subclass."""
    page: WebPage = article.page  # type: ignore[assignment]
    libs = require()
    source = dict(article.source or {})
    if isinstance(page.html, str):
        markup = page.html
        raw = page.html.encode("utf-8")
        source["charset"], source["charset_from"] = None, "input"
    else:
        raw = page.html
        markup, codec, origin = decode(raw, page.http_charset)
        source["charset"], source["charset_from"] = codec, origin
    if html_hash:
        source["html_sha256"] = hashlib.sha256(raw).hexdigest()
    if need_cjk and not has_cjk(markup):
        raise SkippedLanguage("the page has no Japanese or Chinese characters")
    max_date = (page.capture_date or date.today().isoformat())[:10]
    params = {"original_date": True, "extensive_search": False, "max_date": max_date, "outputformat": "%Y-%m-%d"}
    doc = libs["trafilatura"].bare_extraction(markup, url=article.url, with_metadata=True, include_comments=False,
                                              date_extraction_params=params)
    text = (doc.text or "") if doc is not None else ""
    if not text.strip():
        raise EmptyExtraction("no main text found in the page (empty, unparseable, or no article body)")
    published, published_from = article.published, "input" if article.published else None
    if published is None and doc.date:
        published, published_from = doc.date, "page"
    if published is None and page.capture_date:
        published, published_from = page.capture_date[:10], "warc"
    if published_from is not None:
        source["published_from"] = published_from
    source["extractor"] = extractor_versions()
    return Article(id=article.id, text=text, title=article.title or doc.title or None, lang=article.lang,
                   published=published, url=article.url, meta=article.meta, position=article.position,
                   source=source)


# --- readers ---------------------------------------------------------------------------------


def iter_html_file(path: Path, position: int):
    """One ``.html`` file (optionally compressed) -> one page article, id = the file name."""
    with open_binary(path) as fh:
        data = fh.read()
    yield Article(id=path.name, text="", position=position, page=WebPage(html=data),
                  source={"format": "html", "file": str(path)})


def article_from_html_record(obj: dict[str, Any], art_id: str, position: int, known: Collection[str]) -> Article:
    """A JSONL record with an ``html`` field (a string) instead of ``text``."""

    def opt(key: str) -> str | None:
        value = obj.get(key)
        return None if value in (None, "") else str(value)

    meta = {k: v for k, v in obj.items() if k not in known and k != "html"}
    return Article(id=art_id, text="", title=opt("title"), lang=opt("lang"), published=opt("published"),
                   url=opt("url"), meta=meta, position=position, page=WebPage(html=obj["html"]),
                   source={"format": "jsonl"})
