"""Threshold segmentation: from an intensity image to a label image.

``segment(image)`` is the classic scikit-image pipeline
``label(image > threshold_otsu(image))`` followed by dropping regions smaller
than :data:`DEFAULT_MIN_SIZE` pixels; the keyword options add the usual
clean-up steps in a fixed order: threshold -> fill holes -> label -> split
touching objects -> clear border -> remove small objects -> relabel 1..N.

:data:`DEFAULTS` is the one place the default settings live: ``segment``'s
signature, the command line (``regionscope measure``/``view``), the explorer's
Data panel and ``rs.explore`` all take them from here, so the same settings
give the same regions everywhere.
"""

from __future__ import annotations

import math
import warnings
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, measure, segmentation
from skimage.color import rgb2gray
from skimage.feature import peak_local_max

from regionscope.errors import RegionscopeError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import ArrayLike

#: Global threshold methods, by the name users type.
GLOBAL_THRESHOLDS = {
    "otsu": filters.threshold_otsu,
    "li": filters.threshold_li,
    "yen": filters.threshold_yen,
    "triangle": filters.threshold_triangle,
    "mean": filters.threshold_mean,
    "isodata": filters.threshold_isodata,
    "minimum": filters.threshold_minimum,
}
#: Every method :func:`segment` accepts.
METHODS = (*GLOBAL_THRESHOLDS, "local")

#: Regions with fewer pixels (voxels in 3D) are dropped by default. 64 is
#: scikit-image's own default in ``remove_small_objects``: it removes the
#: 1-pixel specks a global threshold leaves on real images (on ``coins``: 96
#: regions without it, the 24 coins with it) and keeps anything 8 x 8 or larger.
DEFAULT_MIN_SIZE = 64

#: The default settings of :func:`segment` (read-only).
DEFAULTS = MappingProxyType(
    {
        "method": "otsu",
        "objects": "bright",
        "min_size": DEFAULT_MIN_SIZE,
        "fill_holes": False,
        "clear_border": False,
        "split_touching": False,
        "channel": None,
        "block_size": 51,
    }
)

#: How the ``channel`` setting is written to mean "the default" (luminance of
#: an RGB(A) image, the first channel of others).
AUTO_CHANNEL = "auto"


class SegmentationError(RegionscopeError, ValueError):
    """The segmentation options do not fit the image."""


def intensity_plane(image: ArrayLike, *, channel: int | None = None, multichannel: bool | None = None) -> np.ndarray:
    """The single-channel image that thresholding works on.

    Parameters
    ----------
    image : ndarray, shape (Y, X), (Z, Y, X) or with channels last (..., C)
    channel : int or None
        Channel to use. ``None`` uses the luminance for 3- or 4-channel
        ``uint8`` images (the usual RGB(A) file) and the first channel otherwise.
    multichannel : bool or None
        Whether the last axis is channels; ``None`` guesses with
        :func:`regionscope.io.has_channel_axis`.

    Returns
    -------
    ndarray, shape (Y, X) or (Z, Y, X)
        The image's own dtype (a boolean image becomes ``uint8``); the RGB
        luminance is float64 in [0, 1]. The dtype is kept on purpose: the
        threshold functions histogram integer images value by value, so
        converting to float would move e.g. the Otsu threshold of a ``uint8``
        image away from ``threshold_otsu(image)``.
    """
    from regionscope.io import has_channel_axis

    image = np.asarray(image)
    if multichannel is None:
        multichannel = has_channel_axis(image.shape)
    if not multichannel:
        if channel not in (None, 0):
            raise SegmentationError(f"channel={channel} was asked for, but the image has no channel axis")
        return _thresholdable(image)
    n_channels = image.shape[-1]
    if channel is None:
        if uses_luminance(image, multichannel=True):
            return rgb2gray(image[..., :3])
        channel = 0
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
        raise SegmentationError(f"channel must be an integer channel index, not {channel!r}")
    if not -n_channels <= channel < n_channels:
        raise SegmentationError(f"channel={channel} does not exist: the image has {n_channels} channels (0 to {n_channels - 1})")
    return _thresholdable(image[..., channel])


#: Integer images whose values span more levels than this are thresholded as
#: float64: scikit-image histograms integer images with one bin per level
#: (``np.bincount``), which for a 32-bit range would need gigabytes.
MAX_INTEGER_LEVELS = 2**20


def _thresholdable(plane):
    """``plane`` in a dtype the threshold functions accept, without changing integer values."""
    if plane.dtype == bool:
        return plane.astype(np.uint8)
    if np.issubdtype(plane.dtype, np.integer):
        if plane.size and int(plane.max()) - int(plane.min()) > MAX_INTEGER_LEVELS:
            return plane.astype(np.float64)
        return plane
    if not np.issubdtype(plane.dtype, np.floating) or plane.dtype == np.float16:
        return plane.astype(np.float64)
    return plane


def foreground_mask(plane: np.ndarray, method: str = "otsu", *, objects: str = "bright", block_size: int = 51) -> np.ndarray:
    """Threshold a single-channel image.

    Parameters
    ----------
    plane : ndarray, shape (Y, X) or (Z, Y, X)
    method : str
        One of :data:`METHODS`.
    objects : {"bright", "dark"}
        Whether objects are brighter or darker than the background.
        ``"bright"`` keeps the pixels above the threshold. With a global
        method ``"dark"`` keeps the others (at or below it): the two masks
        are complements, and ``"dark"`` on an inverted integer image finds
        the same objects as ``"bright"`` (a global threshold ``t`` splits the
        levels into ``<= t`` and ``> t``). With ``"local"``, ``"dark"`` keeps
        the pixels strictly below their local threshold, so that a flat
        background, equal to its own local mean, is not an object.
    block_size : int
        Odd neighbourhood size for ``method="local"``.

    Returns
    -------
    ndarray of bool, same shape as ``plane``
        All ``False`` for a constant image, whatever the method.
    """
    if objects not in ("bright", "dark"):
        raise SegmentationError(f"objects must be 'bright' or 'dark', not {objects!r}")
    method = str(method).lower()
    if method != "local" and method not in GLOBAL_THRESHOLDS:
        raise SegmentationError(f"unknown threshold method {method!r}; choose one of: {', '.join(METHODS)}")
    if method == "local" and (block_size < 3 or block_size % 2 == 0):
        raise SegmentationError(f"block_size must be an odd number >= 3, not {block_size}")
    values, finite = _finite_values(plane)
    if values.size == 0 or values.min() == values.max():
        # A constant image has no foreground; skimage would raise or warn, and
        # "dark" objects would otherwise cover the whole image.
        return np.zeros(plane.shape, dtype=bool)
    if method == "local":
        filled = plane if finite is None else np.where(finite, plane, np.median(values))
        threshold = filters.threshold_local(filled, block_size=block_size)
        return plane > threshold if objects == "bright" else plane < threshold
    try:
        with warnings.catch_warnings():
            # ``plane`` is one channel by construction; a (Z, Y, 3) stack
            # only looks like RGB to scikit-image's shape check.
            warnings.filterwarnings("ignore", message=".*expected to work correctly only for grayscale", category=UserWarning)
            threshold = GLOBAL_THRESHOLDS[method](plane if finite is None else values)
    except RuntimeError as exc:  # threshold_minimum on a unimodal histogram
        raise SegmentationError(f"threshold method '{method}' failed on this image ({exc}); try 'otsu' or 'li'") from exc
    return plane > threshold if objects == "bright" else plane <= threshold


def _finite_values(plane):
    """The pixel values a threshold is computed from, and the mask of finite pixels.

    Returns
    -------
    values : ndarray
        ``plane`` itself, or its finite values (1D) when it has NaN or ±inf
        pixels: those would make the thresholds' histograms fail. NaN pixels
        are then never foreground (every comparison with NaN is False); ±inf
        compare with the threshold like any value.
    finite : ndarray of bool or None
        None when every pixel is finite.

    Raises
    ------
    SegmentationError
        When the finite values span more than a float64 can hold (e.g. -1e308
        to 1e308): no histogram of them exists.
    """
    if plane.dtype.kind != "f":
        return plane, None
    finite = np.isfinite(plane)
    all_finite = bool(finite.all())
    values = plane if all_finite else plane[finite]
    if values.size and not math.isfinite(float(values.max()) - float(values.min())):
        raise SegmentationError(
            f"the pixel values span from {float(values.min()):g} to {float(values.max()):g}, too wide a range "
            "to threshold; rescale the image or clip its extreme values, or give a label image instead"
        )
    return (plane, None) if all_finite else (values, finite)


def split_touching_objects(mask: np.ndarray, labels: np.ndarray, *, min_distance: int = 5) -> np.ndarray:
    """Split merged round objects with a distance-transform watershed.

    Parameters
    ----------
    mask : ndarray of bool, shape (Y, X) or (Z, Y, X)
    labels : ndarray of int, same shape
        Connected components of ``mask``; seeds are found within each.
    min_distance : int
        Minimum distance between two seeds (about an object's radius).

    Returns
    -------
    ndarray of int, same shape
    """
    distance = ndi.distance_transform_edt(mask)
    peaks = peak_local_max(distance, min_distance=min_distance, labels=labels, exclude_border=False)
    markers = np.zeros(mask.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    return segmentation.watershed(-distance, markers, mask=mask)


def remove_small_regions(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Set regions with fewer than ``min_size`` pixels to background.

    Parameters
    ----------
    labels : ndarray of int, shape (Y, X) or (Z, Y, X)
    min_size : int

    Returns
    -------
    ndarray of int, same shape (a copy when anything was removed)
    """
    if min_size <= 1 or labels.max(initial=0) == 0:
        return labels
    sizes = np.bincount(labels.ravel())
    too_small = sizes < min_size
    too_small[0] = False
    if not too_small.any():
        return labels
    return np.where(too_small[labels], 0, labels)


def segment(
    image: ArrayLike,
    method: str = DEFAULTS["method"],
    *,
    objects: str = DEFAULTS["objects"],
    min_size: int = DEFAULTS["min_size"],
    fill_holes: bool = DEFAULTS["fill_holes"],
    clear_border: bool = DEFAULTS["clear_border"],
    split_touching: bool = DEFAULTS["split_touching"],
    channel: int | None = DEFAULTS["channel"],
    block_size: int = DEFAULTS["block_size"],
    multichannel: bool | None = None,
) -> np.ndarray:
    """Label the objects of an image by thresholding.

    With the defaults this is ``skimage.measure.label(image > threshold_otsu(image))``
    without the regions smaller than :data:`DEFAULT_MIN_SIZE` pixels;
    ``min_size=0`` keeps every region.

    Parameters
    ----------
    image : ndarray, shape (Y, X), (Z, Y, X) or with channels last (..., C)
    method : str
        ``"otsu"`` (default), ``"li"``, ``"yen"``, ``"triangle"``, ``"mean"``,
        ``"isodata"``, ``"minimum"`` or ``"local"`` (adaptive, see ``block_size``).
    objects : {"bright", "dark"}
        ``"dark"`` labels the pixels at or below a global threshold (the
        complement of ``"bright"``), or below the local one; see
        :func:`foreground_mask`.
    min_size : int
        Regions with fewer pixels (voxels) are removed; default
        :data:`DEFAULT_MIN_SIZE` (64), 0 keeps all.
    fill_holes : bool
        Fill holes in the foreground before labelling.
    clear_border : bool
        Remove regions that touch the image border.
    split_touching : bool
        Split merged round objects with a distance-transform watershed.
    channel : int or None
        Channel of a multichannel image to threshold; see :func:`intensity_plane`.
    block_size : int
        Neighbourhood size of the local threshold.
    multichannel : bool or None
        Whether the last axis holds channels (``None``: guess).

    Returns
    -------
    labels : ndarray of int32, shape (Y, X) or (Z, Y, X)
        0 is background; regions are numbered 1..N.
    """
    plane = intensity_plane(image, channel=channel, multichannel=multichannel)
    if plane.ndim not in (2, 3):
        raise SegmentationError(f"segment works on 2D or 3D images; got an image of shape {np.shape(image)}")
    if isinstance(min_size, bool) or not isinstance(min_size, (int, np.integer)):
        raise SegmentationError(f"min_size must be a whole number of pixels, not {min_size!r}")
    if min_size < 0:
        raise SegmentationError(f"min_size must be >= 0, not {min_size}")
    mask = foreground_mask(plane, method, objects=objects, block_size=block_size)
    if fill_holes:
        mask = ndi.binary_fill_holes(mask)
    labels = measure.label(mask)
    if split_touching and labels.max() > 0:
        labels = split_touching_objects(mask, labels)
    if clear_border:
        labels = segmentation.clear_border(labels)
    labels = remove_small_regions(labels, min_size)
    labels, _, _ = segmentation.relabel_sequential(labels)
    return labels.astype(np.int32, copy=False)


def segmentation_settings(
    options: Mapping[str, Any] | None = None, *, channel_names: Sequence[str] | None = None, luminance: bool = False
) -> dict[str, Any]:
    """Every :func:`segment` setting: ``options`` over :data:`DEFAULTS`.

    Two option dicts that segment alike give equal settings (``{}`` and
    ``{"min_size": 64}`` both give the defaults), so this is what identifies
    a segmentation (dataset ids hash it).

    Parameters
    ----------
    options : mapping or None
        Keyword arguments of :func:`segment`. ``channel`` may also be a
        channel name, a digit string or ``"auto"`` (see :func:`channel_index`).
    channel_names : sequence of str or None
        The image's channel names, to resolve a channel given by name.
    luminance : bool
        Whether the image's default channel is its luminance
        (:func:`uses_luminance`); otherwise channel 0 is the default and
        becomes None.

    Returns
    -------
    dict
        All keys of :data:`DEFAULTS`; ``channel`` is an int or None.

    Raises
    ------
    SegmentationError
        For an unknown option or a channel the image does not have.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise SegmentationError(f"unknown segmentation option {unknown[0]!r}; the options are: {', '.join(DEFAULTS)}")
    settings = {**DEFAULTS, **options}
    settings["channel"] = channel_index(settings["channel"], channel_names)
    if settings["channel"] == 0 and not luminance:
        settings["channel"] = None  # the default channel, said explicitly
    return settings


def channel_index(channel: int | str | None, channel_names: Sequence[str] | None = None) -> int | None:
    """The channel index that ``channel`` names.

    Parameters
    ----------
    channel : int, str or None
        An index (``1``, ``"1"``, ``-1``), a channel name (``"green"``, any
        case) or ``None``/``"auto"`` for the default channel (see
        :func:`intensity_plane`).
    channel_names : sequence of str or None
        The image's channel names; ``None`` for an image without channels.

    Returns
    -------
    int or None

    Raises
    ------
    SegmentationError
        When the image has no such channel, naming the channels it has.
    """
    if channel is None or (isinstance(channel, str) and channel.strip().lower() in (AUTO_CHANNEL, "")):
        return None
    names = [str(name) for name in channel_names] if channel_names is not None else None
    if isinstance(channel, str):
        text = channel.strip()
        lowered = [name.lower() for name in names or []]
        if text.lower() in lowered:
            return lowered.index(text.lower())
        try:
            channel = int(text)
        except ValueError:
            raise SegmentationError(f"channel {text!r} does not exist; {_channels_text(names)}") from None
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
        raise SegmentationError(f"channel must be a channel name or index, not {channel!r}")
    channel = int(channel)
    if names is None:
        if channel == 0:
            return None  # the only channel there is
        raise SegmentationError(f"channel {channel} does not exist; {_channels_text(names)}")
    if not -len(names) <= channel < len(names):
        raise SegmentationError(f"channel {channel} does not exist; {_channels_text(names)}")
    return channel % len(names)


def _channels_text(names):
    if not names:
        return "the image has a single channel"
    return f"the image's channels are {', '.join(names)} (or 0 to {len(names) - 1})"


def uses_luminance(image: ArrayLike, multichannel: bool | None = None) -> bool:
    """Whether ``channel=None`` segments the luminance (RGB(A) ``uint8``) rather than the first channel."""
    from regionscope.io import has_channel_axis

    image = np.asarray(image) if not hasattr(image, "dtype") else image
    if multichannel is None:
        multichannel = has_channel_axis(image.shape)
    return bool(multichannel) and image.dtype == np.uint8 and image.shape[-1] in (3, 4)


def segmented_channel_name(channel: int | None, channel_names: Sequence[str] | None, *, luminance: bool) -> str | None:
    """What a segmentation ran on, in words: ``"luminance"``, ``"green"``, or None (no channels).

    Parameters
    ----------
    channel : int or None
        The ``channel`` setting (resolved, see :func:`channel_index`).
    channel_names : sequence of str or None
    luminance : bool
        Whether ``channel=None`` means the luminance (:func:`uses_luminance`).
    """
    if not channel_names:
        return None
    if channel is None:
        return "luminance" if luminance else str(channel_names[0])
    return str(channel_names[channel])


def intensity_like_labels(labels: ArrayLike) -> str | None:
    """Why a "label image" looks like an intensity image, or None when it looks like labels.

    In a label image each value is one object: one connected patch (a few
    objects split in parts, at most). In an intensity image neighbouring
    pixels differ, so each grey value is scattered over many small patches.
    The test: at least 32 distinct non-zero values, and more than twice as
    many connected patches of equal value as there are values. Counting
    patches (``skimage.measure.label`` of the labels, full connectivity) is
    linear in the image size.

    Parameters
    ----------
    labels : ndarray of int, shape (Y, X) or (Z, Y, X)

    Returns
    -------
    str or None
        ``"its 256 values form 12,345 separate patches"`` when suspicious.
    """
    labels = np.asarray(labels)
    if labels.size == 0 or labels.dtype == bool:
        return None
    values = np.unique(labels)
    n_values = int(np.count_nonzero(values))
    if n_values < 32:
        return None
    n_patches = int(measure.label(labels, background=0, connectivity=labels.ndim).max())
    if n_patches <= 2 * n_values:
        return None
    return f"its {n_values:,} values form {n_patches:,} separate patches (a label image has about one per value)"
