"""What the viewer draws a dataset with: every region's outlines and the label-index raster.

These are artefacts of one way of drawing (a browser that decodes a raster of
table rows and outlines a focused region), so they live with the app, not in
the core :class:`~regionscope.dataset.Dataset` (image + labels + table +
metadata). The registry computes them once per prepared dataset and counts
their bytes in its budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from regionscope.contours import RegionContours, region_contours
from regionscope.progress import stage

#: Largest number of regions the label-index raster can address (24 bits: the RGB of a PNG pixel).
MAX_REGIONS = 2**24 - 1


def label_index(labels, label_values):
    """Map label values to ``1 + position`` in ``label_values`` (0 stays 0).

    Parameters
    ----------
    labels : ndarray of int, shape (Y, X) or (Z, Y, X)
    label_values : ndarray of int, shape (n,)
        Sorted label values (the table's ``label`` column).

    Returns
    -------
    ndarray of uint32, same shape as ``labels``
    """
    if len(label_values) > MAX_REGIONS:
        raise ValueError(f"{len(label_values)} regions: at most {MAX_REGIONS} can be shown")
    if len(label_values) == 0:
        return np.zeros(labels.shape, dtype=np.uint32)
    if label_values[-1] <= 4 * len(label_values) + 65536:
        # Dense labels: one lookup table, faster than searchsorted per pixel.
        lookup = np.zeros(int(label_values[-1]) + 1, dtype=np.uint32)
        lookup[label_values] = np.arange(1, len(label_values) + 1, dtype=np.uint32)
        return lookup[labels]
    positions = np.searchsorted(label_values, labels) + 1
    return np.where(labels == 0, 0, positions).astype(np.uint32)


@dataclass(frozen=True)
class ViewData:
    """A dataset's outlines and label-index raster.

    Attributes
    ----------
    contours : RegionContours
        Every ring of every region (per plane in 3D).
    index : ndarray of uint32, shape (Y, X) or (Z, Y, X), read-only
        0 for background, ``i + 1`` for the region in table row ``i``; what the
        browser decodes to find the region under the cursor.
    """

    contours: RegionContours
    index: np.ndarray

    def index_plane(self, plane=0):
        """The label-index raster of one z-plane, shape (Y, X)."""
        return self.index[plane] if self.index.ndim == 3 else self.index

    def planes_of(self, label):
        """The z-planes on which region ``label`` has outlines, sorted (ndarray of int)."""
        return np.unique(self.contours.plane[self.contours.label == label])

    @property
    def nbytes(self):
        contours = self.contours
        return self.index.nbytes + sum(getattr(contours, name).nbytes for name in ("label", "plane", "start", "coords"))


def view_data(dataset) -> ViewData:
    """Outline a dataset's regions and make its label-index raster.

    Parameters
    ----------
    dataset : Dataset

    Returns
    -------
    ViewData
    """
    stage("outlining regions")
    index = label_index(dataset.labels, dataset.table["label"].to_numpy())
    index.setflags(write=False)
    return ViewData(contours=region_contours(dataset.labels), index=index)
