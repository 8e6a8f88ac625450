"""Find the article body and mark the scraped junk around it.

``find_body(text, title=None) -> (Span, list[Boilerplate])``. Offsets are code points into
``text`` exactly as given; nothing is rewritten. The body span runs from the first character
that is not boilerplate/whitespace to the last character of the last body line; boilerplate
spans are whitespace-trimmed, sorted, non-overlapping and never overlap the body.

How it works (linear in the text length):

* The text is cut into lines at the same line separators as ``str.splitlines`` (``\\n``,
  ``\\r``, U+2028 ...). Lines are whitespace-trimmed; blank lines are ignored.
* Leading junk (forward scan): a repeat of ``title`` at the very start, reported as
  ``"title"`` **only when the title is alone on its line** (followed by a line break and more
  text) -- a title glued to the first sentence, as in THUCNews dumps, is left in the body
  because we cannot tell where it ends; then any ``[[123]]`` marker lines (``"marker"``).
* Trailing junk (backward scan from the last line; it stops at the first real body line), each
  line classified as:

  - ``nav_link``: starts with ``<<`` ``>>`` ``«`` ``»`` ``前の記事`` ``次の記事`` ``上一篇``
    ``下一篇`` ...
  - ``related_links``: a heading such as ``■関連記事``, ``【関連リンク】``, ``相关报道：``,
    ``延伸阅读``, ``…の記事をもっと読む``; it also takes every short link-like line below it
    (``・title`` lines, short lines not ending in 。).
  - ``marker``: lines made only of ``[[...]]`` markers.
  - ``end_marker``: a line that is only ``|``/``｜``.
  - ``copyright``: short lines (no sentence end before the keyword) with ``Copyright``, ``©``, ``All Rights Reserved``, ``版权所有``,
    ``無断転載``, ``转载请注明`` ...
  - ``credit``: short lines starting with ``責任編集``/``责任编辑：``/``（編集：…）``,
    ``記事執筆：``, ``来源：``, ``出典：`` ..., or containing ``記事提供社``.
  - ``teaser``: lines ending with an ellipsis (``…``, ``……``, ``...``). They count only as a
    *trailing run*: after a nav link / end marker, or when at least two such lines follow the
    body directly. A single last line ending in ``……`` with nothing else around it stays body,
    and so does any ellipsis line that has real body lines after it (the scan stops there).
  - The last body line may carry junk at its end (zh dumps have no line breaks): a trailing
    ``|`` (``end_marker``), ``[[123]]`` (``marker``), ``编辑：某某`` / ``（編集：…）``
    (``credit``), ``声明：…转载…`` / ``Copyright…`` (``copyright``), ``相关阅读：…`` with no
    ``。`` after it (``related_links``). These suffixes are cut off it (up to 8, each searched in
    the last 3,000 characters of the line).

The backward scan looks at no more than 5,000 non-blank lines; beyond that everything is body.

Limitations: junk in the middle of an article is not detected (only leading/trailing junk);
link lists without a heading (``・`` lines at the very end) are kept as body; junk lines that
look like prose (end with 。) stop the backward scan.
"""

from __future__ import annotations

import re

from pipeline.record import Boilerplate, Span

_LINE_SEPS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_RE = re.compile("[^" + _LINE_SEPS + "]+")
_SUFFIX_WINDOW = 3000
_MAX_SUFFIXES = 8
_SHORT = 120  # lines longer than this are never copyright/credit lines
_LINKLIKE_MAX = 80
_MAX_TRAILING_LINES = 5000  # the backward scan gives up (the rest is body) after this many lines

_NAV_RE = re.compile(
    r"\s*(?:<<|>>|＜＜|＞＞|≪|≫|«|»|前の記事|次の記事|前のページ|次のページ|"
    r"上一篇|下一篇|上一页|下一页|上一頁|下一頁|上一則|下一則|上一条|下一条|上一條|下一條)"
)
_BULLETS = "■□◆◇●○◎▼▽▲△★☆◉・•·▶►▷→⇒＞>"
_RELATED_RE = re.compile(
    r"[" + _BULLETS + r"\s]*[【\[［〔〈《<(（「]?\s*"
    r"(?:関連|相关|相關|延伸|推荐|推薦|热门|熱門|おすすめ|オススメ|人気の?)"
    r"(?:記事|リンク|情報|特集|ニュース|サイト|新闻|新聞|报道|報道|報導|阅读|閱讀|链接|鏈接|"
    r"文章|专题|專題|话题|話題|推荐|推薦|资讯|資訊)"
    r"\s*(?:$|[：:】\]］〕〉》>)）」|｜\s])"
)
_MORE_RE = re.compile(r".{0,60}(?:記事|ニュース)を?もっと(?:読む|見る)\s*$|.{0,60}の?記事一覧\s*$")
_MARKER_LINE_RE = re.compile(r"(?:\[\[[^\[\]]{0,64}\]\]\s*)+$")
_END_MARKER_LINE_RE = re.compile(r"[|｜]+$")
_COPYRIGHT_RE = re.compile(
    r"(?i:copyright|all rights reserved)|©|\([cC]\)\s*\d{4}|版权所有|版權所有|無断転載|無断複製|"
    r"禁止转载|禁止轉載|转载请注明|轉載請註明|未经授权|未經授權|不得转载|不得轉載"
)
_CREDIT_RE = re.compile(
    r"[（(【\[［〔]?\s*(?:責任編集|责任编辑|責任編輯|编辑|編集|編輯|記事執筆|执笔|執筆|撰稿|校对|校對|"
    r"审核|審核|来源|來源|出典|記事提供社?|翻訳|翻译|翻譯)\s*[：:／/]"
)
_CREDIT_ANY_RE = re.compile(r"記事提供社")
_TERMINATOR_RE = re.compile(r"[。！？!?]")
_TEASER_END = ("…", "...", "⋯", "‥", "。。。")

# Suffixes cut off the last body line; each pattern is `$`-anchored (search uses endpos).
_SUFFIXES = (
    ("marker", re.compile(r"\[\[[^\[\]]{0,64}\]\]$")),
    (
        "credit",
        re.compile(
            r"[（(【\[［]?\s*(?:責任編集|责任编辑|責任編輯|编辑|編集|編輯|記事提供社?|来源|來源)"
            r"\s*[：:][^。！？!?：:]{1,40}$"
        ),
    ),
    (
        "copyright",
        re.compile(
            r"(?:(?i:copyright|all rights reserved)|©)[^。]{0,200}$|"
            r"声明[：:][^：:]{0,100}(?:转载|轉載|版权|版權|稿件)[^：:]{0,100}$"
        ),
    ),
    (
        "related_links",
        re.compile(
            r"(?:■\s*)?(?:相关|相關|延伸|関連)(?:新闻|新聞|报道|報道|報導|阅读|閱讀|链接|鏈接|文章|"
            r"专题|專題|推荐|推薦|記事|リンク)\s*[：:][^。]{0,2900}$"
        ),
    ),
)


def _strip_line(text: str, a: int, b: int) -> tuple[int, int]:
    seg = text[a:b]
    stripped = seg.strip()
    if not stripped:
        return a, a
    start = a + (len(seg) - len(seg.lstrip()))
    return start, start + len(stripped)


def _rstrip_end(text: str, a: int, b: int) -> int:
    while b > a and text[b - 1].isspace():
        b -= 1
    return b


def _full_line_reason(s: str) -> str | None:
    if _NAV_RE.match(s):
        return "nav_link"
    if _RELATED_RE.match(s) or (len(s) <= _SHORT and _MORE_RE.match(s)):
        return "related_links"
    if _MARKER_LINE_RE.match(s):
        return "marker"
    if _END_MARKER_LINE_RE.match(s):
        return "end_marker"
    if len(s) <= _SHORT:
        # Only when no sentence ends before the keyword: "本文。声明：…转载…" is a body line
        # with a junk suffix (handled by _strip_suffixes), not a junk line.
        m = _COPYRIGHT_RE.search(s)
        if m and not _TERMINATOR_RE.search(s, 0, m.start()):
            return "copyright"
        m = _CREDIT_RE.match(s) or _CREDIT_ANY_RE.search(s)
        if m and not _TERMINATOR_RE.search(s, 0, m.start()):
            return "credit"
    return None


def _strip_suffixes(text: str, a: int, b: int) -> tuple[int, list[tuple[int, int, str]]]:
    """Cut junk suffixes off the line text[a:b]; returns the new end and the junk pieces."""
    pieces: list[tuple[int, int, str]] = []
    for _ in range(_MAX_SUFFIXES):
        if b <= a:
            break
        if text[b - 1] in "|｜":
            s = b - 1
            while s > a and text[s - 1] in "|｜":
                s -= 1
            pieces.append((s, b, "end_marker"))
            b = _rstrip_end(text, a, s)
            continue
        lo = max(a, b - _SUFFIX_WINDOW)
        best: tuple[int, str] | None = None
        for reason, pattern in _SUFFIXES:
            m = pattern.search(text, lo, b)
            if m and (best is None or m.start() > best[0]):
                best = (m.start(), reason)
        if best is None:
            break
        s, reason = best
        # The piece is whitespace-trimmed on the left (patterns may start with \s in brackets).
        while s < b and text[s].isspace():
            s += 1
        pieces.append((s, b, reason))
        b = _rstrip_end(text, a, s)
    return b, pieces


def _is_teaser(s: str) -> bool:
    return s.endswith(_TEASER_END)


def _is_linklike(s: str) -> bool:
    if s[0] in _BULLETS:
        return True
    return len(s) <= _LINKLIKE_MAX and not s.endswith(("。", "．", "."))


def find_body(text: str, title: str | None = None) -> tuple[Span, list[Boilerplate]]:
    """Return the body span and the boilerplate spans of ``text`` (see the module docstring)."""
    if not text or text.isspace():
        return Span(0, 0), []

    lines: list[tuple[int, int]] = []  # raw (unstripped) line ranges
    for m in _LINE_RE.finditer(text):
        lines.append((m.start(), m.end()))

    junk: list[tuple[int, int, str]] = []

    # ---- leading junk: title repeat, marker lines ----
    lo = 0  # index of the first line that may be body
    first = None  # start offset of the body candidate area
    if title is not None and title.strip():
        t = title.strip()
        i0 = 0
        while i0 < len(lines) and _strip_line(text, *lines[i0])[0] == _strip_line(text, *lines[i0])[1]:
            i0 += 1
        if i0 < len(lines):
            a, b = _strip_line(text, *lines[i0])
            if b - a == len(t) and text.startswith(t, a):
                # Only when more non-blank text follows: a text that is just its title is body.
                for ln in lines[i0 + 1 :]:
                    sa, sb = _strip_line(text, *ln)
                    if sa < sb:
                        junk.append((a, b, "title"))
                        lo = i0 + 1
                        break
    while lo < len(lines):
        a, b = _strip_line(text, *lines[lo])
        if a == b:
            lo += 1
            continue
        if _MARKER_LINE_RE.match(text, a, b):
            junk.append((a, b, "marker"))
            lo += 1
            continue
        first = a
        break

    if first is None:  # nothing but leading junk
        return Span(0, 0), _finish(junk)

    # ---- trailing junk: backward scan ----
    pending: list[tuple[int, int, bool]] = []  # (start, end, is_teaser), bottom first
    nav_context = False
    body_end: int | None = None
    i = len(lines) - 1
    seen = 0
    while i >= lo:
        a, b = _strip_line(text, *lines[i])
        i -= 1
        if a == b:
            continue
        seen += 1
        if seen > _MAX_TRAILING_LINES:
            body_end = b  # no article has 5,000 lines of trailing junk: treat it as body
            break
        s = text[a:b]
        reason = _full_line_reason(s)
        if reason == "related_links":
            junk.extend((pa, pb, "related_links") for pa, pb, _ in pending)
            pending.clear()
            junk.append((a, b, reason))
            continue
        if reason in ("nav_link", "end_marker"):
            nav_context = True
            junk.extend((pa, pb, "teaser" if te else "related_links") for pa, pb, te in pending)
            pending.clear()
            junk.append((a, b, reason))
            continue
        if reason is not None:
            junk.append((a, b, reason))
            continue
        new_b, pieces = _strip_suffixes(text, a, b)
        if pieces:
            junk.extend(pieces)
            if any(r == "end_marker" for _, _, r in pieces):
                nav_context = True
                junk.extend((pa, pb, "teaser" if te else "related_links") for pa, pb, te in pending)
                pending.clear()
            if new_b <= a:
                continue
            body_end = new_b
            break
        if _is_teaser(s):
            pending.append((a, b, True))
            continue
        if _is_linklike(s):
            pending.append((a, b, False))
            continue
        body_end = b
        break

    # ---- resolve pending lines (between the last body line and the confirmed junk) ----
    if pending:
        pending.reverse()  # text order
        last_plain = -1
        for k, (_, _, te) in enumerate(pending):
            if not te:
                last_plain = k
        teasers = pending[last_plain + 1 :]
        have_body_above = body_end is not None or last_plain >= 0
        if teasers and have_body_above and (len(teasers) >= 2 or nav_context):
            junk.extend((pa, pb, "teaser") for pa, pb, _ in teasers)
            keep = pending[: last_plain + 1]
        else:
            keep = pending
        if keep:
            body_end = keep[-1][1]
            junk = [j for j in junk if j[0] >= body_end or j[1] <= first]

    if body_end is None or body_end <= first:
        return Span(0, 0), _finish(junk)
    return Span(first, body_end), _finish(junk)


def _finish(junk: list[tuple[int, int, str]]) -> list[Boilerplate]:
    out: list[Boilerplate] = []
    last_end = -1
    for a, b, reason in sorted(junk):
        if a >= b or a < last_end:
            continue
        out.append(Boilerplate(a, b, reason))
        last_end = b
    return out
