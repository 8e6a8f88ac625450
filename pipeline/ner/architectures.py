"""The spaCy layers of the shipped models, registered in spaCy's registry on import
(``shinbun.SumHashEmbed.v1``, ``shinbun.SumHashEmbedVectors.v1``,
``shinbun.MaxoutWindowBiLSTMEncoder.v1``): loading a model needs them, training builds them.

``shinbun.SumHashEmbed.v1`` is a cheaper embedding than spaCy's ``MultiHashEmbed``: the hash
embeddings of the token attributes are summed and layer-normalised instead of concatenated and
mixed by a Maxout layer (that layer was the largest single cost per token); the CNN encoder
after it does the mixing. ``shinbun.SumHashEmbedVectors.v1`` adds projected pretrained static
vectors (:func:`static_vectors_layer`), whose table is built at training time
(:mod:`pipeline.training.vectors`) and stored in the model.
"""

from __future__ import annotations

import numpy as np
from spacy.ml.featureextractor import FeatureExtractor
from spacy.ml.models.tok2vec import MaxoutWindowEncoder
from spacy.util import registry
from thinc.api import (
    LSTM,
    HashEmbed,
    LayerNorm,
    Model,
    add,
    chain,
    glorot_uniform_init,
    list2ragged,
    ragged2list,
    residual,
    with_array,
    with_padded,
)

from pipeline.training.vectors import build_static_vector_table


def summed_embedding(width, attrs, rows, seed, vectors=(), dtype="float16", dropout=0.0, fine_tune=False):
    """The shared body of the two embedding architectures: one hash embedding per feature column,
    plus one :func:`static_vectors_layer` per ``(attr, source, dims)`` in ``vectors``, summed
    and layer-normalised. (spaCy's update() sets the dropout rate of every layer, these
    embeddings included.)"""
    if len(rows) != len(attrs):
        raise ValueError("rows and attrs must have the same length")
    for a, _, _ in vectors:
        if a not in attrs:
            raise ValueError(f"vector attr {a!r} must be one of attrs {attrs}")
    embeddings = [HashEmbed(nO=width, nV=r, column=i, seed=seed + i, dropout=0.0) for i, r in enumerate(rows)]
    vecs = [
        static_vectors_layer(
            width, column=attrs.index(a), source=src, dims=d, dtype=dtype, dropout=dropout,
            fine_tune=fine_tune, key_attr=a,
        )
        for a, src, d in vectors
    ]
    model = chain(
        FeatureExtractor(list(attrs)),
        list2ragged(),
        with_array(chain(add(*embeddings, *vecs), LayerNorm(nI=width))),
        ragged2list(),
    )
    model.set_dim("nO", width)
    return model

@registry.architectures("shinbun.SumHashEmbed.v1")
def sum_hash_embed(width: int, attrs: list[str], rows: list[int], seed: int = 7):
    return summed_embedding(width, attrs, rows, seed)

@registry.architectures("shinbun.SumHashEmbedVectors.v1")
def sum_hash_embed_vectors(
    width: int,
    attrs: list[str],
    rows: list[int],
    seed: int = 7,
    vector_attr: str = "NORM",
    vectors_source: str = "ja_ginza",
    vector_dims: int = 100,
    vector_dtype: str = "float16",
    vector_dropout: float = 0.0,
    fine_tune_vectors: bool = False,
):
    """``shinbun.SumHashEmbed.v1`` plus a projected pretrained static word vector.

    The vector of a token is looked up by the hash of its ``vector_attr`` feature (a column
    the feature extractor already produces, so the fast inference path needs nothing new),
    projected to ``width`` by a learned linear map and added to the hash embeddings before
    the layer norm. The key -> row table and the (PCA-reduced) vectors are built once from
    ``vectors_source`` at ``initialize`` (training) and stored in the model's parameters,
    so loading a trained model does not need the source. See :func:`static_vectors_layer`.
    """
    return summed_embedding(
        width, attrs, rows, seed, [(vector_attr, vectors_source, vector_dims)],
        vector_dtype, vector_dropout, fine_tune_vectors,
    )

@registry.architectures("shinbun.MaxoutWindowBiLSTMEncoder.v1")
def maxout_window_bilstm_encoder(
    width: int,
    depth: int,
    window_size: int,
    maxout_pieces: int,
    lstm_depth: int = 1,
    lstm_dropout: float = 0.0,
):
    """spaCy's ``MaxoutWindowEncoder`` followed by a residual bidirectional LSTM over the
    whole sentence (``width // 2`` units per direction; thinc's own numpy LSTM, so no torch).

    The window CNN sees a few characters either side; the LSTM adds sentence-wide context
    (a long organisation name, a name introduced earlier in the sentence), which the
    Chinese model lacked. The pipeline runs it with
    :class:`pipeline.ner.numpy_tagger.NumpyTagger`, which computes both directions in one
    time loop."""
    if width % 2:
        raise ValueError("width must be even (two LSTM directions of width // 2)")
    cnn = MaxoutWindowEncoder(width=width, window_size=window_size, maxout_pieces=maxout_pieces, depth=depth)
    rnn = residual(with_padded(LSTM(nO=width, nI=width, bi=True, depth=lstm_depth, dropout=lstm_dropout)))
    model = chain(cnn, rnn)
    model.set_dim("nO", width)
    return model


def static_vectors_layer(
    width: int,
    column: int,
    source: str = "ja_ginza",
    dims: int = 100,
    dtype: str = "float16",
    dropout: float = 0.0,
    fine_tune: bool = False,
    key_attr: str = "NORM",
):
    """Thinc layer: feature-hash rows (``Ints2d``) -> projected static vectors (``Floats2d``).

    Parameters: ``keys`` (sorted uint64 feature hashes), ``rows`` (int32 vector row per key),
    ``V`` (vectors, last row zero = no vector), ``W``/``b`` (projection to ``width``). The
    lookup is a binary search of column ``column`` in ``keys``, so it works on the arrays of a
    spaCy ``Doc`` and on :class:`FastFeatures` rows alike. ``V`` is fixed unless ``fine_tune``
    (then stored as float32 while training). ``dropout`` (attribute ``vector_dropout``, left
    alone by spaCy's per-update dropout) zeroes elements of the projected vector in training.
    """
    def forward(model, X, is_train):
        keys = model.get_param("keys")
        rows = model.get_param("rows")
        V = model.get_param("V")
        W = model.get_param("W")
        b = model.get_param("b")
        ids = np.ascontiguousarray(X[:, model.attrs["column"]], dtype="uint64")
        pos = np.searchsorted(keys, ids)
        np.minimum(pos, len(keys) - 1, out=pos)
        r = np.where(keys[pos] == ids, rows[pos], V.shape[0] - 1)
        vx = V[r]
        if vx.dtype != np.float32:
            vx = vx.astype("float32")
        Y = vx @ W.T
        Y += b
        mask = None
        rate = model.attrs.get("vector_dropout", 0.0)
        if is_train and rate:
            mask = model.ops.get_dropout_mask(Y.shape, rate)
            if mask is not None:
                Y *= mask

        def backprop(dY):
            if mask is not None:
                dY = dY * mask
            model.inc_grad("W", dY.T @ vx)
            model.inc_grad("b", dY.sum(axis=0))
            if model.attrs["fine_tune"]:
                dV = np.zeros(V.shape, dtype="float32")
                np.add.at(dV, r, dY @ W)
                dV[-1] = 0.0
                model.inc_grad("V", dV)
            return np.zeros(X.shape, dtype=X.dtype)

        return Y, backprop

    def init(model, X=None, Y=None):
        if not model.has_param("V"):
            keys, rows, V = build_static_vector_table(
                model.attrs["source"], model.attrs["dims"], model.attrs["dtype"], model.attrs.get("key_attr", "NORM")
            )
            if model.attrs["fine_tune"]:
                V = V.astype("float32")
            model.set_param("keys", keys)
            model.set_param("rows", rows)
            model.set_param("V", V)
        nV = model.get_param("V").shape[1]
        model.set_dim("nV", nV)
        W = model.ops.alloc2f(model.get_dim("nO"), nV)
        model.set_param("W", glorot_uniform_init(model.ops, W.shape))
        model.set_param("b", model.ops.alloc1f(model.get_dim("nO")))

    return Model(
        "static_vectors",
        forward,
        init=init,
        dims={"nO": width, "nV": None},
        params={"keys": None, "rows": None, "V": None, "W": None, "b": None},
        attrs={
            "column": column,
            "source": source,
            "dims": dims,
            "dtype": dtype,
            "vector_dropout": dropout,
            "fine_tune": fine_tune,
            "key_attr": key_attr,
        },
    )
