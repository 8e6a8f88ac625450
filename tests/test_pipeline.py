"""The whole pipeline, end to end, through the API: invariants, error paths, determinism."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.io.readers import read_articles
from pipeline.record import Article, InputError
from tests.conftest import check_record


def test_sample_corpus_records_are_valid(nlp, sample_path):
    records = [nlp.process(item) for item in read_articles([sample_path])]
    assert len(records) == 13
    for rec in records:
        check_record(rec)
    by_id = {r["id"]: r for r in records}
    assert by_id["ja-charity-001"]["lang"] == "ja"
    assert by_id["zh-finance-006"]["lang"] == "zh-Hans"
    assert by_id["zh-hant-011"]["lang"] == "zh-Hant"  # no lang given: detected
    assert by_id["en-013"]["lang"] == "und" and by_id["en-013"]["entities"] == []
    assert any("und" in w for w in by_id["en-013"]["warnings"])
    assert by_id["ja-charity-001"]["meta"]["input"] == {"source": "sample/translated"}


def test_scraped_page_body_and_boilerplate(nlp, sample_path):
    rec = next(nlp.process(a) for a in read_articles([sample_path]) if a.id == "ja-charity-001")
    text = rec["text"]
    body_end = rec["body"][1]
    assert text[:body_end].endswith("テンセント財団は500億元の使途を毎年公表する方針だ。")
    junk = text[body_end:]
    covered = "".join(text[b["start"] : b["end"]] for b in rec["boilerplate"] if b["start"] >= body_end)
    # Every non-space character after the body is inside a boilerplate span.
    assert "".join(junk.split()) == "".join(covered.split())
    reasons = {b["reason"] for b in rec["boilerplate"]}
    assert {"end_marker", "nav_link", "teaser", "marker"} <= reasons
    assert all(e["end"] <= body_end for e in rec["entities"])


def test_output_is_byte_identical_across_runs(sample_path):
    import pipeline

    a = b"".join(orjson.dumps(pipeline.load().process(x)) for x in read_articles([sample_path]))
    b = b"".join(orjson.dumps(pipeline.load().process(x)) for x in read_articles([sample_path]))
    assert a == b


def test_key_order_is_stable(nlp):
    rec = nlp.process(Article(id="k", text="東京で会議があった。", title="t", published="2024-01-01", url="u"))
    assert list(rec) == ["id", "lang", "text", "title", "published", "url", "body", "boilerplate", "sentences", "tokens", "entities", "meta"]


ERROR_CASES = [
    ("empty", Article(id="e", text=""), "und"),
    ("whitespace", Article(id="w", text=" \n\u3000 "), "und"),
    ("non-cjk", Article(id="n", text="Bonjour tout le monde, ceci est un article."), "und"),
    ("korean", Article(id="ko", text="서울에서 회의가 열렸다."), "und"),
]


@pytest.mark.parametrize("name,article,lang", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_degenerate_articles_give_records_with_warnings(nlp, name, article, lang):
    rec = nlp.process(article)
    check_record(rec)
    assert rec["lang"] == lang and rec["entities"] == [] and rec["warnings"]


def test_input_error_becomes_error_record(nlp):
    rec = nlp.process(InputError("x:3", "InvalidJSON", "line 3: unexpected character"))
    check_record(rec)
    assert rec == {"id": "x:3", "error": {"stage": "read", "type": "InvalidJSON", "message": "line 3: unexpected character"}}


def test_stage_failure_becomes_error_record_and_batch_goes_on(nlp, monkeypatch):
    class Boom:
        name = "boom"
        version = "0"

        def __call__(self, doc):
            if "爆発" in doc.text:
                raise RuntimeError("poisoned article")
            return []

    monkeypatch.setattr(nlp, "recognizers", [*nlp.recognizers, Boom()])
    recs = [nlp.process(Article(id=str(i), text=t, lang="ja")) for i, t in enumerate(["東京。", "爆発。", "大阪。"])]
    for r in recs:
        check_record(r)
    assert [("error" in r) for r in recs] == [False, True, False]
    assert recs[1]["error"] == {"stage": "entities", "type": "RuntimeError", "message": "poisoned article"}


MIXED_BATCH = [
    Article(id="ja", text="岸田首相は東京でトヨタ自動車の社長と会談した。陳菊紅さんも同席した。"),
    InputError("x:2", "InvalidJSON", "line 2: unexpected character"),
    Article(id="zh", text="新华社北京3月5日电，国务院总理李克强在人民大会堂会见了美国客人。腾讯公司发布公告。"),
    Article(id="hant", text="台北市長柯文哲昨天在台北市政府會見日本訪問團。"),
    Article(id="empty", text=""),
    Article(id="fr", text="Bonjour tout le monde, ceci est un article."),
    Article(id="zh2", text="王小明在上海复旦大学读书。"),
]


def test_process_batch_equals_process_one_by_one(nlp):
    """Batching only changes how the models are called (all sentences of the batch together):
    every record is the one process() gives, in input order."""
    one_by_one = [orjson.dumps(nlp.process(x)) for x in MIXED_BATCH]
    batched = [orjson.dumps(r) for r in nlp.process_batch(MIXED_BATCH)]
    assert batched == one_by_one
    assert [orjson.dumps(r) for r in nlp.process_all(MIXED_BATCH, batch_size=3)] == one_by_one
    assert any(r["entities"] for r in map(orjson.loads, batched) if "entities" in r)


def test_a_failing_article_in_a_batch_fails_alone(nlp, monkeypatch):
    """A recogniser whose batched call raises is rerun article by article: only the poisoned
    article becomes an error record."""

    class BoomBatch:
        name = "boom"
        version = "0"
        calls = 0

        def __call__(self, doc):
            if "爆発" in doc.text:
                raise RuntimeError("poisoned article")
            return []

        def batch(self, docs):
            BoomBatch.calls += 1
            return [self(d) for d in docs]

    monkeypatch.setattr(nlp, "recognizers", [*nlp.recognizers, BoomBatch()])
    recs = nlp.process_batch([Article(id=str(i), text=t, lang="ja") for i, t in enumerate(["東京。", "爆発。", "大阪。"])])
    for r in recs:
        check_record(r)
    assert BoomBatch.calls == 1
    assert [("error" in r) for r in recs] == [False, True, False]
    assert recs[1]["error"] == {"stage": "entities", "type": "RuntimeError", "message": "poisoned article"}
    assert recs[0] == nlp.process(Article(id="0", text="東京。", lang="ja"))


def test_given_lang_is_respected(nlp):
    assert nlp.process(Article(id="1", text="北京", lang="zh"))["lang"] == "zh-Hans"  # no script-specific characters
    assert nlp.process(Article(id="1b", text="東京", lang="zh"))["lang"] == "zh-Hant"  # 東 is Traditional-only
    assert nlp.process(Article(id="2", text="東京", lang="zh-TW"))["lang"] == "zh-Hant"
    rec = nlp.process(Article(id="3", text="東京で会議があった。", lang="klingon"))
    assert rec["lang"] == "ja" and any("klingon" in w for w in rec["warnings"])


def test_two_megabyte_article(nlp):
    para = "東京都の陳菊紅氏は2021年5月20日、500億元を寄付すると発表した。\n"
    text = para * (2_000_000 // len(para))
    rec = nlp.process(Article(id="big", text=text, lang="ja"))
    check_record(rec)
    assert len(rec["text"]) == len(text)
    assert rec["entities"][-1]["end"] > len(text) - len(para)


def test_tokens_switch(tmp_path):
    import pipeline

    nlp = pipeline.load(overrides={"pipeline.emit_tokens": False})
    rec = nlp.process(Article(id="t", text="北京大学", lang="zh"))
    assert "tokens" not in rec
    check_record(rec)


CJK_ALPHABET = st.sampled_from(
    list("東京都大阪府の陳菊紅氏は年月日に円元億万千百十一二三四五六七八九〇0123456789０１２３４５６７８９%％。、「」『』“”\n 　.,…|<>:[]")
    + ["𠮷", "𩸽", "😀", "\u200b", "\ufeff", "\r", "\x00"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(CJK_ALPHABET, max_size=300), st.text(max_size=200)), lang=st.sampled_from([None, "ja", "zh", "zh-Hant"]))
def test_never_crashes_and_offsets_hold(nlp, text, lang):
    rec = nlp.process(Article(id="h", text=text, lang=lang, published="2021-05-20"))
    assert "error" not in rec, rec.get("error")
    check_record(rec)
    assert rec["text"] == text


def test_boilerplate_detection_off_makes_the_stripped_text_the_body():
    import pipeline

    nlp = pipeline.load(overrides={"pipeline.detect_boilerplate": False, "pipeline.emit_tokens": False})
    text = " \u3000東京で会議。 |\n<<: 次の記事…\n "
    rec = nlp.process(Article(id="b", text=text, lang="ja"))
    check_record(rec)
    assert text[rec["body"][0] : rec["body"][1]] == text.strip() and rec["boilerplate"] == []
