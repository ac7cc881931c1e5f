"""Segmentation of images larger than memory: a global threshold, then labels made consistent across chunks.

:func:`segment_chunked` does what :func:`regionscope.segment` does for a
global threshold, on a Dask array, chunk by chunk:

1. the threshold is computed from the whole image when it has at most
   ``max_sample_pixels`` pixels, otherwise from a regular stride of it
   (every ``step``-th pixel along each axis: the sample is stated in
   :attr:`ChunkedSegmentation.sample_step`);
2. the mask is thresholded per chunk (bright: above; dark: at or below; NaN
   never foreground), exactly as :func:`regionscope.segmentation.foreground_mask`;
3. connected components are labelled with ``dask_image.ndmeasure.label``
   (full connectivity, as ``skimage.measure.label``), which joins the pieces of
   a region that crosses chunk borders: one label per region whatever the chunks;
4. regions smaller than ``min_size`` (and, with ``clear_border``, those touching
   the image border) are dropped and the rest numbered 1..N, from one lookup
   table built from global pixel counts.

On an image that fits in memory the regions are those of
:func:`regionscope.segment` with the same settings (the labels may be numbered
in another order). Filling holes and splitting touching objects need a region
whole and are not done chunk by chunk (a clear error says so); nor is the local
threshold.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from regionscope.segmentation import DEFAULTS, GLOBAL_THRESHOLDS, SegmentationError, intensity_plane

if TYPE_CHECKING:
    import dask.array as da

__all__ = ["MAX_SAMPLE_PIXELS", "ChunkedSegmentation", "segment_chunked"]

#: The threshold is computed from at most this many pixels (16.8 million: a 4096² image whole).
MAX_SAMPLE_PIXELS = 2**24


@dataclass(frozen=True)
class ChunkedSegmentation:
    """The result of :func:`segment_chunked`.

    Attributes
    ----------
    labels : dask.array.Array of uint32 (uint64 above 2**32 - 1 regions), spatial shape of the image
        Lazy: compute it, write it to Zarr (``labels.to_zarr``) or measure it
        (:func:`regionscope.chunked.measure_chunked`).
    n_regions : int
    threshold : float
    sample_step : int
        1 when the threshold was computed from every pixel; otherwise the
        stride of the sample it was computed from.
    """

    labels: da.Array
    n_regions: int
    threshold: float
    sample_step: int


def segment_chunked(
    image: da.Array | np.ndarray,
    *,
    method: str = DEFAULTS["method"],
    objects: str = DEFAULTS["objects"],
    min_size: int = DEFAULTS["min_size"],
    clear_border: bool = DEFAULTS["clear_border"],
    fill_holes: bool = DEFAULTS["fill_holes"],
    split_touching: bool = DEFAULTS["split_touching"],
    channel: int | None = None,
    multichannel: bool = False,
    chunks: int | tuple[int, ...] | None = None,
    max_sample_pixels: int = MAX_SAMPLE_PIXELS,
) -> ChunkedSegmentation:
    """Label the objects of a large image by a global threshold, on Dask.

    Parameters
    ----------
    image : dask.array.Array or ndarray, shape (Y, X), (Z, Y, X) or with channels last
        E.g. :meth:`regionscope.sources.ImageSource.to_dask`.
    method : str
        A global method of :data:`regionscope.segmentation.GLOBAL_THRESHOLDS`.
    objects, min_size, clear_border, channel
        As in :func:`regionscope.segment`.
    fill_holes, split_touching : bool
        Not available chunk by chunk (raise when True).
    multichannel : bool
        Whether the last axis is channels.
    chunks : int, tuple of int or None
        Rechunk the image's spatial axes to this before labelling.
    max_sample_pixels : int
        Largest number of pixels the threshold is computed from.

    Returns
    -------
    ChunkedSegmentation

    Raises
    ------
    SegmentationError
        For the local threshold, hole filling or splitting, or an unknown method.
    """
    import dask
    import dask.array as da
    from dask_image.ndmeasure import label as dask_label

    method = str(method).lower()
    if method == "local":
        raise SegmentationError(
            "the local threshold is not available for images segmented chunk by chunk; choose a global method "
            f"({', '.join(GLOBAL_THRESHOLDS)}), or give a label image"
        )
    if method not in GLOBAL_THRESHOLDS:
        raise SegmentationError(f"unknown threshold method {method!r}; choose one of: {', '.join(GLOBAL_THRESHOLDS)}")
    if fill_holes or split_touching:
        what = "filling holes" if fill_holes else "splitting touching objects"
        raise SegmentationError(
            f"{what} needs each region whole and is not available for images segmented chunk by chunk; "
            "segment without it, or give a label image"
        )
    if objects not in ("bright", "dark"):
        raise SegmentationError(f"objects must be 'bright' or 'dark', not {objects!r}")

    image = da.asarray(image)
    if multichannel:
        image = image.rechunk({image.ndim - 1: -1})
        probe = intensity_plane(
            np.zeros((1,) * (image.ndim - 1) + image.shape[-1:], image.dtype), channel=channel, multichannel=True
        )
        plane = image.map_blocks(
            lambda block: intensity_plane(block, channel=channel, multichannel=True), drop_axis=image.ndim - 1, dtype=probe.dtype
        )
    else:
        plane = image.map_blocks(lambda block: intensity_plane(block, channel=channel, multichannel=False))
    if chunks is not None:
        plane = plane.rechunk(chunks)

    step = max(1, math.ceil((plane.size / max_sample_pixels) ** (1 / plane.ndim))) if plane.size else 1
    sample = np.asarray(plane[(slice(None, None, step),) * plane.ndim].compute())
    threshold = _global_threshold(sample, method)
    if threshold is None:  # a constant image has no foreground
        empty = da.zeros(plane.shape, dtype=np.uint32, chunks=plane.chunks)
        return ChunkedSegmentation(empty, 0, float("nan"), step)
    mask = plane > threshold if objects == "bright" else plane <= threshold

    structure = np.ones((3,) * plane.ndim, dtype=bool)  # full connectivity, as skimage.measure.label
    components, count = dask_label(mask, structure=structure)
    faces = [components[(slice(None),) * axis + (edge,)] for axis in range(components.ndim) for edge in (0, -1)]
    # One pass over the labelling for every global number (each compute would label the image again).
    count, sizes, *faces = dask.compute(count, da.bincount(components.ravel()), *(faces if clear_border else []))
    count = int(count)
    sizes = np.pad(sizes, (0, max(count + 1 - len(sizes), 0)))
    keep = sizes >= max(int(min_size), 1)
    keep[0] = False
    for face in faces:
        keep[np.unique(face)] = False
    n_regions = int(keep.sum())
    dtype = np.uint32 if n_regions <= np.iinfo(np.uint32).max else np.uint64
    lookup = (np.cumsum(keep) * keep).astype(dtype)  # 1..N in the order of the component numbers
    labels = components.map_blocks(lambda block: lookup[block], dtype=dtype)
    return ChunkedSegmentation(labels, n_regions, float(threshold), step)


def _global_threshold(sample, method):
    """The threshold of ``sample`` as :func:`regionscope.segmentation.foreground_mask` computes it (None: constant)."""
    values = sample[np.isfinite(sample)] if sample.dtype.kind == "f" else sample
    if values.size == 0 or values.min() == values.max():
        return None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*expected to work correctly only for grayscale", category=UserWarning)
            return GLOBAL_THRESHOLDS[method](values if sample.dtype.kind == "f" and values.size < sample.size else sample)
    except RuntimeError as exc:  # threshold_minimum on a unimodal histogram
        raise SegmentationError(f"threshold method '{method}' failed on this image ({exc}); try 'otsu' or 'li'") from exc
