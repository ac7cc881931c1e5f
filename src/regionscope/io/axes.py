"""Axes: from what a file says about its axes (or a guess) to regionscope's ``(Z,) Y, X (, C)``.

Readers return a :class:`RawImage`: the stored array with one axis letter per
axis (tifffile's letters for TIFF, ``ZYXC`` for pictures) or None when the
file has no axis metadata (NPY). :func:`normalize` drops axes of length 1,
merges samples and channels, maps a generic page axis to Z, refuses time and
other axes, transposes to the convention and names the channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from regionscope.errors import InputFileError

from .channels import channel_names
from .image_data import ImageData
from .messages import CONVENTION_TEXT, format_shape

__all__ = ["RawImage", "has_channel_axis", "normalize", "check_axes_argument"]


@dataclass
class RawImage:
    """What a reader found: the stored array and what the file says about it.

    ``axes`` has one letter per axis of ``data`` (tifffile letters for TIFF,
    ``ZYXC`` for Pillow) or is None when unknown (npy). ``spacing`` maps
    ``"Z"``, ``"Y"``, ``"X"`` to micrometres.
    """

    data: np.ndarray
    axes: str | None
    channel_names: tuple[str, ...] | None = None
    spacing: dict[str, float] = field(default_factory=dict)
    guessed: bool = False


def has_channel_axis(shape: Sequence[int]) -> bool:
    """Guess whether the last axis of an array without axis metadata is channels.

    This is the single heuristic regionscope uses for arrays that do not say
    what their axes are (``.npy`` files, arrays passed in by code):

    * 2D ``(Y, X)``: never.
    * 3D: ``(Y, X, C)`` when the last axis has length <= 4 and both other
      axes are longer than it; otherwise ``(Z, Y, X)``. So ``(3, 100, 100)``
      is a 3-plane stack, not channels first -- pass ``axes="CYX"`` for that.
    * 4D: ``(Z, Y, X, C)`` when the last axis has length <= 4; otherwise the
      array is not supported.
    * Any other number of dimensions: never.

    Parameters
    ----------
    shape : sequence of int
        Array shape.

    Returns
    -------
    bool
        True if the last axis should be read as channels.
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) == 3:
        n_last = shape[-1]
        return n_last <= 4 and shape[0] > n_last and shape[1] > n_last
    if len(shape) == 4:
        return shape[-1] <= 4
    return False


def normalize(raw: RawImage, path: str, axes_override: str | None) -> ImageData:
    """Bring a reader's array to (Z,) Y, X (, C) and validate it."""
    data = raw.data
    _check_dtype(data, path)
    if 0 in data.shape or data.ndim == 0:
        raise InputFileError(
            path,
            f"contains no pixels: array of shape {format_shape(data.shape)} has an empty axis; export the image again",
        )
    if axes_override is not None:
        axes_override = check_axes_argument(axes_override, path)
        if len(axes_override) != data.ndim:
            squeezed = tuple(n for n in data.shape if n != 1)
            if len(axes_override) != len(squeezed):
                raise InputFileError(
                    path,
                    f"axes='{axes_override}' names {len(axes_override)} axes but the image has "
                    f"{data.ndim} (shape {format_shape(data.shape)}); give one letter per axis",
                )
            data = data.reshape(squeezed)
        axes = axes_override
    elif raw.axes is None:
        axes = _guess_axes(data.shape, path)
    else:
        axes = raw.axes

    # Drop length-1 axes except Y and X.
    keep = [i for i, (a, n) in enumerate(zip(axes, data.shape)) if n != 1 or a in "YX"]
    if len(keep) != data.ndim:
        data = data.reshape(tuple(data.shape[i] for i in keep))
        axes = "".join(axes[i] for i in keep)

    data, axes = _merge_channel_axes(data, axes)
    axes = _assign_z(data.shape, axes, path)

    if axes.count("Y") != 1 or axes.count("X") != 1:
        raise InputFileError(
            path,
            f"the image axes '{axes}' (shape {format_shape(data.shape)}) do not include one Y and one X "
            "axis; give the axes explicitly, e.g. axes='ZYX'",
        )
    order = [axes.index(a) for a in "ZYXC" if a in axes]
    data = np.transpose(data, order)
    axes = "".join(axes[i] for i in order)

    names = None
    if "C" in axes:
        names = channel_names(raw.channel_names, data.shape[-1], data.dtype)

    spatial = [a for a in axes if a != "C"]
    spacing = None
    if spatial and all(a in raw.spacing for a in spatial):
        spacing = tuple(raw.spacing[a] for a in spatial)

    if not data.dtype.isnative:
        data = data.astype(data.dtype.newbyteorder("="))
    data = np.ascontiguousarray(data)
    return ImageData(data, channel_names=names, spacing=spacing, source=path)


def _check_dtype(data: np.ndarray, path: str) -> None:
    kind = data.dtype.kind
    if kind in "biuf":
        return
    if kind == "c":
        problem = f"has complex pixel values (dtype {data.dtype}); save the real part or the magnitude"
    elif kind == "O":
        problem = "contains Python objects (dtype object); save a numeric array"
    else:
        problem = f"has non-numeric pixel values (dtype {data.dtype}); save a numeric (integer or float) array"
    raise InputFileError(path, problem)


def check_axes_argument(axes: object, path: str) -> str:
    text = str(axes).strip().upper() if isinstance(axes, str) else None
    if not text or any(a not in "ZYXC" for a in text) or len(set(text)) != len(text) or "Y" not in text or "X" not in text:
        raise InputFileError(
            path,
            f"axes={axes!r} is not valid: use the letters Z, Y, X, C, each at most once and "
            "including Y and X, in the order the axes are stored (e.g. 'ZYX', 'YXC', 'CYX')",
        )
    return text


def _guess_axes(shape: tuple[int, ...], path: str) -> str:
    ndim = len(shape)
    if ndim == 2:
        return "YX"
    if ndim == 3:
        return "YXC" if has_channel_axis(shape) else "ZYX"
    if ndim == 4 and has_channel_axis(shape):
        return "ZYXC"
    if ndim == 4:
        raise InputFileError(
            path,
            f"4D array of shape {format_shape(shape)} without channel axis is not supported: "
            f"{CONVENTION_TEXT}; if one axis is channels, give the axes explicitly, e.g. axes='CZYX'",
        )
    raise InputFileError(
        path,
        f"{ndim}D array of shape {format_shape(shape)} is not supported: {CONVENTION_TEXT}",
    )


def _merge_channel_axes(data: np.ndarray, axes: str) -> tuple[np.ndarray, str]:
    """Turn 'S' into 'C'; merge C and S into one channel axis (C outer)."""
    if "S" not in axes:
        return data, axes
    if "C" not in axes:
        return data, axes.replace("S", "C")
    c, s = axes.index("C"), axes.index("S")
    others = [i for i in range(data.ndim) if i not in (c, s)]
    data = np.transpose(data, others + [c, s])
    data = data.reshape(data.shape[:-2] + (data.shape[-2] * data.shape[-1],))
    return data, "".join(axes[i] for i in others) + "C"


def _assign_z(shape: tuple[int, ...], axes: str, path: str) -> str:
    """Map generic page axes to Z; reject time and other axes (all length > 1 here)."""
    import tifffile

    if "T" in axes:
        n = shape[axes.index("T")]
        raise InputFileError(
            path,
            f"time series are not supported: the image has a time axis of length {n} "
            f"(axes '{axes}', shape {format_shape(shape)}); save one time point as a separate "
            "file (e.g. in Fiji: Image > Duplicate, one frame)",
        )
    if "Z" not in axes:
        generic = [a for a in axes if a in "QI"]
        if len(generic) == 1:
            axes = axes.replace(generic[0], "Z")
    extra = [a for a in axes if a not in "ZYXC"]
    if extra:
        names = getattr(tifffile.TIFF, "AXES_NAMES", {})
        described = " and ".join(f"'{a}' ({names.get(a, 'unknown')}) of length {shape[axes.index(a)]}" for a in extra)
        raise InputFileError(
            path,
            f"the image has an axis {described} that is not Z, Y, X or channels (axes '{axes}', "
            f"shape {format_shape(shape)}): {CONVENTION_TEXT}; save a single 2D or 3D image, "
            "or give the axes explicitly",
        )
    if len(axes) > 4:  # cannot happen with unique letters, kept as a guard
        raise InputFileError(path, f"array of shape {format_shape(shape)} has too many axes: {CONVENTION_TEXT}")
    return axes
