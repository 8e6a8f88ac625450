from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.record import Boilerplate, Span
from pipeline.stages.boilerplate import find_body

# (name, text, title, expected body text, expected boilerplate [(reason, text)])
# Offsets are checked exactly: body/junk texts are located with str.find, so each is unique.
CASES = [
    (
        "clean article",
        "\u3000東京で新しい駅が開業した。\n\n利用者は初日から多かった。\n",
        None,
        "東京で新しい駅が開業した。\n\n利用者は初日から多かった。",
        [],
    ),
    (
        "republished chinese press: end marker, nav links, teasers, marker",
        "慈善団体が新たな支援を始めた…… 代表はこう述べた。 |\n"
        "<<: 中国、新しい計画を発表 ……\n"
        ">>: 北京で展示会が開幕 ……\n"
        "上海の企業が新事業を始めたと、地元紙が伝えた。この事業は…\n"
        "深圳市は昨日、新しい規則を発表した…\n"
        "[[403388]]\n",
        None,
        "慈善団体が新たな支援を始めた…… 代表はこう述べた。",
        [
            ("end_marker", "|"),
            ("nav_link", "<<: 中国、新しい計画を発表 ……"),
            ("nav_link", ">>: 北京で展示会が開幕 ……"),
            ("teaser", "上海の企業が新事業を始めたと、地元紙が伝えた。この事業は…"),
            ("teaser", "深圳市は昨日、新しい規則を発表した…"),
            ("marker", "[[403388]]"),
        ],
    ),
    (
        "full-width end marker on its own line",
        "本文の一文目です。\n本文の二文目です。\n｜\n[[12]]",
        None,
        "本文の一文目です。\n本文の二文目です。",
        [("end_marker", "｜"), ("marker", "[[12]]")],
    ),
    (
        "ellipsis inside the body stays body when body lines follow",
        "彼は「まさか……」とつぶやいた……\n翌日、警察が現場を調べた。\n",
        None,
        "彼は「まさか……」とつぶやいた……\n翌日、警察が現場を調べた。",
        [],
    ),
    (
        "a single last line ending with an ellipsis is body",
        "試合は終わった。\n選手たちは静かに会場を去った……",
        None,
        "試合は終わった。\n選手たちは静かに会場を去った……",
        [],
    ),
    (
        "two trailing ellipsis lines are a teaser run",
        "市は新しい公園を作ると発表した。\n別の町でも祭りが始まると……\n駅前の再開発計画が動き出し…\n",
        None,
        "市は新しい公園を作ると発表した。",
        [("teaser", "別の町でも祭りが始まると……"), ("teaser", "駅前の再開発計画が動き出し…")],
    ),
    (
        "livedoor related articles block",
        "新製品は来月発売される。価格は未定だ。\n\n■関連記事\n・新しい掃除機が人気に\n・冬の家電売れ筋をチェック！\n",
        None,
        "新製品は来月発売される。価格は未定だ。",
        [
            ("related_links", "■関連記事"),
            ("related_links", "・新しい掃除機が人気に"),
            ("related_links", "・冬の家電売れ筋をチェック！"),
        ],
    ),
    (
        "bracketed headings, two related blocks",
        "会見は一時間続いた。\n\n【関連記事】\n・ある俳優が会見で謝罪\n\n【関連情報】\n・公式サイト\n",
        None,
        "会見は一時間続いた。",
        [
            ("related_links", "【関連記事】"),
            ("related_links", "・ある俳優が会見で謝罪"),
            ("related_links", "【関連情報】"),
            ("related_links", "・公式サイト"),
        ],
    ),
    (
        "credit line then related links",
        "新機種は夏に登場する予定です。\n\n記事執筆：編集部\n\n■関連リンク\n・公式サイト | 会社名\n",
        None,
        "新機種は夏に登場する予定です。",
        [("credit", "記事執筆：編集部"), ("related_links", "■関連リンク"), ("related_links", "・公式サイト | 会社名")],
    ),
    (
        "more-articles link line",
        "新しいアプリが公開された。\n\n■このコーナーの記事をもっと読む\n",
        None,
        "新しいアプリが公開された。",
        [("related_links", "■このコーナーの記事をもっと読む")],
    ),
    (
        "link lines without a heading stay body",
        "映画は来月公開される。\n\n・映画の公式サイト\n",
        None,
        "映画は来月公開される。\n\n・映画の公式サイト",
        [],
    ),
    (
        "japanese nav words and copyright",
        "株価は小幅に上昇した。\n前の記事：円相場の動き\n次の記事：原油価格の行方\nCopyright © 2024 Example News. All Rights Reserved.\n",
        None,
        "株価は小幅に上昇した。",
        [
            ("nav_link", "前の記事：円相場の動き"),
            ("nav_link", "次の記事：原油価格の行方"),
            ("copyright", "Copyright © 2024 Example News. All Rights Reserved."),
        ],
    ),
    (
        "chinese nav links and editor",
        "今年的粮食产量再创新高。\n上一篇：春耕工作全面展开\n下一篇：农村道路建设提速\n责任编辑：王明\n",
        None,
        "今年的粮食产量再创新高。",
        [
            ("nav_link", "上一篇：春耕工作全面展开"),
            ("nav_link", "下一篇：农村道路建设提速"),
            ("credit", "责任编辑：王明"),
        ],
    ),
    (
        "japanese editor credit in parentheses, 記事提供社",
        "大会は三日間にわたって開かれた。\n（編集：山田）\n記事提供社からのお知らせ\n",
        None,
        "大会は三日間にわたって開かれた。",
        [("credit", "（編集：山田）"), ("credit", "記事提供社からのお知らせ")],
    ),
    (
        "single-line zh dump: inline related reading at the end",
        "新政策将于下月实施，专家认为效果明显。相关阅读：专家解读新政策 市场反应积极",
        None,
        "新政策将于下月实施，专家认为效果明显。",
        [("related_links", "相关阅读：专家解读新政策 市场反应积极")],
    ),
    (
        "single-line zh dump: inline related news block with nbsp",
        "比赛将于晚上七点开始。\xa0\xa0相关报道：\xa0\xa0球队主场三连胜\xa0\xa0主帅谈战术调整",
        None,
        "比赛将于晚上七点开始。",
        [("related_links", "相关报道：\xa0\xa0球队主场三连胜\xa0\xa0主帅谈战术调整")],
    ),
    (
        "single-line zh dump: inline statement and editor",
        "影片将于国庆档上映。小林/文 声明：本网独家稿件，转载请注明出处。",
        None,
        "影片将于国庆档上映。小林/文",
        [("copyright", "声明：本网独家稿件，转载请注明出处。")],
    ),
    (
        "inline editor credit glued to the last line",
        "【联系电话】010-12345678编辑：小雨",
        None,
        "【联系电话】010-12345678",
        [("credit", "编辑：小雨")],
    ),
    (
        "related news without colon is body (a second story)",
        "毕业生可申请改派。■ 相关新闻人社部要求高校制定就业计划，力争八成就业。",
        None,
        "毕业生可申请改派。■ 相关新闻人社部要求高校制定就业计划，力争八成就业。",
        [],
    ),
    (
        "a body sentence starting with 相关报道 is body",
        "相关报道称，该公司将裁员。\n公司尚未回应。",
        None,
        "相关报道称，该公司将裁员。\n公司尚未回应。",
        [],
    ),
    (
        "title repeated on its own first line",
        "新しい橋が完成\n\n県は新しい橋の完成を発表した。",
        "新しい橋が完成",
        "県は新しい橋の完成を発表した。",
        [("title", "新しい橋が完成")],
    ),
    (
        "title glued to the first sentence is not reported",
        "新しい橋が完成県は新しい橋の完成を発表した。",
        "新しい橋が完成",
        "新しい橋が完成県は新しい橋の完成を発表した。",
        [],
    ),
    (
        "text that is only its title is body",
        "新しい橋が完成\n",
        "新しい橋が完成",
        "新しい橋が完成",
        [],
    ),
    (
        "leading marker line",
        "[[99]]\n本文が始まる。\n",
        None,
        "本文が始まる。",
        [("marker", "[[99]]")],
    ),
    (
        "junk between body lines is not removed (would overlap the body)",
        "本文一。\n（編集：田中）\n・補足の一行\n",
        None,
        "本文一。\n（編集：田中）\n・補足の一行",
        [],
    ),
    (
        "whitespace and control characters around",
        "\x0c \r\n本文だけ。\r\n \u3000",
        None,
        "本文だけ。",
        [],
    ),
]


def _span_of(text: str, piece: str, after: int = 0) -> tuple[int, int]:
    i = text.find(piece, after)
    assert i >= 0, f"{piece!r} not in text"
    return i, i + len(piece)


@pytest.mark.parametrize("name,text,title,body,junk", CASES, ids=[c[0] for c in CASES])
def test_cases(name, text, title, body, junk) -> None:
    got_body, got_junk = find_body(text, title)
    start, end = _span_of(text, body)
    assert got_body == Span(start, end), (text[got_body.start : got_body.end], body)
    assert text[got_body.start : got_body.end] == body
    expected = []
    pos = 0
    for reason, piece in junk:
        a, b = _span_of(text, piece, pos)
        expected.append(Boilerplate(a, b, reason))
        pos = b
    assert [(b.reason, text[b.start : b.end]) for b in got_junk] == [(r, p) for r, p in junk]
    assert got_junk == expected
    _check_invariants(text, got_body, got_junk)


@pytest.mark.parametrize("text", ["", " ", "\n\n\t\u3000", "\r\n"])
def test_empty_and_whitespace(text: str) -> None:
    assert find_body(text) == (Span(0, 0), [])
    assert find_body(text, "タイトル") == (Span(0, 0), [])


def test_only_junk_gives_empty_body() -> None:
    body, junk = find_body("[[1]]\n[[2]]")
    assert body.start == body.end
    assert [j.reason for j in junk] == ["marker", "marker"]


def _check_invariants(text: str, body: Span, junk: list[Boilerplate]) -> None:
    n = len(text)
    assert 0 <= body.start <= body.end <= n
    if body.end > body.start:
        assert not text[body.start].isspace() and not text[body.end - 1].isspace()
    prev = 0
    for j in junk:
        assert isinstance(j.reason, str) and j.reason
        assert prev <= j.start < j.end <= n, (j, prev)
        piece = text[j.start : j.end]
        assert piece.strip() == piece
        assert j.end <= body.start or j.start >= body.end, "boilerplate overlaps the body"
        prev = j.end
    if body.end == body.start:
        return
    # Nothing non-blank outside the body and the boilerplate.
    covered = sorted([(body.start, body.end)] + [(j.start, j.end) for j in junk])
    pos = 0
    for a, b in covered:
        assert text[pos:a].strip() == ""
        pos = max(pos, b)
    assert text[pos:].strip() == ""


PIECES = st.sampled_from(
    ["\n", "\r\n", " ", "\u3000", "|", "｜", "…", "……", "...", "<<: ", ">>: ", "[[1]]", "[[", "]]", "■関連記事",
     "【関連記事】", "・", "相关阅读：", "编辑：", "声明：转载", "Copyright ©", "本文です。", "记者：", "𠮷",
     "前の記事", "上一篇", "\x00", "\x1c", "\u2028", "あ", "中", "「", "」"]
)
TEXTS = st.one_of(
    st.text(),
    st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=40).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(TEXTS, st.one_of(st.none(), st.text(max_size=8), PIECES))
def test_properties(text: str, title) -> None:
    body, junk = find_body(text, title)
    _check_invariants(text, body, junk)


def _article(n_paragraphs: int) -> str:
    para = "政府は今日、新しい経済対策を発表した。「景気を下支えする」と大臣は述べた。\n\n"
    return para * n_paragraphs


def test_two_megabytes_is_fast() -> None:
    text = _article(52_000) + "■関連記事\n" + "・別の記事のタイトル\n" * 2000 + "Copyright © 2024\n"
    assert len(text) > 2_000_000
    t0 = time.process_time()
    body, junk = find_body(text, "タイトル")
    assert time.process_time() - t0 < 10.0  # linear-time guard (CPU time: other processes do not count)
    assert text[body.end - 1] == "。"
    assert junk[0].reason == "related_links" and junk[-1].reason == "copyright"


def test_two_megabytes_single_line_is_fast() -> None:
    text = "新政策将于下月实施，专家认为效果明显。" * 110_000 + "|"
    t0 = time.process_time()
    body, junk = find_body(text)
    assert time.process_time() - t0 < 10.0  # linear-time guard (CPU time: other processes do not count)
    assert junk == [Boilerplate(len(text) - 1, len(text), "end_marker")]
    assert body == Span(0, len(text) - 1)


def test_two_megabytes_of_link_lines_is_fast() -> None:
    text = "本文。\n" + "・リンク行\n" * 300_000
    t0 = time.process_time()
    body, junk = find_body(text)
    assert time.process_time() - t0 < 10.0  # linear-time guard (CPU time: other processes do not count)
    assert junk == [] and body.end == len(text.rstrip())
