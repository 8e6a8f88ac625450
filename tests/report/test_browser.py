"""The HTML report in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright).

Needs the `chromium` Debian package and the `playwright` Python package; the test never downloads
a browser of its own. Without them it skips. Set SHINBUN_UPDATE_SCREENSHOT=1 to refresh
docs/report.png (it is also written when missing).
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import orjson
import pytest

from tests.report.test_report import EVIL_TITLE, hand_made_records, write_records

CHROMIUM = Path(os.environ.get("SHINBUN_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DOCS_PNG = Path(__file__).resolve().parents[2] / "docs" / "report.png"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium fonts-noto-cjk)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed (pip install playwright)")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Page:
    """A page of the report, recording console errors, page errors and dialogs."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def on_dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-ready='1']")

    def visible_ids(self) -> list[str]:
        return self.page.evaluate("""() => Array.from(document.querySelectorAll('#list li:not(.hidden)'))
            .map(li => li.querySelector('.t').title)""")

    def select(self, article_id: str) -> None:
        self.page.click(f"#list li:has(.t[title='{article_id}'])")
        self.page.wait_for_selector("#article:not(.hidden) h2")

    def marks(self) -> list[dict]:
        return self.page.evaluate("""() => Array.from(document.querySelectorAll('#article mark.ent')).map(m => ({
            text: m.textContent, label: m.dataset.label, title: m.title, off: m.classList.contains('off'),
            bg: getComputedStyle(m).backgroundColor, id: m.id }))""")


@pytest.fixture()
def report(tmp_path, browser):
    from pipeline.report import iter_records, write_report

    out = tmp_path / "report.html"
    write_report(iter_records(write_records(tmp_path / "records.jsonl.gz")), out)
    page = Page(browser, out)
    yield page
    page.page.close()


def test_opens_without_errors_and_offline(report):
    assert report.errors == [] and report.dialogs == []
    assert report.visible_ids() == ["ja-yoshinoya", "zh-evil", "zh-tw-1", "bad-1", "records.jsonl.gz:5"]
    assert all(u.startswith("file://") for u in report.requests), report.requests
    assert "Corpus overview" in report.page.text_content("#overview")


def test_highlights_cover_exactly_the_entity(report):
    recs = {r["id"]: r for r in hand_made_records()}
    for aid in ("ja-yoshinoya", "zh-evil", "zh-tw-1"):
        report.select(aid)
        marks = report.marks()
        assert [(m["text"], m["label"]) for m in marks] == [(e["text"], e["label"]) for e in recs[aid]["entities"]]
        assert report.page.get_attribute("#article .doc", "lang") == recs[aid]["lang"]
    assert report.marks()[2]["title"] == "MONEY\n= 1000000000000–2000000000000 TWD\nsource: test\nchars 11–21"
    report.select("ja-yoshinoya")
    first = report.page.locator("#article mark.ent").first
    assert first.text_content() == "𠮷野家"
    assert report.page.evaluate("() => document.querySelector('#article mark.ent').textContent.length") == 4  # UTF-16
    marks = report.marks()
    assert marks[3]["title"] == "MONEY\n= 500000000 JPY\nsource: test\nchars 22–25"
    assert marks[1]["title"] == "DATE\n= 2024-01-10\nsource: test\nchars 15–18"
    assert marks[4]["title"] == "ORG\ncluster 0\nsource: test, score 0.875\nchars 36–39"
    # the document text, boilerplate included, reads as the record's text
    doc = report.page.evaluate("""() => { const d = document.querySelector('#article .doc').cloneNode(true);
        d.querySelectorAll('summary').forEach(s => s.remove()); return d.textContent; }""")
    assert doc.replace("\n", "") == recs["ja-yoshinoya"]["text"].replace("\n", "")
    # boilerplate is collapsed; the index links to the mentions
    assert report.page.evaluate("() => Array.from(document.querySelectorAll('#article details.bp')).map(d => d.open)") == [False, False]
    links = report.page.locator("#article ul.index a")
    assert links.count() == 5
    href = links.first.get_attribute("href")
    assert report.page.evaluate(f"() => document.getElementById('{href[1:]}').textContent") == "𠮷野家"
    links.nth(1).click()
    assert report.page.evaluate("() => document.activeElement.tagName") in ("A", "BODY")


def test_label_filter_hides_other_labels(report):
    report.select("zh-evil")
    assert report.marks()[2]["title"] == "MONEY\n= 5000 CNY (approx)\nsource: test\nchars 15–21"
    assert report.marks()[0]["title"] == "ORG\ncanonical: 华为\ncluster 0\nsource: test\nchars 0–4"
    report.page.click("#labels-all")  # all off
    report.page.check("#labels input[value='ORG']")
    marks = report.marks()
    assert [m["text"] for m in marks if not m["off"]] == ["华为公司", "华为"]
    hidden = [m for m in marks if m["off"]]
    assert {m["label"] for m in hidden} == {"GPE", "MONEY", "PERCENT"}
    assert all(m["bg"] in ("rgba(0, 0, 0, 0)", "transparent") for m in hidden)
    index_labels = report.page.evaluate("""() => Array.from(document.querySelectorAll('#article ul.index li:not(.hidden)'))
        .map(li => li.dataset.label)""")
    assert set(index_labels) == {"ORG"}
    assert report.visible_ids() == ["ja-yoshinoya", "zh-evil", "zh-tw-1"]
    report.page.click("#labels-all")  # none checked -> all back
    report.page.uncheck("#labels input[value='ORG']")
    report.page.uncheck("#labels input[value='GPE']")
    report.page.uncheck("#labels input[value='MONEY']")
    report.page.uncheck("#labels input[value='DATE']")
    assert report.visible_ids() == ["zh-evil"]  # the only article with a PERCENT


def test_search_language_entity_and_keyboard(report):
    page = report.page
    page.locator("body").click(position={"x": 900, "y": 850})
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "q"
    page.keyboard.type("深圳")
    page.wait_for_function("() => document.querySelectorAll('#list li:not(.hidden)').length === 1")
    assert report.visible_ids() == ["zh-evil"]
    page.keyboard.press("Enter")
    assert page.text_content("#article h2") == EVIL_TITLE
    page.fill("#q", "ｓｈｅｎ")  # NFKC + case folding: full-width latin finds nothing here, and breaks nothing
    page.wait_for_function("() => document.querySelectorAll('#list li:not(.hidden)').length === 0")
    page.fill("#q", "")
    page.select_option("#lang", "zh-Hant")
    assert report.visible_ids() == ["zh-tw-1"]
    page.select_option("#lang", "")
    page.fill("#ent", "华为")  # canonical forms count too
    page.wait_for_function("() => document.querySelectorAll('#list li:not(.hidden)').length === 1")
    assert report.visible_ids() == ["zh-evil"]
    page.fill("#ent", "")
    page.wait_for_function("() => document.querySelectorAll('#list li:not(.hidden)').length === 5")
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement.id") != "ent"
    page.keyboard.press("j")  # from the selected zh-evil to the next one
    assert page.text_content("#article h2") == "台積電在高雄擴廠"
    page.keyboard.press("k")
    page.keyboard.press("ArrowUp")
    assert page.text_content("#article h2") == "𠮷野家、東京に新店舗"
    page.keyboard.press("k")  # stays on the first
    page.keyboard.press("ArrowDown")
    assert page.text_content("#article h2") == EVIL_TITLE
    page.keyboard.press("o")
    assert page.is_visible("#overview") and not page.is_visible("#article")
    # the overview's top entities filter the list
    page.click("#overview button[data-entity='台積電']")
    assert report.visible_ids() == ["zh-tw-1"] and page.text_content("#article h2") == "台積電在高雄擴廠"
    # ... and the article opens with that entity's mentions outlined, the first scrolled into view
    hits = page.evaluate("() => Array.from(document.querySelectorAll('#article mark.ent.hit')).map(m => m.textContent)")
    assert hits == ["台積電", "台積電"]
    assert page.evaluate("() => { var r = document.querySelector('#article mark.ent.hit').getBoundingClientRect();"
                         " return r.top >= 0 && r.bottom <= window.innerHeight; }")
    assert page.evaluate("() => getComputedStyle(document.querySelector('#article mark.ent.hit')).outlineStyle") == "solid"


def test_malicious_content_stays_inert(report, tmp_path):
    report.select("zh-evil")
    page = report.page
    assert page.text_content("#article h2") == EVIL_TITLE
    assert page.locator("#list li .t", has_text=EVIL_TITLE).count() == 1
    assert page.evaluate("() => document.querySelectorAll('script').length") == 2
    assert page.locator("#article a[href^='javascript']").count() == 0
    report.select("zh-tw-1")
    assert page.locator("#article .doc b").count() == 0  # "<b>" in the text is text
    assert "</script><b>台積電</b>" in page.text_content("#article .doc")
    page.evaluate("() => { location.hash = '#a=3'; }")  # a link to an article opens it
    page.wait_for_selector("#article .err-box")
    assert "</script><script>alert(2)</script>" in page.text_content("#article .err-box")
    assert report.dialogs == [] and report.errors == []
    page.screenshot(path=str(tmp_path / "malicious.png"))


def test_sample_report_screenshot(tmp_path, browser, nlp, sample_path):
    """The sample corpus through the pipeline, shown in the report: a screenshot for the README."""
    from pipeline.io.readers import read_articles
    from pipeline.report import iter_records, write_report

    records = list(nlp.process_all(read_articles([sample_path])))
    src = tmp_path / "sample.jsonl.gz"
    src.write_bytes(gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in records)))
    write_report(iter_records(src), tmp_path / "sample.html", title="shinbun: sample.jsonl")
    page = Page(browser, tmp_path / "sample.html")
    try:
        page.page.screenshot(path=str(tmp_path / "overview.png"))
        page.page.keyboard.press("j")
        marks = page.marks()
        rec = records[0]
        shown = [(e["text"], e["label"]) for e in rec["entities"]]
        assert [(m["text"], m["label"]) for m in marks] == shown
        assert page.errors == [] and page.dialogs == []
        shot = tmp_path / "report.png"
        page.page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        if os.environ.get("SHINBUN_UPDATE_SCREENSHOT") or not DOCS_PNG.exists():
            DOCS_PNG.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, DOCS_PNG)
    finally:
        page.page.close()
