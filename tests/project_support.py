"""Tiny plates of images for the project tests: bright rectangles with exact masks."""

from __future__ import annotations

import numpy as np
import tifffile


def blobs(seed, shape=(48, 64), count=4):
    """An image of bright rectangles (each >= 64 px, so segmenting keeps them) and their labels."""
    rng = np.random.default_rng(seed)
    labels = np.zeros(shape, np.int32)
    image = rng.integers(5, 20, shape).astype(np.uint16)
    for k in range(count):
        r, c = 2 + 11 * (k // 2) + rng.integers(0, 3), 2 + 30 * (k % 2) + rng.integers(0, 8)
        h, w = rng.integers(8, 11), rng.integers(9, 20)
        labels[r : r + h, c : c + w] = k + 1
        image[r : r + h, c : c + w] = 200 + 10 * k + seed
    return image, labels


def write_plate(folder):
    """A01 and A02 with masks ``NAME_mask.tif``, B01 without (segmented), in a new ``folder``."""
    folder.mkdir()
    for seed, name in enumerate(["A01", "A02", "B01"]):
        image, labels = blobs(seed)
        tifffile.imwrite(folder / f"{name}.tif", image)
        if name != "B01":
            tifffile.imwrite(folder / f"{name}_mask.tif", labels)
    return folder
