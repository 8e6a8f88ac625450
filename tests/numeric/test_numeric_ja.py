"""Japanese cases for pipeline.numeric.find_numeric.

Each row: (text, [(start, end, span_text, label, norm), ...]) -- the complete,
exact list of matches expected for ``text`` (empty list = nothing may fire).
``CASES`` use published="2021-05-20T10:00:00+0900"; ``CASES_NOPUB`` use None.
"""
import pytest

from pipeline.numeric import NumericMatch, find_numeric
from pipeline.numeric.dates import NOTE_AGO, NOTE_ANNIV, NOTE_NARR, NOTE_PERIOD

PUBLISHED = "2021-05-20T10:00:00+0900"

CASES = [
    ('売上高は500億円だった。', [(4, 9, '500億円', 'MONEY', {'value': '50000000000', 'currency': 'JPY'})]),
    ('資本金は1,000万円。', [(4, 11, '1,000万円', 'MONEY', {'value': '10000000', 'currency': 'JPY'})]),
    ('価格は１，２００円です。', [(3, 9, '１，２００円', 'MONEY', {'value': '1200', 'currency': 'JPY'})]),
    ('総額３８億４９００万円を計上', [(2, 11, '３８億４９００万円', 'MONEY', {'value': '3849000000', 'currency': 'JPY'})]),
    ('38億4900万元を投じた', [(0, 9, '38億4900万元', 'MONEY', {'value': '3849000000', 'currency': 'CNY'})]),
    ('事業規模は1兆2000億円に上る', [(5, 13, '1兆2000億円', 'MONEY', {'value': '1200000000000', 'currency': 'JPY'})]),
    ('五百億円の基金', [(0, 4, '五百億円', 'MONEY', {'value': '50000000000', 'currency': 'JPY'})]),
    ('一千二百万円を寄付', [(0, 6, '一千二百万円', 'MONEY', {'value': '12000000', 'currency': 'JPY'})]),
    ('3.5億ドルで買収', [(0, 6, '3.5億ドル', 'MONEY', {'value': '350000000', 'currency': 'USD'})]),
    ('1.2万ドルの損失', [(0, 6, '1.2万ドル', 'MONEY', {'value': '12000', 'currency': 'USD'})]),
    ('１０００円札', [(0, 5, '１０００円', 'MONEY', {'value': '1000', 'currency': 'JPY'})]),
    ('1億2千万円を調達', [(0, 6, '1億2千万円', 'MONEY', {'value': '120000000', 'currency': 'JPY'})]),
    ('3千万円の赤字', [(0, 4, '3千万円', 'MONEY', {'value': '30000000', 'currency': 'JPY'})]),
    ('16.4億円', [(0, 6, '16.4億円', 'MONEY', {'value': '1640000000', 'currency': 'JPY'})]),
    ('0.5億円', [(0, 5, '0.5億円', 'MONEY', {'value': '50000000', 'currency': 'JPY'})]),
    ('100円玉を拾った', [(0, 4, '100円', 'MONEY', {'value': '100', 'currency': 'JPY'})]),
    ('1ドル=110円で推移', [
        (0, 3, '1ドル', 'MONEY', {'value': '1', 'currency': 'USD'}),
        (4, 8, '110円', 'MONEY', {'value': '110', 'currency': 'JPY'}),
    ]),
    ('100億円と200億円を比べる', [
        (0, 5, '100億円', 'MONEY', {'value': '10000000000', 'currency': 'JPY'}),
        (6, 11, '200億円', 'MONEY', {'value': '20000000000', 'currency': 'JPY'}),
    ]),
    ('壱万円', [(0, 3, '壱万円', 'MONEY', {'value': '10000', 'currency': 'JPY'})]),
    ('弐万円の請求', [(0, 3, '弐万円', 'MONEY', {'value': '20000', 'currency': 'JPY'})]),
    ('約500億円の赤字', [(1, 6, '500億円', 'MONEY', {'value': '50000000000', 'currency': 'JPY', 'qualifier': 'approx'})]),
    ('およそ3000万円かかる', [(3, 9, '3000万円', 'MONEY', {'value': '30000000', 'currency': 'JPY', 'qualifier': 'approx'})]),
    ('100億円程度の投資', [(0, 5, '100億円', 'MONEY', {'value': '10000000000', 'currency': 'JPY', 'qualifier': 'approx'})]),
    ('総額117億元以上を投じる', [(2, 7, '117億元', 'MONEY', {'value': '11700000000', 'currency': 'CNY', 'qualifier': 'over'})]),
    ('1億円超の資金', [(0, 3, '1億円', 'MONEY', {'value': '100000000', 'currency': 'JPY', 'qualifier': 'over'})]),
    ('50億円余りを計上', [(0, 4, '50億円', 'MONEY', {'value': '5000000000', 'currency': 'JPY', 'qualifier': 'over'})]),
    ('1万円未満の商品', [(0, 3, '1万円', 'MONEY', {'value': '10000', 'currency': 'JPY', 'qualifier': 'under'})]),
    ('10万円以下で購入', [(0, 4, '10万円', 'MONEY', {'value': '100000', 'currency': 'JPY', 'qualifier': 'under'})]),
    ('100億円近くに膨らんだ', [(0, 5, '100億円', 'MONEY', {'value': '10000000000', 'currency': 'JPY', 'qualifier': 'under'})]),
    ('5000億円を超える規模', [(0, 6, '5000億円', 'MONEY', {'value': '500000000000', 'currency': 'JPY', 'qualifier': 'over'})]),
    ('10億円強の利益', [(0, 4, '10億円', 'MONEY', {'value': '1000000000', 'currency': 'JPY', 'qualifier': 'over'})]),
    ('10億円弱の利益', [(0, 4, '10億円', 'MONEY', {'value': '1000000000', 'currency': 'JPY', 'qualifier': 'under'})]),
    ('3000億円前後となる', [(0, 6, '3000億円', 'MONEY', {'value': '300000000000', 'currency': 'JPY', 'qualifier': 'approx'})]),
    ('５０億円ほど必要だ', [(0, 4, '５０億円', 'MONEY', {'value': '5000000000', 'currency': 'JPY', 'qualifier': 'approx'})]),
    ('年収1000万円以上の人', [(2, 8, '1000万円', 'MONEY', {'value': '10000000', 'currency': 'JPY', 'qualifier': 'over'})]),
    ('10万ドルを超える', [(0, 5, '10万ドル', 'MONEY', {'value': '100000', 'currency': 'USD', 'qualifier': 'over'})]),
    ('費用は3〜5億円の見込み', [(3, 8, '3〜5億円', 'MONEY', {'value_min': '300000000', 'value_max': '500000000', 'currency': 'JPY'})]),
    ('費用は3～5億円の見込み', [(3, 8, '3～5億円', 'MONEY', {'value_min': '300000000', 'value_max': '500000000', 'currency': 'JPY'})]),
    ('300〜500万円で販売', [(0, 9, '300〜500万円', 'MONEY', {'value_min': '3000000', 'value_max': '5000000', 'currency': 'JPY'})]),
    ('3億円〜5億円の範囲', [(0, 7, '3億円〜5億円', 'MONEY', {'value_min': '300000000', 'value_max': '500000000', 'currency': 'JPY'})]),
    ('約3〜5億円', [(1, 6, '3〜5億円', 'MONEY', {'value_min': '300000000', 'value_max': '500000000', 'currency': 'JPY', 'qualifier': 'approx'})]),
    ('10億人民元を充てる', [(0, 6, '10億人民元', 'MONEY', {'value': '1000000000', 'currency': 'CNY'})]),
    ('20億米ドルを調達', [(0, 6, '20億米ドル', 'MONEY', {'value': '2000000000', 'currency': 'USD'})]),
    ('US$500の支払い', [(0, 6, 'US$500', 'MONEY', {'value': '500', 'currency': 'USD'})]),
    ('$1,200で販売', [(0, 6, '$1,200', 'MONEY', {'value': '1200', 'currency': 'USD'})]),
    ('￥3,000の商品', [(0, 6, '￥3,000', 'MONEY', {'value': '3000', 'currency': 'JPY'})]),
    ('この店では¥500で、昨日は100円だった。', [
        (5, 9, '¥500', 'MONEY', {'value': '500', 'currency': 'JPY'}),
        (11, 13, '昨日', 'DATE', {'value': '2021-05-19'}),
        (14, 18, '100円', 'MONEY', {'value': '100', 'currency': 'JPY'}),
    ]),
    ('中国では¥500、つまり500元だ。', [
        (4, 8, '¥500', 'MONEY', {'value': '500', 'currency': 'CNY'}),
        (12, 16, '500元', 'MONEY', {'value': '500', 'currency': 'CNY'}),
    ]),
    ('10億香港ドルを投資', [(0, 7, '10億香港ドル', 'MONEY', {'value': '1000000000', 'currency': 'HKD'})]),
    ('HK$100の手数料', [(0, 6, 'HK$100', 'MONEY', {'value': '100', 'currency': 'HKD'})]),
    ('NT$300の料金', [(0, 6, 'NT$300', 'MONEY', {'value': '300', 'currency': 'TWD'})]),
    ('5億台湾ドルの売上', [(0, 6, '5億台湾ドル', 'MONEY', {'value': '500000000', 'currency': 'TWD'})]),
    ('20億ユーロの支援', [(0, 6, '20億ユーロ', 'MONEY', {'value': '2000000000', 'currency': 'EUR'})]),
    ('€50の罰金', [(0, 3, '€50', 'MONEY', {'value': '50', 'currency': 'EUR'})]),
    ('100万ポンドの賞金', [(0, 7, '100万ポンド', 'MONEY', {'value': '1000000', 'currency': 'GBP'})]),
    ('£30の本', [(0, 3, '£30', 'MONEY', {'value': '30', 'currency': 'GBP'})]),
    ('1000億ウォンの投資', [(0, 8, '1000億ウォン', 'MONEY', {'value': '100000000000', 'currency': 'KRW'})]),
    ('₩5000の商品', [(0, 5, '₩5000', 'MONEY', {'value': '5000', 'currency': 'KRW'})]),
    ('10億ルーブルの契約', [(0, 7, '10億ルーブル', 'MONEY', {'value': '1000000000', 'currency': 'RUB'})]),
    # ルピー alone is the rupee of India, Pakistan, Sri Lanka, Nepal ...: no currency, a note
    ('500億ルピーの予算', [(0, 7, '500億ルピー', 'MONEY', {'value': '50000000000', 'value_note': 'ルピー: the rupee of several countries; currency left out'})]),
    ('500億インドルピーの予算', [(0, 10, '500億インドルピー', 'MONEY', {'value': '50000000000', 'currency': 'INR'})]),
    ('3億豪ドルの案件', [(0, 5, '3億豪ドル', 'MONEY', {'value': '300000000', 'currency': 'AUD'})]),
    ('2億カナダドルの取引', [(0, 7, '2億カナダドル', 'MONEY', {'value': '200000000', 'currency': 'CAD'})]),
    ('1億スイスフランの罰金', [(0, 8, '1億スイスフラン', 'MONEY', {'value': '100000000', 'currency': 'CHF'})]),
    ('5000万シンガポールドルを出資', [(0, 13, '5000万シンガポールドル', 'MONEY', {'value': '50000000', 'currency': 'SGD'})]),
    ('100万日本円', [(0, 7, '100万日本円', 'MONEY', {'value': '1000000', 'currency': 'JPY'})]),
    ('売上高は500億元で、純利益は2,000万だった。', [
        (4, 9, '500億元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'}),
        (15, 21, '2,000万', 'MONEY', {'value': '20000000', 'currency': 'CNY', 'implicit_currency': True}),
    ]),
    ('売上高は500億元だった。純利益は2,000万だった。', [(4, 9, '500億元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'})]),
    ('500億円を投じ、2万人を雇う。', [(0, 5, '500億円', 'MONEY', {'value': '50000000000', 'currency': 'JPY'})]),
    ('純利益は3億で、売上高は50億円だった。', [
        (4, 6, '3億', 'MONEY', {'value': '300000000', 'currency': 'JPY', 'implicit_currency': True}),
        (12, 16, '50億円', 'MONEY', {'value': '5000000000', 'currency': 'JPY'}),
    ]),
    ('純利益は2,000万だった。', []),
    ('支持率は70%だった', [(4, 7, '70%', 'PERCENT', {'value': '70'})]),
    ('支持率は７０％だった', [(4, 7, '７０％', 'PERCENT', {'value': '70'})]),
    ('3.5パーセント上昇', [(0, 8, '3.5パーセント', 'PERCENT', {'value': '3.5'})]),
    ('打率は7割5分', [(3, 7, '7割5分', 'PERCENT', {'value': '75'})]),
    ('7割の企業', [(0, 2, '7割', 'PERCENT', {'value': '70'})]),
    ('約6割を占める', [(1, 3, '6割', 'PERCENT', {'value': '60', 'qualifier': 'approx'})]),
    ('前年比3.8%増', [(3, 7, '3.8%', 'PERCENT', {'value': '3.8'})]),
    ('支持率は3〜5%', [(4, 8, '3〜5%', 'PERCENT', {'value_min': '3', 'value_max': '5'})]),
    ('0.5ポイント上昇', []),
    ('1.5%ポイント低下', []),
    ('視聴率１０・９％', [(3, 8, '１０・９％', 'PERCENT', {'value': '10.9'})]),
    ('5%以上の成長', [(0, 2, '5%', 'PERCENT', {'value': '5', 'qualifier': 'over'})]),
    ('三割の学生', [(0, 2, '三割', 'PERCENT', {'value': '30'})]),
    ('二十パーセント', [(0, 7, '二十パーセント', 'PERCENT', {'value': '20'})]),
    ('2021年5月20日に発表', [(0, 10, '2021年5月20日', 'DATE', {'value': '2021-05-20'})]),
    ('2021年に発売', [(0, 5, '2021年', 'DATE', {'value': '2021'})]),
    ('2021年5月に開始', [(0, 7, '2021年5月', 'DATE', {'value': '2021-05'})]),
    ('5月20日に開始', [(0, 5, '5月20日', 'DATE', {'value': '2021-05-20'})]),
    ('２０２１年５月２０日', [(0, 10, '２０２１年５月２０日', 'DATE', {'value': '2021-05-20'})]),
    ('令和3年に施行', [(0, 4, '令和3年', 'DATE', {'value': '2021'})]),
    ('令和元年の出来事', [(0, 4, '令和元年', 'DATE', {'value': '2019'})]),
    ('平成31年4月30日に退位', [(0, 10, '平成31年4月30日', 'DATE', {'value': '2019-04-30'})]),
    ('昭和64年', [(0, 5, '昭和64年', 'DATE', {'value': '1989'})]),
    ('創業は大正8年', [(3, 7, '大正8年', 'DATE', {'value': '1919'})]),
    ('2021/5/20更新', [(0, 9, '2021/5/20', 'DATE', {'value': '2021-05-20'})]),
    ('2021-05-20公開', [(0, 10, '2021-05-20', 'DATE', {'value': '2021-05-20'})]),
    ('今年の夏', [(0, 2, '今年', 'DATE', {'value': '2021'})]),
    ('昨年の実績', [(0, 2, '昨年', 'DATE', {'value': '2020'})]),
    ('来年に延期', [(0, 2, '来年', 'DATE', {'value': '2022'})]),
    ('一昨年の秋', [(0, 3, '一昨年', 'DATE', {'value': '2019'})]),
    ('先月発売', [(0, 2, '先月', 'DATE', {'value': '2021-04'})]),
    ('今月末', [(0, 3, '今月末', 'DATE', {'value': '2021-05'})]),
    ('今月下旬に開催される', [(0, 4, '今月下旬', 'DATE', {'value': '2021-05'})]),
    ('毎年10月中旬に開く', [(2, 7, '10月中旬', 'DATE', {'value': '2021-10'})]),
    ('2010年夏に開業した', [(0, 6, '2010年夏', 'DATE', {'value': '2010'})]),
    ('2021年初めて優勝した', [(0, 5, '2021年', 'DATE', {'value': '2021'})]),
    ('8月号で特集した', []),
    ('2020年代表チーム', []),
    ('来月から', [(0, 2, '来月', 'DATE', {'value': '2021-06'})]),
    ('今日は晴れ', [(0, 2, '今日', 'DATE', {'value': '2021-05-20'})]),
    ('明日は雨', [(0, 2, '明日', 'DATE', {'value': '2021-05-21'})]),
    ('一昨日の夜', [(0, 3, '一昨日', 'DATE', {'value': '2021-05-18'})]),
    ('明後日に到着', [(0, 3, '明後日', 'DATE', {'value': '2021-05-22'})]),
    ('本日発売', [(0, 2, '本日', 'DATE', {'value': '2021-05-20'})]),
    ('今年5月に', [(0, 4, '今年5月', 'DATE', {'value': '2021-05'})]),
    ('昨年12月に', [(0, 5, '昨年12月', 'DATE', {'value': '2020-12'})]),
    ('先月20日に', [(0, 5, '先月20日', 'DATE', {'value': '2021-04-20'})]),
    ('政府は20日、発表した。', [(3, 6, '20日', 'DATE', {'value': '2021-05-20'})]),
    ('発売は20日(木)に決定', [(3, 6, '20日', 'DATE', {'value': '2021-05-20'})]),
    ('5月1日に開始', [(0, 4, '5月1日', 'DATE', {'value': '2021-05-01'})]),
    ('二〇二一年五月二十日', [(0, 10, '二〇二一年五月二十日', 'DATE', {'value': '2021-05-20'})]),
    ('五月二十日', [(0, 5, '五月二十日', 'DATE', {'value': '2021-05-20'})]),
    ('2021年度の予算', [(0, 6, '2021年度', 'DATE', {'value': '2021'})]),
    ('令和3年度の予算', [(0, 5, '令和3年度', 'DATE', {'value': '2021'})]),
    ('3月期決算', [(0, 2, '3月', 'DATE', {'value': '2021-03'})]),
    ('1日に3回服用', []),
    ('1日平均の来場者', []),
    ('過去10年間の推移', []),
    ('3か月ぶり', []),
    ('3ヶ月間の研修', []),
    ('5年間続いた', []),
    ('10年来の友人', []),
    ('1990年代の音楽', [(0, 6, '1990年代', 'DATE', {'value': None, 'value_note': NOTE_PERIOD})]),
    ('1995年代', []),
    # an era's decade counts in the era's years (昭和30年代 = 1955-1964)
    ('昭和30年代に', [(0, 6, '昭和30年代', 'DATE', {'value': None, 'value_note': NOTE_PERIOD})]),
    ('昭和四十年代の', [(0, 6, '昭和四十年代', 'DATE', {'value': None, 'value_note': NOTE_PERIOD})]),
    ('昭和35年代', []),
    # shapes DATE in both KWDLC and GSD-NE training sets
    ('1960年代後半に', [(0, 8, '1960年代後半', 'DATE', {'value': None, 'value_note': NOTE_PERIOD})]),
    ('5日のナショナルズ戦', [(0, 2, '5日', 'DATE', {'value': '2021-05-05'})]),
    ('十六日の卒業式', [(0, 3, '十六日', 'DATE', {'value': '2021-05-16'})]),
    ('22日現在の被害額', [(0, 3, '22日', 'DATE', {'value': '2021-05-22'})]),
    ('1日の雨量', []),
    ('一日も早い復旧', []),
    ('7泊8日の旅', []),
    ('11～12日の会期', []),
    ('17世紀初頭に', [(0, 4, '17世紀', 'DATE', {'value': None, 'value_note': NOTE_PERIOD})]),
    ('20世紀末から', [(0, 5, '20世紀末', 'DATE', {'value': None, 'value_note': NOTE_PERIOD})]),
    ('1世紀以上に及ぶ', []),
    ('20世紀フォックス映画', []),
    ('三日に一度は', []),
    ('江戸時代から続く', [(0, 4, '江戸時代', 'DATE', {'value': None, 'value_note': NOTE_PERIOD})]),
    ('明治時代に活躍', [(0, 4, '明治時代', 'DATE', {'value': None, 'value_note': NOTE_PERIOD})]),
    ('奈良の大仏', []),
    ('平成の大合併', []),
    ('9年前、退社した', [(0, 3, '9年前', 'DATE', {'value': None, 'value_note': NOTE_AGO})]),
    ('30年ほど前に', [(0, 6, '30年ほど前', 'DATE', {'value': None, 'value_note': NOTE_AGO})]),
    ('3ヶ月前まで', [(0, 4, '3ヶ月前', 'DATE', {'value': None, 'value_note': NOTE_AGO})]),
    ('14、5年前の本', []),
    ('1980年前後の流行', []),
    ('創業20周年を迎えた', [(2, 6, '20周年', 'DATE', {'value': None, 'value_note': NOTE_ANNIV})]),
    ('同年5月に解散', [(0, 4, '同年5月', 'DATE', {'value': None, 'value_note': NOTE_NARR})]),
    ('翌年12月に創刊', [(0, 5, '翌年12月', 'DATE', {'value': None, 'value_note': NOTE_NARR})]),
    ('同年11月5日、東京に出る', [(0, 7, '同年11月5日', 'DATE', {'value': None, 'value_note': NOTE_NARR})]),
    ('翌20日8時に', [(0, 4, '翌20日', 'DATE', {'value': None, 'value_note': NOTE_NARR})]),
    ('同年度の予算', []),
    ('同年13月', []),
    ('円安が進んだ', []),
    ('円高で輸出減', []),
    ('元年', []),
    ('行政の一元化', []),
    ('元気な子供', []),
    ('2万人が参加', []),
    ('9万件の応募', []),
    ('電話は03-1234-5678まで', []),
    ('一人で行く', []),
    ('一部の地域', []),
    ('数千円の出費', [(0, 3, '数千円', 'MONEY', {'value_min': '1000', 'value_max': '10000', 'currency': 'JPY', 'qualifier': 'approx'})]),
    ('明日香村', []),
    ('前年同期', []),
    ('ウン十万円', []),
    ('石田三成の軍勢', []),
    ('3成の企業が回答', [(0, 2, '3成', 'PERCENT', {'value': '30'})]),
    ('2021年の売上高は500億円', [
        (0, 5, '2021年', 'DATE', {'value': '2021'}),
        (10, 15, '500億円', 'MONEY', {'value': '50000000000', 'currency': 'JPY'}),
    ]),
    ('利益率は5%で、売上高は500億円', [
        (4, 6, '5%', 'PERCENT', {'value': '5'}),
        (12, 17, '500億円', 'MONEY', {'value': '50000000000', 'currency': 'JPY'}),
    ]),
    ('価格は1万円で、画素数は2000万だ。', [(3, 6, '1万円', 'MONEY', {'value': '10000', 'currency': 'JPY'})]),
    ('第1四半期', []),
    ('手数料は100 USDです', [(4, 11, '100 USD', 'MONEY', {'value': '100', 'currency': 'USD'})]),
    ('2021.5.20に公開', [(0, 9, '2021.5.20', 'DATE', {'value': '2021-05-20'})]),
    ('3億円から5億円に増額', [
        (0, 3, '3億円', 'MONEY', {'value': '300000000', 'currency': 'JPY'}),
        (5, 8, '5億円', 'MONEY', {'value': '500000000', 'currency': 'JPY'}),
    ]),
    ('【北京】中国の電子商取引大手は12日、今後3年間で500億元を投資すると発表した。同社は2011年に38億4900万元の純利益を計上し、10億人民元を研究開発に充てる。500億元のうち、物流網には総額117億元以上を投じ、118億元以上を新規事業に振り向ける。また82億元を海外展開に、2億元を人材育成に使うとしている。売上高は500億元で、純利益は2,000万に達する見込みだ。同社の従業員は2万人を超え、1日に平均3回の会議を行う。', [
        (15, 18, '12日', 'DATE', {'value': '2021-05-12'}),
        (25, 30, '500億元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'}),
        (44, 49, '2011年', 'DATE', {'value': '2011'}),
        (50, 59, '38億4900万元', 'MONEY', {'value': '3849000000', 'currency': 'CNY'}),
        (68, 74, '10億人民元', 'MONEY', {'value': '1000000000', 'currency': 'CNY'}),
        (84, 89, '500億元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'}),
        (100, 105, '117億元', 'MONEY', {'value': '11700000000', 'currency': 'CNY', 'qualifier': 'over'}),
        (111, 116, '118億元', 'MONEY', {'value': '11800000000', 'currency': 'CNY', 'qualifier': 'over'}),
        (132, 136, '82億元', 'MONEY', {'value': '8200000000', 'currency': 'CNY'}),
        (143, 146, '2億元', 'MONEY', {'value': '200000000', 'currency': 'CNY'}),
        (164, 169, '500億元', 'MONEY', {'value': '50000000000', 'currency': 'CNY'}),
        (175, 181, '2,000万', 'MONEY', {'value': '20000000', 'currency': 'CNY', 'implicit_currency': True}),
    ]),
]

CASES_NOPUB = [
    ('5月20日に開始', [(0, 5, '5月20日', 'DATE', {'value': None})]),
    ('今年の夏', [(0, 2, '今年', 'DATE', {'value': None})]),
    ('2021年の夏', [(0, 5, '2021年', 'DATE', {'value': '2021'})]),
    ('政府は20日、発表', [(3, 6, '20日', 'DATE', {'value': None})]),
]


def _run(text, lang, published):
    res = find_numeric(text, lang, published=published)
    assert all(isinstance(m, NumericMatch) for m in res)
    return [(m.start, m.end, text[m.start:m.end], m.label, m.norm) for m in res]


def _check(text, expected, lang, published):
    got = _run(text, lang, published)
    for start, end, span, _label, _norm in expected:
        assert text[start:end] == span  # the table itself is consistent
    assert got == expected


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:24] for c in CASES])
def test_ja(text, expected):
    _check(text, expected, "ja", PUBLISHED)


@pytest.mark.parametrize("text,expected", CASES_NOPUB, ids=[c[0][:24] for c in CASES_NOPUB])
def test_ja_without_published(text, expected):
    _check(text, expected, "ja", None)


def test_seed_article():
    """Japanese translation of a Chinese press article (issue 3 seed case)."""
    text, expected = next(c for c in CASES if c[0].startswith("【北京】"))
    got = _run(text, "ja", PUBLISHED)
    money = [g for g in got if g[3] == "MONEY"]
    assert [g[2] for g in money] == [
        "500億元", "38億4900万元", "10億人民元", "500億元", "117億元", "118億元",
        "82億元", "2億元", "500億元", "2,000万"]
    assert all(g[4]["currency"] == "CNY" for g in money)
    assert money[4][4]["qualifier"] == "over" and text[money[4][1]:money[4][1] + 2] == "以上"
    assert text[money[4][0] - 2:money[4][0]] == "総額"
    assert money[-1][4].get("implicit_currency") is True
    # GiNZA's mistakes: "1日" (a count) and "2万人" are not entities
    spans = {g[2] for g in got}
    assert "1日" not in spans and "2万" not in spans and "2万人" not in spans
    assert got == expected


def test_spans_restrict_and_offset():
    text = "見出し500億円\n本文は3億円と5月20日。"
    body = text.index("本文")
    res = find_numeric(text, "ja", published=PUBLISHED, spans=[(body, len(text))])
    assert [(m.start, m.end, m.label) for m in res] == [
        (body + 3, body + 6, "MONEY"), (body + 7, body + 12, "DATE")]
    # a span edge cuts an entity: nothing may cross it
    cut = text.index("億円", body)
    res = find_numeric(text, "ja", spans=[(body, cut + 1)])
    assert all(body <= m.start < m.end <= cut + 1 for m in res)


def test_published_formats():
    for pub in ("2021-05-20", "2021-05-20T10:00:00+0900", "2021/05/20"):
        res = find_numeric("昨日", "ja", published=pub)
        assert res[0].norm == {"value": "2021-05-19"}
    assert find_numeric("昨日", "ja", published="garbage")[0].norm == {"value": None}
