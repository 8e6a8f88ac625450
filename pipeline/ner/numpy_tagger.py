"""The shipped tagger architecture evaluated directly with numpy (inference only).

Our NER models are a spaCy ``tagger`` over ``shinbun.SumHashEmbed.v1`` (hash embeddings of a few
feature columns, summed, layer-normalised) + ``MaxoutWindowEncoder`` (residual blocks of
window-3 maxout + layer norm) + a linear output layer. Through thinc, each call walks about
forty layer objects and converts between lists, ragged and padded arrays; on the character-level
Chinese model that overhead plus thinc's generic ``gather_add`` was a large share of the run
time. :class:`NumpyTagger` reads the same weights and computes the same function with a few
numpy calls per block, and lets the caller supply *cached partial embeddings* (the summed
embedding of the columns that depend on one key), which the zh features use
(:mod:`pipeline.ner.zh_features`).

Results equal thinc's up to float rounding (summation order); tests compare the scores.
:meth:`NumpyTagger.from_model` returns ``None`` for any other architecture, and the caller then
keeps thinc.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from thinc.api import NumpyOps


@dataclass
class _Embed:
    """A thinc ``HashEmbed`` branch: the sum of 4 hashed rows of ``table`` per id."""

    column: int
    seed: int
    table: np.ndarray  # (rows, width) float32

    def embed(self, ids: np.ndarray, ops) -> np.ndarray:
        keys = ops.hash(ids, self.seed) % self.table.shape[0]
        return ops.gather_add(self.table, keys)


@dataclass
class _StaticVectors:
    """A ``static_vectors`` branch (``shinbun.SumHashEmbedVectors.v1``): the pretrained vector
    of the feature hash (binary search in ``keys``; the last row of ``V`` is the zero vector of
    unknown keys), projected by ``W`` and ``b``."""

    column: int
    keys: np.ndarray
    rows: np.ndarray
    V: np.ndarray
    W: np.ndarray
    b: np.ndarray

    def embed(self, ids: np.ndarray, ops) -> np.ndarray:  # noqa: ARG002 - same signature as _Embed
        pos = np.searchsorted(self.keys, ids)
        np.minimum(pos, len(self.keys) - 1, out=pos)
        r = np.where(self.keys[pos] == ids, self.rows[pos], self.V.shape[0] - 1)
        vx = self.V[r]
        if vx.dtype != np.float32:
            vx = vx.astype("float32")
        Y = vx @ self.W.T
        Y += self.b
        return Y


@dataclass
class _Block:
    W: np.ndarray  # (3 * width, nO * nP): transposed maxout weights
    b: np.ndarray  # (nO * nP,)
    nO: int
    nP: int
    G: np.ndarray  # layer norm scale
    beta: np.ndarray  # layer norm shift


def _layer_norm(X: np.ndarray, G: np.ndarray, beta: np.ndarray) -> np.ndarray:
    # thinc's LayerNorm (variance + 1e-8, then scale and shift), with the variance as a row-wise
    # dot product: numpy's var() makes several passes and was the slowest part of this function
    Y = X - X.mean(axis=1, keepdims=True)
    var = np.einsum("ij,ij->i", Y, Y)
    var /= X.shape[1]
    var += 1e-08
    Y *= (var ** -0.5)[:, None]
    Y *= G
    Y += beta
    return Y


def packed_rows(lengths) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The packed, time-major layout of concatenated sequences of ``lengths`` (all > 0) for a
    bidirectional recurrent loop (thinc's own LSTM layout): (active, offsets, fwd_row, bwd_row).

    Sequences are ranked longest first, so the ``active[t]`` sequences still running at step t
    are ranks 0..active[t]-1 and their rows are one contiguous block at ``offsets[t]``; no
    padding is stored or computed. Row i of the input (position p of its sequence) is read by the
    forward direction at packed row ``fwd_row[i]`` (step p) and by the backward one at
    ``bwd_row[i]`` (step len-1-p)."""
    lens = np.asarray(lengths, dtype=np.int64)
    B, T, N = len(lens), int(lens.max()), int(lens.sum())
    rank = np.empty(B, dtype=np.int64)
    rank[np.argsort(-lens, kind="stable")] = np.arange(B)
    active = np.bincount(lens - 1, minlength=T)[::-1].cumsum()[::-1]
    offsets = np.cumsum(active) - active
    seq = np.repeat(rank, lens)
    pos = np.arange(N) - np.repeat(np.cumsum(lens) - lens, lens)
    fwd_row = offsets[pos] + seq
    bwd_row = offsets[np.repeat(lens, lens) - 1 - pos] + seq
    return active, offsets, fwd_row, bwd_row


class _BiLSTM:
    """thinc's bidirectional ``LSTM`` layer (``shinbun.MaxoutWindowBiLSTMEncoder.v1``) for inference.

    thinc runs each direction as its own loop over time steps. Here both directions share
    one loop: the backward direction reads each sequence reversed, so all sequences are
    left-aligned for both and a padded step only ever follows a sequence's end (its output
    is never read). The two directions' recurrent weights form one block-diagonal matrix,
    and the gates are laid out ``[f | i | o | c]`` with both directions side by side in each
    block, so a step is one matrix product and a handful of elementwise calls over the
    whole batch. Sigmoids are computed as ``0.5 * tanh(x / 2) + 0.5`` with the halving
    folded into the weights, so one ``tanh`` call covers all four gates.
    """

    def __init__(self, params: np.ndarray, nI: int, nH: int, depth: int) -> None:
        # thinc's layout per layer and direction: Wx (4*nH, n_in), bx (4*nH), Wh (4*nH, nH),
        # bh (4*nH), each gate-major in the order forget, input, output, cell
        self.nH = nH
        self.layers: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        i, n_in = 0, nI
        half = np.array([0.5, 0.5, 0.5, 1.0], dtype=np.float32)[:, None]  # sigmoid gates halved
        for _ in range(depth):
            parts = []
            for _d in range(2):
                Wx = params[i : i + 4 * nH * n_in].reshape(4, nH, n_in)
                i += 4 * nH * n_in
                bx = params[i : i + 4 * nH].reshape(4, nH)
                i += 4 * nH
                Wh = params[i : i + 4 * nH * nH].reshape(4, nH, nH)
                i += 4 * nH * nH
                bh = params[i : i + 4 * nH].reshape(4, nH)
                i += 4 * nH
                parts.append((Wx * half[:, :, None], (bx + bh) * half, Wh * half[:, :, None]))
            (Wxf, bf, Whf), (Wxb, bb, Whb) = parts
            # columns: gate g, direction d, unit u  ->  g * 2nH + d * nH + u
            Wx_all = np.stack([Wxf, Wxb], axis=1).reshape(8 * nH, n_in).T
            b_all = np.stack([bf, bb], axis=1).reshape(8 * nH)
            Wh_all = np.zeros((2, nH, 4, 2, nH), dtype=np.float32)  # (dir_in, unit_in, gate, dir_out, unit_out)
            Wh_all[0, :, :, 0, :] = Whf.transpose(2, 0, 1)
            Wh_all[1, :, :, 1, :] = Whb.transpose(2, 0, 1)
            self.layers.append((
                np.ascontiguousarray(Wx_all, dtype=np.float32),
                b_all.astype(np.float32),
                np.ascontiguousarray(Wh_all.reshape(2 * nH, 8 * nH), dtype=np.float32),
            ))
            n_in = 2 * nH
        if i != params.size:
            raise ValueError("LSTM parameter size does not match its dimensions")

    def __call__(self, X: np.ndarray, lengths: list[int]) -> np.ndarray:
        """Outputs (N, 2 * nH) for the concatenated sequences ``X`` (N, nI) of ``lengths``."""
        nH = self.nH
        N = len(X)
        B = len(lengths)
        active, offsets, fwd_row, bwd_row = packed_rows(lengths)
        T = len(active)
        for Wx, b, Wh in self.layers:
            G = X @ Wx
            G += b
            G5 = G.reshape(N, 4, 2, nH)
            Gp = np.empty((N, 4, 2, nH), dtype=np.float32)
            Gp[fwd_row, :, 0] = G5[:, :, 0]
            Gp[bwd_row, :, 1] = G5[:, :, 1]
            Gp = Gp.reshape(N, 8 * nH)
            H = np.empty((N, 2 * nH), dtype=np.float32)
            h = np.zeros((B, 2 * nH), dtype=np.float32)
            c = np.zeros((B, 2 * nH), dtype=np.float32)
            for t in range(T):
                n, o = active[t], offsets[t]
                g = Gp[o : o + n]
                g += h[:n] @ Wh
                np.tanh(g, out=g)
                s = g[:, : 6 * nH]  # forget, input, output gates: sigmoid = 0.5 tanh(x/2) + 0.5
                s *= 0.5
                s += 0.5
                cn = c[:n]
                cn *= g[:, : 2 * nH]
                cn += g[:, 2 * nH : 4 * nH] * g[:, 6 * nH :]
                h = H[o : o + n]
                np.tanh(cn, out=h)
                h *= g[:, 4 * nH : 6 * nH]
            X = np.concatenate([H[fwd_row, :nH], H[bwd_row, nH:]], axis=1)
        return X


class NumpyTagger:
    """Inference for ``SumHashEmbed`` + ``MaxoutWindowEncoder`` (optionally followed by a residual
    BiLSTM) + linear output, in numpy."""

    def __init__(self, embeds, ln0, blocks, pad, out_W, out_b, encoder=None, output=None, lstm=None) -> None:
        self.embeds: list[_Embed | _StaticVectors] = embeds
        self.ln0 = ln0
        self.blocks: list[_Block] = blocks
        self.pad = pad
        self.out_W = out_W  # (width, n_tags)
        self.out_b = out_b
        self.width = out_W.shape[0]
        self._encoder = encoder  # the thinc layers, when built from a model
        self._output = output
        self.lstm: _BiLSTM | None = lstm  # residual BiLSTM after the CNN blocks, if any
        # (column, plain keys sorted, their styled keys, alpha), see :meth:`mix_style`
        self._style: tuple[int, np.ndarray, np.ndarray, float] | None = None
        self._ops = NumpyOps()

    @classmethod
    def from_model(cls, model) -> NumpyTagger | None:
        """Read a thinc tagger model's weights, or ``None`` if its structure is not the one we ship."""
        try:
            tok2vec, output = model.layers
            embed_part, encoder = tok2vec.layers
            names = [n.name for n in embed_part.layers]
            if names[0] != "extract_features" or names[1] != "list2ragged" or names[-1] != "ragged2list":
                return None
            add_ln = embed_part.layers[2].layers[0]
            add, ln = add_ln.layers
            if add.name != "add" or ln.name != "layernorm":
                return None
            embeds: list[_Embed | _StaticVectors] = []
            for branch in add.layers:
                if branch.name == "static_vectors":
                    embeds.append(_StaticVectors(
                        int(branch.attrs["column"]), *(np.asarray(branch.get_param(n)) for n in ("keys", "rows", "V", "W", "b"))
                    ))
                    continue
                getitem, he = branch.layers
                if getitem.name != "ints-getitem" or he.name != "hashembed":
                    return None
                embeds.append(_Embed(int(he.attrs["column"]), int(he.attrs["seed"]), np.asarray(he.get_param("E"))))
            blocks = []
            lstm = None
            cnn = encoder
            if encoder.layers[-1].name == "residual(with_padded(lstm))":
                # shinbun.MaxoutWindowBiLSTMEncoder.v1: chain(CNN, residual(with_padded(LSTM)))
                cnn, res = encoder.layers
                rnn = res.layers[0].layers[0]
                hc0 = np.asarray(rnn.get_param("HC0"))
                if rnn.get_dim("dirs") != 2 or np.any(hc0):  # thinc never trains HC0: zeros
                    return None
                nO = rnn.get_dim("nO")
                lstm = _BiLSTM(np.asarray(rnn.get_param("LSTM"), dtype=np.float32), rnn.get_dim("nI"), nO // 2, rnn.get_dim("depth"))
            pad = int(cnn.attrs["pad"])
            inner = cnn.layers[0]
            residuals = inner.layers if inner.layers[0].name.startswith("residual(") else [inner]
            blocks = [cls._block(res) for res in residuals]
            out = output.layers[0]
            if out.name != "softmax" or out.attrs.get("softmax_normalize") or int(output.attrs.get("pad", 0)) != 0:
                return None
            if any(b is None for b in blocks):
                return None
            return cls(
                embeds,
                (np.asarray(ln.get_param("G")), np.asarray(ln.get_param("b"))),
                blocks,
                pad,
                np.ascontiguousarray(np.asarray(out.get_param("W")).T),
                np.asarray(out.get_param("b")),
                encoder,
                output,
                lstm,
            )
        except (AttributeError, ValueError, KeyError, IndexError, TypeError):
            return None

    @staticmethod
    def _block(res) -> _Block | None:
        if not res.name.startswith("residual("):
            return None
        ew, rest = res.layers[0].layers
        if ew.name != "expand_window" or int(ew.attrs["window_size"]) != 1:
            return None
        mo_ln, _dropout = rest.layers
        mo, ln = mo_ln.layers
        if mo.name != "maxout" or ln.name != "layernorm":
            return None
        nO, nP, nI = mo.get_dim("nO"), mo.get_dim("nP"), mo.get_dim("nI")
        # thinc orders the maxout outputs (unit, piece); reorder to (piece, unit) so that the max
        # over pieces is an elementwise maximum of contiguous column blocks (a numpy reduction
        # over a length-2 axis was the slowest step)
        W = np.asarray(mo.get_param("W")).reshape(nO, nP, nI).transpose(1, 0, 2).reshape(nP * nO, nI)
        b = np.asarray(mo.get_param("b")).reshape(nO, nP).T.reshape(nP * nO)
        return _Block(
            np.ascontiguousarray(W.T), np.ascontiguousarray(b), nO, nP,
            np.asarray(ln.get_param("G")), np.asarray(ln.get_param("b")),
        )

    # -- embeddings --
    def mix_style(self, column: int, pairs: dict[int, int], alpha: float) -> None:
        """Embed feature ``column`` as ``(1 - alpha) * E(key) + alpha * E(styled key)``, where
        ``pairs`` maps a key to its styled key (keys not in it embed as themselves).

        A model trained with an annotation-style flag (``style_sources`` in
        ``scripts/train/train_ner.py``: one corpus's TAG strings carry a prefix) has learned two
        conventions; ``alpha`` sets how far inference leans to the flagged one, at no cost per
        character: the column's embeddings are computed per key, and the zh features cache
        them (there are 20 tags)."""
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be within [0, 1], not {alpha!r}")
        src = np.array(sorted(pairs), dtype=np.uint64)
        dst = np.array([pairs[int(k)] for k in src], dtype=np.uint64)
        self._style = (column, src, dst, float(alpha))

    def _styled(self, keys: np.ndarray) -> np.ndarray:
        _, src, dst, _ = self._style
        if not len(src):
            return keys
        pos = np.minimum(np.searchsorted(src, keys), len(src) - 1)
        return np.where(src[pos] == keys, dst[pos], keys)

    def column_embedding(self, ids: np.ndarray, which: list[int]) -> np.ndarray:
        """Sum of the hash embeddings ``which`` (indices into the model's feature columns) of
        the feature-hash rows ``ids`` (n, n_columns), before the layer norm."""
        out = np.zeros((len(ids), self.width), dtype=np.float32)
        for i in which:
            e = self.embeds[i]
            keys = np.ascontiguousarray(ids[:, e.column], dtype=np.uint64)
            if self._style is not None and e.column == self._style[0]:
                alpha = self._style[3]
                out += (1.0 - alpha) * e.embed(keys, self._ops)
                out += alpha * e.embed(self._styled(keys), self._ops)
            else:
                out += e.embed(keys, self._ops)
        return out

    def embed(self, ids: np.ndarray) -> np.ndarray:
        """The embedding layer's output for feature-hash rows (n, n_columns)."""
        return self.normalise_embedding(self.column_embedding(ids, list(range(len(self.embeds)))))

    def normalise_embedding(self, summed: np.ndarray) -> np.ndarray:
        return _layer_norm(summed, *self.ln0)

    def scores_rows(self, batch: list[np.ndarray]) -> list[np.ndarray]:
        """Tag scores per sequence of feature-hash rows: one embedding call for the whole
        batch (per-sequence calls cost more than thinc's), then :meth:`scores`."""
        X = self.embed(np.concatenate(batch))
        return self.scores(np.split(X, np.cumsum([len(r) for r in batch])[:-1]))

    # -- encoder + output --
    def scores(self, Xs: list[np.ndarray]) -> list[np.ndarray]:
        """Tag scores per sequence of embedded tokens (numpy; :meth:`scores_thinc` is the
        reference)."""
        return self.scores_numpy(Xs)

    def scores_thinc(self, Xs: list[np.ndarray]) -> list[np.ndarray]:
        """The same through the model's own thinc encoder and output layers."""
        if not Xs:
            return []
        return self._output.predict(self._encoder.predict(Xs))

    def scores_numpy(self, Xs: list[np.ndarray]) -> list[np.ndarray]:
        """Tag scores (unnormalised, as the model's output layer gives them) per sequence of
        embedded tokens. Sequences are encoded together, separated by ``pad`` zero rows as
        thinc's ``with_array`` does, so no window reaches across two sequences."""
        if not Xs:
            return []
        P, w = self.pad, self.width
        lengths = [len(x) for x in Xs]
        starts = []
        total = P
        for n in lengths:
            starts.append(total)
            total += n + P
        X = np.zeros((total, w), dtype=np.float32)
        for s, x in zip(starts, Xs):
            X[s : s + len(x)] = x
        cols = np.zeros((total, 3 * w), dtype=np.float32)
        for blk in self.blocks:
            cols[1:, :w] = X[:-1]
            cols[:, w : 2 * w] = X
            cols[:-1, 2 * w :] = X[1:]
            Y = cols @ blk.W
            Y += blk.b
            nO = blk.nO
            M = Y[:, :nO]
            for p in range(1, blk.nP):
                M = np.maximum(M, Y[:, p * nO : (p + 1) * nO])
            Y = M
            X = X + _layer_norm(Y, blk.G, blk.beta)
        keep = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lengths)])
        X = X[keep]
        if self.lstm is not None:
            X += self.lstm(X, lengths)
        S = X @ self.out_W
        S += self.out_b
        return np.split(S, np.cumsum(lengths)[:-1])
