"""Traditional Chinese gets the Simplified models' quality: same entities on a Traditional rendering."""

from __future__ import annotations

import pytest

from pipeline.record import Article
from pipeline.stages.zh_script import to_simplified, to_traditional
from tests.conftest import check_record

SENTENCES = [
    "腾讯公益慈善基金会秘书长陈菊红19日在北京宣布，未来五年将投入500亿元。",
    "华为技术有限公司常务董事余承东在深圳发布新款手机，起售价为6999元人民币。",
    "中国人民银行上海总部负责人王爱文说，跨境结算金额增长了12.5%。",
    "北京大学教授邱泽奇认为，这一计划的规模超过了去年全国慈善捐赠总额。",
]


@pytest.mark.parametrize("simp", SENTENCES)
def test_traditional_rendering_gives_the_same_entities(nlp, simp):
    trad = to_traditional(simp)
    assert trad != simp and len(trad) == len(simp)
    assert to_simplified(trad) == simp  # the round trip these sentences rely on
    rs = nlp.process(Article(id="s", text=simp, lang="zh-Hans", published="2021-04-19"))
    rt = nlp.process(Article(id="t", text=trad, lang="zh-Hant", published="2021-04-19"))
    check_record(rt)
    assert rt["lang"] == "zh-Hant"
    spans_s = [(e["start"], e["end"], e["label"]) for e in rs["entities"]]
    spans_t = [(e["start"], e["end"], e["label"]) for e in rt["entities"]]
    assert spans_t == spans_s and spans_s
    # The entity text is the Traditional text as given, never the Simplified copy.
    assert all(trad[e["start"] : e["end"]] == e["text"] for e in rt["entities"])
