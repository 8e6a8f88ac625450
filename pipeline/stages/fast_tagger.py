"""The shipped tagger architecture evaluated directly with numpy (inference only).

Our NER models are a spaCy ``tagger`` over ``shinbun.SumHashEmbed.v1`` (hash embeddings of a few
feature columns, summed, layer-normalised) + ``MaxoutWindowEncoder`` (residual blocks of
window-3 maxout + layer norm) + a linear output layer. Through thinc, each call walks about
forty layer objects and converts between lists, ragged and padded arrays; on the character-level
Chinese model that overhead plus thinc's generic ``gather_add`` was a large share of the run
time. :class:`NumpyTagger` reads the same weights and computes the same function with a few
numpy calls per block, and lets the caller supply *cached partial embeddings* (the summed
embedding of the columns that depend on one key), which the zh features use
(:mod:`pipeline.stages.zh_features`).

Results equal thinc's up to float rounding (summation order); tests compare the scores.
:meth:`NumpyTagger.from_model` returns ``None`` for any other architecture, and the caller then
keeps thinc.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


class NumpyTagger:
    """Inference for ``SumHashEmbed`` + ``MaxoutWindowEncoder`` + linear output, in numpy."""

    def __init__(self, embeds, ln0, blocks, pad, out_W, out_b, encoder=None, output=None) -> None:
        self.embeds: list[_Embed | _StaticVectors] = embeds
        self.ln0 = ln0
        self.blocks: list[_Block] = blocks
        self.pad = pad
        self.out_W = out_W  # (width, n_tags)
        self.out_b = out_b
        self.width = out_W.shape[0]
        self._encoder = encoder  # the thinc layers, when built from a model
        self._output = output
        from thinc.api import NumpyOps

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
            pad = int(encoder.attrs["pad"])
            inner = encoder.layers[0]
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
    def column_embedding(self, ids: np.ndarray, which: list[int]) -> np.ndarray:
        """Sum of the hash embeddings ``which`` (indices into the model's feature columns) of
        the feature-hash rows ``ids`` (n, n_columns), before the layer norm."""
        out = np.zeros((len(ids), self.width), dtype=np.float32)
        for i in which:
            e = self.embeds[i]
            out += e.embed(np.ascontiguousarray(ids[:, e.column], dtype=np.uint64), self._ops)
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
        S = X[keep] @ self.out_W
        S += self.out_b
        return np.split(S, np.cumsum(lengths)[:-1])
