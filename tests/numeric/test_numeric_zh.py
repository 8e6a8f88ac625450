"""Chinese cases for pipeline.numeric.find_numeric.

Each row: (text, [(start, end, span_text, label, norm), ...]) -- the complete,
exact list of matches expected for ``text`` (empty list = nothing may fire).
``CASES`` (zh-Hans) and ``CASES_HANT`` (zh-Hant) use published="2021-05-20";
``CASES_NOPUB`` use None.
"""
import pytest

from pipeline.numeric import find_numeric
from pipeline.numeric.dates import NOTE_NARR, NOTE_PERIOD

PUBLISHED = "2021-05-20"

CASES = [
    ('公司营收500亿元。', [(4, 9, '500亿元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'})]),
    ('营收3.5亿元', [(2, 7, '3.5亿元', 'MONEY', {'value': '350000000', 'currency': 'CNY'})]),
    ('净利润16.4亿元', [(3, 9, '16.4亿元', 'MONEY', {'value': '1640000000', 'currency': 'CNY'})]),
    ('规模达1.2万亿元', [(3, 9, '1.2万亿元', 'MONEY', {'value': '1200000000000', 'currency': 'CNY'})]),
    ('投资三千多万元', [(2, 7, '三千多万元', 'MONEY', {'value': '30000000', 'currency': 'CNY', 'qualifier': 'over'})]),
    ('损失2亿余元', [(2, 6, '2亿余元', 'MONEY', {'value': '200000000', 'currency': 'CNY', 'qualifier': 'over'})]),
    ('五百亿元的基金', [(0, 4, '五百亿元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'})]),
    ('一千二百万元', [(0, 6, '一千二百万元', 'MONEY', {'value': '12000000', 'currency': 'CNY'})]),
    ('两千元的奖金', [(0, 3, '两千元', 'MONEY', {'value': '2000', 'currency': 'CNY'})]),
    ('兩千元的獎金', [(0, 3, '兩千元', 'MONEY', {'value': '2000', 'currency': 'CNY'})]),
    ('捐款壹万元', [(2, 5, '壹万元', 'MONEY', {'value': '10000', 'currency': 'CNY'})]),
    ('贰拾万元整', [(0, 4, '贰拾万元', 'MONEY', {'value': '200000', 'currency': 'CNY'})]),
    ('叁佰元', [(0, 3, '叁佰元', 'MONEY', {'value': '300', 'currency': 'CNY'})]),
    ('陸仟元', [(0, 3, '陸仟元', 'MONEY', {'value': '6000', 'currency': 'CNY'})]),
    ('售价1,000元', [(2, 8, '1,000元', 'MONEY', {'value': '1000', 'currency': 'CNY'})]),
    ('３８億４９００萬元', [(0, 9, '３８億４９００萬元', 'MONEY', {'value': '3849000000', 'currency': 'CNY'})]),
    ('总额1200万元', [(2, 8, '1200万元', 'MONEY', {'value': '12000000', 'currency': 'CNY'})]),
    ('三点五亿元', [(0, 5, '三点五亿元', 'MONEY', {'value': '350000000', 'currency': 'CNY'})]),
    ('花了一元钱', [(2, 5, '一元钱', 'MONEY', {'value': '1', 'currency': 'CNY'})]),
    ('每股0.5元', [(2, 6, '0.5元', 'MONEY', {'value': '0.5', 'currency': 'CNY'})]),
    ('人民币500亿元', [(0, 8, '人民币500亿元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'})]),
    ('500亿元人民币', [(0, 8, '500亿元人民币', 'MONEY', {'value': '50000000000', 'currency': 'CNY'})]),
    ('1000万人民币', [(0, 8, '1000万人民币', 'MONEY', {'value': '10000000', 'currency': 'CNY'})]),
    ('RMB 100的费用', [(0, 7, 'RMB 100', 'MONEY', {'value': '100', 'currency': 'CNY'})]),
    ('售价￥100', [(2, 6, '￥100', 'MONEY', {'value': '100', 'currency': 'CNY'})]),
    ('售价¥2999', [(2, 7, '¥2999', 'MONEY', {'value': '2999', 'currency': 'CNY'})]),
    ('10亿美元的投资', [(0, 5, '10亿美元', 'MONEY', {'value': '1000000000', 'currency': 'USD'})]),
    ('5000万美金', [(0, 7, '5000万美金', 'MONEY', {'value': '50000000', 'currency': 'USD'})]),
    ('US$3000', [(0, 7, 'US$3000', 'MONEY', {'value': '3000', 'currency': 'USD'})]),
    ('$500的礼品', [(0, 4, '$500', 'MONEY', {'value': '500', 'currency': 'USD'})]),
    ('20亿港元', [(0, 5, '20亿港元', 'MONEY', {'value': '2000000000', 'currency': 'HKD'})]),
    ('5000万港币', [(0, 7, '5000万港币', 'MONEY', {'value': '50000000', 'currency': 'HKD'})]),
    ('HK$50', [(0, 5, 'HK$50', 'MONEY', {'value': '50', 'currency': 'HKD'})]),
    ('新台币300亿元', [(0, 8, '新台币300亿元', 'MONEY', {'value': '30000000000', 'currency': 'TWD'})]),
    ('300亿新台币', [(0, 7, '300亿新台币', 'MONEY', {'value': '30000000000', 'currency': 'TWD'})]),
    ('20亿欧元', [(0, 5, '20亿欧元', 'MONEY', {'value': '2000000000', 'currency': 'EUR'})]),
    ('€5的小费', [(0, 2, '€5', 'MONEY', {'value': '5', 'currency': 'EUR'})]),
    ('100万英镑', [(0, 6, '100万英镑', 'MONEY', {'value': '1000000', 'currency': 'GBP'})]),
    ('1000亿韩元', [(0, 7, '1000亿韩元', 'MONEY', {'value': '100000000000', 'currency': 'KRW'})]),
    ('10亿卢布', [(0, 5, '10亿卢布', 'MONEY', {'value': '1000000000', 'currency': 'RUB'})]),
    ('50亿卢比', [(0, 5, '50亿卢比', 'MONEY', {'value': '5000000000', 'value_note': '卢比: the rupee of several countries; currency left out'})]),
    ('50亿印度卢比', [(0, 7, '50亿印度卢比', 'MONEY', {'value': '5000000000', 'currency': 'INR'})]),
    ('3亿澳元', [(0, 4, '3亿澳元', 'MONEY', {'value': '300000000', 'currency': 'AUD'})]),
    ('2亿加元', [(0, 4, '2亿加元', 'MONEY', {'value': '200000000', 'currency': 'CAD'})]),
    ('1亿瑞士法郎', [(0, 6, '1亿瑞士法郎', 'MONEY', {'value': '100000000', 'currency': 'CHF'})]),
    ('5000万新加坡元', [(0, 9, '5000万新加坡元', 'MONEY', {'value': '50000000', 'currency': 'SGD'})]),
    ('100亿日元', [(0, 6, '100亿日元', 'MONEY', {'value': '10000000000', 'currency': 'JPY'})]),
    ('3块钱一斤', [(0, 3, '3块钱', 'MONEY', {'value': '3', 'currency': 'CNY'})]),
    ('卖100块', [(1, 5, '100块', 'MONEY', {'value': '100', 'currency': 'CNY'})]),
    ('一块石头', []),
    ('约3至5亿元', [(1, 6, '3至5亿元', 'MONEY', {'value_min': '300000000', 'value_max': '500000000', 'currency': 'CNY', 'qualifier': 'approx'})]),
    ('投资3-5亿元', [(2, 7, '3-5亿元', 'MONEY', {'value_min': '300000000', 'value_max': '500000000', 'currency': 'CNY'})]),
    ('投资3到5亿元', [(2, 7, '3到5亿元', 'MONEY', {'value_min': '300000000', 'value_max': '500000000', 'currency': 'CNY'})]),
    ('投资3~5亿元', [(2, 7, '3~5亿元', 'MONEY', {'value_min': '300000000', 'value_max': '500000000', 'currency': 'CNY'})]),
    ('成交价2.3万元-2.4万元', [(3, 14, '2.3万元-2.4万元', 'MONEY', {'value_min': '23000', 'value_max': '24000', 'currency': 'CNY'})]),
    ('超过100亿元', [(2, 7, '100亿元', 'MONEY', {'value': '10000000000', 'currency': 'CNY', 'qualifier': 'over'})]),
    ('逾100亿元', [(1, 6, '100亿元', 'MONEY', {'value': '10000000000', 'currency': 'CNY', 'qualifier': 'over'})]),
    ('突破1000亿元', [(2, 8, '1000亿元', 'MONEY', {'value': '100000000000', 'currency': 'CNY', 'qualifier': 'over'})]),
    ('不到100元', [(2, 6, '100元', 'MONEY', {'value': '100', 'currency': 'CNY', 'qualifier': 'under'})]),
    ('不足50万元', [(2, 6, '50万元', 'MONEY', {'value': '500000', 'currency': 'CNY', 'qualifier': 'under'})]),
    ('近500亿元', [(1, 6, '500亿元', 'MONEY', {'value': '50000000000', 'currency': 'CNY', 'qualifier': 'under'})]),
    ('100亿元左右', [(0, 5, '100亿元', 'MONEY', {'value': '10000000000', 'currency': 'CNY', 'qualifier': 'approx'})]),
    ('大约50万元', [(2, 6, '50万元', 'MONEY', {'value': '500000', 'currency': 'CNY', 'qualifier': 'approx'})]),
    ('500亿元以上', [(0, 5, '500亿元', 'MONEY', {'value': '50000000000', 'currency': 'CNY', 'qualifier': 'over'})]),
    ('2万多美元', [(0, 5, '2万多美元', 'MONEY', {'value': '20000', 'currency': 'USD', 'qualifier': 'over'})]),
    ('营收500亿元，净利润2000万，同比增长。', [
        (2, 7, '500亿元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'}),
        (11, 16, '2000万', 'MONEY', {'value': '20000000', 'currency': 'CNY', 'implicit_currency': True}),
    ]),
    ('净利润2000万，同比增长。', []),
    ('营收500亿元。净利润2000万，同比增长。', [(2, 7, '500亿元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'})]),
    ('投资10亿美元，带动就业2万人。', [(2, 7, '10亿美元', 'MONEY', {'value': '1000000000', 'currency': 'USD'})]),
    ('增长70%', [(2, 5, '70%', 'PERCENT', {'value': '70'})]),
    ('增长７０％', [(2, 5, '７０％', 'PERCENT', {'value': '70'})]),
    ('百分之七十的人', [(0, 5, '百分之七十', 'PERCENT', {'value': '70'})]),
    ('百分之三点五', [(0, 6, '百分之三点五', 'PERCENT', {'value': '3.5'})]),
    ('百分之百', [(0, 4, '百分之百', 'PERCENT', {'value': '100'})]),
    ('约占三成', [(2, 4, '三成', 'PERCENT', {'value': '30', 'qualifier': 'approx'})]),
    ('下降3成', [(2, 4, '3成', 'PERCENT', {'value': '30'})]),
    ('同比增长5.3%', [(4, 8, '5.3%', 'PERCENT', {'value': '5.3'})]),
    ('增幅3~5%', [(2, 6, '3~5%', 'PERCENT', {'value_min': '3', 'value_max': '5'})]),
    ('上升3个百分点', []),
    ('一成不变', []),
    ('超过50%', [(2, 5, '50%', 'PERCENT', {'value': '50', 'qualifier': 'over'})]),
    ('0.66%、1.15%', [
        (0, 5, '0.66%', 'PERCENT', {'value': '0.66'}),
        (6, 11, '1.15%', 'PERCENT', {'value': '1.15'}),
    ]),
    ('2021年5月20日发布', [(0, 10, '2021年5月20日', 'DATE', {'value': '2021-05-20'})]),
    ('2021年发布', [(0, 5, '2021年', 'DATE', {'value': '2021'})]),
    ('二〇二一年五月二十日', [(0, 10, '二〇二一年五月二十日', 'DATE', {'value': '2021-05-20'})]),
    ('二○一二年', [(0, 5, '二○一二年', 'DATE', {'value': '2012'})]),
    ('5月20日上午', [(0, 5, '5月20日', 'DATE', {'value': '2021-05-20'})]),
    ('5月20号开幕', [(0, 5, '5月20号', 'DATE', {'value': '2021-05-20'})]),
    ('去年的业绩', [(0, 2, '去年', 'DATE', {'value': '2020'})]),
    ('今年以来', [(0, 2, '今年', 'DATE', {'value': '2021'})]),
    ('明年上市', [(0, 2, '明年', 'DATE', {'value': '2022'})]),
    ('前年的数据', [(0, 2, '前年', 'DATE', {'value': '2019'})]),
    ('上月发布', [(0, 2, '上月', 'DATE', {'value': '2021-04'})]),
    ('本月底', [(0, 3, '本月底', 'DATE', {'value': '2021-05'})]),
    ('2021年底，公司上市', [(0, 6, '2021年底', 'DATE', {'value': '2021'})]),
    ('5月初，他说', [(0, 3, '5月初', 'DATE', {'value': '2021-05'})]),
    ('下月起', [(0, 2, '下月', 'DATE', {'value': '2021-06'})]),
    ('上个月', [(0, 3, '上个月', 'DATE', {'value': '2021-04'})]),
    ('昨天下午', [(0, 2, '昨天', 'DATE', {'value': '2021-05-19'})]),
    ('今天上午', [(0, 2, '今天', 'DATE', {'value': '2021-05-20'})]),
    ('明天开始', [(0, 2, '明天', 'DATE', {'value': '2021-05-21'})]),
    ('前天晚上', [(0, 2, '前天', 'DATE', {'value': '2021-05-18'})]),
    ('去年12月', [(0, 5, '去年12月', 'DATE', {'value': '2020-12'})]),
    ('今年5月20日', [(0, 7, '今年5月20日', 'DATE', {'value': '2021-05-20'})]),
    ('新华社北京5月20日电', [(5, 10, '5月20日', 'DATE', {'value': '2021-05-20'})]),
    ('北京20日电', [(2, 5, '20日', 'DATE', {'value': '2021-05-20'})]),
    ('2021/5/20', [(0, 9, '2021/5/20', 'DATE', {'value': '2021-05-20'})]),
    ('2021-05-20', [(0, 10, '2021-05-20', 'DATE', {'value': '2021-05-20'})]),
    ('三月开学', [(0, 2, '三月', 'DATE', {'value': '2021-03'})]),
    ('2020年至2021年', [
        (0, 5, '2020年', 'DATE', {'value': '2020'}),
        (6, 11, '2021年', 'DATE', {'value': '2021'}),
    ]),
    ('本月1日', [(0, 4, '本月1日', 'DATE', {'value': '2021-05-01'})]),
    ('昨日发布', [(0, 2, '昨日', 'DATE', {'value': '2021-05-19'})]),
    ('张元说', []),
    ('一元化管理', []),
    ('单元测试', []),
    ('化学元素', []),
    ('元旦快乐', []),
    ('李一元先生', []),
    ('2万人参加', []),
    ('9万件包裹', []),
    ('电话010-12345678', []),
    ('失去年轻的心', []),
    ('如今年轻人', []),
    ('5年间', []),
    ('10年来', []),
    ('3个月', []),
    ('过去10年', []),
    ('1990年代', [(0, 6, '1990年代', 'DATE', {'value': None, 'value_note': NOTE_PERIOD})]),
    ('同年5月', [(0, 4, '同年5月', 'DATE', {'value': None, 'value_note': NOTE_NARR})]),
    ('翌20日', []),
    ('10年前', []),
    ('明治时代', []),
    ('最近三月', []),
    ('第一季度', []),
    ('万一出事', []),
    ('千万不要', []),
    ('数千元', [(0, 3, '数千元', 'MONEY', {'value_min': '1000', 'value_max': '10000', 'currency': 'CNY', 'qualifier': 'approx'})]),
    ('一人分饰两角', []),
    ('五月天的新歌', []),
    ('售价3000元，像素达到1130万。', [(2, 7, '3000元', 'MONEY', {'value': '3000', 'currency': 'CNY'})]),
    ('2021年营收500亿元', [
        (0, 5, '2021年', 'DATE', {'value': '2021'}),
        (7, 12, '500亿元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'}),
    ]),
    ('毛利率为5%，营收500亿元', [
        (4, 6, '5%', 'PERCENT', {'value': '5'}),
        (9, 14, '500亿元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'}),
    ]),
    ('第1季度', []),
    ('约四成半飘红', [(1, 4, '四成半', 'PERCENT', {'value': '45', 'qualifier': 'approx'})]),
    ('高达百分之20%的返利', [(2, 8, '百分之20%', 'PERCENT', {'value': '20'})]),
    ('每吨人民币六6万人民币左右', [(6, 11, '6万人民币', 'MONEY', {'value': '60000', 'currency': 'CNY', 'qualifier': 'approx'})]),
    ('二○一二年三月', [(0, 7, '二○一二年三月', 'DATE', {'value': '2012-03'})]),
    ('花了1000 CNY', [(2, 10, '1000 CNY', 'MONEY', {'value': '1000', 'currency': 'CNY'})]),
    ('净利润2000万，营收500亿元。', [
        (3, 8, '2000万', 'MONEY', {'value': '20000000', 'currency': 'CNY', 'implicit_currency': True}),
        (11, 16, '500亿元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'}),
    ]),
]

CASES_NOPUB = [
    ('去年的业绩', [(0, 2, '去年', 'DATE', {'value': None})]),
    ('5月20日上午', [(0, 5, '5月20日', 'DATE', {'value': None})]),
    ('2021年发布', [(0, 5, '2021年', 'DATE', {'value': '2021'})]),
    ('上月发布', [(0, 2, '上月', 'DATE', {'value': None})]),
]

CASES_HANT = [
    ('港幣100元', [(0, 6, '港幣100元', 'MONEY', {'value': '100', 'currency': 'HKD'})]),
    ('新台幣500元', [(0, 7, '新台幣500元', 'MONEY', {'value': '500', 'currency': 'TWD'})]),
    ('20億歐元', [(0, 5, '20億歐元', 'MONEY', {'value': '2000000000', 'currency': 'EUR'})]),
    ('100萬英鎊', [(0, 6, '100萬英鎊', 'MONEY', {'value': '1000000', 'currency': 'GBP'})]),
    ('1000億韓元', [(0, 7, '1000億韓元', 'MONEY', {'value': '100000000000', 'currency': 'KRW'})]),
    ('營收3.5億元', [(2, 7, '3.5億元', 'MONEY', {'value': '350000000', 'currency': 'CNY'})]),
    ('百分之三點五', [(0, 6, '百分之三點五', 'PERCENT', {'value': '3.5'})]),
    ('上個月', [(0, 3, '上個月', 'DATE', {'value': '2021-04'})]),
]


def _check(text, expected, lang, published):
    for start, end, span, _label, _norm in expected:
        assert text[start:end] == span  # the table itself is consistent
    res = find_numeric(text, lang, published=published)
    got = [(m.start, m.end, text[m.start:m.end], m.label, m.norm) for m in res]
    assert got == expected


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:24] for c in CASES])
def test_zh_hans(text, expected):
    _check(text, expected, "zh-Hans", PUBLISHED)


@pytest.mark.parametrize("text,expected", CASES_NOPUB, ids=[c[0][:24] for c in CASES_NOPUB])
def test_zh_without_published(text, expected):
    _check(text, expected, "zh-Hans", None)


@pytest.mark.parametrize("text,expected", CASES_HANT, ids=[c[0][:24] for c in CASES_HANT])
def test_zh_hant(text, expected):
    _check(text, expected, "zh-Hant", PUBLISHED)


def test_yen_sign_follows_language():
    assert find_numeric("¥100", "zh-Hans")[0].norm["currency"] == "CNY"
    assert find_numeric("¥100", "ja")[0].norm["currency"] == "JPY"


def test_values_are_exact_strings():
    res = find_numeric("16.4亿元和0.1亿元和1.23456789万亿元", "zh-Hans")
    assert [m.norm["value"] for m in res] == ["1640000000", "10000000", "1234567890000"]
