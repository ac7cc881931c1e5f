"""The README's Python example runs as written (issue 8, point 17)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def cells_files(tmp_path):
    """cells.tif and cells_mask.tif: two big round cells and a small one, as the example expects."""
    import tifffile

    rows, cols = np.indices((96, 128))
    labels = np.zeros((96, 128), np.uint16)
    for value, (r, c, radius) in enumerate([(30, 30, 16), (60, 90, 20), (80, 20, 5)], start=1):
        labels[(rows - r) ** 2 + (cols - c) ** 2 <= radius**2] = value
    image = np.where(labels > 0, 3000, 200).astype(np.uint16)
    tifffile.imwrite(tmp_path / "cells.tif", image)
    tifffile.imwrite(tmp_path / "cells_mask.tif", labels)
    return tmp_path, labels


def test_the_readme_python_example_runs(cells_files, monkeypatch):
    folder, labels = cells_files
    block = python_blocks()[0]
    assert "rs.explore(image, labels)" in block  # the example shows it ...
    # ... but it serves until interrupted: everything else runs as written.
    code = "\n".join(line for line in block.splitlines() if not line.startswith("rs.explore("))
    monkeypatch.chdir(folder)
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README, not user text

    assert namespace["table"]["label"].tolist() == [1, 2, 3]
    assert namespace["big"]["label"].tolist() == [1, 2]
    rings = namespace["rings"]
    assert list(rings) == [1, 2, 3] and len(rings) == 3 and 2 in rings
    assert repr(rings) == "RegionContours(3 regions, 3 rings, 2D)"
    outline = namespace["outline"]
    assert outline.ndim == 2 and outline.shape[1] == 2 and np.array_equal(outline[0], outline[-1])
    import regionscope as rs

    assert os.path.exists("big.parquet")
    assert np.array_equal(rs.read_labels("big.tif"), np.where(labels < 3, labels, 0))


def test_the_readme_classifier_example_runs(tmp_path, monkeypatch):
    pytest.importorskip("skops.io")
    import tifffile

    # Six cells: 1 and 2 big, 3 and 4 big too, 5 and 6 small.
    rows, cols = np.indices((96, 160))
    labels = np.zeros((96, 160), np.uint16)
    cells = [(25, 25, 16), (25, 70, 18), (70, 25, 17), (70, 70, 19), (25, 130, 4), (70, 130, 5)]
    for value, (r, c, radius) in enumerate(cells, start=1):
        labels[(rows - r) ** 2 + (cols - c) ** 2 <= radius**2] = value
    tifffile.imwrite(tmp_path / "cells.tif", np.where(labels > 0, 3000, 200).astype(np.uint16))
    tifffile.imwrite(tmp_path / "cells_mask.tif", labels)
    block = next(b for b in python_blocks() if "train_classifier" in b)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README, not user text

    assert namespace["predicted"]["predicted_class"].tolist() == ["big", "big", "big", "big", "small", "small"]
    assert namespace["same"].equals(namespace["predicted"])
    assert list(namespace["axes"].columns) == ["pca-1", "pca-2"]
