"""From tag scores to entity spans: BILUO constraints, a vectorised constrained Viterbi, and
span repair for character-level models.

Written here rather than taken from a library: spaCy's tagger has no constrained decoding, and
thinc/torch CRF layers decode one sentence at a time; these run over a whole batch with numpy
(tested against brute force in ``tests/ner/test_decoding.py``).
"""

from __future__ import annotations

import numpy as np

def biluo_constraints(tags: list[str]):
    """Transition, start and end masks (0 allowed / -inf forbidden) for BILUO tag sequences."""
    k = len(tags)
    trans = np.full((k, k), -np.inf, dtype="float32")
    start = np.full(k, -np.inf, dtype="float32")
    end = np.full(k, -np.inf, dtype="float32")
    for i, a in enumerate(tags):
        pa, la = (a.split("-", 1) + [""])[:2] if a != "O" else ("O", "")
        if pa in ("O", "B", "U"):
            start[i] = 0
        if pa in ("O", "L", "U"):
            end[i] = 0
        for j, b in enumerate(tags):
            pb, lb = (b.split("-", 1) + [""])[:2] if b != "O" else ("O", "")
            if pa in ("B", "I"):
                ok = pb in ("I", "L") and lb == la
            else:  # O, L, U: next must start fresh
                ok = pb in ("O", "B", "U")
            if ok:
                trans[i, j] = 0
    return trans, start, end

def viterbi_batch(score_list, trans, start, end) -> list[list[int]]:
    """Best allowed tag sequence per sentence; ``score_list`` holds (n_tokens, n_tags) arrays
    of log-domain scores. The tagger's unnormalised logits are fine: log-softmax only subtracts
    a per-token constant, which changes no path comparison.

    Vectorised over the sentences of the batch: they are sorted by length, longest first, so
    at position ``t`` the sentences still running are a prefix of the batch and the Python loop
    runs once per position of the longest sentence on shrinking slices (no masks).
    """
    if not score_list:
        return []
    lens = np.array([len(x) for x in score_list])
    order = np.argsort(-lens, kind="stable")
    slens = lens[order]
    b, L, k = len(score_list), int(slens[0]), trans.shape[0]
    if L == 0:
        return [[] for _ in score_list]
    s = np.zeros((b, L, k), dtype="float32")
    for row, i in enumerate(order.tolist()):
        if lens[i]:
            s[row, : lens[i]] = score_list[i]
    running = (slens[:, None] > np.arange(L)[None, :]).sum(axis=0)  # sentences longer than t
    bp = np.zeros((b, L, k), dtype="intp")
    delta = s[:, 0] + start
    rows, cols = np.arange(b)[:, None], np.arange(k)[None, :]
    for t in range(1, L):
        n = running[t]
        cand = delta[:n, :, None] + trans
        arg = cand.argmax(axis=1)
        bp[:n, t] = arg
        delta[:n] = cand[rows[:n], arg, cols] + s[:n, t]
    cur = (delta + end).argmax(axis=1)
    path = np.zeros((b, L), dtype="intp")
    for t in range(L - 1, 0, -1):
        n = running[t]
        path[:n, t] = cur[:n]
        cur[:n] = bp[np.arange(n), t, cur[:n]]
    path[:, 0] = cur
    out: list[list[int]] = [[] for _ in score_list]
    for row, i in enumerate(order.tolist()):
        out[i] = path[row, : lens[i]].tolist()
    return out

def decode_batch(score_list, trans, start, end) -> list[list[int]]:
    """Constrained best paths: the per-token argmax where it is already a valid BILUO
    sequence (then it is exactly the Viterbi optimum, since the constraints only forbid),
    Viterbi for the other sentences."""
    if not score_list:
        return []
    lens = np.array([len(x) for x in score_list])
    if lens.min() == 0:
        return viterbi_batch(score_list, trans, start, end)
    allp = np.concatenate(score_list).argmax(axis=1)
    starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
    ends = starts + lens
    bad = np.zeros(len(score_list), dtype=bool)
    if len(allp) > 1:
        ok_pair = np.isfinite(trans[allp[:-1], allp[1:]])
        ok_pair[starts[1:] - 1] = True  # pairs that straddle two sentences
        bad_pos = np.flatnonzero(~ok_pair)
        if len(bad_pos):
            bad[np.searchsorted(starts, bad_pos, side="right") - 1] = True
    bad |= ~np.isfinite(start[allp[starts]])
    bad |= ~np.isfinite(end[allp[ends - 1]])
    paths = [allp[a:b].tolist() for a, b in zip(starts, ends)]
    redo = np.flatnonzero(bad).tolist()
    if redo:
        for i, path in zip(redo, viterbi_batch([score_list[i] for i in redo], trans, start, end)):
            paths[i] = path
    return paths

def tags_to_spans(path: list[int], tags: list[str]) -> list[tuple[int, int, str]]:
    """Token spans (start, end exclusive, label) of a BILUO path (lenient on invalid input)."""
    spans = []
    cur = None
    for i, ti in enumerate(path):
        t = tags[ti]
        if t == "O":
            cur = None
            continue
        p, lab = t.split("-", 1)
        if p == "U":
            spans.append((i, i + 1, lab))
            cur = None
        elif p == "B" or cur is None or cur[1] != lab:
            cur = [i, lab]
            if p == "L":
                spans.append((i, i + 1, lab))
                cur = None
        elif p == "L":
            spans.append((cur[0], i + 1, lab))
            cur = None
    return spans

def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()

def snap_to_latin_words(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Widen character-level entity spans that cut an ASCII letter/digit run to the whole run.

    The zh model tags characters, so it can end an entity inside a Latin word or a number
    (夏威夷火山国家公园hawai|ivolcanoes..., an ORG "esnational" inside the same word); a name
    never starts or ends mid-word. Where two widened spans then overlap, the longer one is kept
    (then the earlier). Offsets stay offsets into ``text``.
    """
    n = len(text)
    out = []
    changed = False
    for s, e, lab in spans:
        s2, e2 = s, e
        while 0 < s2 < n and _latin(text[s2 - 1]) and _latin(text[s2]):
            s2 -= 1
        while 0 < e2 < n and _latin(text[e2]) and _latin(text[e2 - 1]):
            e2 += 1
        changed |= (s2, e2) != (s, e)
        out.append((s2, e2, lab))
    if not changed:
        return spans
    kept: list[tuple[int, int, str]] = []
    for x in sorted(out, key=lambda x: (x[0] - x[1], x[0])):
        if all(x[1] <= y[0] or y[1] <= x[0] for y in kept):
            kept.append(x)
    return sorted(kept)
