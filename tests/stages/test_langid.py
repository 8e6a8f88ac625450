from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stages.langid import detect_language, is_cjk_lang, script_tables

# (text, expected language, why)
CASES = [
    ("東京都は今日、新しい計画を発表しました。", "ja", "ordinary Japanese prose"),
    ("日中首脳会談、来月開催へ", "ja", "kanji-heavy headline: one kana (へ) in 11 CJK chars is 9% > 5%"),
    ("日中首脳会談", "ja", "no kana, but 脳 is a Japanese-only (shinjitai) form"),
    ("中国経済の減速", "ja", "経 is Japanese-only; の is kana"),
    ("トヨタ、新型車を発売", "ja", "katakana counts as kana"),
    ("ｶﾀｶﾅﾃﾞｽ 半角", "ja", "half-width katakana counts as kana"),
    ("国务院总理在北京会见了来访的外国代表团。", "zh-Hans", "Simplified-only 务 总 见 团 来"),
    ("台湾的经济发展", "zh-Hans", "湾 经 济 发 are Simplified-only"),
    ("臺灣的經濟發展", "zh-Hant", "臺 灣 經 濟 發 are Traditional-only"),
    ("台灣的經濟發展很快，這是大家都知道的。", "zh-Hant", "台 is also Taiwanese usage, not evidence for Hans"),
    ("行政院長今天在立法院說明預算。", "zh-Hant", "長 說 預 are Traditional-only"),
    ("中国", "zh-Hans", "two Han chars, no script evidence: defaults to zh-Hans"),
    ("The prime minister said on Monday that the economy would grow.", "und", "English"),
    ("The president 习近平 said on Monday that the economy would grow faster.", "und",
     "English quoting a Chinese name: Latin letters outweigh 3 CJK chars"),
    ("서울에서 열린 정상회담에서 양국 정상은 합의했다.", "und", "Korean (Hangul)"),
    ("한국 韓國 경제", "und", "Korean with a little hanja"),
    ("ประเทศไทยมีประชากรมาก", "und", "Thai"),
    ("", "und", "empty"),
    ("   \n\t ", "und", "whitespace only"),
    ("😀🎉👍", "und", "emoji only"),
    ("1234567890 !!!", "und", "digits and punctuation"),
    ("中", "und", "a single Han character is too little"),
    ("ーーー・・・", "und", "long-vowel marks and middle dots are not kana"),
]


@pytest.mark.parametrize("text,expected,why", CASES, ids=[c[2][:40] for c in CASES])
def test_cases(text: str, expected: str, why: str) -> None:
    assert detect_language(text) == expected, why


def test_english_vocabulary_article_in_chinese_stays_chinese() -> None:
    text = "四级常考短语：1. abide by 忠于；遵守。2. be absent from 缺席，不在。3. absorb 吸引注意力。" * 3
    assert detect_language(text) == "zh-Hans"


def test_chinese_with_stray_kana_stays_chinese() -> None:
    text = "我的朋友在上海工作，他说这家店の蛋糕很好吃，我们下周一起去尝尝看吧。" * 3
    assert detect_language(text) == "zh-Hans"


def test_long_text_only_samples() -> None:
    # A huge Japanese article whose tail is English: the sample (head + middle) decides.
    text = "これは日本語の記事です。" * 2000 + "English tail only. " * 100000
    t0 = time.process_time()
    assert detect_language(text) == "ja"
    assert time.process_time() - t0 < 1.0  # CPU time: other processes do not count


def test_script_tables_are_disjoint_and_plausible() -> None:
    trad, simp, jp = script_tables()
    assert {"臺", "灣", "經", "發", "國", "會"} <= trad
    assert {"湾", "经", "发", "国", "会"} <= simp
    assert {"脳", "経", "対", "駅"} <= jp
    assert not (trad & simp) and not (trad & jp) and not (simp & jp)
    assert "台" not in simp and "的" not in trad and "的" not in simp


@pytest.mark.parametrize(
    "lang,expected",
    [("ja", True), ("zh-Hans", True), ("zh-Hant", True), ("zh", True), ("zh-TW", True), ("ja-JP", True),
     ("und", False), ("en", False), ("ko", False), ("", False), ("japanese", False)],
)
def test_is_cjk_lang(lang: str, expected: bool) -> None:
    assert is_cjk_lang(lang) is expected


ASTRAL = st.sampled_from(["𠮷", "😀", "𝕏", "\U0002A6D6", "\U00030000"])
ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.one_of(st.characters(), ASTRAL, st.sampled_from("あア日本中國国\n\u3000 \x00\x1f"))),
)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_never_raises_and_returns_known_tag(text: str) -> None:
    assert detect_language(text) in ("ja", "zh-Hans", "zh-Hant", "und")


def test_two_megabytes_is_fast() -> None:
    text = "台湾的经济发展很快。" * 200_000
    t0 = time.process_time()
    for _ in range(10):
        assert detect_language(text) == "zh-Hans"
    assert time.process_time() - t0 < 10.0  # linear-time guard (CPU time: other processes do not count)


def _reference_detect(text: str) -> str:
    """The per-character loop ``detect_language`` replaced by a class table (kept here as the
    specification the vectorised version must match exactly)."""
    from pipeline.stages.langid import _is_han, _is_kana, _sample

    if not text:
        return "und"
    kana = han = other = latin = hangul = 0
    han_chars = []
    for ch in _sample(text):
        cp = ord(ch)
        if cp < 0x3000:
            if cp >= 0x80 and ch.isalpha():
                other += 1
            elif cp < 0x80 and ("a" <= ch <= "z" or "A" <= ch <= "Z"):
                latin += 1
            continue
        if _is_han(cp):
            han += 1
            han_chars.append(ch)
        elif _is_kana(cp):
            kana += 1
        elif ch.isalpha() and not (0x3000 <= cp <= 0x30FF):
            other += 1
            if 0xAC00 <= cp <= 0xD7A3 or 0x3131 <= cp <= 0x318E:
                hangul += 1
    cjk = kana + han
    letters = cjk + other + latin * 0.25
    if cjk < 2 or cjk < 0.3 * letters or hangul >= cjk:
        return "und"
    if kana >= 0.05 * cjk:
        return "ja"
    trad_only, simp_only, jp_only = script_tables()
    n_trad = sum(1 for ch in han_chars if ch in trad_only)
    n_simp = sum(1 for ch in han_chars if ch not in trad_only and ch in simp_only)
    n_jp = sum(1 for ch in han_chars if ch not in trad_only and ch not in simp_only and ch in jp_only)
    if n_jp and n_jp >= 0.1 * (n_trad + n_simp + n_jp):
        return "ja"
    return "zh-Hant" if n_trad > n_simp else "zh-Hans"


_MIXED = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7F),
        st.characters(min_codepoint=0x3000, max_codepoint=0x30FF),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
        st.characters(min_codepoint=0x80, max_codepoint=0x2FFF),
        st.sampled_from("國學體説話們这时经脳駅図台后々ー・ｶｰ"),
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(_MIXED)
def test_vectorised_detection_equals_the_reference_loop(text):
    assert detect_language(text) == _reference_detect(text)


def test_vectorised_detection_on_long_and_astral_text():
    for text in ("𠮷野家の牛丼" * 900, "這個問題我們" * 1000 + "这个问题我们" * 10, "ａｂｃ" * 3000 + "东京", "\ud800孤立"):
        assert detect_language(text) == _reference_detect(text)


def test_broken_opencc_fails_loudly(monkeypatch):
    """Without OpenCC's tables Traditional Chinese would silently be read as Simplified: the
    failure surfaces instead of degrading."""
    from pipeline.stages import langid

    class Broken:
        def __init__(self, config):
            raise RuntimeError(f"cannot load {config}")

    monkeypatch.setattr(langid.opencc, "OpenCC", Broken)
    with pytest.raises(RuntimeError, match="cannot load t2s"):
        langid._build_tables()
