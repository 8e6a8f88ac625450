"""Pages and WARC files that the web-input tests build for themselves (warcio's writer)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.core import Pipeline

warcio_writer = pytest.importorskip("warcio.warcwriter", reason='the optional extra "web" is not installed')
pytest.importorskip("fastwarc", reason='the optional extra "web" is not installed')
pytest.importorskip("trafilatura", reason='the optional extra "web" is not installed')
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402

JA = "東京都の小池百合子知事は５日、記者会見で新しい防災計画を発表した。計画には約３億円の予算が盛り込まれている。"
ZH_HANS = "国家主席习近平在北京会见了法国总统马克龙，双方就中法关系交换了意见。会谈持续了两个小时。"
ZH_HANT = "台北市長柯文哲今天在市議會接受質詢時表示，將持續推動公共住宅政策，並檢討預算分配。"
EN = "The prime minister met the president in Washington on Tuesday to discuss trade and security policy."


def page(body: str, title: str = "見出し", head: str = "") -> str:
    return (f"<html><head>{head}<title>{title}</title></head><body>"
            f"<article><p>{body}</p></article></body></html>")


def response(writer, url: str, payload: bytes, content_type: str | None, status: str = "200 OK", date: str | None = None):
    headers = [("Content-Type", content_type)] if content_type else []
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": date} if date else None
    return writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http,
                                     warc_headers_dict=warc_headers)


def write_warc(path: Path, records: list[tuple], gzip: bool = True) -> None:
    """``records``: (kind, url, payload bytes, content type) with kind response/request/metadata."""
    with open(path, "wb") as fh:
        writer = warcio_writer.WARCWriter(fh, gzip=gzip)
        for kind, url, payload, ctype in records:
            if kind == "response":
                rec = response(writer, url, payload, ctype, date="2024-05-06T01:02:03Z")
            else:
                rec = writer.create_warc_record(url, kind, payload=io.BytesIO(payload),
                                                warc_content_type=ctype or "application/warc-fields")
            writer.write_record(rec)


def light_pipeline(**pipeline_settings) -> Pipeline:
    """The pipeline without entity recognisers: what these tests check is reading and extraction."""
    overrides = {"recognizers": [], **{f"pipeline.{k}": v for k, v in pipeline_settings.items()}}
    return Pipeline(load_config(None, overrides))
