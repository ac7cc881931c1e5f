"""Region outlines as polygons: every ring of every region.

A region's boundary can have several rings: one per connected part and one per
hole. :func:`region_contours` finds them all, from each region's padded
bounding-box crop (so the cost grows with the region, not with the image), and
returns them packed in one :class:`RegionContours` table of rings.

Coordinates are ``(row, col)`` in image pixels, on the 0.5 iso-line between a
region's pixel centres and its neighbours' (``skimage.measure.find_contours``),
so filling a region's rings with the even-odd rule gives back its mask.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage as ndi
from skimage.measure import find_contours

from regionscope import relabel

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


@dataclass(frozen=True, eq=False, repr=False)
class RegionContours(Mapping):
    """All rings of all regions: a read-only mapping from label to rings.

    ``contours[label]`` is that region's list of ``(n_points, 2)`` rings,
    ``(row, col)`` (in 3D, of every plane: :meth:`rings` picks one); ``len``, ``in`` and iteration are over the labels (sorted)
    that have rings. Underneath the rings are packed in flat arrays: ring
    ``i`` belongs to region ``label[i]`` on plane ``plane[i]`` (the z index
    for 3D labels, 0 for 2D) and its points are ``coords[start[i]:start[i + 1]]``.

    Attributes
    ----------
    label : ndarray of int64, shape (n_rings,)
    plane : ndarray of int64, shape (n_rings,)
    start : ndarray of int64, shape (n_rings + 1,)
    coords : ndarray of float64, shape (n_points, 2)
        ``(row, col)`` of each point; each ring is closed (last point == first).
    ndim : int
        2 or 3: the dimension of the label image.

    Examples
    --------
    >>> labels = np.zeros((5, 6), int); labels[1:4, 1:3] = 7; labels[2, 4] = 9
    >>> contours = region_contours(labels)
    >>> contours
    RegionContours(2 regions, 2 rings, 2D)
    >>> list(contours), 7 in contours, len(contours[9]), contours[9][0].shape
    ([7, 9], True, 1, (5, 2))
    """

    label: np.ndarray
    plane: np.ndarray
    start: np.ndarray
    coords: np.ndarray
    ndim: int

    # Identity, not Mapping's item-by-item equality (which would compare arrays).
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __getitem__(self, label: int) -> list[np.ndarray]:
        rings = self.rings(label) if _is_label(label) else []
        if not rings:
            raise KeyError(f"no region with label {label!r}; the labels with outlines are {_labels_text(self.labels())}")
        return rings

    def __iter__(self) -> Iterator[int]:
        return iter(self.labels().tolist())

    def __len__(self) -> int:
        return len(self.labels())

    def __contains__(self, label: object) -> bool:
        return _is_label(label) and bool(np.any(self.label == label))

    def __repr__(self) -> str:
        n_regions, n_rings = len(self), self.n_rings
        return (
            f"RegionContours({n_regions:,} region{'' if n_regions == 1 else 's'}, "
            f"{n_rings:,} ring{'' if n_rings == 1 else 's'}, {self.ndim}D)"
        )

    @property
    def n_rings(self) -> int:
        """Number of rings of all regions (and planes)."""
        return len(self.label)

    def rings(self, label: int, plane: int | None = None) -> list[np.ndarray]:
        """The rings of one region.

        Parameters
        ----------
        label : int
        plane : int or None
            For 3D labels, the z index; ``None`` gives the rings of every plane.

        Returns
        -------
        list of ndarray, each of shape (n_points, 2)
            Empty for a label without rings.
        """
        selected = self.label == label
        if plane is not None:
            selected &= self.plane == plane
        return [self.coords[self.start[i] : self.start[i + 1]] for i in np.flatnonzero(selected)]

    def labels(self) -> np.ndarray:
        """The labels that have at least one ring, sorted."""
        return np.unique(self.label)


def _is_label(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _labels_text(labels, limit=8):
    if len(labels) == 0:
        return "none"
    shown = ", ".join(str(v) for v in labels[:limit].tolist())
    return shown + (f", ... ({len(labels):,} in all)" if len(labels) > limit else "")


#: Largest label value handled without renumbering (see ``_planar_contours``).
SPARSE_LABEL_LIMIT = relabel.SPARSE_LABEL_LIMIT


def crop_rings(mask: np.ndarray) -> list[np.ndarray]:
    """Rings of a boolean crop, ``(n_points, 2)`` ``(row, col)`` in crop coordinates.

    The crop is padded by one pixel so that a region touching its edge is closed.
    """
    padded = np.pad(mask, 1).astype(np.float32)
    return [ring - 1.0 for ring in find_contours(padded, 0.5)]


def _planar_contours(labels):
    """(label, ring) pairs of a 2D label image, region by region."""
    # find_objects makes a list as long as the largest label: renumber huge
    # label values (e.g. 10**9) first and map back.
    labels, values = relabel.compact_labels(labels, SPARSE_LABEL_LIMIT)
    objects = ndi.find_objects(labels)
    for index, box in enumerate(objects):
        if box is None:
            continue
        crop = labels[box] == index + 1
        label = index + 1 if values is None else int(values[index + 1])
        offset = np.array([box[0].start, box[1].start], dtype=np.float64)
        for ring in crop_rings(crop):
            yield label, ring + offset


def region_contours(labels: ArrayLike) -> RegionContours:
    """Find every ring of every region's boundary.

    Parameters
    ----------
    labels : ndarray of int, shape (Y, X) or (Z, Y, X)
        Label image; 0 is background. Labels need not be sequential.

    Returns
    -------
    RegionContours
        For 3D labels, the rings of each z-plane (``plane`` is the z index).

    Examples
    --------
    >>> labels = np.zeros((5, 5), int); labels[1:4, 1:4] = 7; labels[2, 2] = 0
    >>> contours = region_contours(labels)
    >>> len(contours[7])   # the outer ring and the hole
    2
    """
    labels = np.asarray(labels)
    if labels.ndim not in (2, 3):
        raise ValueError(f"labels must be 2D (Y, X) or 3D (Z, Y, X); got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        # find_objects would fail with an obscure TypeError (bool) or count
        # float values; a boolean mask needs labelling first.
        raise ValueError(
            f"labels must be an integer array, not {labels.dtype}; label a boolean mask first (skimage.measure.label)"
        )
    if labels.size and labels.min() < 0:
        raise ValueError("labels must not be negative")
    planes = [labels] if labels.ndim == 2 else list(labels)
    ring_labels, ring_planes, rings = [], [], []
    for z, plane in enumerate(planes):
        if not plane.any():
            continue
        for label, ring in _planar_contours(plane):
            ring_labels.append(label)
            ring_planes.append(z)
            rings.append(ring)
    lengths = np.fromiter((len(r) for r in rings), dtype=np.int64, count=len(rings))
    start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    coords = np.concatenate(rings) if rings else np.empty((0, 2), dtype=np.float64)
    return RegionContours(
        # uint64 labels keep their type: values of 2**63 and above do not fit int64.
        label=np.asarray(ring_labels, dtype=np.uint64 if labels.dtype == np.uint64 else np.int64),
        plane=np.asarray(ring_planes, dtype=np.int64),
        start=start,
        coords=coords,
        ndim=labels.ndim,
    )
