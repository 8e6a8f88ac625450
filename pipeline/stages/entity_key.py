"""The cross-script entity key: one string per entity that is the same for the Simplified,
Traditional and Japanese spellings of a name, so that counts across articles and languages add up.

``entity_key(form, lang)`` folds a mention's canonical form (its text when it has none):

1. NFKC: full-width Latin and digits become half-width, half-width katakana full-width,
   compatibility ideographs their unified form;
2. in a Japanese record (``lang`` ``ja``), Japanese shinjitai to Traditional, character by
   character, with OpenCC's ``jp2t`` table (広 -> 廣, 芸 -> 藝); only there, because several jp2t
   forms are ordinary, different characters in Chinese (芸 is not 藝 in a Chinese text);
3. Traditional to Simplified, character by character, with OpenCC's ``t2s`` table
   (騰訊 -> 腾讯, 陳菊紅 -> 陈菊红, 廣 -> 广);
4. case folding (``casefold``).

Kana and Latin are not transliterated: テンセント and Tencent keep keys of their own (an alias
file, :mod:`pipeline.report.corpus`, merges them when counting). OpenCC's tables are used one
character at a time (as in :mod:`pipeline.stages.zh_script`), so a key has as many characters as
the NFKC form, and a phrase-level rewrite cannot turn one name into another word.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from pipeline.stages.zh_script import char_table


@lru_cache(maxsize=1)
def _ja_table() -> dict[int, int]:
    """jp2t followed by t2s, as one table."""
    jp2t, t2s = char_table("jp2t"), char_table("t2s")
    out = dict(t2s)
    for a, b in jp2t.items():
        out[a] = t2s.get(b, b)
    return out


def entity_key(form: str, lang: str | None) -> str:
    """The key of an entity whose canonical form (or text) is ``form``, in a record of ``lang``."""
    s = unicodedata.normalize("NFKC", form)
    s = s.translate(_ja_table() if lang == "ja" else char_table("t2s"))
    return s.casefold()


def query_keys(form: str) -> tuple[str, ...]:
    """The keys a user-typed ``form`` may stand for (its key read as Japanese and as Chinese),
    distinct, in a fixed order."""
    zh, ja = entity_key(form, "zh"), entity_key(form, "ja")
    return (zh,) if zh == ja else (zh, ja)
