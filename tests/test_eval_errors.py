"""scripts/eval/errors.py: every strict-F1 error counted once, in the right kind."""

from __future__ import annotations

from scripts.eval.errors import classify, document_errors


def test_each_kind_of_error():
    gold = {(0, 4, "ORG"), (10, 13, "PERSON"), (20, 22, "LOC"), (30, 33, "LOC"), (40, 45, "ORG")}
    pred = {
        (0, 4, "ORG"),  # right
        (10, 13, "LOC"),  # same span, other label
        (20, 23, "LOC"),  # other edge
        (40, 42, "PRODUCT"),  # other edge and label
        (50, 52, "ORG"),  # on an unscored gold span
        (60, 61, "PERSON"),  # nothing there
    }
    errors = classify(gold, pred, unscored={(50, 52): "NORP"})
    assert sorted(errors) == sorted([
        ("label PERSON->LOC", (10, 13, "PERSON")),
        ("boundary LOC", (20, 22, "LOC")),
        ("miss LOC", (30, 33, "LOC")),
        ("boundary ORG->PRODUCT", (40, 45, "ORG")),
        ("spurious ORG (gold NORP)", (50, 52, "ORG")),
        ("spurious PERSON", (60, 61, "PERSON")),
    ])


def test_one_prediction_pairs_with_one_gold_span():
    """A long prediction over two gold spans pairs with the first; the second is a miss."""
    errors = classify({(0, 2, "PERSON"), (2, 4, "PERSON")}, {(0, 4, "PERSON")}, {})
    assert errors == [("boundary PERSON", (0, 2, "PERSON")), ("miss PERSON", (2, 4, "PERSON"))]


def test_no_errors_when_prediction_is_gold():
    assert classify({(0, 2, "LOC")}, {(0, 2, "LOC")}, {}) == []


def test_document_errors_apply_the_label_map_and_scored_labels():
    gold = {"entities": [{"start": 0, "end": 2, "label": "GPE"}, {"start": 3, "end": 5, "label": "NORP"},
                         {"start": 6, "end": 8, "label": "QUANTITY"}]}
    pred = {"entities": [{"start": 0, "end": 2, "label": "LOC"}, {"start": 3, "end": 5, "label": "ORG"}]}
    assert document_errors(gold, pred, ["LOC", "ORG"], {"GPE": "LOC"}) == [("spurious ORG (gold NORP)", (3, 5, "ORG"))]
