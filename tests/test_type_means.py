"""scripts/type_means.py: per-type mean vectors of the training-time vector builders."""

from __future__ import annotations

import numpy as np

def test_means_order_and_filtering(tmp_path, load_script):
    means = load_script("type_means").TypeMeans(2)
    for key, row in [("a", [1, 0]), ("b", [0, 2]), ("a", [3, 0]), ("c", [1, 1]), ("b", [0, 4]), ("d", [5, 5])]:
        means.add(key, np.array(row, dtype=float))
    for i in range(70_000):  # past the initial capacity: the tables grow
        means.add(f"x{i}", np.zeros(2))
    n, kept, covered = means.save(tmp_path / "m.npz", min_count=2, max_types=10, labels=np.array(["p", "q"]))
    assert (n, kept) == (70_004, 2)
    assert covered == 4 / 70_006
    with np.load(tmp_path / "m.npz") as z:
        assert z["strings"].tolist() == ["a", "b"]  # equal counts: first seen first
        np.testing.assert_allclose(z["vectors"], [[2, 0], [0, 3]])
        assert z["counts"].tolist() == [2, 2] and z["labels"].tolist() == ["p", "q"]
