"""Shared tiny fixtures: hand-made arrays with answers that can be worked out by hand.

The tests follow the style of ``skimage/measure/tests``: small literal arrays,
exact expected numbers, one named edge case per test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data


@pytest.fixture(scope="session")
def coins():
    """scikit-image's coins photograph, uint8 (303, 384). Do not modify."""
    image = data.coins()
    image.flags.writeable = False
    return image


@pytest.fixture(scope="session")
def coins_crop(coins):
    """The classic 140 x 140 crop of coins used in scikit-image tutorials."""
    return coins[10:150, 10:150]


@pytest.fixture
def tiny():
    """Three regions on a 6 x 8 image, with hand-computed measurements.

    ::

        labels                 image
        0 0 0 0 3 0 0 0        0  0  0  0  7  0  0  0
        0 1 1 0 0 0 0 0        0 10 20  0  0  0  0  0
        0 1 1 0 0 0 2 2        0 30 40  0  0  0  1  2
        0 0 0 0 0 0 2 2        0  0  0  0  0  0  3  4
        0 0 0 0 0 0 2 2        0  0  0  0  0  0  5  6
        0 0 0 0 0 0 0 0        0  0  0  0  0  0  0  0

    Region 1 is inside, region 2 touches the right edge, region 3 is one
    pixel on the top edge.
    """
    labels = np.zeros((6, 8), dtype=np.int32)
    labels[1:3, 1:3] = 1
    labels[2:5, 6:8] = 2
    labels[0, 4] = 3
    image = np.zeros((6, 8), dtype=np.float64)
    image[1:3, 1:3] = [[10, 20], [30, 40]]
    image[2:5, 6:8] = [[1, 2], [3, 4], [5, 6]]
    image[0, 4] = 7
    expected = {
        "label": [1, 2, 3],
        "area": [4, 6, 1],
        "centroid-0": [1.5, 3.0, 0.0],
        "centroid-1": [1.5, 6.5, 4.0],
        "bbox-0": [1, 2, 0],
        "bbox-1": [1, 6, 4],
        "bbox-2": [3, 5, 1],
        "bbox-3": [3, 8, 5],
        "touches_border": [False, True, True],
        "intensity_mean": [25.0, 3.5, 7.0],
        "intensity_min": [10.0, 1.0, 7.0],
        "intensity_max": [40.0, 6.0, 7.0],
    }
    return image, labels, expected


@pytest.fixture
def nonsequential():
    """Labels {3, 10, 200} with areas 3, 2 and 1, in that order of label.

    They are laid out so that the label value and the raster order disagree
    (200 comes first in the image, 3 last).
    """
    labels = np.zeros((5, 6), dtype=np.uint16)
    labels[0, 0] = 200
    labels[2, 2:4] = 10
    labels[4, 3:6] = 3
    return labels


@pytest.fixture
def save_png():
    """``save_png(path, array)`` writes a uint8/uint16 array as PNG and returns the path."""

    def save(path, array):
        Image.fromarray(np.ascontiguousarray(array)).save(path)
        return path

    return save


@pytest.fixture
def coins_png(tmp_path, coins_crop, save_png):
    """The coins crop as a grayscale PNG file."""
    return save_png(tmp_path / "crop.png", coins_crop)


@pytest.fixture(autouse=True, scope="session")
def _workspace_for_tests(tmp_path_factory):
    """Exclusions and classes written by tests go to a temporary folder, never the user's."""
    import os

    folder = tmp_path_factory.mktemp("workspace")
    previous = os.environ.get("REGIONSCOPE_WORKSPACE")
    os.environ["REGIONSCOPE_WORKSPACE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("REGIONSCOPE_WORKSPACE", None)
    else:
        os.environ["REGIONSCOPE_WORKSPACE"] = previous


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, one for the whole run (Playwright's sync API allows one driver at a time).

    Shared by the browser tests in ``tests/browser/`` and ``tests/reliability/``.
    """
    from playwright.sync_api import sync_playwright

    from regionscope.app.headless import CHROMIUM, launch

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium) or set REGIONSCOPE_CHROMIUM")
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
