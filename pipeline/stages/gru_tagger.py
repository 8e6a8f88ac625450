"""The second network of ner-zh-accurate: a character BiGRU tagger run in numpy.

It is the LAC-based teacher of ``scripts/train_lac_teacher.py`` (Baidu LAC's pretrained character
embeddings and two bidirectional GRU layers, fine-tuned for PERSON/ORG/LOC), exported to
``teacher.npz`` by that script's ``export`` command. :class:`~pipeline.stages.ner_spacy.SpacyNER`
averages its tag probabilities with the student's on the sentences the student is unsure of
(see ``cascade`` in the model card): the student alone is fast, the pair is more accurate.

Written in numpy rather than loading torch because torch is an optional extra and far too large a
dependency for one small recurrent network. As in ``fast_tagger._BiLSTM``, the sentences are
sorted longest first and their rows packed, so no padding is stored or computed: at time step t
the active sentences are a prefix of the batch, and the backward direction reads each sentence
from its end. The input projections of all rows are one matrix product per direction.
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

    def _bigru(self, X: np.ndarray, layer, fwd: list[np.ndarray], bwd: list[np.ndarray]) -> np.ndarray:
        """One bidirectional GRU layer over packed rows ``X``; ``fwd[t]``/``bwd[t]`` are the rows
        of time step t of the active sentences (longest first) in each direction."""
        w_in, w_rec, b_in, b_n = layer
        hidden = w_rec[0].shape[0]
        out = np.empty((len(X), 2 * hidden), dtype=np.float32)
        h = [np.zeros((len(fwd[0]) if fwd else 0, hidden), dtype=np.float32) for _ in (0, 1)]
        for d, steps in ((0, fwd), (1, bwd)):
            gx = X @ w_in[d] + b_in[d]
            state = h[d]
            for rows in steps:
                b = len(rows)
                hp = state[:b]
                g = gx[rows]
                gh = hp @ w_rec[d]
                rz = _sigmoid(g[:, : 2 * hidden] + gh[:, : 2 * hidden])
                r, z = rz[:, :hidden], rz[:, hidden:]
                n = np.tanh(g[:, 2 * hidden :] + r * (gh[:, 2 * hidden :] + b_n[d]))
                hn = n + z * (hp - n)
                state[:b] = hn
                out[rows, d * hidden : (d + 1) * hidden] = hn
        return out

    def probs(self, texts: list[str]) -> list[np.ndarray]:
        """(len(text), tags) probabilities per text (rows in character order)."""
        lens = np.array([len(t) for t in texts], dtype=np.int64)
        result: list[np.ndarray] = [np.zeros((0, len(self.tags)), dtype=np.float32) for _ in texts]
        order = [i for i in sorted(range(len(texts)), key=lambda i: -lens[i]) if lens[i]]
        if not order:
            return result
        olens = lens[order]
        starts = np.concatenate(([0], np.cumsum(olens)[:-1]))
        ids = np.concatenate([self.encode(texts[i]) for i in order])
        fwd, bwd = [], []
        for t in range(int(olens[0])):
            b = int(np.searchsorted(-olens, -t, side="left"))  # sentences longer than t
            fwd.append(starts[:b] + t)
            bwd.append(starts[:b] + olens[:b] - 1 - t)
        X = self.emb[ids]
        for layer in self.layers:
            X = self._bigru(X, layer, fwd, bwd)
        logits = X @ self.out_w + self.out_b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        for i, s, n in zip(order, starts.tolist(), olens.tolist()):
            result[i] = p[s : s + n]
        return result
