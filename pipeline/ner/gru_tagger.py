"""The second network of ner-zh-accurate: a character BiGRU tagger run in numpy.

It is the LAC-based teacher of ``scripts/train/train_lac_teacher.py`` (Baidu LAC's pretrained character
embeddings and two bidirectional GRU layers, fine-tuned for PERSON/ORG/LOC), exported to
``teacher.npz`` by that script's ``export`` command. :class:`~pipeline.ner.spacy_ner.SpacyNER`
averages its tag probabilities with the student's on the sentences the student is unsure of
(see ``cascade`` in the model card): the student alone is fast, the pair is more accurate.

Written in numpy rather than loading torch because torch is an optional extra and far too large a
dependency for one small recurrent network. It runs on the packed layout the student's BiLSTM
uses (``numpy_tagger.packed_rows``): no padding is stored or computed, and every time step reads
and writes one contiguous block of rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.ner.numpy_tagger import packed_rows


MAX_CHARS = 16_384  # characters read together by one call of the network (see probs)


class CharBiGRUTagger:
    """Tag probabilities per character from ``teacher.npz``."""

    def __init__(self, path: str | Path) -> None:
        with np.load(path) as z:
            chars = z["chars"].tolist()
            emb = z["emb"].astype(np.float32)
            self.tags: list[str] = z["tags"].tolist()
            mapping = dict(zip(z["map_from"].tolist(), z["map_to"].tolist()))
            self.layers = []
            n_layers = sum(1 for k in z.files if k.startswith("gru") and k.endswith("_weight_ih"))
            for layer in range(1, n_layers + 1):
                w_ih, w_hh = z[f"gru{layer}_weight_ih"].astype(np.float32), z[f"gru{layer}_weight_hh"].astype(np.float32)
                b_ih, b_hh = z[f"gru{layer}_bias_ih"].astype(np.float32), z[f"gru{layer}_bias_hh"].astype(np.float32)
                # both directions stacked: input projection (2, nI, 3H) with both biases of r and
                # z folded into its bias (2, 3H), recurrent (2, H, 3H), and the recurrent bias
                # of n (2, 1, H; it sits inside r * (...))
                hidden = w_hh.shape[2]
                b_in = b_ih.copy()
                b_in[:, : 2 * hidden] += b_hh[:, : 2 * hidden]
                # sigmoid(x) = 0.5 * tanh(x / 2) + 0.5: the halving of the r and z gates'
                # pre-activations is folded into their weights and biases (exact in binary
                # floating point), so a step needs one tanh and no temporaries for them
                w_ih[:, : 2 * hidden] *= 0.5
                w_hh[:, : 2 * hidden] *= 0.5
                b_in[:, : 2 * hidden] *= 0.5
                self.layers.append((
                    np.ascontiguousarray(w_ih.transpose(0, 2, 1)),
                    b_in,
                    np.ascontiguousarray(w_hh.transpose(0, 2, 1)),
                    np.ascontiguousarray(b_hh[:, None, 2 * hidden :]),
                ))
            self.out_w = np.ascontiguousarray(z["out_w"].astype(np.float32).T)
            self.out_b = z["out_b"].astype(np.float32)
        self.emb = emb
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

    @staticmethod
    def _bigru(gx: np.ndarray, w_rec: np.ndarray, b_n: np.ndarray, layout) -> np.ndarray:
        """One bidirectional GRU layer given its input projections ``gx`` (2, rows, 3H), each
        direction's rows already in that direction's packed order (see
        :func:`~pipeline.ner.numpy_tagger.packed_rows`; both directions have the same number
        of active sequences at every step, so one loop runs both, each step a stacked matrix
        product and a few elementwise calls over contiguous blocks). Returns (rows, 2H) in the
        input's row order; ``layout`` is (active, offsets, rows) with ``rows[d]`` the packed row
        of each input row in direction d."""
        active, offsets, rows = layout
        hidden = w_rec.shape[1]
        hs = np.empty((2, gx.shape[1], hidden), dtype=np.float32)
        h = np.zeros((2, int(active[0]), hidden), dtype=np.float32)
        for n, o in zip(active.tolist(), offsets.tolist()):
            hp = h[:, :n]
            g = gx[:, o : o + n]
            gh = np.matmul(hp, w_rec)
            rz = gh[:, :, : 2 * hidden]
            rz += g[:, :, : 2 * hidden]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z = rz[:, :, :hidden], rz[:, :, hidden:]
            gh_n = gh[:, :, 2 * hidden :]
            gh_n += b_n
            gh_n *= r
            gh_n += g[:, :, 2 * hidden :]
            cand = np.tanh(gh_n)
            h = hs[:, o : o + n]
            np.subtract(hp, cand, out=h)
            h *= z
            h += cand
        return np.concatenate((hs[0][rows[0]], hs[1][rows[1]]), axis=1)

    def probs(self, texts: list[str]) -> list[np.ndarray]:
        """(len(text), tags) probabilities per text (rows in character order). The texts are read
        together, in consecutive groups of about ``MAX_CHARS`` characters (the working memory
        is about 6 KB per character, so a 2 MB article does not need gigabytes)."""
        result: list[np.ndarray] = []
        group: list[str] = []
        size = 0
        for text in texts:
            if group and size + len(text) > MAX_CHARS:
                result += self._probs(group)
                group, size = [], 0
            group.append(text)
            size += len(text)
        return result + self._probs(group)

    def _probs(self, texts: list[str]) -> list[np.ndarray]:
        result: list[np.ndarray] = [np.zeros((0, len(self.tags)), dtype=np.float32) for _ in texts]
        kept = [i for i, t in enumerate(texts) if t]
        if not kept:
            return result
        lens = [len(texts[i]) for i in kept]
        active, offsets, fwd_row, bwd_row = packed_rows(lens)
        layout = (active, offsets, (fwd_row, bwd_row))
        # per direction, the input row read at each packed row
        sources = (np.argsort(fwd_row), np.argsort(bwd_row))
        X = self.emb[np.concatenate([self.encode(texts[i]) for i in kept])]
        for w_in, b_in, w_rec, b_n in self.layers:
            # the input projections of both directions, each in its packed row order
            gx = np.empty((2, len(X), w_in.shape[2]), dtype=np.float32)
            for d in (0, 1):
                np.matmul(X[sources[d]], w_in[d], out=gx[d])
                gx[d] += b_in[d]
            X = self._bigru(gx, w_rec, b_n, layout)
        logits = X @ self.out_w + self.out_b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        for i, part in zip(kept, np.split(p, np.cumsum(lens)[:-1])):
            result[i] = part
        return result
