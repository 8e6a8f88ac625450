"""Language identification for Japanese / Chinese news text.

``detect_language(text)`` returns one of ``"ja"``, ``"zh-Hans"``, ``"zh-Hant"`` or ``"und"``.
It looks at a bounded sample (the first 2,000 code points plus a 1,000-code-point slice from
the middle of long texts), so it costs the same on a 2 MB article as on a 3 KB one.

Rules, in order:

1. Count, in the sample, kana (hiragana + katakana + half-width katakana; the long-vowel mark
   ``ー``, the middle dot ``・`` and the iteration marks are *not* counted as kana), Han
   characters (CJK unified ideographs incl. extensions A-H, compatibility ideographs and ``々``)
   and other letters (``str.isalpha``: Latin, Hangul, Thai, ...).
2. ``und`` when there are fewer than 2 CJK (kana + Han) characters, or when CJK characters are
   less than 30% of all letters (English, Korean with a few hanja, Thai, emoji, empty...).
   ASCII Latin letters count 1/4 each (a Latin word is several letters, a CJK character is
   about a word), so Chinese English-vocabulary articles stay Chinese while English text
   quoting a Chinese name stays ``und``. Text with at least as many Hangul syllables as CJK
   characters is Korean: ``und``.
3. ``ja`` when kana are at least 5% of the CJK characters. Japanese prose is ~30-60% kana;
   even kanji-heavy headlines nearly always carry a particle (``日中首脳会談、来月開催へ`` has
   one kana in 11 CJK characters, 9%).
4. ``ja`` as well when there is no (or too little) kana but the sample contains Japanese-only
   kanji forms (shinjitai such as 脳 経 対 駅 図 that are neither Simplified nor Traditional
   Chinese; taken from OpenCC's ``jp2t`` table) amounting to >= 10% of the script-specific
   characters (so ``日中首脳会談`` -> ``ja``). A pure-kanji string without such a form (``中国``)
   cannot be told apart from Chinese and falls through to 5.
5. Otherwise Chinese: count characters that exist only in Traditional (those OpenCC's ``t2s``
   changes) and only in Simplified (those ``s2t`` changes, minus forms that are also standard in
   Taiwan such as 台 里 后 干). More Traditional-only than Simplified-only -> ``zh-Hant``, else
   ``zh-Hans`` (the default when there is no evidence either way).

The character tables are computed once, lazily, on first use (~0.2 s) by running OpenCC over
the whole CJK ideograph inventory; if the ``opencc`` package is missing, the tables are empty
and Chinese text is reported as ``zh-Hans`` (Japanese detection still works from kana).
"""

from __future__ import annotations

import threading

import numpy as np
import opencc

_HEAD = 2000
_MIDDLE = 1000

# Ranges of CJK ideographs (unified + extensions, compatibility ideographs).
_HAN_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EBEF),
    (0x2EBF0, 0x2EE5F),
    (0x2F800, 0x2FA1F),
    (0x30000, 0x3134F),
    (0x31350, 0x323AF),
)
# The inventory fed to OpenCC (compatibility ideographs left out: OpenCC normalises them in
# both directions, which says nothing about the script).
_OPENCC_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EBEF),
    (0x30000, 0x3134F),
)

# Simplified forms that s2t changes but that are also ordinary Traditional / Taiwanese usage.
_SIMP_SHARED = frozenset("台后里干丑谷面松斗只范制准几系征云才余卜板划于")
# jp2t forms that are also common Chinese characters (checked against the zh sample corpus).
_JP_SHARED = frozenset("予即慎晃概欠瓶真研翻萌郎")

_tables: tuple[frozenset[str], frozenset[str], frozenset[str]] | None = None
_lock = threading.Lock()


def _changed(config: str, chars: list[str]) -> set[str]:
    converter = opencc.OpenCC(config)
    # One character per line, so OpenCC's phrase tables cannot join neighbours.
    out = converter.convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):  # pragma: no cover - defensive, never seen
        out = [converter.convert(c) for c in chars]
    return {a for a, b in zip(chars, out) if a != b}


def _build_tables() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    chars = [chr(c) for lo, hi in _OPENCC_RANGES for c in range(lo, hi + 1)]
    # opencc is a dependency: if it is missing or broken the run fails here, loudly, rather than
    # silently reading every Traditional article as Simplified
    trad = _changed("t2s", chars)
    simp = _changed("s2t", chars)
    jp = _changed("jp2t", chars)
    both = trad & simp
    trad_only = frozenset(trad - both)
    simp_only = frozenset(simp - both - _SIMP_SHARED)
    jp_only = frozenset(jp - trad - simp - _JP_SHARED)
    return trad_only, simp_only, jp_only


def script_tables() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(traditional-only, simplified-only, japanese-only) character sets, built on first use."""
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _build_tables()
    return _tables


def _is_han(cp: int) -> bool:
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF:
        return True
    if cp < 0xF900:
        return cp == 0x3005  # 々
    for lo, hi in _HAN_RANGES:
        if lo <= cp <= hi:
            return True
    return False


def _is_kana(cp: int) -> bool:
    # Hiragana 3041-3096, katakana 30A1-30FA (ー 30FC, ・ 30FB and iteration marks excluded),
    # katakana phonetic extensions 31F0-31FF, half-width katakana FF66-FF9D (ｰ FF70 excluded).
    return (
        0x3041 <= cp <= 0x3096
        or 0x30A1 <= cp <= 0x30FA
        or 0x31F0 <= cp <= 0x31FF
        or (0xFF66 <= cp <= 0xFF9D and cp != 0xFF70)
    )


def _sample(text: str) -> str:
    n = len(text)
    if n <= _HEAD + _MIDDLE * 2:
        return text[: _HEAD + _MIDDLE * 2]
    mid = n // 2
    return text[:_HEAD] + text[mid : mid + _MIDDLE]


# Character classes of the Basic Multilingual Plane for the counts of ``detect_language``
# (a numpy table, so a sample is classified with one lookup and one bincount instead of a
# Python loop per character; the loop showed up in profiles of Chinese runs).
_NONE, _LATIN, _OTHER, _HANGUL, _KANA, _HAN, _HAN_TRAD, _HAN_SIMP, _HAN_JP = range(9)
_class_table = None


def _classify(ch: str, trad_only, simp_only, jp_only) -> int:
    """The class of one character, by the rules in the module docstring."""
    cp = ord(ch)
    if cp < 0x3000:
        if cp >= 0x80 and ch.isalpha():
            return _OTHER
        if cp < 0x80 and ("a" <= ch <= "z" or "A" <= ch <= "Z"):
            return _LATIN
        return _NONE
    if _is_han(cp):
        if ch in trad_only:
            return _HAN_TRAD
        if ch in simp_only:
            return _HAN_SIMP
        if ch in jp_only:
            return _HAN_JP
        return _HAN
    if _is_kana(cp):
        return _KANA
    if ch.isalpha() and not (0x3000 <= cp <= 0x30FF):
        if 0xAC00 <= cp <= 0xD7A3 or 0x3131 <= cp <= 0x318E:
            return _HANGUL
        return _OTHER
    return _NONE


def _bmp_classes():
    global _class_table
    if _class_table is None:
        tables = script_tables()
        with _lock:
            if _class_table is None:
                _class_table = np.array([_classify(chr(cp), *tables) for cp in range(0x10000)], dtype=np.uint8)
    return _class_table


def detect_language(text: str) -> str:
    """Return "ja", "zh-Hans", "zh-Hant" or "und" for ``text`` (see the module docstring)."""
    if not text:
        return "und"
    sample = _sample(text)
    cps = np.frombuffer(sample.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    astral = cps >= 0x10000
    counts = np.bincount(_bmp_classes()[cps[~astral]], minlength=9).tolist()
    if astral.any():
        tables = script_tables()
        for cp in cps[astral].tolist():
            counts[_classify(chr(cp), *tables)] += 1
    kana = counts[_KANA]
    han = counts[_HAN] + counts[_HAN_TRAD] + counts[_HAN_SIMP] + counts[_HAN_JP]
    other, hangul, latin = counts[_OTHER] + counts[_HANGUL], counts[_HANGUL], counts[_LATIN]
    cjk = kana + han
    # A Latin word is ~5 letters but a CJK character is ~a word: weigh Latin letters 1/4.
    letters = cjk + other + latin * 0.25
    if cjk < 2 or cjk < 0.3 * letters or hangul >= cjk:
        return "und"
    if kana >= 0.05 * cjk:
        return "ja"
    n_trad, n_simp, n_jp = counts[_HAN_TRAD], counts[_HAN_SIMP], counts[_HAN_JP]
    if n_jp and n_jp >= 0.1 * (n_trad + n_simp + n_jp):
        return "ja"
    return "zh-Hant" if n_trad > n_simp else "zh-Hans"


def is_cjk_lang(lang: str) -> bool:
    """True for Japanese and Chinese language tags ("ja", "zh", "zh-Hans", "zh-Hant", "zh-TW"...)."""
    if not isinstance(lang, str):
        return False
    tag = lang.strip().lower().replace("_", "-")
    return tag in ("ja", "zh") or tag.startswith(("ja-", "zh-"))
