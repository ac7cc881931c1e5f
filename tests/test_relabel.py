"""relabel: renumbering label values through skimage's relabel_sequential, original values kept."""

from __future__ import annotations

import numpy as np

from regionscope.relabel import compact_labels, relabel_with_values


def test_read_only_labels_are_renumbered_without_touching_them():
    # Datasets in the server's registry are read-only; skimage's map_array needs a writable buffer.
    labels = np.array([[0, 2**64 - 1], [5, 5]], dtype=np.uint64)
    labels.flags.writeable = False
    relabelled, values = relabel_with_values(labels)
    assert relabelled.tolist() == [[0, 2], [1, 1]]
    assert values.tolist() == [0, 5, 2**64 - 1]
    assert labels.tolist() == [[0, 2**64 - 1], [5, 5]]


def test_small_labels_are_kept_as_they_are():
    labels = np.array([[0, 3], [7, 7]])
    same, values = compact_labels(labels, limit=10)
    assert same is labels and values is None
