"""The report's corpus views (``shinbun view``): a timeline of the top entities, the entities that
appear with the selected one, and its mentions in context.

They are computed over every record the report keeps (:class:`pipeline.report.corpus.CorpusIndex`),
also when only some article bodies are embedded, and sent to the page as ``corpus`` in the
report's JSON block; the script below (after the report's script, whose helpers it uses) draws them: the timeline as inline SVG (one ``rect`` per
bucket and entity, with the article count in ``data-articles``), the co-occurrence table and the
KWIC lines with ``textContent`` only. The label checkboxes and the entity filter of the side bar
filter the entity list as they filter articles.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pipeline.report.corpus import NUMERIC_LABELS, CorpusIndex, bucket_start, cooccur_rows

TOP_ENTITIES = 100       # entities in the corpus views
PARTNERS = 10            # co-occurring entities listed per entity
KWIC_LINES = 10          # KWIC lines kept per entity (the first ones in input order)
KWIC_WIDTH = 20


def _next_bucket(d: date, period: str) -> date:
    if period == "day":
        return d + timedelta(days=1)
    if period == "week":
        return d + timedelta(days=7)
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def corpus_view_data(index: CorpusIndex, *, top: int = TOP_ENTITIES, partners: int = PARTNERS,
                     min_count: int = 2) -> dict[str, Any]:
    """The JSON the corpus views are drawn from.

    ``buckets``: every bucket from the first dated article's to the last's (empty ones included);
    ``ents`` rows: [label, key, entity, articles, mentions, undated articles, articles per bucket,
    partners, kwic]; partners: [index into ``ents`` or -1, label, entity, articles, sentences,
    lift, pmi]; kwic: [article id, date, lang, left, text, right]."""
    period = index.period("auto")
    buckets: list[date] = []
    if index.first is not None and index.last is not None:
        b, end = bucket_start(index.first, period), bucket_start(index.last, period)
        while b <= end:
            buckets.append(b)
            b = _next_bucket(b, period)
    pos = {b: i for i, b in enumerate(buckets)}
    named = [i for i, (label, _) in enumerate(index.labels_keys) if label not in NUMERIC_LABELS]
    chosen = sorted(named, key=lambda i: (-index.articles[i], -index.mentions[i], *index.labels_keys[i]))[:top]
    row_of = {i: r for r, i in enumerate(chosen)}
    series = {i: [0] * len(buckets) for i in chosen}
    undated = dict.fromkeys(chosen, 0)
    for (i, day), (arts, _) in index.day_counts.items():
        if i not in row_of:
            continue
        if day < 0:
            undated[i] += arts
        else:
            series[i][pos[bucket_start(date.fromordinal(day), period)]] += arts
    partner_rows: dict[int, list[list[Any]]] = {i: [] for i in chosen}
    if index.pairs:
        for r in cooccur_rows(index, min_count=min_count, ids=set(chosen)):
            a, b = index.ids[(r[0], r[1])], index.ids[(r[3], r[4])]
            for me, other, (label, ent) in ((a, b, (r[3], r[5])), (b, a, (r[0], r[2]))):
                lst = partner_rows.get(me)
                if lst is not None and len(lst) < partners:
                    lst.append([row_of.get(other, -1), label, ent, r[6], r[7], r[10], r[11]])
    ents = []
    for i in chosen:
        label, key, ent = index.entity(i)
        kw = [[k[0], k[1], k[2], k[5], k[6], k[7]] for k in index.kwic.get(i, [])]
        ents.append([label, key, ent, index.articles[i], index.mentions[i], undated[i], series[i], partner_rows[i], kw])
    return {"period": period, "buckets": [b.isoformat() for b in buckets], "articles": index.n_articles,
            "dated": index.n_dated, "ents": ents, "top": top, "kwic_lines": index.kwic_per_entity, "min_count": min_count}


SECTION = """<h2>Corpus views</h2>
<p class="note" id="corpus-note"></p>
<div id="timeline"></div>
<div class="row"><div id="co-panel"><p class="help">Select an entity in the timeline.</p></div><div id="kwic-panel"></div></div>
"""

CSS = r"""
#timeline .tl-row { display: flex; align-items: center; gap: .5rem; cursor: pointer; font-size: 13px; }
#timeline .tl-row.sel { background: var(--sel); }
#timeline .tl-name { width: 12rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#timeline .tl-n { width: 4rem; text-align: right; color: var(--muted); font-variant-numeric: tabular-nums; }
#timeline svg { display: block; }
#timeline .tl-axis { font-size: 11px; color: var(--muted); margin-left: calc(12rem + .5rem); display: flex; justify-content: space-between; }
#kwic-panel table td.l { text-align: right; white-space: nowrap; color: #555; }
#kwic-panel table td.r { white-space: nowrap; color: #555; }
#kwic-panel table td.k { font-weight: 700; white-space: nowrap; }
"""

JS = r"""
(function () {
  "use strict";
  var C = JSON.parse(document.getElementById("shinbun-data").textContent).corpus, R = window.shinbunReport;
  var el = R.el, fold = R.fold, color = R.color;
  var $ = function (id) { return document.getElementById(id); };
  var tl = $("timeline"), co = $("co-panel"), kw = $("kwic-panel"), entQ = $("ent"), labelsBox = $("labels");
  var SVG = "http://www.w3.org/2000/svg", SHOWN = 12, selected = -1;
  function offLabels() {  // labels whose checkbox is cleared (a label without a checkbox stays shown)
    var off = new Set();
    labelsBox.querySelectorAll("input").forEach(function (b) { if (!b.checked) off.add(b.value); });
    return off;
  }
  function visibleRows() {
    var off = offLabels(), q = fold(entQ.value.trim()), out = [];
    C.ents.forEach(function (e, i) {
      if (off.has(e[0])) return;
      if (q && fold(e[2]).indexOf(q) < 0 && fold(e[1]).indexOf(q) < 0) return;
      out.push(i);
    });
    return out;
  }
  $("corpus-note").textContent = C.articles + " articles (" + C.dated + " with a date) by " + C.period +
    (C.buckets.length ? ", " + C.buckets[0] + " to " + C.buckets[C.buckets.length - 1] : "") +
    "; the top " + C.ents.length + " entities by articles; bars: articles per " + C.period +
    ", then articles without a date (grey).";
  function drawTimeline() {
    tl.textContent = "";
    var rows = visibleRows().slice(0, SHOWN), nb = C.buckets.length, w = Math.max(4, Math.min(24, Math.floor(640 / Math.max(1, nb + 1))));
    var mx = 1;
    rows.forEach(function (i) { C.ents[i][6].forEach(function (n) { mx = Math.max(mx, n); }); mx = Math.max(mx, C.ents[i][5]); });
    rows.forEach(function (i) {
      var e = C.ents[i], row = el("div", "tl-row" + (i === selected ? " sel" : ""));
      row.dataset.i = i;
      var name = el("span", "tl-name", e[2]);
      name.title = e[0] + " " + e[1];
      name.style.borderLeft = "6px solid " + color(e[0]);
      name.style.paddingLeft = "4px";
      row.appendChild(name);
      var svg = document.createElementNS(SVG, "svg"), h = 24;
      svg.setAttribute("width", String(w * (nb + 1) + 4));
      svg.setAttribute("height", String(h));
      svg.setAttribute("role", "img");
      function bar(x, n, fill, bucket) {
        var r = document.createElementNS(SVG, "rect"), bh = n ? Math.max(1, Math.round((h - 2) * n / mx)) : 0;
        r.setAttribute("x", String(x)); r.setAttribute("y", String(h - bh));
        r.setAttribute("width", String(Math.max(1, w - 1))); r.setAttribute("height", String(bh));
        r.setAttribute("fill", fill);
        r.setAttribute("data-bucket", bucket); r.setAttribute("data-articles", String(n));
        var t = document.createElementNS(SVG, "title"); t.textContent = bucket + ": " + n + " articles"; r.appendChild(t);
        svg.appendChild(r);
      }
      e[6].forEach(function (n, b) { bar(b * w, n, color(e[0]), C.buckets[b]); });
      bar(nb * w + 4, e[5], "#bbbbbb", "undated");
      row.appendChild(svg);
      row.appendChild(el("span", "tl-n", e[3]));
      row.addEventListener("click", function () { selectEntity(i); });
      tl.appendChild(row);
    });
    if (!rows.length) tl.appendChild(el("p", "help", "No entity matches the filters."));
    else if (nb) {
      var ax = el("div", "tl-axis");
      ax.style.width = (w * nb) + "px";
      ax.appendChild(el("span", null, C.buckets[0]));
      if (nb > 1) ax.appendChild(el("span", null, C.buckets[nb - 1]));
      tl.appendChild(ax);
    }
  }
  function table(caption, heads) {
    var t = el("table", "t"), tr = el("tr");
    t.appendChild(el("caption", null, caption));
    heads.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    t.appendChild(tr);
    return t;
  }
  function selectEntity(i) {
    selected = i;
    var e = C.ents[i];
    tl.querySelectorAll(".tl-row").forEach(function (r) { r.classList.toggle("sel", Number(r.dataset.i) === i); });
    co.textContent = ""; kw.textContent = "";
    var t = table("Appears with " + e[2] + " (" + e[0] + "; at least " + C.min_count + " shared articles)",
                  ["entity", "label", "articles", "sentences", "lift", "PMI"]);
    t.id = "co-table";
    e[7].forEach(function (p) {
      var tr = el("tr"), name = el("td");
      if (p[0] >= 0) { var b = el("button", "linkish", p[2]); b.addEventListener("click", function () { selectEntity(p[0]); }); name.appendChild(b); }
      else name.textContent = p[2];
      tr.appendChild(name); tr.appendChild(el("td", null, p[1]));
      [p[3], p[4], p[5], p[6]].forEach(function (v) { tr.appendChild(el("td", "n", v)); });
      t.appendChild(tr);
    });
    if (!e[7].length) { var tr0 = el("tr"), td0 = el("td", "help", "none"); td0.colSpan = 6; tr0.appendChild(td0); t.appendChild(tr0); }
    co.appendChild(t);
    var k = table(e[2] + " in context (the first " + e[8].length + " of " + e[4] + " mentions)", ["article", "date", "", "", ""]);
    k.id = "kwic-table";
    e[8].forEach(function (line) {
      var tr = el("tr");
      tr.lang = line[2];
      tr.appendChild(el("td", null, line[0])); tr.appendChild(el("td", null, line[1] || "no date"));
      tr.appendChild(el("td", "l", line[3])); tr.appendChild(el("td", "k", line[4])); tr.appendChild(el("td", "r", line[5]));
      k.appendChild(tr);
    });
    kw.appendChild(k);
  }
  var timer = null;
  function later() { clearTimeout(timer); timer = setTimeout(drawTimeline, 120); }
  entQ.addEventListener("input", later);
  labelsBox.addEventListener("change", drawTimeline);
  $("labels-all").addEventListener("click", function () { setTimeout(drawTimeline, 0); });
  drawTimeline();
  document.body.dataset.corpusReady = "1";
})();
"""
