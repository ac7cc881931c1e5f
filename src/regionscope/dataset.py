"""A prepared dataset: image, labels, region table and geometry, computed once.

A :class:`Dataset` is immutable: its arrays are read-only and nothing in it
changes after :func:`prepare_dataset` returns. Everything a view needs per
region (the table, the outlines, the label-index raster) is computed here, not
in the callbacks that show it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regionscope.contours import RegionContours, region_contours
from regionscope.io import ImageData
from regionscope.measurement import measure_image
from regionscope.progress import stage
from regionscope.segmentation import segment, segmentation_settings, uses_luminance

#: Largest number of regions the label-index raster can address (24 bits).
MAX_REGIONS = 2**24 - 1


def content_hash(*parts):
    """A short hex digest of arrays, strings and numbers, for dataset ids.

    Parameters
    ----------
    *parts : ndarray, str, bytes, int, float, None or dict

    Returns
    -------
    str
        16 hex characters.
    """
    digest = hashlib.blake2b(digest_size=8)
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(str((part.shape, part.dtype.str)).encode())
            digest.update(np.ascontiguousarray(part).data)
        elif isinstance(part, dict):
            digest.update(repr(sorted(part.items())).encode())
        else:
            digest.update(repr(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def _read_only(array):
    array = np.asarray(array)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class Dataset:
    """An image with its labels, measured and ready to show.

    Attributes
    ----------
    id : str
        Content hash of the inputs; equal inputs give equal ids.
    name : str
        What the user calls it (a file name, "coins", ...).
    image : ImageData
        The intensity image, ``(Y, X)``, ``(Z, Y, X)`` or with channels last.
    labels : ndarray of int, shape (Y, X) or (Z, Y, X)
    table : pandas.DataFrame
        One row per region, sorted by ``label``.
    contours : RegionContours
        Every ring of every region (per plane in 3D).
    index : ndarray of uint32, same shape as ``labels``
        0 for background, ``i + 1`` for the region in table row ``i``; what the
        browser decodes to find the region under the cursor.
    labels_given : bool
        Whether the labels came from the user (False: from :func:`segment`).
    segmentation : dict
        Every :func:`segment` setting used (defaults filled in, ``channel`` an
        index or None) when ``labels_given`` is False; ``{}`` otherwise.
    """

    id: str
    name: str
    image: ImageData
    labels: np.ndarray
    table: pd.DataFrame
    contours: RegionContours
    index: np.ndarray
    labels_given: bool
    segmentation: dict = field(default_factory=dict)

    @property
    def shape(self):
        """Spatial shape, ``(Y, X)`` or ``(Z, Y, X)``."""
        return self.labels.shape

    @property
    def n_planes(self):
        """Number of z-planes (1 for 2D)."""
        return self.labels.shape[0] if self.labels.ndim == 3 else 1

    @property
    def label_values(self):
        """Label of each table row, ndarray of int64, shape (n_regions,)."""
        return self.table["label"].to_numpy()

    def index_plane(self, plane=0):
        """The label-index raster of one z-plane, shape (Y, X)."""
        return self.index[plane] if self.index.ndim == 3 else self.index

    def row_of(self, label):
        """Table row (a Series) of a label, or None when there is no such region."""
        position = np.searchsorted(self.label_values, label)
        if position < len(self.table) and self.label_values[position] == label:
            return self.table.iloc[position]
        return None


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


def prepare_dataset(image, labels=None, *, name="image", segmentation=None, properties=None):
    """Segment (if needed), measure and outline an image: everything a view needs.

    Parameters
    ----------
    image : ImageData
    labels : ndarray of int or None
        ``None`` segments ``image`` with ``segmentation`` options.
    name : str
    segmentation : dict or None
        Keyword arguments of :func:`regionscope.segment`.
    properties : sequence of str or None
        As in :func:`regionscope.measure`.

    Returns
    -------
    Dataset
    """
    labels_given = labels is not None
    # Every setting, defaults filled in and a channel name made an index: what
    # the Data panel shows and what the dataset id hashes.
    segmentation = {} if labels_given else _settings_for(image, segmentation)
    if labels is None:
        stage("segmenting")
        labels = segment(image.data, multichannel=image.has_channels, **segmentation)
    labels = np.asarray(labels)
    if labels_given and labels.flags.writeable:
        # The caller's array stays theirs (and writable); the dataset's copy is frozen.
        labels = labels.copy()
    stage("measuring")
    table = measure_image(image, labels, properties)
    stage("outlining regions")
    return Dataset(
        id=dataset_id(image, labels if labels_given else None, segmentation, properties),
        name=name,
        image=image,
        labels=_read_only(labels),
        table=table,
        contours=region_contours(labels),
        index=_read_only(label_index(labels, table["label"].to_numpy())),
        labels_given=labels_given,
        segmentation=segmentation,
    )


def dataset_id(image, labels, segmentation, properties=None):
    """The id of the dataset these inputs give (a content hash).

    Parameters
    ----------
    image : ImageData
    labels : ndarray or None
        Given labels; ``None`` when the labels come from ``segmentation``.
    segmentation : dict
        :func:`regionscope.segment` options; hashed with the defaults filled
        in, so ``{}`` and the explicit default settings give one id.
    properties : sequence of str or None
    """
    if labels is None:
        segmentation = _settings_for(image, segmentation)
    # The pixel size changes the table (physical columns); without one the id is what it always was.
    spacing = () if image.spacing is None else (("spacing", image.spacing),)
    return content_hash(
        image.data,
        image.channel_names,
        labels,
        None if labels is not None else segmentation,
        None if properties is None else tuple(properties),
        *spacing,
    )


def _settings_for(image, segmentation):
    """Every :func:`segment` setting for ``image`` (a channel name made its index)."""
    return segmentation_settings(
        segmentation, channel_names=image.channel_names, luminance=uses_luminance(image.data, image.has_channels)
    )
