"""Issue 3 acceptance on the sample page in corpora/: the translated Chinese article in Japanese."""

from __future__ import annotations

import pytest

from pipeline.io.readers import read_articles
from pipeline.numeric import find_numeric

EXPECTED_MONEY = [
    ("500億元", {"value": "50000000000", "currency": "CNY"}),
    ("500億元", {"value": "50000000000", "currency": "CNY"}),
    ("38億4900万元", {"value": "3849000000", "currency": "CNY"}),
    ("10億人民元", {"value": "1000000000", "currency": "CNY"}),
    ("117億元", {"value": "11700000000", "currency": "CNY", "qualifier": "over"}),
    ("82億元", {"value": "8200000000", "currency": "CNY"}),
    ("118億元", {"value": "11800000000", "currency": "CNY", "qualifier": "over"}),
    ("2億元", {"value": "200000000", "currency": "CNY"}),
    ("2,000万", {"value": "20000000", "currency": "CNY", "implicit_currency": True}),
    ("500億元", {"value": "50000000000", "currency": "CNY"}),
]


def test_sample_page_money_through_the_pipeline(nlp, sample_path):
    art = next(a for a in read_articles([sample_path]) if a.id == "ja-charity-001")
    rec = nlp.process(art)
    money = [(e["text"], e["norm"]) for e in rec["entities"] if e["label"] == "MONEY"]
    assert money == EXPECTED_MONEY
    # Nothing from the boilerplate (the teaser's 約1兆元 is outside the body).
    assert all(e["end"] <= rec["body"][1] for e in rec["entities"])
    texts = {e["text"] for e in rec["entities"]}
    assert "1日" not in texts and "2万" not in texts


@pytest.mark.parametrize(
    "text,lang,expected",
    [
        ("追加で2億元を用意し、そのうち2,000万を奨学金に充てる。", "ja", ("2,000万", "20000000", "CNY")),
        ("公司投资5亿元，其中3000万，用于研发。", "zh-Hans", ("3000万", "30000000", "CNY")),
    ],
)
def test_of_which_amount_takes_the_sentence_currency(text, lang, expected):
    ms = [m for m in find_numeric(text, lang) if m.norm.get("implicit_currency")]
    assert [(text[m.start : m.end], m.norm["value"], m.norm["currency"]) for m in ms] == [expected]
