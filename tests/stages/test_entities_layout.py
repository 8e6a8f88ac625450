"""Entities never span layout whitespace (pipeline/stages/entities.py split_at_layout): split at
each break, pieces trimmed; single word spaces (北条　晶) stay inside an entity."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.record import Entity
from pipeline.stages.entities import LAYOUT_BREAK, merge, split_at_layout


def spans(text, entities):
    return [(text[e.start : e.end], e.label, e.score, e.norm) for e in entities]


def test_column_separators_split_an_entity():
    text = "機種は Xperia GX SO-04D　　　　HTC J　　　　PANTONE 5 です"
    start = text.index("X")
    ent = Entity(start, text.index("5") + 1, "PRODUCT", "spacy:ner-ja", score=0.9)
    assert spans(text, split_at_layout(text, [ent])) == [
        ("Xperia GX SO-04D", "PRODUCT", 0.9, None), ("HTC J", "PRODUCT", 0.9, None), ("PANTONE 5", "PRODUCT", 0.9, None)]


def test_line_breaks_tabs_and_double_spaces_split_and_norms_are_dropped():
    text = "東京\n大阪\tA  B \u3000C\r\n"
    ent = Entity(0, len(text), "LOC", "m", norm={"value": "1"})
    assert [t for t, *_ in spans(text, split_at_layout(text, [ent]))] == ["東京", "大阪", "A", "B", "C"]
    assert all(e.norm is None for e in split_at_layout(text, [ent]))


def test_a_single_word_space_is_not_layout():
    text = "北条　晶とＣＯＯＬＰＩＸ　Ｌ６１０と New York"
    ents = [Entity(text.index(w), text.index(w) + len(w), label, "m")
            for w, label in [("北条　晶", "PERSON"), ("ＣＯＯＬＰＩＸ　Ｌ６１０", "PRODUCT"), ("New York", "GPE")]]
    out = split_at_layout(text, ents)
    assert out == ents and spans(text, out)[1][0] == "ＣＯＯＬＰＩＸ　Ｌ６１０"


def test_a_piece_of_only_whitespace_is_dropped():
    text = "a　　　b"
    assert split_at_layout(text, [Entity(1, 4, "ORG", "m")]) == []


def test_the_pipeline_splits_before_the_merge(nlp):
    text = "新製品はXperia GX SO-04D　　　　HTC J　　　　PANTONE 5の3機種。北条　晶さんが発表した。"
    rec = nlp.process(__import__("pipeline").Article(id="x", text=text, lang="ja"))
    for e in rec["entities"]:
        assert LAYOUT_BREAK.search(e["text"]) is None
        assert e["text"] == e["text"].strip()


LAYOUT_CHARS = st.sampled_from(["a", "b", "東", " ", "\u3000", "\n", "\t", "x"])


@given(st.text(LAYOUT_CHARS, min_size=1, max_size=30), st.data())
def test_property_no_piece_holds_layout_and_pieces_cover_the_text(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    ent = Entity(start, end, "ORG", "m")
    pieces = split_at_layout(text, [ent])
    if LAYOUT_BREAK.search(text[start:end]) is None:
        assert pieces == [ent]  # untouched, edges included
        return
    prev = start
    for p in pieces:
        piece = text[p.start : p.end]
        assert prev <= p.start < p.end <= end
        assert piece == piece.strip() and LAYOUT_BREAK.search(piece) is None
        prev = p.end
    # the non-space characters of the entity are all kept, in order
    assert "".join(text[p.start : p.end] for p in pieces).replace(" ", "").replace("\u3000", "") == \
        "".join(text[start:end].split())
    assert merge([pieces]) == pieces
