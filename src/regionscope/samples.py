"""Built-in sample data that needs no network."""

from __future__ import annotations

import numpy as np


def coins():
    """scikit-image's ``coins`` photograph (bundled with scikit-image).

    Returns
    -------
    ndarray of uint8, shape (303, 384)
    """
    from skimage import data

    return data.coins()


def blobs_2d(shape=(96, 128), centers=None, radii=None, intensities=None):
    """Discs of known position, size and brightness on a dark background.

    Parameters
    ----------
    shape : tuple of int
    centers : sequence of (row, col) or None
    radii : sequence of float or None
    intensities : sequence of int or None

    Returns
    -------
    image : ndarray of uint8, shape ``shape``
    labels : ndarray of int32, shape ``shape``
        Disc ``i`` has label ``i + 1``.
    """
    if centers is None:
        centers = [(24, 24), (24, 72), (64, 40), (70, 100), (40, 110)]
    if radii is None:
        radii = [10, 14, 8, 12, 6][: len(centers)]
    if intensities is None:
        intensities = [200, 120, 250, 90, 160][: len(centers)]
    rows, cols = np.indices(shape)
    labels = np.zeros(shape, dtype=np.int32)
    image = np.full(shape, 20, dtype=np.uint8)
    for index, ((r, c), radius, value) in enumerate(zip(centers, radii, intensities, strict=True)):
        disc = (rows - r) ** 2 + (cols - c) ** 2 <= radius**2
        labels[disc] = index + 1
        image[disc] = value
    return image, labels
