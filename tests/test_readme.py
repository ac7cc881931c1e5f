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
    (block,) = python_blocks()
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
