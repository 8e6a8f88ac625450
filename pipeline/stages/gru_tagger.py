"""The second network of ner-zh-accurate: a character BiGRU tagger run in numpy.

It is the LAC-based teacher of ``scripts/train_lac_teacher.py`` (Baidu LAC's pretrained character
embeddings and two bidirectional GRU layers, fine-tuned for PERSON/ORG/LOC), exported to
``teacher.npz`` by that script's ``export`` command. :class:`~pipeline.stages.ner_spacy.SpacyNER`
averages its tag probabilities with the student's on the sentences the student is unsure of
(see ``cascade`` in the model card): the student alone is fast, the pair is more accurate.

Written in numpy rather than loading torch because torch is an optional extra and far too large a
dependency for one small recurrent network. It runs on the packed layout the student's BiLSTM
uses (``fast_tagger.packed_rows``): no padding is stored or computed, and every time step reads
and writes one contiguous block of rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # 0.5 * tanh(x / 2) + 0.5: one ufunc pass, no overflow warnings for large |x|
    return np.tanh(x * 0.5) * 0.5 + 0.5


class CharBiGRUTagger:
    """Tag probabilities per character from ``teacher.npz``."""

    def __init__(self, path: str | Path) -> None:
        with np.load(path) as z:
            chars = z["chars"].tolist()
            self.emb = z["emb"].astype(np.float32)
            self.tags: list[str] = z["tags"].tolist()
            mapping = dict(zip(z["map_from"].tolist(), z["map_to"].tolist()))
            self.layers = []
            for layer in (1, 2):
                w_ih, w_hh = z[f"gru{layer}_weight_ih"].astype(np.float32), z[f"gru{layer}_weight_hh"].astype(np.float32)
                b_ih, b_hh = z[f"gru{layer}_bias_ih"].astype(np.float32), z[f"gru{layer}_bias_hh"].astype(np.float32)
                # per direction: input projection (nI, 3H) with both biases of r and z folded in,
                # recurrent (H, 3H), and the recurrent bias of n (it sits inside r * (...))
                hidden = w_hh.shape[2]
                b_in = b_ih.copy()
                b_in[:, : 2 * hidden] += b_hh[:, : 2 * hidden]
                self.layers.append(
                    (
                        [np.ascontiguousarray(w_ih[d].T) for d in (0, 1)],
                        [np.ascontiguousarray(w_hh[d].T) for d in (0, 1)],
                        [b_in[d] for d in (0, 1)],
                        [b_hh[d, 2 * hidden :] for d in (0, 1)],
                    )
                )
            self.out_w = np.ascontiguousarray(z["out_w"].astype(np.float32).T)
            self.out_b = z["out_b"].astype(np.float32)
        oov = len(chars)
        index = {c: i for i, c in enumerate(chars)}
        # LAC maps a character (full-width forms, traditional characters) before the lookup
        self._row = {c: index.get(c, oov) for c in index}
        for src, dst in mapping.items():
            self._row[src] = index.get(dst, oov)
        self._oov = oov

    def encode(self, text: str) -> np.ndarray:
        get, oov = self._row.get, self._oov
        return np.fromiter((get(c, oov) for c in text), dtype=np.int64, count=len(text))

    def _bigru(self, X: np.ndarray, layer, layout) -> np.ndarray:
        """One bidirectional GRU layer over the rows ``X`` of the concatenated sentences, in the
        packed layout of :func:`~pipeline.stages.fast_tagger.packed_rows` (each time step's
        rows are one contiguous block); ``layout`` is (active, offsets, rows, sources) with
        ``rows[d]``/``sources[d]`` the permutation to and from direction d's packed order."""
        w_in, w_rec, b_in, b_n = layer
        active, offsets, rows, sources = layout
        hidden = w_rec[0].shape[0]
        n_rows = len(X)
        out = np.empty((n_rows, 2 * hidden), dtype=np.float32)
        for d in (0, 1):
            gx = X[sources[d]] @ w_in[d]  # the input rows in this direction's packed order
            gx += b_in[d]
            hs = np.empty((n_rows, hidden), dtype=np.float32)
            h = np.zeros((int(active[0]), hidden), dtype=np.float32)
            for n, o in zip(active.tolist(), offsets.tolist()):
                hp = h[:n]
                g = gx[o : o + n]
                gh = hp @ w_rec[d]
                rz = _sigmoid(g[:, : 2 * hidden] + gh[:, : 2 * hidden])
                r, z = rz[:, :hidden], rz[:, hidden:]
                cand = np.tanh(g[:, 2 * hidden :] + r * (gh[:, 2 * hidden :] + b_n[d]))
                h = hs[o : o + n]
                np.add(cand, z * (hp - cand), out=h)
            out[:, d * hidden : (d + 1) * hidden] = hs[rows[d]]
        return out

    def probs(self, texts: list[str]) -> list[np.ndarray]:
        """(len(text), tags) probabilities per text (rows in character order)."""
        from pipeline.stages.fast_tagger import packed_rows

        result: list[np.ndarray] = [np.zeros((0, len(self.tags)), dtype=np.float32) for _ in texts]
        kept = [i for i, t in enumerate(texts) if t]
        if not kept:
            return result
        lens = [len(texts[i]) for i in kept]
        active, offsets, fwd_row, bwd_row = packed_rows(lens)
        # per direction: packed row of each input row, and input row of each packed row
        layout = (active, offsets, (fwd_row, bwd_row), (np.argsort(fwd_row), np.argsort(bwd_row)))
        X = self.emb[np.concatenate([self.encode(texts[i]) for i in kept])]
        for layer in self.layers:
            X = self._bigru(X, layer, layout)
        logits = X @ self.out_w + self.out_b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        for i, part in zip(kept, np.split(p, np.cumsum(lens)[:-1])):
            result[i] = part
        return result
