"""What the viewer draws a dataset with: the label-index raster, and each region's outline when asked.

These are artefacts of one way of drawing (a browser that decodes a raster of
table rows and outlines the focused region), so they live with the app, not in
the core :class:`~regionscope.dataset.Dataset` (image + labels + table +
metadata). The registry makes the raster once per prepared dataset and counts
its bytes in its budget; a region's outline is traced from its own bounding-box
crop the first time it is focused (a few milliseconds), so nothing is traced for
the regions nobody looks at.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from regionscope.contours import RegionContours, crop_rings, region_contours
from regionscope.progress import stage

#: Largest number of regions the label-index raster can address (24 bits: the RGB of a PNG pixel).
MAX_REGIONS = 2**24 - 1
#: Regions whose outlines are kept once traced (a few rings each).
CACHED_OUTLINES = 256


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
    """A dataset's label-index raster, and its regions' outlines on demand.

    Attributes
    ----------
    index : ndarray of uint32, shape (Y, X) or (Z, Y, X), read-only
        0 for background, ``i + 1`` for the region in table row ``i``; what the
        browser decodes to find the region under the cursor.
    labels : ndarray of int, same shape, read-only
        The dataset's labels (not a copy), which outlines are traced from.
    label_values : ndarray of int, shape (n_regions,)
        The label of each table row (sorted).
    boxes : ndarray of int64, shape (n_regions, 2 * ndim) or None
        Each table row's bounding box (``bbox-*`` columns: starts, then stops);
        None when the table has none (each outline then searches the labels).
    """

    index: np.ndarray
    labels: np.ndarray
    label_values: np.ndarray
    boxes: np.ndarray | None
    _outlines: object = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        # Traced outlines are derived data of an immutable dataset: a cache, not state.
        object.__setattr__(self, "_outlines", functools.lru_cache(maxsize=CACHED_OUTLINES)(self._trace))

    def index_plane(self, plane=0):
        """The label-index raster of one z-plane, shape (Y, X)."""
        return self.index[plane] if self.index.ndim == 3 else self.index

    def rings(self, label, plane=None):
        """The rings of region ``label`` (on ``plane`` in 3D), ``(n_points, 2)`` ``(row, col)`` arrays.

        Equal to ``region_contours(labels).rings(label, plane)``, traced from
        the region's own crop.
        """
        planes = self._outlines(int(label))
        if self.labels.ndim == 2:
            return list(planes.get(0, []))
        if plane is None:
            return [ring for z in sorted(planes) for ring in planes[z]]
        return list(planes.get(int(plane), []))

    def planes_of(self, label):
        """The z-planes on which region ``label`` has pixels, sorted (ndarray of int)."""
        return np.array(sorted(self._outlines(int(label))), dtype=np.int64)

    @functools.cached_property
    def contours(self) -> RegionContours:
        """Every ring of every region at once (traced on first use: for exports and tests, not the page)."""
        return region_contours(self.labels)

    @property
    def nbytes(self):
        return self.index.nbytes + (self.boxes.nbytes if self.boxes is not None else 0)

    def _box(self, label):
        """The bounding box of ``label`` as slices, or None when there is no such region."""
        ndim = self.labels.ndim
        if self.boxes is not None:
            position = self._row(label)
            if position is None:
                return None
            box = self.boxes[position]
            return tuple(slice(int(box[i]), int(box[i + ndim])) for i in range(ndim))
        where = np.nonzero(self.labels == label)
        if not len(where[0]):
            return None
        return tuple(slice(int(axis.min()), int(axis.max()) + 1) for axis in where)

    def _row(self, label):
        values = self.label_values
        position = int(np.searchsorted(values, label))
        return position if position < len(values) and values[position] == label else None

    def _trace(self, label):
        """{plane: [rings]} of one region, in image coordinates."""
        box = self._box(label)
        if box is None:
            return {}
        crop = self.labels[box] == label
        if self.labels.ndim == 2:
            crop, box = crop[None], (slice(0, 1), *box)
        traced = {}
        for z in range(crop.shape[0]):
            mask = crop[z]
            rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
            if not len(rows):
                continue
            # The plane's own tight box, as region_contours takes it (find_objects per plane).
            tight = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
            offset = np.array([box[1].start + rows[0], box[2].start + cols[0]], dtype=np.float64)
            traced[box[0].start + z] = [ring + offset for ring in crop_rings(tight)]
        return traced


def view_data(dataset) -> ViewData:
    """The label-index raster of a dataset (outlines are traced when a region is focused).

    Parameters
    ----------
    dataset : Dataset

    Returns
    -------
    ViewData
    """
    stage("outlining regions")  # the raster the page draws every outline from
    table = dataset.table
    values = table["label"].to_numpy()
    index = label_index(dataset.labels, values)
    index.setflags(write=False)
    ndim = dataset.labels.ndim
    columns = [f"bbox-{i}" for i in range(2 * ndim)]
    boxes = table[columns].to_numpy(dtype=np.int64) if all(c in table for c in columns) else None
    return ViewData(index=index, labels=dataset.labels, label_values=values, boxes=boxes)
