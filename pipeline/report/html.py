"""A self-contained static HTML report of a records file (``shinbun view``).

One file, no network: the CSS and the script are inline, there are no fonts or images to fetch, and
it opens from disk. The corpus overview (:mod:`pipeline.report.stats`) is rendered here in Python
with every string escaped. The articles are embedded as one JSON document in a
``<script type="application/json">`` block (with ``<``, ``>`` and ``&`` written as ``\\u003c``...,
so no record text can close the block) and the script renders an article only when it is selected,
building DOM nodes with ``textContent``: record text never goes through ``innerHTML``.

Offsets are code-point offsets into ``text``; JavaScript strings are UTF-16. To keep the two from
ever being mixed up, the text is cut into segments here, in Python (``text[start:end]``): the
browser only concatenates the pieces, so a highlight covers exactly the characters of its entity,
astral characters (𠮷) included.
"""

from __future__ import annotations

import html
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.io.atomic import replaced_on_success
from pipeline.report.corpus import Aliases, CorpusIndex
from pipeline.report.corpus_html import CSS as CORPUS_CSS
from pipeline.report.corpus_html import JS as CORPUS_JS
from pipeline.report.corpus_html import KWIC_LINES, KWIC_WIDTH, SECTION, corpus_view_data
from pipeline.report.records import Record
from pipeline.report.stats import Stats, StatsBuilder

# displaCy's entity colours (spacy/displacy/render.py), grey for anything else.
LABEL_COLORS = {
    "PERSON": "#aa9cfc", "ORG": "#7aecec", "GPE": "#feca74", "LOC": "#ff9561", "FAC": "#9cc9cc",
    "EVENT": "#ffeb80", "PRODUCT": "#bfeeb7", "MONEY": "#e4e7d2", "PERCENT": "#e4e7d2", "DATE": "#bfe1d9",
    "NORP": "#c887fb", "LAW": "#ff8197", "LANGUAGE": "#ff8197", "WORK_OF_ART": "#f0d0ff", "TIME": "#bfe1d9",
    "QUANTITY": "#e4e7d2", "ORDINAL": "#e4e7d2", "CARDINAL": "#e4e7d2",
}
DEFAULT_COLOR = "#dddddd"
MAX_ARTICLES = 1000  # article bodies embedded by default: ~6 KB each, so the page stays a few MB
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
_WS_ONLY = re.compile(r"^\s*$")


def color(label: str) -> str:
    return LABEL_COLORS.get(label, DEFAULT_COLOR)


def html_lang(lang: str) -> str:
    """The value for a ``lang`` attribute: ja, zh-Hans, zh-Hant as they are; anything odd -> und."""
    return lang if _LANG_TAG.match(lang or "") else "und"


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold()


def _blocks(rec: Record, shown: list[int]) -> list[list[Any]]:
    """The text as blocks ``[boilerplate_summary_or_None, parts]``; a part is a string or an entity index.

    Consecutive boilerplate spans (only whitespace between them) form one collapsed block. An entity
    is highlighted when it does not overlap an earlier one and lies inside one block; the indices of
    highlighted entities are appended to ``shown``.
    """
    text, n = rec.text, len(rec.text)
    groups: list[list[Any]] = []  # [start, end, [reasons]]
    prev_end = 0
    for s, e, reason in sorted(rec.boilerplate):
        if s < prev_end:
            continue  # overlapping spans: keep the first
        if groups and _WS_ONLY.match(text[groups[-1][1]:s]):
            groups[-1][1] = e
            groups[-1][2].append(reason)
        else:
            groups.append([s, e, [reason]])
        prev_end = e
    regions: list[tuple[int, int, list[str] | None]] = []
    pos = 0
    for s, e, reasons in groups:
        if s > pos:
            regions.append((pos, s, None))
        regions.append((s, e, reasons))
        pos = e
    if pos < n or not regions:
        regions.append((pos, n, None))

    order = sorted(range(len(rec.entities)), key=lambda i: (rec.entities[i].start, -rec.entities[i].end))
    blocks: list[list[Any]] = []
    k = 0
    last_end = 0
    for r0, r1, reasons in regions:
        parts: list[Any] = []
        pos = r0
        while k < len(order) and rec.entities[order[k]].start < r1:
            i = order[k]
            ent = rec.entities[i]
            k += 1
            if ent.start < last_end or ent.start < r0 or ent.end > r1:
                continue  # overlaps an earlier entity or crosses a block edge: listed, not highlighted
            if ent.start > pos:
                parts.append(text[pos:ent.start])
            parts.append(i)
            shown.append(i)
            pos = last_end = ent.end
        if pos < r1:
            parts.append(text[pos:r1])
        summary = None
        if reasons is not None:
            counts: dict[str, int] = {}
            for reason in reasons:
                counts[reason] = counts.get(reason, 0) + 1
            summary = "boilerplate: " + ", ".join(f"{r} ×{c}" if c > 1 else r for r, c in counts.items()) + f" ({r1 - r0:,} chars)"
        blocks.append([summary, parts])
    return blocks


def article_data(rec: Record, sources: dict[str, int]) -> dict[str, Any]:
    """The JSON object the page script renders one article from.

    ``ents`` rows: [label, text, start, end, highlighted, canonical, cluster, source (index into
    ``sources``, which this call extends), score, value, value_min, value_max, currency, qualifier,
    value_note],
    trailing nulls left out. ``blocks``: see :func:`_blocks`. ``groups``: the entity index,
    [label, name, [entity indices]] per cluster (or per label and text when there is no cluster).
    """
    if rec.error is not None:
        return {"id": rec.id, "lang": "", "hl": "und", "title": None, "err": rec.error, "labels": [], "ents": [],
                "groups": [], "blocks": [], "chars": 0}
    shown: list[int] = []
    blocks = _blocks(rec, shown)
    shown_set = set(shown)
    ents = []
    for i, e in enumerate(rec.entities):
        row = [e.label, rec.text[e.start:e.end], e.start, e.end, 1 if i in shown_set else 0, e.canonical, e.cluster,
               sources.setdefault(e.source or "?", len(sources)), e.score, e.value, e.value_min, e.value_max,
               e.currency, e.qualifier, e.value_note]
        while row[-1] is None:
            row.pop()
        ents.append(row)
    groups: list[list[Any]] = []
    by_key: dict[Any, list[Any]] = {}
    for i, e in enumerate(rec.entities):
        key = ("c", e.cluster) if e.cluster is not None else ("k", e.label, e.key)
        g = by_key.get(key)
        if g is None:
            g = by_key[key] = [e.label, e.key, []]
            groups.append(g)
        g[2].append(i)
    url = rec.url if rec.url and re.match(r"^https?://", rec.url, re.I) else None
    d: dict[str, Any] = {
        "id": rec.id, "lang": rec.lang, "hl": html_lang(rec.lang), "title": rec.title, "pub": rec.published,
        "url": url, "rawurl": rec.url, "chars": len(rec.text), "body": list(rec.body),
        "labels": sorted({e.label for e in rec.entities}), "ents": ents, "groups": groups, "blocks": blocks,
    }
    if rec.warnings:
        d["warn"] = rec.warnings
    if rec.invalid_entities:
        d["invalid"] = rec.invalid_entities
    return d


def embed_json(obj: Any) -> str:
    """JSON safe to put inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` appear raw."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return s.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _bar(value: int, maximum: int, col: str = "#8aa") -> str:
    pct = 0.0 if maximum <= 0 else 100.0 * value / maximum
    return f'<span class="bar"><span style="width:{pct:.1f}%;background:{col}"></span></span>'


def _count_table(caption: str, key_head: str, count_head: str, counts: dict[str, int], key_cell, col: str = "#8aa") -> list[str]:
    """Rows of a two-column count table with a bar per row (scaled to the largest count)."""
    mx = max(counts.values())
    rows = [f'<table class="t"><caption>{caption}</caption><tr><th>{key_head}</th><th>{count_head}</th><th></th></tr>']
    rows += [f'<tr><td>{key_cell(k)}</td><td class="n">{n:,}</td><td>{_bar(n, mx, col)}</td></tr>' for k, n in counts.items()]
    return rows + ["</table>"]


def overview_html(stats: Stats, note: str = "") -> str:
    out = ['<h2>Corpus overview</h2>']
    if note:
        out.append(f'<p class="note">{_e(note)}</p>')
    cards = [("records", stats.records), ("articles", stats.articles), ("errors", stats.errors),
             ("characters", stats.characters), ("mentions", stats.mentions)]
    out.append('<div class="cards">' + "".join(
        f'<div class="card{" bad" if name == "errors" and v else ""}"><b>{v:,}</b><span>{name}</span></div>' for name, v in cards) + "</div>")
    if stats.invalid_entities:
        out.append(f'<p class="note">{stats.invalid_entities:,} entities with unusable offsets were left out.</p>')
    out.append('<div class="row">')
    if stats.languages:
        out += _count_table("Languages", "lang", "articles", stats.languages,
                            lambda lang: f'<button class="linkish" data-lang="{_e(lang)}">{_e(lang)}</button>')
    if stats.error_stages:
        out += _count_table("Errors by stage", "stage", "errors", stats.error_stages, _e, "#e88")
    if stats.labels:
        mx = max(c["mentions"] for c in stats.labels.values())
        out.append('<table class="t"><caption>Entities per label</caption>'
                   '<tr><th>label</th><th>mentions</th><th></th><th>articles</th><th>distinct</th></tr>')
        for label, c in stats.labels.items():
            out.append(f'<tr><td><span class="chip" style="background:{color(label)}">{_e(label)}</span></td>'
                       f'<td class="n">{c["mentions"]:,}</td><td>{_bar(c["mentions"], mx, color(label))}</td>'
                       f'<td class="n">{c["articles"]:,}</td><td class="n">{c["entities"]:,}</td></tr>')
        out.append("</table>")
    out.append("</div>")
    if stats.top:
        out.append('<h3>Top entities per label <small>(by articles, then mentions; canonical form when known; click to filter)</small></h3><div class="row">')
        for label, items in stats.top.items():
            if not items:
                continue
            mx = max(it["articles"] for it in items)
            out.append(f'<table class="t top"><caption><span class="chip" style="background:{color(label)}">{_e(label)}</span></caption>'
                       '<tr><th>entity</th><th>articles</th><th></th><th>mentions</th></tr>')
            for it in items:
                out.append(f'<tr><td><button class="linkish" data-entity="{_e(it["entity"])}" data-label="{_e(label)}">{_e(it["entity"])}</button></td>'
                           f'<td class="n">{it["articles"]:,}</td><td>{_bar(it["articles"], mx, color(label))}</td>'
                           f'<td class="n">{it["mentions"]:,}</td></tr>')
            out.append("</table>")
        out.append("</div>")
    out.append('<p class="help">Keys: <kbd>j</kbd>/<kbd>↓</kbd> next article, <kbd>k</kbd>/<kbd>↑</kbd> previous, '
               '<kbd>/</kbd> search, <kbd>Esc</kbd> leave a field, <kbd>o</kbd> this overview.</p>')
    return "\n".join(out)


@dataclass
class ReportSummary:
    read: int = 0       # records read (after --limit)
    included: int = 0   # records in the report
    embedded: int = 0   # records whose article body is embedded (the first max_articles included)
    stats: Stats | None = None


def _matches(rec: Record, labels: set[str] | None, query: str | None) -> bool:
    if rec.error is not None:
        return True  # error records are always shown and counted
    if labels is not None and not rec.entities:
        return False
    if query:
        hay = [rec.id, rec.title or "", rec.text] + [e.text for e in rec.entities] + [e.canonical or "" for e in rec.entities]
        return any(query in _fold(h) for h in hay)
    return True


def write_report(records: Iterable[Record], path: str | Path, *, labels: Sequence[str] | None = None,
                 query: str | None = None, top: int = 10, title: str = "shinbun report",
                 max_articles: int | None = MAX_ARTICLES, aliases: Aliases | None = None) -> ReportSummary:
    """Write the HTML report of ``records`` to ``path`` (``-``: standard output).

    ``labels``: keep only entities with these labels, and only articles that have one.
    ``query``: keep only articles whose id, title, text or an entity contains it (NFKC, case-folded).
    Error records are always kept. The overview and the corpus views (:mod:`pipeline.report.corpus_html`;
    entity keys merged by ``aliases``) describe every record kept; the bodies of the first
    ``max_articles`` of them (None: all) are embedded, and the page says so when that is not all.
    """
    label_set = set(labels) if labels else None
    q = _fold(query) if query else None
    builder = StatsBuilder(top)
    articles: list[dict[str, Any]] = []
    sources: dict[str, int] = {}
    summary = ReportSummary()
    index = CorpusIndex(aliases=aliases or Aliases(), kwic_per_entity=KWIC_LINES, kwic_width=KWIC_WIDTH)
    for rec in records:
        summary.read += 1
        if label_set is not None and rec.error is None:
            rec.entities = [e for e in rec.entities if e.label in label_set]
        if not _matches(rec, label_set, q):
            continue
        summary.included += 1
        builder.add(rec)
        index.add(rec)
        if max_articles is None or len(articles) < max_articles:
            articles.append(article_data(rec, sources))
    summary.embedded = len(articles)
    stats = builder.result()
    summary.stats = stats
    filters = []
    if label_set is not None:
        filters.append("labels " + ", ".join(sorted(label_set)))
    if query:
        filters.append(f"query {query!r}")
    note = f"{summary.read:,} records read; {summary.included:,} kept by the filters ({'; '.join(filters)})." if filters else ""
    if summary.embedded < summary.included:
        note = (note + " " if note else "") + (
            f"Article bodies: the first {summary.embedded:,} of the {summary.included:,} records are included (in input order); "
            "the overview and the corpus views count all of them.")
    all_labels = sorted({lab for a in articles for lab in a["labels"]}, key=lambda x: (-stats.labels.get(x, {}).get("mentions", 0), x))
    data = {"articles": articles, "sources": list(sources), "colors": LABEL_COLORS, "default_color": DEFAULT_COLOR, "labels": all_labels,
            "langs": list(stats.languages)}
    data["corpus"] = corpus_view_data(index)
    parts = {"TITLE": _e(title), "CSS": _CSS + CORPUS_CSS, "OVERVIEW": overview_html(stats, note), "DATA": embed_json(data),
             "JS": _JS + CORPUS_JS, "CORPUS": SECTION}
    page = re.sub(r"@@([A-Z]+)@@", lambda m: parts[m.group(1)], _TEMPLATE)  # one pass: inserted text is never rescanned
    data_bytes = page.encode("utf-8", "replace")
    if str(path) == "-":  # stdout, as for the other record tools
        sys.stdout.buffer.write(data_bytes)
        sys.stdout.buffer.flush()
        return summary
    with replaced_on_success(path) as tmp:
        tmp.write_bytes(data_bytes)
    return summary


_CSS = r"""
:root { --side: 22rem; --fg: #222; --muted: #777; --line: #ddd; --sel: #e8f0fe; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { color: var(--fg); background: #fff; display: grid; grid-template-columns: var(--side) 1fr; grid-template-rows: 100vh;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Hiragino Sans", "Hiragino Kaku Gothic ProN",
  "Yu Gothic UI", "Yu Gothic", Meiryo, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK JP", "Noto Sans JP", "Source Han Sans JP",
  "Noto Sans CJK SC", "Noto Sans CJK TC", "WenQuanYi Micro Hei", "SimSun-ExtB", "MingLiU-ExtB", "HanaMinB", sans-serif;
  font-size: 15px; }
:lang(ja) { font-family: "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Yu Gothic UI", "Yu Gothic", Meiryo, "Noto Sans CJK JP",
  "Noto Sans JP", "Source Han Sans JP", "IPAexGothic", "BIZ UDPGothic", "Noto Serif CJK JP", "SimSun-ExtB", "HanaMinB", sans-serif; }
:lang(zh-Hans), :lang(zh-CN), :lang(zh) { font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", "Noto Serif CJK SC", "SimSun-ExtB", "HanaMinB", sans-serif; }
:lang(zh-Hant), :lang(zh-TW), :lang(zh-HK) { font-family: "PingFang TC", "Microsoft JhengHei", "Noto Sans CJK TC", "Noto Sans TC",
  "Source Han Sans TC", "Noto Serif CJK TC", "MingLiU-ExtB", "HanaMinB", sans-serif; }
#side { border-right: 1px solid var(--line); display: flex; flex-direction: column; min-height: 0; background: #fafafa; }
#filters { padding: .6rem; border-bottom: 1px solid var(--line); display: grid; gap: .4rem; }
#filters input, #filters select { width: 100%; font: inherit; padding: .25rem .4rem; }
#labels { display: flex; flex-wrap: wrap; gap: .2rem; }
#labels label { font-size: 12px; padding: 0 .35rem; border-radius: .3rem; cursor: pointer; user-select: none; }
#labels input { width: auto; margin: 0 .2rem 0 0; vertical-align: -1px; }
#count { font-size: 12px; color: var(--muted); display: flex; justify-content: space-between; }
#count button { font-size: 12px; }
#list { list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1; }
#list li { content-visibility: auto; contain-intrinsic-size: auto 1.9rem; padding: .3rem .6rem; border-bottom: 1px solid #eee; cursor: pointer; display: flex; gap: .4rem; align-items: baseline; }
#list li:hover { background: #f0f0f0; }
#list li.sel { background: var(--sel); }
#list li.err .t { color: #b00; }
#list .t { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#list .l, #list .n { font-size: 11px; color: var(--muted); white-space: nowrap; }
main { overflow-y: auto; padding: 1rem 1.5rem 4rem; min-width: 0; }
h2 { margin: .2rem 0 .6rem; font-size: 1.3rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; } h3 small { font-weight: normal; color: var(--muted); }
.note, .help, .meta { color: var(--muted); font-size: 13px; }
.meta span + span::before { content: " · "; }
.cards { display: flex; gap: .6rem; flex-wrap: wrap; }
.card { border: 1px solid var(--line); border-radius: .4rem; padding: .4rem .8rem; min-width: 7rem; }
.card b { display: block; font-size: 1.3rem; } .card span { color: var(--muted); font-size: 12px; }
.card.bad b { color: #b00; }
.row { display: flex; flex-wrap: wrap; gap: 1.2rem; align-items: flex-start; margin-top: .8rem; }
table.t { border-collapse: collapse; font-size: 13px; }
table.t caption { text-align: left; font-weight: 600; padding: .2rem 0; }
table.t th { text-align: left; font-weight: normal; color: var(--muted); border-bottom: 1px solid var(--line); padding: .1rem .4rem; }
table.t td { padding: .1rem .4rem; border-bottom: 1px solid #f2f2f2; }
table.t td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.top td:first-child { max-width: 14rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bar { display: inline-block; width: 6rem; height: .7rem; background: #f0f0f0; vertical-align: middle; }
.bar > span { display: block; height: 100%; }
.chip { padding: 0 .35rem; border-radius: .3rem; font-size: 12px; font-weight: 600; }
button.linkish { all: unset; cursor: pointer; color: #1a56a8; } button.linkish:hover, button.linkish:focus { text-decoration: underline; }
.doc { white-space: pre-wrap; line-height: 2.1; font-size: 16px; overflow-wrap: anywhere; max-width: 52rem; }
mark.ent { padding: .15em .25em; border-radius: .35em; color: inherit; }
mark.ent::after { content: attr(data-label); font-size: .55em; font-weight: 700; margin-left: .35em; vertical-align: .15em; opacity: .75;
  font-family: system-ui, sans-serif; }
mark.ent.off { background: none !important; padding: 0; }
mark.ent.off::after { content: none; }
mark.ent:target, mark.ent.flash, mark.ent.hit { outline: 2px solid #d33; }
details.bp { color: #999; background: #f6f6f6; border-left: 3px solid #ddd; margin: .2rem 0; padding: 0 .5rem; line-height: 1.6; }
details.bp summary { cursor: pointer; font-size: 12px; font-family: system-ui, sans-serif; white-space: normal; }
details.bp mark.ent { opacity: .7; }
.err-box { border: 1px solid #e99; background: #fff4f4; padding: .6rem .8rem; border-radius: .4rem; white-space: pre-wrap; }
ul.index { list-style: none; padding: 0; font-size: 14px; columns: 2 22rem; }
ul.index li { break-inside: avoid; padding: .15rem 0; }
ul.index li .c { color: var(--muted); font-size: 12px; }
ul.index a { margin-right: .45rem; color: #1a56a8; text-decoration: none; } ul.index a:hover { text-decoration: underline; }
ul.index .nolink { margin-right: .45rem; color: var(--muted); }
.hidden { display: none !important; }
kbd { border: 1px solid #ccc; border-bottom-width: 2px; border-radius: 3px; padding: 0 .25rem; font-size: 12px; }
"""

_JS = r"""
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("shinbun-data").textContent);
  var A = DATA.articles, COLORS = DATA.colors, DEFAULT = DATA.default_color;
  var $ = function (id) { return document.getElementById(id); };
  var q = $("q"), langSel = $("lang"), entQ = $("ent"), list = $("list"), main = $("main"),
      overview = $("overview"), view = $("article"), count = $("count-n");
  var active = new Set(DATA.labels), visible = [], current = -1, items = [];
  function color(l) { return Object.prototype.hasOwnProperty.call(COLORS, l) ? COLORS[l] : DEFAULT; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fold(s) { return String(s).normalize("NFKC").toLowerCase(); }
  // e: [label, text, start, end, highlighted, canonical, cluster, source, score, value, value_min, value_max, currency, qualifier, value_note]
  function tip(e) {
    var lines = [e[0]], val = e[9];
    if (e[10] != null || e[11] != null) val = (e[10] != null ? e[10] : "?") + "\u2013" + (e[11] != null ? e[11] : "?");
    if (val != null) {
      if (e[12] != null) val += " " + e[12];
      if (e[13] != null) val += " (" + e[13] + ")";
      lines.push("= " + val);
    }
    if (e[14] != null) lines.push("no value: " + e[14]);
    if (e[5] != null && e[5] !== e[1]) lines.push("canonical: " + e[5]);
    if (e[6] != null) lines.push("cluster " + e[6]);
    var src = DATA.sources[e[7]];
    if (e[8] != null) src += ", score " + Number(Number(e[8]).toPrecision(3));
    lines.push("source: " + src);
    lines.push("chars " + e[2] + "\u2013" + e[3]);
    return lines.join("\n");
  }

  // Filters
  DATA.langs.forEach(function (l) { var o = el("option", null, l); o.value = l; langSel.appendChild(o); });
  DATA.labels.forEach(function (l) {
    var lab = el("label"), cb = el("input");
    cb.type = "checkbox"; cb.checked = true; cb.value = l;
    lab.style.background = color(l);
    lab.appendChild(cb); lab.appendChild(document.createTextNode(l));
    cb.addEventListener("change", function () { if (cb.checked) active.add(l); else active.delete(l); applyFilters(); applyLabels(); });
    $("labels").appendChild(lab);
  });
  $("labels-all").addEventListener("click", function () {
    var boxes = $("labels").querySelectorAll("input"), all = active.size !== DATA.labels.length;
    boxes.forEach(function (b) { b.checked = all; if (all) active.add(b.value); else active.delete(b.value); });
    applyFilters(); applyLabels();
  });

  // Article list
  var frag = document.createDocumentFragment();
  A.forEach(function (a, i) {
    var li = el("li", a.err ? "err" : null);
    li.dataset.i = i;
    li.appendChild(el("span", "l", a.err ? "error" : a.lang));
    var t = el("span", "t", a.err ? a.id + ": " + a.err.type : (a.title || a.id));
    t.title = a.id;
    li.appendChild(t);
    li.appendChild(el("span", "n", a.err ? "" : a.ents.length));
    frag.appendChild(li);
    items.push(li);
  });
  list.appendChild(frag);
  list.addEventListener("click", function (ev) {
    var li = ev.target.closest("li");
    if (li) select(Number(li.dataset.i));
  });

  var hay = new Array(A.length);
  function haystack(i) {
    if (hay[i] === undefined) {
      var a = A[i], parts = [a.id, a.title || "", a.err ? a.err.stage + " " + a.err.type + " " + a.err.message : ""];
      a.blocks.forEach(function (b) { b[1].forEach(function (p) { parts.push(typeof p === "number" ? a.ents[p][1] : p); }); });
      hay[i] = fold(parts.join("\n"));
    }
    return hay[i];
  }
  // the entity query (the overview's entity buttons set it): a shown label, in the text or canonical form
  function entHit(e, eq) {
    return active.has(e[0]) && (fold(e[1]).indexOf(eq) >= 0 || (e[5] != null && fold(e[5]).indexOf(eq) >= 0));
  }
  function matches(i, sq, eq, lang, allLabels) {
    var a = A[i];
    if (lang && a.lang !== lang) return false;
    if (!allLabels && !a.labels.some(function (l) { return active.has(l); })) return false;
    if (eq && !a.ents.some(function (e) { return entHit(e, eq); })) return false;
    if (sq && haystack(i).indexOf(sq) < 0) return false;
    return true;
  }
  function applyFilters() {
    var sq = fold(q.value.trim()), eq = fold(entQ.value.trim()), lang = langSel.value,
        allLabels = active.size === DATA.labels.length;
    visible = [];
    for (var i = 0; i < A.length; i++) {
      var ok = matches(i, sq, eq, lang, allLabels);
      items[i].classList.toggle("hidden", !ok);
      if (ok) visible.push(i);
    }
    count.textContent = visible.length + " of " + A.length + " records";
  }
  function applyLabels() {
    view.querySelectorAll("mark.ent").forEach(function (m) { m.classList.toggle("off", !active.has(m.dataset.label)); });
    view.querySelectorAll("ul.index li").forEach(function (li) { li.classList.toggle("hidden", !active.has(li.dataset.label)); });
  }
  var timer = null;
  function later() { clearTimeout(timer); timer = setTimeout(applyFilters, 120); }
  q.addEventListener("input", later);
  entQ.addEventListener("input", later);
  langSel.addEventListener("change", applyFilters);
  $("first").addEventListener("click", function () { if (visible.length) select(visible[0]); });

  // Article view
  function mark(i, a, k) {
    var e = a.ents[k], m = el("mark", "ent", e[1]);
    m.id = "m-" + i + "-" + k;
    m.dataset.label = e[0];
    m.title = tip(e);
    m.style.background = color(e[0]);
    if (!active.has(e[0])) m.classList.add("off");
    return m;
  }
  function render(i) {
    var a = A[i];
    view.textContent = "";
    var h = el("h2", null, a.err ? "Error: " + a.id : (a.title || a.id));
    view.appendChild(h);
    var meta = el("p", "meta");
    function add(text) { meta.appendChild(el("span", null, text)); }
    add("id " + a.id);
    if (!a.err) {
      add(a.lang); if (a.pub) add(a.pub); add(a.chars + " chars"); add(a.ents.length + " entities");
      if (a.url) { var s = el("span"), ln = el("a", null, a.url); ln.href = a.url; ln.rel = "noopener noreferrer"; ln.target = "_blank"; s.appendChild(ln); meta.appendChild(s); }
      else if (a.rawurl) add(a.rawurl);
      if (a.invalid) add(a.invalid + " entities with unusable offsets left out");
    }
    view.appendChild(meta);
    if (a.err) {
      var box = el("div", "err-box");
      box.appendChild(el("b", null, a.err.stage + " / " + a.err.type));
      box.appendChild(document.createTextNode("\n" + a.err.message));
      view.appendChild(box);
      return;
    }
    (a.warn || []).forEach(function (w) { view.appendChild(el("p", "note", "warning: " + w)); });
    var doc = el("div", "doc");
    doc.lang = a.hl;
    var isBp = function (bi) { return bi >= 0 && bi < a.blocks.length && a.blocks[bi][0] !== null; };
    a.blocks.forEach(function (b, bi) {
      var target = doc;
      if (b[0] !== null) {
        var d = el("details", "bp");
        d.appendChild(el("summary", null, b[0]));
        doc.appendChild(d);
        target = el("span");
        d.appendChild(target);
      }
      b[1].forEach(function (p, pi) {
        if (typeof p === "number") { target.appendChild(mark(i, a, p)); return; }
        if (b[0] === null) {  // a collapsed block is a box of its own: drop the line break next to it
          if (pi === 0 && isBp(bi - 1)) p = p.replace(/^\r?\n/, "");
          if (pi === b[1].length - 1 && isBp(bi + 1)) p = p.replace(/\r?\n$/, "");
        }
        if (p) target.appendChild(document.createTextNode(p));
      });
    });
    view.appendChild(doc);
    view.appendChild(el("h3", null, "Entity index (" + a.groups.length + ")"));
    var ul = el("ul", "index");
    ul.lang = a.hl;
    a.groups.forEach(function (g) {
      var li = el("li");
      li.dataset.label = g[0];
      if (!active.has(g[0])) li.classList.add("hidden");
      var chip = el("span", "chip", g[0]);
      chip.style.background = color(g[0]);
      li.appendChild(chip);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("b", null, g[1]));
      li.appendChild(el("span", "c", " ×" + g[2].length + "  "));
      g[2].forEach(function (k) {
        var e = a.ents[k], link;
        if (e[4]) { link = el("a", null, e[1]); link.href = "#m-" + i + "-" + k; }
        else { link = el("span", "nolink", e[1]); }
        link.title = tip(e);
        li.appendChild(link);
      });
      ul.appendChild(li);
    });
    view.appendChild(ul);
  }
  view.addEventListener("click", function (ev) {
    var link = ev.target.closest("a[href^='#m-']");
    if (!link) return;
    ev.preventDefault();
    var m = document.getElementById(link.getAttribute("href").slice(1));
    if (!m) return;
    var d = m.closest("details"); if (d) d.open = true;
    m.scrollIntoView({ block: "center" });
    m.classList.add("flash");
    setTimeout(function () { m.classList.remove("flash"); }, 1200);
  });
  function select(i) {
    if (i < 0 || i >= A.length) return;
    if (current >= 0) items[current].classList.remove("sel");
    current = i;
    items[i].classList.add("sel");
    items[i].scrollIntoView({ block: "nearest" });
    overview.classList.add("hidden");
    view.classList.remove("hidden");
    render(i);
    main.scrollTop = 0;
    history.replaceState(null, "", "#a=" + i);
    // the entity being looked for: its mentions outlined, the first one scrolled to
    var eq = fold(entQ.value.trim()), first = null;
    if (eq) A[i].ents.forEach(function (e, k) {
      var m = e[4] && entHit(e, eq) ? document.getElementById("m-" + i + "-" + k) : null;
      if (!m) return;
      m.classList.add("hit");
      if (!first) first = m;
    });
    if (first) {
      var d = first.closest("details"); if (d) d.open = true;
      first.scrollIntoView({ block: "center" });
    }
  }
  function showOverview() {
    view.classList.add("hidden");
    overview.classList.remove("hidden");
    main.scrollTop = 0;
    history.replaceState(null, "", "#");
  }
  function move(step) {
    if (!visible.length) return;
    var pos = visible.indexOf(current);
    if (pos < 0) pos = step > 0 ? -1 : visible.length;
    pos = Math.max(0, Math.min(visible.length - 1, pos + step));
    select(visible[pos]);
  }
  overview.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-entity], button[data-lang]");
    if (!b) return;
    if (b.dataset.lang !== undefined) { langSel.value = b.dataset.lang; }
    else { entQ.value = b.dataset.entity; }
    applyFilters();
    if (visible.length) select(visible[0]);
  });
  $("show-overview").addEventListener("click", showOverview);
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target, typing = t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
    if (typing) {
      if (ev.key === "Escape") { t.blur(); ev.preventDefault(); }
      else if (ev.key === "Enter" && t.tagName === "INPUT" && t.type !== "checkbox") { applyFilters(); if (visible.length) select(visible[0]); t.blur(); }
      return;
    }
    if (ev.key === "/") { ev.preventDefault(); q.focus(); q.select(); }
    else if (ev.key === "j" || ev.key === "ArrowDown") { ev.preventDefault(); move(1); }
    else if (ev.key === "k" || ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
    else if (ev.key === "o") { showOverview(); }
  });

  function route() {
    var m = /^#a=(\d+)$/.exec(location.hash);
    if (m && Number(m[1]) !== current) select(Number(m[1]));
  }
  window.addEventListener("hashchange", route);
  applyFilters();
  route();
  window.shinbunReport = { el: el, fold: fold, color: color };  // shared with the corpus views' script
  document.body.dataset.ready = "1";
})();
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>@@TITLE@@</title>
<style>@@CSS@@</style>
</head>
<body>
<nav id="side">
  <div id="filters">
    <input id="q" type="search" placeholder="Search id, title, text  ( / )" aria-label="Search" autocomplete="off">
    <input id="ent" type="search" placeholder="Entity text" aria-label="Entity text filter" autocomplete="off">
    <select id="lang" aria-label="Language"><option value="">all languages</option></select>
    <div id="labels" aria-label="Labels"></div>
    <div id="count"><span id="count-n"></span><span><button id="labels-all" type="button">all labels</button>
      <button id="first" type="button">first</button> <button id="show-overview" type="button">overview</button></span></div>
  </div>
  <ul id="list"></ul>
</nav>
<main id="main">
<section id="overview">
@@OVERVIEW@@
@@CORPUS@@
</section>
<section id="article" class="hidden"></section>
</main>
<script type="application/json" id="shinbun-data">@@DATA@@</script>
<script>@@JS@@</script>
</body>
</html>
"""
