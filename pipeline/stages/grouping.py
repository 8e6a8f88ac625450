"""Group mentions of the same entity within an article: a ``cluster`` id and a ``canonical`` form.

The rule, in order (mentions must share a label; GPE and LOC count as one class):
1. Same key: the mention text after NFKC and a character-level Traditional->Simplified mapping,
   so 騰訊/腾讯 and 陳/陈 (Japanese and Traditional forms of a Simplified character) match.
2. PERSON names of 3+ characters that share the first character (the surname) and differ in
   exactly one other character: machine translation spells one name several ways
   (陳菊紅 / 陳菊宏 / 陳菊鴻).
3. Short forms: a mention whose characters appear, in order, inside a longer mention that
   starts with the same two characters and ends with the same character
   (テンセント財団 in テンセント慈善財団). Only when exactly one longer group fits.
4. A PERSON mention of one or two characters that is the surname of exactly one longer PERSON
   group joins it (陳 -> 陳菊紅).
The canonical form is the cluster's most frequent surface, then the longest, then the first.
Cluster ids count from 0 in order of each cluster's first mention, so output is deterministic.
Numeric entities (MONEY/PERCENT/DATE) are not grouped.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from pipeline.record import Document, Entity
from pipeline.stages.zh_script import to_simplified

UNGROUPED = frozenset({"MONEY", "PERCENT", "DATE"})
MAX_FUZZY_KEYS = 2000  # beyond this many distinct names in a class, only exact grouping (stays linear-ish)


def _class(label: str) -> str:
    return "LOC" if label == "GPE" else label


def _key(text: str) -> str:

    return to_simplified(unicodedata.normalize("NFKC", text)).casefold()


def _one_char_apart(a: str, b: str) -> bool:
    return len(a) == len(b) and len(a) >= 3 and a[0] == b[0] and sum(x != y for x, y in zip(a, b)) == 1


def _is_short_form(short: str, long: str) -> bool:
    if len(short) < 3 or len(short) >= len(long) or short[:2] != long[:2] or short[-1] != long[-1]:
        return False
    it = iter(long)
    return all(ch in it for ch in short)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class Grouper:
    name = "grouping:rules"

    def __call__(self, doc: Document) -> None:
        text = doc.text
        by_class: dict[str, dict[str, list[Entity]]] = {}
        for e in doc.entities:
            if e.label in UNGROUPED:
                continue
            by_class.setdefault(_class(e.label), {}).setdefault(_key(text[e.start : e.end]), []).append(e)

        clusters: list[list[Entity]] = []
        for cls in sorted(by_class):
            groups = by_class[cls]
            keys = list(groups)  # insertion order = first mention order
            uf = _UnionFind(len(keys))
            if len(keys) <= MAX_FUZZY_KEYS:
                for i, a in enumerate(keys):
                    for j in range(i + 1, len(keys)):
                        b = keys[j]
                        if cls == "PERSON" and _one_char_apart(a, b):
                            uf.union(i, j)
                for i, a in enumerate(keys):
                    longer = [j for j, b in enumerate(keys) if _is_short_form(a, b)]
                    if len({uf.find(j) for j in longer}) == 1:
                        uf.union(i, longer[0])
                if cls == "PERSON":
                    for i, a in enumerate(keys):
                        if len(a) <= 2:
                            owners = {uf.find(j) for j, b in enumerate(keys) if len(b) > len(a) and b.startswith(a)}
                            if len(owners) == 1:
                                uf.union(i, owners.pop())
            members: dict[int, list[Entity]] = {}
            for i, k in enumerate(keys):
                members.setdefault(uf.find(i), []).extend(groups[k])
            clusters.extend(members.values())

        clusters.sort(key=lambda ms: min((m.start, m.end) for m in ms))
        for cid, ms in enumerate(clusters):
            surfaces = [text[m.start : m.end] for m in sorted(ms, key=lambda m: m.start)]
            counts = Counter(surfaces)
            first = {s: i for i, s in reversed(list(enumerate(surfaces)))}
            canonical = max(counts, key=lambda s: (counts[s], len(s), -first[s]))
            for m in ms:
                m.cluster = cid
                m.canonical = canonical
