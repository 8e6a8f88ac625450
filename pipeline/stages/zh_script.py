"""Character-level Traditional -> Simplified mapping that keeps offsets.

The models are trained on Simplified Chinese only. OpenCC's phrase-level conversion can change
a string's length, which would break offsets, so we use OpenCC's data one character at a time:
each Han character maps to exactly one character (or to itself). A same-length string keeps
every offset valid, so entities found on the mapped text map back with no arithmetic.
"""

from __future__ import annotations

from functools import lru_cache

import opencc

# Han blocks whose characters we map: CJK Unified Ideographs, Extension A, Compatibility.
_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


@lru_cache(maxsize=4)
def char_table(config: str) -> dict[int, int]:
    """OpenCC's ``config`` (t2s, s2t, jp2t, ...) as a one-character-to-one-character
    ``str.translate`` table, built on first use."""
    conv = opencc.OpenCC(config)
    chars = [chr(c) for lo, hi in _RANGES for c in range(lo, hi + 1)]
    # One call over all characters, newline separated (newlines are never converted).
    mapped = conv.convert("\n".join(chars)).split("\n")
    if len(mapped) != len(chars):  # pragma: no cover - would mean OpenCC merged lines
        raise RuntimeError("OpenCC changed the number of lines while building the character table")
    return {ord(a): ord(b) for a, b in zip(chars, mapped, strict=True) if a != b and len(b) == 1}


def to_simplified(text: str) -> str:
    """Same-length Simplified rendering of ``text`` (character by character)."""
    out = text.translate(char_table("t2s"))
    assert len(out) == len(text)
    return out


def to_traditional(text: str) -> str:
    """Same-length Traditional rendering (used by tests and for variant grouping)."""
    return text.translate(char_table("s2t"))
