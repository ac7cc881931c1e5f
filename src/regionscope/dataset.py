"""A prepared dataset: image, labels, region table and metadata, computed once.

A :class:`Dataset` is immutable: its arrays are read-only and nothing in it
changes after :func:`prepare_dataset` returns. How a viewer draws it (outlines,
a raster of table rows) is the viewer's business: the app computes those from
the dataset (``regionscope.app.view_data``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from regionscope.io import ImageData
from regionscope.measurement import measure_image
from regionscope.progress import stage
from regionscope.segmentation import segment, segmentation_settings, uses_luminance

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import ArrayLike

    from regionscope.store import PreparedImage


def content_hash(*parts: object) -> str:
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
    labels_given: bool
    segmentation: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        """Spatial shape, ``(Y, X)`` or ``(Z, Y, X)``."""
        return self.labels.shape

    @property
    def n_planes(self) -> int:
        """Number of z-planes (1 for 2D)."""
        return self.labels.shape[0] if self.labels.ndim == 3 else 1

    @property
    def label_values(self) -> np.ndarray:
        """Label of each table row, ndarray of int64, shape (n_regions,)."""
        return self.table["label"].to_numpy()

    def row_of(self, label: int) -> pd.Series | None:
        """Table row (a Series) of a label, or None when there is no such region."""
        position = np.searchsorted(self.label_values, label)
        if position < len(self.table) and self.label_values[position] == label:
            return self.table.iloc[position]
        return None


def prepare_dataset(
    image: ImageData,
    labels: ArrayLike | None = None,
    *,
    name: str = "image",
    segmentation: Mapping[str, Any] | None = None,
    properties: Sequence[str] | None = None,
) -> Dataset:
    """Segment (if needed) and measure an image: the dataset a view shows.

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
    return Dataset(
        id=dataset_id(image, labels if labels_given else None, segmentation, properties),
        name=name,
        image=image,
        labels=_read_only(labels),
        table=table,
        labels_given=labels_given,
        segmentation=segmentation,
    )


def dataset_id(
    image: ImageData,
    labels: np.ndarray | None,
    segmentation: Mapping[str, Any] | None,
    properties: Sequence[str] | None = None,
) -> str:
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


def dataset_from_store(entry: PreparedImage, *, name: str | None = None, budget: int | None = None) -> Dataset:
    """The dataset of a store entry: its image and labels read at full resolution, its table from Parquet.

    Nothing is measured again, and no pixel is hashed: the id comes from the
    entry's manifest (the identities of its inputs and the properties), which
    :func:`regionscope.store.prepare` keeps up to date.

    Parameters
    ----------
    entry : PreparedImage
        From :func:`regionscope.store.prepare`.
    name : str or None
        What the user calls it (default: the image's file name).
    budget : int or None
        Largest bytes read for the image and for the labels, each
        (default: :data:`regionscope.sources.DEFAULT_BUDGET`); a larger entry is
        refused with a message (the windowed viewer is for those).

    Returns
    -------
    Dataset
    """
    from regionscope.sources import DEFAULT_BUDGET, open_source

    budget = DEFAULT_BUDGET if budget is None else budget
    image_source, label_source = open_source(entry.image_zarr), open_source(entry.labels_zarr)
    with image_source, label_source:
        image = ImageData(
            data=_read_only(image_source.to_numpy(0, budget=budget)),
            channel_names=image_source.channel_names,
            spacing=image_source.spacing,
            source=name,
        )
        labels = _read_only(label_source.to_numpy(0, budget=budget))
    manifest = entry.manifest
    table = entry.read_table().sort_values("label", kind="stable").reset_index(drop=True)
    identity = {key: manifest.get(key) for key in ("image", "labels", "properties", "version")}
    location = str(manifest.get("image", {}).get("location", entry.folder))
    return Dataset(
        id=content_hash("store", json.dumps(identity, sort_keys=True, default=str)),
        name=name or Path(location.rstrip("/")).name,
        image=image,
        labels=labels,
        table=table,
        labels_given=True,
    )
