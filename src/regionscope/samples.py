"""Built-in sample data that needs no network."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence


def coins() -> np.ndarray:
    """scikit-image's ``coins`` photograph (bundled with scikit-image).

    Returns
    -------
    ndarray of uint8, shape (303, 384)
    """
    from skimage import data

    return data.coins()


def blobs_2d(
    shape: tuple[int, int] = (96, 128),
    centers: Sequence[tuple[int, int]] | None = None,
    radii: Sequence[float] | None = None,
    intensities: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
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
