"""Sentence splitting for Japanese and Chinese news text.

``split_sentences(text, start, end, lang) -> list[Span]`` splits ``text[start:end]``; spans are
in ``text`` coordinates, whitespace-trimmed, sorted, non-overlapping and never empty. The text
is never rewritten. One regex pass over the region finds the "events" (line breaks,
terminators, brackets); the work per event is O(1), so it is linear in the region length.

Rules:

* Every line break (the ``str.splitlines`` separators) ends a sentence: Japanese news uses one
  line per paragraph and headlines have no terminator. Blank lines produce nothing.
* A sentence ends after a run of ``。！？｡‼⁇⁈⁉`` (full-width ``！？`` always), after
  ``．`` unless it sits between two digits (``１．５``), after ASCII ``!``/``?`` runs unless they
  follow an ASCII letter or digit (``Yahoo!ニュース``, ``Go!``), and after a single ASCII ``.``
  only when it is followed by whitespace or the end of the line, is not preceded by a digit,
  whitespace or another ``.`` (``...`` is an ellipsis) and does not end a short abbreviation
  (``Mr.``, ``U.S.``, ``Inc.``...). Closing brackets right after a terminator stay with the
  sentence (``…。）``).
* ``…``/``……`` alone is not a terminator (``……。`` ends at the ``。``).
* No split inside ``「」『』“”‘’（）()【】`` (a bracket stack; a closer pops the matching opener,
  unmatched closers are ignored): ``彼は「行く。帰る。」と言った。`` is one sentence. When the
  closer that empties the stack follows a terminator (``。」``), the sentence ends after the
  closer(s), unless the next character continues the sentence (a Japanese particle such as
  ``と``/``って``/``が``, or ``、，,``), so ``「行く。」彼は言った。`` is two sentences and
  ``“我们赢了。”他说。`` is two as well.
* Unbalanced quotes cannot swallow the article: at a line break, or when the outermost open
  bracket is more than 512 characters back, the brackets are forgotten and the terminators
  that were held back inside them become sentence ends after all.
* Sentences longer than 1,000 characters are cut after the last ``、，,;；`` or whitespace
  before the cap, else hard-cut at the cap.

``lang`` is accepted for the pipeline's sake; the rules are the same for ``ja``, ``zh-Hans``,
``zh-Hant`` and anything else (the Japanese particle check never fires on Chinese text).
"""

from __future__ import annotations

import re

from pipeline.record import Span

MAX_SENTENCE = 1000
QUOTE_LIMIT = 512
_MAX_DEPTH = 32

_LINE_SEPS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_OPENERS = "「『“‘（(【"
_CLOSERS = "」』”’）)】"
_PAIR = dict(zip(_OPENERS, _CLOSERS))
_FULL_TERMS = "。！？｡‼⁇⁈⁉"
_TERM_CHARS = _FULL_TERMS + "!?．."
# After `。」` these keep the sentence going (Japanese quotative particles and commas).
_CONTINUE = set("とってでをがはにのもやへかなけ、，,・")
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "no", "co", "inc", "ltd",
    "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "fig", "vol", "p", "pp", "e.g", "i.e", "approx", "dept", "est", "gov", "gen", "sen", "rep",
}

_EVENT_RE = re.compile(
    "(?P<nl>[" + _LINE_SEPS + "]+)"
    "|(?P<term>[" + _FULL_TERMS + "!?]+|[．.]+)"
    "|(?P<open>[" + re.escape(_OPENERS) + "])"
    "|(?P<close>[" + re.escape(_CLOSERS) + "])"
)
_CUT_RE = re.compile(r".*[、，,;；\s]", re.S)


def _valid_terminator(text: str, s: int, e: int, line_end: int) -> bool:
    run = text[s:e]
    ch = run[0]
    if ch in "．.":
        if e - s > 1:
            return False  # "..." / "．．．" is an ellipsis
        prev = text[s - 1] if s > 0 else ""
        nxt = text[e] if e < line_end else ""
        if ch == "．":
            return not (prev.isdigit() and nxt.isdigit())
        # ASCII full stop: conservative.
        if nxt and not nxt.isspace() and nxt not in _CLOSERS:
            return False
        if not prev or prev.isdigit() or prev.isspace():
            return False
        # The word before the dot (bounded look-back): abbreviations and initials.
        k = s
        while k > 0 and s - k < 12 and (text[k - 1].isalpha() or text[k - 1] == ".") and text[k - 1].isascii():
            k -= 1
        word = text[k:s].lower()
        if word and (word in _ABBREV or len(word) == 1 or "." in word):
            return False
        return True
    if any(c in _FULL_TERMS for c in run):
        return True
    # Pure ASCII !/? run.
    prev = text[s - 1] if s > 0 else ""
    return not (prev.isascii() and prev.isalnum())


def split_sentences(text: str, start: int, end: int, lang: str) -> list[Span]:
    """Split ``text[start:end]`` into sentence spans (see the module docstring)."""
    n = len(text)
    start = max(0, min(start, n))
    end = max(start, min(end, n))
    out: list[Span] = []
    if start >= end:
        return out

    sent_start = start
    stack: list[tuple[str, int]] = []  # (expected closer, position of opener)
    held: list[int] = []  # sentence ends suppressed inside brackets
    line_end = end  # end of the current line (for look-ahead); recomputed lazily

    def emit(a: int, b: int) -> None:
        _emit(text, a, b, out)

    def release() -> None:
        nonlocal sent_start
        for b in held:
            if b > sent_start:
                emit(sent_start, b)
                sent_start = b
        held.clear()
        stack.clear()

    line_end = _next_line_end(text, start, end)
    for m in _EVENT_RE.finditer(text, start, end):
        kind = m.lastgroup
        ms, me = m.start(), m.end()
        if ms > line_end:
            line_end = _next_line_end(text, ms, end)
        if kind == "nl":
            if stack:
                release()
            emit(sent_start, ms)
            sent_start = me
            line_end = _next_line_end(text, me, end)
            continue
        if stack and ms - stack[0][1] > QUOTE_LIMIT:
            release()
        if kind == "term":
            if not _valid_terminator(text, ms, me, line_end):
                continue
            if stack:
                held.append(me)
                continue
            b = me
            while b < line_end and text[b] in _CLOSERS:
                b += 1
            emit(sent_start, b)
            sent_start = b
        elif kind == "open":
            if me <= sent_start:
                continue  # already consumed as part of a previous boundary
            if len(stack) < _MAX_DEPTH:
                stack.append((_PAIR[text[ms]], ms))
        else:  # close
            if not stack or me <= sent_start:
                continue
            ch = text[ms]
            k = len(stack) - 1
            while k >= 0 and stack[k][0] != ch:
                k -= 1
            if k < 0:
                continue  # unmatched closer: ignore
            del stack[k:]
            if stack:
                continue
            held.clear()
            if ms > 0 and text[ms - 1] in _TERM_CHARS and text[ms - 1] not in "．.":
                b = me
                while b < line_end and text[b] in _CLOSERS:
                    b += 1
                j = b
                while j < line_end and j - b < 3 and text[j] in " \t\u3000":
                    j += 1
                if j < line_end and (text[j] in _CONTINUE or text[j] in _TERM_CHARS):
                    continue
                emit(sent_start, b)
                sent_start = b
    if stack:
        release()
    emit(sent_start, end)
    return out


def _next_line_end(text: str, pos: int, end: int) -> int:
    """Offset of the next line separator at or after ``pos`` (or ``end``)."""
    m = _NL_RE.search(text, pos, end)
    return m.start() if m else end


_NL_RE = re.compile("[" + _LINE_SEPS + "]")


def _emit(text: str, a: int, b: int, out: list[Span]) -> None:
    """Append text[a:b] trimmed, cut into pieces of at most MAX_SENTENCE characters."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    while b - a > MAX_SENTENCE:
        m = _CUT_RE.match(text, a, a + MAX_SENTENCE)
        cut = m.end() if m else a + MAX_SENTENCE
        piece_end = cut
        while piece_end > a and text[piece_end - 1].isspace():
            piece_end -= 1
        if piece_end > a:
            out.append(Span(a, piece_end))
        a = cut
        while a < b and text[a].isspace():
            a += 1
    if b > a:
        out.append(Span(a, b))
