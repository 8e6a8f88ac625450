"""zh character-level entities never start or end inside an ASCII letter/digit run."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.ner.decoding import snap_to_latin_words


def test_widens_to_the_whole_latin_word_and_drops_the_swallowed_span():
    text = "位于夏威夷火山国家公园hawaiivolcanoesnationalpark附近"
    cut = text.index("hawai") + len("hawai")
    inner = text.index("esnational")
    spans = [(2, cut, "LOC"), (inner, inner + len("esnational"), "ORG")]
    end = text.index("附近")
    assert snap_to_latin_words(text, spans) == [(2, end, "LOC")]


def test_digits_and_clean_boundaries_are_left_alone():
    text = "夏威夷水岸1号在CCTV新闻里，iPhone6发布"
    spans = [(0, 7, "LOC"), (8, 12, "ORG"), (16, 22, "ORG")]
    assert text[8:12] == "CCTV" and text[16:22] == "iPhone"
    # "iPhone|6": the span ends inside the run "iPhone6" and is widened; the others are unchanged
    assert snap_to_latin_words(text, spans) == [(0, 7, "LOC"), (8, 12, "ORG"), (16, 23, "ORG")]
    assert snap_to_latin_words(text, spans[:2]) == spans[:2]


@given(st.text(alphabet="ab1中国 -", max_size=30), st.data())
def test_spans_stay_inside_the_text_and_do_not_overlap(text, data):
    n = len(text)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=6, unique=True)))
    spans = [(a, b, "LOC") for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
    out = snap_to_latin_words(text, spans)
    for (s, e, _), nxt in zip(out, out[1:] + [None]):
        assert 0 <= s < e <= n
        assert not (0 < s < n and text[s - 1].isascii() and text[s - 1].isalnum() and text[s].isascii() and text[s].isalnum())
        assert not (0 < e < n and text[e].isascii() and text[e].isalnum() and text[e - 1].isascii() and text[e - 1].isalnum())
        if nxt is not None:
            assert e <= nxt[0]
