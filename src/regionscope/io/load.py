"""The public readers: a path in, an :class:`ImageData` out; and the check that labels fit their image."""

from __future__ import annotations

import os

import numpy as np

from regionscope.errors import InputFileError

from .axes import check_axes_argument, normalize
from .budget import byte_budget
from .dispatch import check_path, read_raw
from .image_data import ImageData
from .labels import multichannel_labels_problem, to_label_array
from .messages import format_shape

__all__ = ["load_image", "read_image", "load_labels", "read_labels", "load_labels_for", "check_same_shape"]


def load_image(path: str | os.PathLike, *, axes: str | None = None, max_bytes: int | str | None = None) -> ImageData:
    """Read an image file into an :class:`ImageData`.

    Parameters
    ----------
    path : str or os.PathLike
        TIFF / OME-TIFF, PNG, JPEG, BMP, GIF or NPY file (see module docs).
    axes : str, optional
        Axes of the stored array in stored order, letters from ``"ZYXC"``
        (e.g. ``"ZYX"``, ``"YXC"``, ``"CYX"``); overrides the file metadata
        or the guess of :func:`has_channel_axis`.
    max_bytes : int, str or None
        Largest decoded size accepted, in bytes or as ``"4G"``; default
        ``$REGIONSCOPE_MAX_IMAGE_BYTES`` or 2 GiB (see :mod:`regionscope.limits`).

    Returns
    -------
    ImageData
        ``data`` of shape ``(Y, X)``, ``(Z, Y, X)``, ``(Y, X, C)`` or
        ``(Z, Y, X, C)``, dtype as stored (native byte order, C-contiguous).

    Raises
    ------
    regionscope.errors.InputFileError
        If the file is missing, empty, damaged, of an unsupported type, would
        decode to more than ``max_bytes``, or its array cannot be brought to
        the supported axes.
    """
    path_str, fmt = check_path(path)
    if axes is not None:
        axes = check_axes_argument(axes, path_str)
    raw = read_raw(path_str, fmt, labels=False, budget=byte_budget(max_bytes, path_str))
    return normalize(raw, path_str, axes)


def read_image(path: str | os.PathLike, *, axes: str | None = None, max_bytes: int | str | None = None) -> np.ndarray:
    """Read an image file and return its pixel array.

    Same as ``load_image(path, axes=axes, max_bytes=max_bytes).data``.

    Parameters
    ----------
    path : str or os.PathLike
        Image file.
    axes : str, optional
        Axis override, see :func:`load_image`.
    max_bytes : int, str or None
        Memory budget, see :func:`load_image`.

    Returns
    -------
    numpy.ndarray
        Shape ``(Y, X)``, ``(Z, Y, X)``, ``(Y, X, C)`` or ``(Z, Y, X, C)``.
    """
    return load_image(path, axes=axes, max_bytes=max_bytes).data


def load_labels(path: str | os.PathLike, *, axes: str | None = None, max_bytes: int | str | None = None) -> ImageData:
    """Read a label image (segmentation mask) into an :class:`ImageData`.

    Parameters
    ----------
    path : str or os.PathLike
        TIFF / OME-TIFF, PNG, BMP, GIF or NPY file. JPEG is refused (lossy).
    axes : str, optional
        Axis override, see :func:`load_image`. A ``C`` axis must have
        length 1.
    max_bytes : int, str or None
        Memory budget, see :func:`load_image`.

    Returns
    -------
    ImageData
        ``data`` is a non-negative integer array of shape ``(Y, X)`` or
        ``(Z, Y, X)``, 0 being background; ``channel_names`` is None. See the
        module docs for how booleans, floats and signed integers are
        converted.

    Raises
    ------
    regionscope.errors.InputFileError
        For every problem of :func:`load_image`, and when the file has
        several channels (e.g. RGB), negative values, non-whole or non-finite
        float values, or a non-numeric dtype.
    """
    path_str, fmt = check_path(path)
    if axes is not None:
        axes = check_axes_argument(axes, path_str)
    if fmt == "JPEG":
        raise InputFileError(
            path_str,
            "JPEG cannot be used for labels: its lossy compression changes label values "
            "along region edges; save the label image as PNG or TIFF instead",
        )
    raw = read_raw(path_str, fmt, labels=True, budget=byte_budget(max_bytes, path_str))
    image = normalize(raw, path_str, axes)
    if image.has_channels:
        raise InputFileError(path_str, multichannel_labels_problem(image, raw.guessed and axes is None))
    data = to_label_array(image.data, path_str)
    return ImageData(data, channel_names=None, spacing=image.spacing, source=path_str)


def read_labels(path: str | os.PathLike, *, axes: str | None = None, max_bytes: int | str | None = None) -> np.ndarray:
    """Read a label image and return its integer array.

    Same as ``load_labels(path, axes=axes, max_bytes=max_bytes).data``.

    Parameters
    ----------
    path : str or os.PathLike
        Label image file.
    axes : str, optional
        Axis override, see :func:`load_image`.
    max_bytes : int, str or None
        Memory budget, see :func:`load_image`.

    Returns
    -------
    numpy.ndarray
        Non-negative integers, shape ``(Y, X)`` or ``(Z, Y, X)``.
    """
    return load_labels(path, axes=axes, max_bytes=max_bytes).data


def load_labels_for(
    image: ImageData, path: str | os.PathLike, *, axes: str | None = None, max_bytes: int | str | None = None
) -> ImageData:
    """Read the label image of ``image`` and check that it fits pixel for pixel.

    Parameters
    ----------
    image : ImageData
        The image the labels were made from.
    path : str or os.PathLike
    axes : str or None
        As in :func:`load_labels`.
    max_bytes : int, str or None
        Memory budget, see :func:`load_image`.

    Returns
    -------
    ImageData
        The labels, shape ``image.spatial_shape``.

    Raises
    ------
    InputFileError
        As :func:`load_labels` and :func:`check_same_shape`.
    """
    labels = load_labels(path, axes=axes, max_bytes=max_bytes)
    check_same_shape(image, labels)
    return labels


def check_same_shape(image: ImageData, labels: ImageData) -> None:
    """Check that a label image fits an image pixel for pixel.

    Parameters
    ----------
    image : ImageData
        The intensity image, spatial shape ``(Y, X)`` or ``(Z, Y, X)``.
    labels : ImageData
        The label image; its shape must equal ``image.spatial_shape``.

    Raises
    ------
    regionscope.errors.InputFileError
        Naming both files and both shapes when the shapes differ (or when
        ``labels`` has channels).
    """
    image_name = f"image {image.source}" if image.source else "the image"
    labels_name = f"labels {labels.source}" if labels.source else "the labels"
    label_shape = tuple(labels.data.shape)
    if not labels.has_channels and label_shape == image.spatial_shape:
        return
    problem = (
        f"{labels_name} have shape {format_shape(label_shape)} but {image_name} has spatial "
        f"shape {format_shape(image.spatial_shape)}; the mask must be made from this image"
    )
    if labels.has_channels:
        problem += " and have a single channel"
    elif sorted(label_shape) == sorted(image.spatial_shape):
        problem += " (the axes seem to be in a different order: check the axes of both files)"
    raise InputFileError(labels.source, problem)
