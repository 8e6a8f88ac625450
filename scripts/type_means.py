"""Mean vector per string type, for the training-time vector builders
(``build_lac_bigram_vectors.py``, ``build_ginza_ne_vectors.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class TypeMeans:
    """Running sums and counts of ``dims``-wide rows per key, in first-seen order."""

    def __init__(self, dims: int) -> None:
        self.index: dict[str, int] = {}
        self.sums = np.zeros((1 << 16, dims), dtype=np.float64)
        self.counts = np.zeros(1 << 16, dtype=np.int64)

    def add(self, key: str, row: np.ndarray) -> None:
        r = self.index.get(key)
        if r is None:
            r = self.index[key] = len(self.index)
            if r >= len(self.counts):
                self.sums = np.concatenate([self.sums, np.zeros_like(self.sums)])
                self.counts = np.concatenate([self.counts, np.zeros_like(self.counts)])
        self.sums[r] += row
        self.counts[r] += 1

    def save(self, out: Path, min_count: int, max_types: int, **extra) -> tuple[int, int, float]:
        """Write ``strings``, ``vectors`` (float32 means), ``counts`` (and ``extra`` arrays) of the
        ``max_types`` most frequent keys seen at least ``min_count`` times, most frequent first
        (ties in first-seen order, so the output is deterministic). Returns (types seen, types
        kept, share of all occurrences the kept types cover)."""
        n = len(self.index)
        counts = self.counts[:n]
        keep = np.flatnonzero(counts >= min_count)
        keep = keep[np.argsort(-counts[keep], kind="stable")][:max_types]
        strings = np.array(list(self.index.keys()), dtype=object)[keep]
        vectors = (self.sums[keep] / counts[keep, None]).astype("float32")
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out, strings=strings.astype(str), vectors=vectors, counts=counts[keep], **extra)
        return n, len(keep), float(counts[keep].sum() / max(counts.sum(), 1))
