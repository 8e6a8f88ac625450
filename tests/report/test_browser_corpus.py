"""The report's corpus views in headless Chromium: the timeline is drawn with the counts of the
corpus, the co-occurrence and KWIC panels fill when an entity is selected, the side bar's filters
apply. Skips like tests/report/test_browser.py without Debian's chromium or playwright. Writes
docs/corpus.png when it is missing or SHINBUN_UPDATE_SCREENSHOT=1.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.report.corpus_data import write_corpus
from tests.report.test_browser import Page, browser  # noqa: F401  (browser is a fixture)

DOCS_PNG = Path(__file__).resolve().parents[2] / "docs" / "corpus.png"


@pytest.fixture()
def corpus_page(tmp_path, browser):  # noqa: F811
    from pipeline.report import iter_records, write_report

    out = tmp_path / "corpus.html"
    write_report(iter_records(write_corpus(tmp_path / "corpus.jsonl")), out, max_articles=3)
    page = Page(browser, out)
    page.page.wait_for_selector("body[data-corpus-ready='1']")
    yield page
    page.page.close()


def timeline(page) -> dict[str, list[str]]:
    return page.page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('#timeline .tl-row')).map(r =>
        [r.querySelector('.tl-name').textContent, Array.from(r.querySelectorAll('svg rect')).map(x => x.dataset.bucket + '=' + x.dataset.articles)]))""")


def table_rows(page, selector: str) -> list[list[str]]:
    return page.page.evaluate(f"""() => Array.from(document.querySelectorAll('{selector} tr')).slice(1)
        .map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.textContent))""")


def test_timeline_is_drawn_with_the_counts(corpus_page):
    assert corpus_page.errors == [] and corpus_page.dialogs == []
    tl = timeline(corpus_page)
    assert list(tl) == ["腾讯", "华为", "陳菊紅", "広島", "深圳", "テンセント"]
    weeks = [r.split("=")[0] for r in tl["腾讯"]]
    assert len(weeks) == 15 and weeks[0] == "2024-01-01" and weeks[-2] == "2024-04-01" and weeks[-1] == "undated"
    nonzero = {r for r in tl["腾讯"] if not r.endswith("=0")}
    assert nonzero == {"2024-01-01=1", "2024-01-15=1", "2024-03-11=1", "2024-04-01=1", "undated=2"}
    assert {r for r in tl["陳菊紅"] if not r.endswith("=0")} == {"2024-01-15=1", "2024-02-05=1", "2024-03-11=1"}
    assert "7 articles (5 with a date) by week" in corpus_page.page.text_content("#corpus-note")
    # the page says that not every article body is embedded
    assert "the first 3 of the 8 records" in corpus_page.page.text_content("#overview")


def test_selecting_an_entity_fills_cooccurrence_and_kwic(corpus_page):
    page = corpus_page.page
    assert page.locator("#co-table").count() == 0
    page.click("#timeline .tl-row:has-text('腾讯')")
    assert table_rows(corpus_page, "#co-table") == [["华为", "ORG", "3", "2", "1.166667", "0.222392"],
                                                    ["陳菊紅", "PERSON", "2", "1", "0.777778", "-0.36257"]]
    kwic = table_rows(corpus_page, "#kwic-table")
    assert [r[0] for r in kwic] == ["a1", "a1", "a2", "a4", "a5", "a6", "a8"]  # the first mentions, in input order
    assert kwic[3] == ["a4", "2024-03-15", "陈菊红与", "腾讯", "高管会面。华为未回应。"]
    assert kwic[4][1] == "no date"
    # a partner is a link to its own panels
    page.click("#co-table button:has-text('陳菊紅')")
    assert [r[0] for r in table_rows(corpus_page, "#co-table")] == ["腾讯"]
    assert [r[3] for r in table_rows(corpus_page, "#kwic-table")] == ["陳菊紅", "陳菊紅", "陈菊红"]
    assert corpus_page.errors == []


def test_side_bar_filters_apply_to_the_timeline(corpus_page):
    page = corpus_page.page
    page.fill("#ent", "陈")  # folded like keys: the Simplified form finds 陳菊紅
    page.wait_for_function("() => document.querySelectorAll('#timeline .tl-row').length === 1")
    assert list(timeline(corpus_page)) == ["陳菊紅"]
    page.fill("#ent", "")
    page.uncheck("#labels input[value='ORG']")
    page.wait_for_function("() => document.querySelectorAll('#timeline .tl-row').length === 3")
    assert list(timeline(corpus_page)) == ["陳菊紅", "広島", "深圳"]


def test_corpus_views_screenshot(corpus_page, tmp_path):
    page = corpus_page.page
    page.click("#timeline .tl-row:has-text('腾讯')")
    page.evaluate("() => document.querySelector('#overview h2:nth-of-type(2)').scrollIntoView({block: 'start'})")
    box_top = page.evaluate("() => document.querySelector('#overview h2:nth-of-type(2)').getBoundingClientRect().top")
    shot = tmp_path / "corpus.png"
    page.screenshot(path=str(shot), clip={"x": 352, "y": max(0, box_top - 10), "width": 1000, "height": 560})
    assert shot.stat().st_size > 10_000
    if os.environ.get("SHINBUN_UPDATE_SCREENSHOT") or not DOCS_PNG.exists():
        DOCS_PNG.write_bytes(shot.read_bytes())
