"""From files to a region table: the steps ``regionscope measure`` runs.

Reading, the shape check, segmentation (when no labels are given) and
measurement, each a stage of the command line's progress bar
(:mod:`regionscope.progress`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from regionscope.io import load_image, load_labels_for
from regionscope.measurement import measure_image
from regionscope.progress import stage, stages
from regionscope.segmentation import (
    SegmentationError,
    intensity_like_labels,
    segment,
    segmentation_settings,
    uses_luminance,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    import numpy as np
    import pandas as pd
    from numpy.typing import ArrayLike

    from regionscope.io import ImageData


def segment_file_image(image: ImageData, segmentation: Mapping[str, Any] | None = None) -> np.ndarray:
    """Segment a read image, naming its file in any error.

    Parameters
    ----------
    image : ImageData
    segmentation : dict or None
        :func:`regionscope.segment` options; ``channel`` may be a channel name
        of the file (see :func:`regionscope.segmentation.segmentation_settings`).

    Returns
    -------
    ndarray of int32, shape (Y, X) or (Z, Y, X)
    """
    try:
        settings = segmentation_settings(
            segmentation, channel_names=image.channel_names, luminance=uses_luminance(image.data, image.has_channels)
        )
        return segment(image.data, multichannel=image.has_channels, **settings)
    except SegmentationError as exc:
        # Say which image could not be segmented, as file errors do.
        raise SegmentationError(f"{image.source or 'the image'}: {exc}") from exc


def measure_files(
    image_path: str | os.PathLike,
    labels_path: str | os.PathLike | None = None,
    *,
    properties: Sequence[str] | None = None,
    segmentation: Mapping[str, Any] | None = None,
    progress: bool | None = None,
    return_labels: bool = False,
    max_bytes: int | str | None = None,
    pixel_size: float | Sequence[float] | None = None,
    workers: int | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, np.ndarray]:
    """Read an image (and its labels) and measure every region.

    Parameters
    ----------
    image_path : str or os.PathLike
    labels_path : str, os.PathLike or None
        ``None`` segments the image with ``segmentation`` options.
    properties : sequence of str or None
        As in :func:`regionscope.measure`.
    segmentation : dict or None
        Keyword arguments of :func:`regionscope.segment` (``channel`` may be
        one of the file's channel names).
    progress : bool or None
        Show a progress bar on stderr (``None``: see
        :func:`regionscope.progress.progress_enabled`). Inside a caller's
        :func:`regionscope.progress.stages` the stages join that bar.
    return_labels : bool
        Also return the label image (read or segmented).
    max_bytes : int, str or None
        Memory budget of each file read (see :func:`regionscope.io.load_image`).
    pixel_size : float, sequence of float or None
        Micrometres per pixel, overriding the file's; with either, the table
        gets physical columns (``area_um2``, ...).
    workers : int or None
        Threads of the measurement, as in :func:`regionscope.measure` (1
        inside a Dask task).

    Returns
    -------
    table : pandas.DataFrame
        One row per region, keyed by ``label``.
    labels : ndarray of int, shape (Y, X) or (Z, Y, X)
        Only with ``return_labels=True``.
    """
    with stages("reading image", 3, enabled=progress):
        image, labels = load_labelled(
            image_path, labels_path, segmentation=segmentation, max_bytes=max_bytes, pixel_size=pixel_size
        )
        stage("measuring")
        table = measure_image(image, labels, properties, workers=workers)
    return (table, labels) if return_labels else table


def load_labelled(
    image_path: str | os.PathLike,
    labels_path: str | os.PathLike | None = None,
    *,
    segmentation: Mapping[str, Any] | None = None,
    max_bytes: int | str | None = None,
    pixel_size: float | Sequence[float] | None = None,
) -> tuple[ImageData, np.ndarray]:
    """Read an image and its labels, or segment it: the steps before :func:`measure_files` measures.

    Parameters
    ----------
    image_path, labels_path, segmentation, max_bytes, pixel_size
        As in :func:`measure_files`.

    Returns
    -------
    image : ImageData
        With ``pixel_size`` applied when given.
    labels : ndarray of int, shape ``image.spatial_shape``
    """
    image = load_image(image_path, max_bytes=max_bytes)
    if pixel_size is not None:
        image = image.with_pixel_size(pixel_size)
    if labels_path is None:
        stage("segmenting")
        return image, segment_file_image(image, segmentation)
    stage("reading labels")
    return image, load_labels_for(image, labels_path, max_bytes=max_bytes).data


def labels_warning(labels_path: str | os.PathLike, labels: ArrayLike) -> str | None:
    """A warning for label images that look like intensity images, or None.

    Parameters
    ----------
    labels_path : str or os.PathLike
        The file the labels came from (named in the message).
    labels : ndarray of int

    Returns
    -------
    str or None
    """
    from pathlib import Path

    reason = intensity_like_labels(labels)
    if reason is None:
        return None
    name = Path(labels_path).name
    return (
        f"{name} looks like an intensity image, not a label image: {reason}. "
        f"If it is the image, give it as IMAGE without --labels to segment it."
    )


def regions_text(count: int) -> str:
    """``"1 region"``, ``"24 regions"``, ``"12,000 regions"``: a region count for messages."""
    return f"{count:,} region" if count == 1 else f"{count:,} regions"
