"""Read images and label images from files.

Axis convention
---------------
Every array returned by this module uses one fixed axis order:

* 2D image: ``(Y, X)``
* 3D image (a stack of planes): ``(Z, Y, X)``
* channels, when present, are always the **last** axis: ``(Y, X, C)`` or
  ``(Z, Y, X, C)``.

So an image has at most 4 dimensions, ``(Z, Y, X, C)``. Colour images keep
their colours as channels: RGB is ``(..., 3)`` with channel names
``("red", "green", "blue")`` and RGBA is ``(..., 4)`` with ``"alpha"`` added.
Channels the file does not name get the names of :func:`default_channel_names`,
the one rule regionscope uses everywhere (files, arrays, the app):
``("red", "green", "blue"[, "alpha"])`` for 3 or 4 ``uint8`` channels, otherwise
``"ch0"``, ``"ch1"``, ...; repeated names get a suffix (``"GFP_2"``).
A label image never has channels: it is ``(Y, X)`` or ``(Z, Y, X)``.

Axes of length 1 other than Y and X (a single Z plane, a single channel, a
single time point, ...) are dropped, so a ``(1, Y, X)`` stack is read as a 2D
image and a one-channel image has no channel axis.

Supported formats
-----------------
The format is chosen from the file extension (case-insensitive):

``.tif``, ``.tiff``, ``.ome.tif``, ``.ome.tiff``
    Read with tifffile, first image series only. The axis letters stored in
    the file (OME-XML, ImageJ hyperstack, tifffile "shaped" metadata) are
    mapped to the convention above: ``S`` (samples, e.g. RGB) and ``C``
    become the channel axis (both together are merged, C outer), ``Z`` is Z,
    and when there is no ``Z`` a single generic page axis (``Q`` "other" or
    ``I`` "sequence") is taken as Z. A time axis ``T`` or any other axis of
    length > 1 is an error. Channel names come from the OME ``Channel``
    ``Name`` attributes or from ImageJ slice labels; pixel sizes from OME
    ``PhysicalSize{Z,Y,X}``, ImageJ (``spacing``, ``unit`` and the
    X/YResolution tags) or X/YResolution tags in centimetres, millimetres or
    micrometres. Resolutions in *dots per inch* are ignored: general-purpose
    software writes a printing resolution (72, 96, 300 dpi) that says nothing
    about the sample. Palette (indexed colour) TIFFs are converted to RGB by
    :func:`load_image` and kept as indices by :func:`load_labels`.
``.png``, ``.jpg``, ``.jpeg``, ``.bmp``, ``.gif``
    Read with Pillow. Grayscale is ``(Y, X)`` (``uint8``; 16-bit PNG stays
    ``uint16``, Pillow "I" mode is ``int32``, "F" is ``float32``, 1-bit is
    ``bool``); "RGB" is ``(Y, X, 3)``; "RGBA" is ``(Y, X, 4)``; "LA"
    (grayscale + alpha) is ``(Y, X, 2)`` with channels ``("gray", "alpha")``
    -- the alpha channel is kept, as for RGBA, never silently dropped. Other
    colour modes (CMYK, YCbCr, ...) are converted to RGB. Palette images are
    converted to RGB (RGBA if the palette has transparency) by
    :func:`load_image`, or to grayscale ``(Y, X)`` when every colour used is
    a gray; :func:`load_labels` keeps the palette indices, which are the
    labels. A multi-frame GIF is a Z stack ``(Z, Y, X[, C])``; for other
    formats only the first frame is read. These formats carry no usable pixel
    size, so ``spacing`` is None.
``.npy``
    Read with :func:`numpy.load` (``allow_pickle=False``). The file has no
    axis metadata, so the axes are guessed by :func:`has_channel_axis`
    unless ``axes`` is given.

Passing ``axes`` (a string over ``"ZYXC"``, e.g. ``"ZYX"``, ``"YXC"``,
``"CYX"``, ``"CZYX"``) overrides whatever the file says or the guess: it names
the axes of the stored array in stored order and the array is transposed to
the convention above. If the stored array has axes of length 1 that are not
named, they are dropped first.

Label images
------------
:func:`load_labels` returns a non-negative integer array without channels:

* unsigned integers, and signed integers without negative values, are kept
  with their dtype;
* signed integers with negative values are an error;
* boolean masks (dtype ``bool``, e.g. 1-bit PNG/TIFF) are labelled by
  connectivity with :func:`skimage.measure.label` using full connectivity
  (8-connected in 2D, 26-connected in 3D); an integer 0/1 image is *not*
  relabelled: it is a label image with one label;
* floats whose values are all whole numbers are cast to the smallest unsigned
  integer type holding the largest label (the same rule gives the dtype of
  labelled boolean masks); NaN, infinite, fractional or negative values are an
  error;
* JPEG files are refused: the lossy compression changes label values along
  region edges.

Memory budget
-------------
Every reader takes the decoded size from the file's header (TIFF series
shape, Pillow's header, the NPY header) and refuses a file that would decode
to more than the byte budget *before* decoding it, so a small compressed file
cannot fill the memory (a decompression bomb). The budget is ``max_bytes=``,
else ``$REGIONSCOPE_MAX_IMAGE_BYTES``, else 2 GiB (see :mod:`regionscope.limits`).
Pillow's own pixel limit (``Image.MAX_IMAGE_PIXELS``, a process-wide setting)
is not what decides: the budget is.

Errors
------
Every problem with a file raises :class:`regionscope.errors.InputFileError`,
whose message names the file, says what is wrong and what to do. Exceptions
of the underlying libraries never escape; they are chained as ``__cause__``.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from regionscope.errors import InputFileError
from regionscope.limits import MAX_IMAGE_BYTES_ENV, format_byte_size, image_byte_budget

__all__ = [
    "ImageData",
    "SUPPORTED_EXTENSIONS",
    "check_same_shape",
    "default_channel_names",
    "has_channel_axis",
    "load_image",
    "load_labels_for",
    "load_labels",
    "read_image",
    "read_labels",
]

#: File extensions understood by :func:`load_image` and :func:`load_labels`.
SUPPORTED_EXTENSIONS = (
    ".tif",
    ".tiff",
    ".ome.tif",
    ".ome.tiff",
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".npy",
)

# Longest suffixes first, so that ".ome.tif" wins over ".tif".
_FORMATS = (
    (".ome.tiff", "OME-TIFF"),
    (".ome.tif", "OME-TIFF"),
    (".tiff", "TIFF"),
    (".tif", "TIFF"),
    (".png", "PNG"),
    (".jpeg", "JPEG"),
    (".jpg", "JPEG"),
    (".bmp", "BMP"),
    (".gif", "GIF"),
    (".npy", "NPY"),
)

_SUPPORTED_TEXT = ", ".join(SUPPORTED_EXTENSIONS)
_CONVENTION_TEXT = (
    "regionscope reads 2D (Y, X) and 3D (Z, Y, X) images, optionally with channels last"
)
_RGB_NAMES = ("red", "green", "blue")
_RGBA_NAMES = ("red", "green", "blue", "alpha")
_LA_NAMES = ("gray", "alpha")

# Conversion factors of length units to micrometres (spacing is in µm).
_UNIT_TO_UM = {
    "m": 1e6,
    "meter": 1e6,
    "metre": 1e6,
    "cm": 1e4,
    "centimeter": 1e4,
    "centimetre": 1e4,
    "mm": 1e3,
    "millimeter": 1e3,
    "millimetre": 1e3,
    "um": 1.0,
    "µm": 1.0,
    "μm": 1.0,
    "\\u00b5m": 1.0,
    "micron": 1.0,
    "microns": 1.0,
    "micrometer": 1.0,
    "micrometre": 1.0,
    "nm": 1e-3,
    "nanometer": 1e-3,
    "nanometre": 1e-3,
    "å": 1e-4,
    "angstrom": 1e-4,
    "pm": 1e-6,
    "in": 25400.0,
    "inch": 25400.0,
}
# TIFF ResolutionUnit values -> micrometres per unit (INCH deliberately absent).
_RESUNIT_TO_UM = {3: 1e4, 4: 1e3, 5: 1.0}


# --------------------------------------------------------------------------
# Public data type and heuristic
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class ImageData:
    """An image (or label image) read from a file, in regionscope axis order.

    Equality and hashing are by identity (comparing arrays element-wise has
    no single truth value).

    Parameters
    ----------
    data : numpy.ndarray
        Pixel values, shape ``(Y, X)``, ``(Z, Y, X)``, ``(Y, X, C)`` or
        ``(Z, Y, X, C)``.
    channel_names : tuple of str or None
        One name per channel, ``len == data.shape[-1]``; None when ``data``
        has no channel axis.
    spacing : tuple of float or None
        Physical pixel size in micrometres per spatial axis, in the order of
        :attr:`spatial_shape` (``(dy, dx)`` or ``(dz, dy, dx)``); None when
        the file does not give it for every spatial axis.
    source : str or None
        The path the data was read from.
    """

    data: np.ndarray
    channel_names: tuple[str, ...] | None = None
    spacing: tuple[float, ...] | None = None
    source: str | None = field(default=None)

    def __post_init__(self):
        data = np.asarray(self.data)
        object.__setattr__(self, "data", data)
        if self.channel_names is not None:
            names = tuple(str(name) for name in self.channel_names)
            object.__setattr__(self, "channel_names", names)
            if data.ndim not in (3, 4) or data.shape[-1] != len(names):
                raise ValueError(
                    f"{len(names)} channel names do not fit data of shape {data.shape}: "
                    "channels must be the last axis of a 3D or 4D array"
                )
        elif data.ndim not in (2, 3):
            raise ValueError(
                f"data of shape {data.shape} without channel names must be 2D (Y, X) or 3D (Z, Y, X)"
            )
        if self.spacing is not None:
            spacing = tuple(float(s) for s in self.spacing)
            object.__setattr__(self, "spacing", spacing)
            if len(spacing) != self.spatial_ndim:
                raise ValueError(
                    f"spacing {spacing} does not have one value per spatial axis "
                    f"of spatial shape {self.spatial_shape}"
                )
        if self.source is not None:
            object.__setattr__(self, "source", str(self.source))

    @property
    def has_channels(self) -> bool:
        """bool : True when the last axis of :attr:`data` is a channel axis."""
        return self.channel_names is not None

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        """tuple of int : ``(Y, X)`` or ``(Z, Y, X)``, the shape without channels."""
        return tuple(self.data.shape[:-1] if self.has_channels else self.data.shape)

    @property
    def spatial_ndim(self) -> int:
        """int : 2 or 3, the number of spatial axes."""
        return len(self.spatial_shape)

    @property
    def n_channels(self) -> int:
        """int : Number of channels; 1 for an image without channel axis."""
        return int(self.data.shape[-1]) if self.has_channels else 1

    def with_pixel_size(self, pixel_size) -> "ImageData":
        """The same image with another pixel size (e.g. from ``--pixel-size``).

        Parameters
        ----------
        pixel_size : float or sequence of float
            Micrometres: one number for square pixels (cubic voxels), or one
            per spatial axis, ``(dy, dx)`` or ``(dz, dy, dx)``.

        Returns
        -------
        ImageData
            Sharing :attr:`data`; ``spacing`` replaced.

        Raises
        ------
        regionscope.errors.InputFileError
            Naming the file, when the values do not fit its axes or are not
            positive.
        """
        values = tuple(np.atleast_1d(np.asarray(pixel_size, dtype=np.float64)).tolist())
        axes = "(dz, dy, dx)" if self.spatial_ndim == 3 else "(dy, dx)"
        if len(values) not in (1, self.spatial_ndim):
            raise InputFileError(
                self.source,
                f"a pixel size of {len(values)} values does not fit this {self.spatial_ndim}D image; give one "
                f"number for all axes or one per axis {axes}, in micrometres",
            )
        if not all(np.isfinite(v) and v > 0 for v in values):
            raise InputFileError(self.source, f"the pixel size must be positive numbers (micrometres), not {values}")
        spacing = values * self.spatial_ndim if len(values) == 1 else values
        return ImageData(self.data, channel_names=self.channel_names, spacing=spacing, source=self.source)

    def __repr__(self) -> str:
        return (
            f"ImageData(shape={self.data.shape}, dtype={self.data.dtype}, "
            f"channel_names={self.channel_names!r}, spacing={self.spacing!r}, "
            f"source={self.source!r})"
        )


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


def default_channel_names(n_channels: int, dtype=None) -> tuple[str, ...]:
    """Names for channels that have none: the single rule of regionscope.

    Used for files that do not name their channels, for arrays given to
    :func:`regionscope.measure` or :func:`regionscope.explore`, and by the app,
    so that the same image always gets the same column names.

    Parameters
    ----------
    n_channels : int
        Number of channels.
    dtype : numpy dtype or None
        The image's dtype. Three or four ``uint8`` channels are an ordinary
        colour picture (which the explorer also shows as one).

    Returns
    -------
    tuple of str
        ``("red", "green", "blue")`` or ``("red", "green", "blue", "alpha")``
        for 3 or 4 ``uint8`` channels; ``("ch0", "ch1", ...)`` otherwise.

    Examples
    --------
    >>> default_channel_names(3, "uint8")
    ('red', 'green', 'blue')
    >>> default_channel_names(2)
    ('ch0', 'ch1')
    """
    n_channels = int(n_channels)
    if dtype is not None and np.dtype(dtype) == np.uint8 and n_channels in (3, 4):
        return _RGBA_NAMES[:n_channels]
    return tuple(f"ch{i}" for i in range(n_channels))


# --------------------------------------------------------------------------
# Public readers
# --------------------------------------------------------------------------


def load_image(path: str | os.PathLike, *, axes: str | None = None, max_bytes=None) -> ImageData:
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
    path_str, fmt = _check_path(path)
    if axes is not None:
        axes = _check_axes_argument(axes, path_str)
    raw = _read(path_str, fmt, labels=False, budget=_budget(max_bytes, path_str))
    return _normalise(raw, path_str, axes)


def read_image(path: str | os.PathLike, *, axes: str | None = None, max_bytes=None) -> np.ndarray:
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


def load_labels(path: str | os.PathLike, *, axes: str | None = None, max_bytes=None) -> ImageData:
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
    path_str, fmt = _check_path(path)
    if axes is not None:
        axes = _check_axes_argument(axes, path_str)
    if fmt == "JPEG":
        raise InputFileError(
            path_str,
            "JPEG cannot be used for labels: its lossy compression changes label values "
            "along region edges; save the label image as PNG or TIFF instead",
        )
    raw = _read(path_str, fmt, labels=True, budget=_budget(max_bytes, path_str))
    image = _normalise(raw, path_str, axes)
    if image.has_channels:
        raise InputFileError(path_str, _multichannel_labels_problem(image, raw.guessed and axes is None))
    data = _to_label_array(image.data, path_str)
    return ImageData(data, channel_names=None, spacing=image.spacing, source=path_str)


def read_labels(path: str | os.PathLike, *, axes: str | None = None, max_bytes=None) -> np.ndarray:
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


def load_labels_for(image: ImageData, path, *, axes=None, max_bytes=None) -> ImageData:
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
        f"{labels_name} have shape {_fmt_shape(label_shape)} but {image_name} has spatial "
        f"shape {_fmt_shape(image.spatial_shape)}; the mask must be made from this image"
    )
    if labels.has_channels:
        problem += " and have a single channel"
    elif sorted(label_shape) == sorted(image.spatial_shape):
        problem += " (the axes seem to be in a different order: check the axes of both files)"
    raise InputFileError(labels.source, problem)


# --------------------------------------------------------------------------
# Path checks and dispatch
# --------------------------------------------------------------------------


@dataclass
class _Raw:
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


def _check_path(path) -> tuple[str, str]:
    """Return ``(path as str, format name)`` or raise for unusable paths."""
    if path is None:
        raise InputFileError(None, "no file given: give the path of an image file")
    path_str = os.fsdecode(os.fspath(path))
    if not path_str:
        raise InputFileError(None, "no file given (empty path): give the path of an image file")
    if not os.path.exists(path_str):
        where = ""
        if not os.path.isabs(path_str):
            where = f" (looked in {os.path.abspath(path_str)})"
        raise InputFileError(path_str, f"file not found{where}; check the path and the file name")
    if os.path.isdir(path_str):
        raise InputFileError(
            path_str, "is a directory, not a file; give the path of one image file inside it"
        )
    fmt = _format_of(path_str)
    if fmt is None:
        ext = os.path.splitext(path_str)[1]
        what = f"file type '{ext}'" if ext else "file without extension"
        raise InputFileError(
            path_str,
            f"unsupported {what}: regionscope reads {_SUPPORTED_TEXT}; "
            "convert the image to one of these formats (TIFF is recommended)",
        )
    try:
        size = os.path.getsize(path_str)
    except OSError as exc:
        raise InputFileError(path_str, f"cannot be opened: {_reason(exc)}") from exc
    if size == 0:
        raise InputFileError(
            path_str, "file is empty (0 bytes); it was probably not saved completely: save or copy it again"
        )
    return path_str, fmt


def _format_of(path: str) -> str | None:
    name = os.path.basename(path).lower()
    for suffix, fmt in _FORMATS:
        if name.endswith(suffix):
            return fmt
    return None


def _budget(max_bytes, path: str) -> int:
    try:
        return image_byte_budget(max_bytes)
    except ValueError as exc:
        raise InputFileError(path, f"not read: the memory limit is not valid ({exc})") from None


def _check_budget(path: str, shape, itemsize: int, budget: int, what: str = "") -> None:
    """Refuse a file whose decoded array (``shape`` of ``itemsize``-byte values) exceeds ``budget``."""
    n_bytes = int(np.prod([int(n) for n in shape], dtype=object)) * int(itemsize)
    if n_bytes <= budget:
        return
    pixels = " x ".join(str(int(n)) for n in shape)
    raise InputFileError(
        path,
        f"is too large to open: decoded it would take {format_byte_size(n_bytes)} ({pixels}{what}), "
        f"more than the limit of {format_byte_size(budget)} for one image. Crop or downsample it, or raise "
        f"the limit: --max-image-bytes on the command line, max_bytes= in Python, or ${MAX_IMAGE_BYTES_ENV} "
        f"(e.g. {_suggested_limit(n_bytes)})",
    )


def _suggested_limit(n_bytes: int) -> str:
    gib = -(-n_bytes // 1024**3)  # rounded up
    return f"{gib}G"


def _read(path: str, fmt: str, *, labels: bool, budget: int) -> _Raw:
    """Dispatch to the reader of ``fmt``, wrapping every library exception."""
    try:
        if fmt in ("TIFF", "OME-TIFF"):
            return _read_tiff(path, labels=labels, budget=budget)
        if fmt == "NPY":
            return _read_npy(path, budget=budget)
        return _read_pillow(path, fmt, labels=labels, budget=budget)
    except InputFileError:
        raise
    except MemoryError as exc:
        raise InputFileError(
            path, f"is too large to load into memory as {fmt}; crop or downsample it first"
        ) from exc
    except PermissionError as exc:
        raise InputFileError(path, f"cannot be opened: {_reason(exc)}; check the file permissions") from exc
    except Exception as exc:  # noqa: BLE001 - every library error becomes an InputFileError
        raise InputFileError(
            path,
            f"cannot be read as {fmt}: {_reason(exc)}; the file may be damaged or not really "
            f"a {fmt} file: check that it opens in an image viewer, or export it again",
        ) from exc


def _reason(exc: BaseException) -> str:
    """Short one-line description of a library exception."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    text = " ".join(str(text).split())
    if len(text) > 160:
        text = text[:157] + "..."
    return text


# --------------------------------------------------------------------------
# TIFF
# --------------------------------------------------------------------------


def _read_tiff(path: str, *, labels: bool, budget: int) -> _Raw:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        if not tif.series:
            raise InputFileError(path, "TIFF file contains no image; export the image again")
        series = tif.series[0]
        page = getattr(series, "keyframe", None) or tif.pages.first
        # From the header, before anything is decoded. Palette images become RGB (3 bytes a pixel).
        palette = not labels and int(getattr(page, "photometric", 0) or 0) == 3
        itemsize = max(series.dtype.itemsize, 3) if palette else series.dtype.itemsize
        _check_budget(path, series.shape, itemsize, budget, f" pixels of {'RGB' if palette else series.dtype}")
        data = series.asarray()
        axes = series.axes
        spacing = _tiff_tag_spacing(page)
        names = None
        if tif.is_imagej and tif.imagej_metadata:
            meta = tif.imagej_metadata
            spacing.update(_imagej_spacing(page, meta))
            ij_labels = meta.get("Labels")
            if isinstance(ij_labels, (list, tuple)) and ij_labels:
                names = tuple(str(label) for label in ij_labels)
        if tif.is_ome and tif.ome_metadata:
            ome_names, ome_spacing = _parse_ome(tif.ome_metadata)
            spacing.update(ome_spacing)
            if ome_names is not None:
                names = ome_names
        photometric = int(getattr(page, "photometric", 0) or 0)
        colormap = getattr(page, "colormap", None)

    if len(axes) != data.ndim:  # defensive: tifffile keeps them in sync
        axes = None
    if axes is not None and "S" in axes and photometric == 2:  # RGB
        n_samples = data.shape[axes.index("S")]
        if "C" not in axes or data.shape[axes.index("C")] == 1:
            if n_samples == 3:
                names = _RGB_NAMES
            elif n_samples == 4:
                names = _RGBA_NAMES
    if (
        not labels
        and photometric == 3  # palette
        and colormap is not None
        and axes is not None
        and "S" not in axes
        and "C" not in axes
        and data.dtype.kind in "ui"
    ):
        rgb = _apply_colormap(data, np.asarray(colormap))
        if rgb is not None:
            data, names = _palette_rgb_to_gray(rgb)
            if names is not None:
                axes = axes + "C"
    return _Raw(data, axes, names, spacing)


def _apply_colormap(indices: np.ndarray, colormap: np.ndarray) -> np.ndarray | None:
    """Map palette indices through a TIFF colormap of shape (3, N) to (..., 3)."""
    if colormap.ndim != 2 or colormap.shape[0] != 3 or indices.size == 0:
        return None
    if indices.min() < 0 or indices.max() >= colormap.shape[1]:
        return None
    if colormap.max() < 256:
        colormap = colormap.astype(np.uint8)
    elif np.all(colormap % 257 == 0):
        colormap = (colormap // 257).astype(np.uint8)
    return np.moveaxis(colormap[:, indices], 0, -1)


def _tiff_tag_spacing(page) -> dict[str, float]:
    """Y/X pixel size from XResolution/YResolution in cm, mm or µm."""
    try:
        unit = int(page.tags["ResolutionUnit"].value)
    except (KeyError, TypeError, ValueError, AttributeError):
        return {}
    factor = _RESUNIT_TO_UM.get(unit)
    if factor is None:
        return {}
    return _resolution_spacing(page, factor)


def _imagej_spacing(page, meta: dict) -> dict[str, float]:
    """Pixel size from ImageJ metadata (``unit``, ``spacing``) and resolution tags."""
    unit = meta.get("unit")
    factor = _unit_factor(unit)
    if factor is None:
        return {}
    spacing = _resolution_spacing(page, factor)
    z = _positive(meta.get("spacing"))
    if z is not None:
        spacing["Z"] = z * factor
    return spacing


def _resolution_spacing(page, factor: float) -> dict[str, float]:
    spacing = {}
    for axis, tag in (("X", "XResolution"), ("Y", "YResolution")):
        try:
            value = page.tags[tag].value
            pixels_per_unit = value[0] / value[1] if isinstance(value, tuple) else float(value)
        except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError, AttributeError):
            continue
        pixels_per_unit = _positive(pixels_per_unit)
        if pixels_per_unit is not None:
            spacing[axis] = factor / pixels_per_unit
    return spacing


def _parse_ome(xml_text: str) -> tuple[tuple[str, ...] | None, dict[str, float]]:
    """Channel names and physical sizes (µm) of the first OME Image.

    Namespaces are ignored (OME schema versions differ); unparsable XML
    yields no metadata rather than an error, since the pixels are readable.
    """
    try:
        root = ET.fromstring(xml_text)
    except (ET.ParseError, ValueError, TypeError):
        return None, {}
    pixels = None
    for elem in root.iter():
        if _local(elem.tag) == "Image":
            pixels = next((c for c in elem if _local(c.tag) == "Pixels"), None)
            break
    if pixels is None:
        return None, {}
    spacing = {}
    for axis in "ZYX":
        size = _positive(pixels.get(f"PhysicalSize{axis}"))
        factor = _unit_factor(pixels.get(f"PhysicalSize{axis}Unit", "µm"))
        if size is not None and factor is not None:
            spacing[axis] = size * factor
    channels = [c for c in pixels if _local(c.tag) == "Channel"]
    names = None
    if channels and all(c.get("Name") for c in channels):
        names = tuple(c.get("Name") for c in channels)
    return names, spacing


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _unit_factor(unit) -> float | None:
    if not isinstance(unit, str):
        return None
    return _UNIT_TO_UM.get(unit.strip().lower())


def _positive(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) and number > 0 else None


# --------------------------------------------------------------------------
# Pillow (PNG, JPEG, BMP, GIF)
# --------------------------------------------------------------------------


#: Bytes per pixel of the array regionscope makes from each Pillow mode (after
#: the conversions of _pillow_frame; palette images may become RGBA).
_PILLOW_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 4, "I": 4, "F": 4, "RGB": 3, "RGBA": 4, "LA": 2, "La": 2}


def _open_pillow(path: str, fmt: str):
    """Open an image with Pillow, reading its header only.

    ``Image.open`` refuses images above Pillow's process-wide pixel limit
    (``Image.MAX_IMAGE_PIXELS``) and warns below it; regionscope's byte
    budget decides instead (see :func:`_check_budget`), so the file is opened
    by the plugin of its format directly. A file whose content is of another
    format than its extension says falls back to ``Image.open``.
    """
    from PIL import Image

    Image.init()
    factory = Image.OPEN.get(fmt, (None, None))[0]
    if factory is not None:
        try:
            return factory(path)
        except (SyntaxError, IndexError, TypeError, ValueError, OSError):
            pass  # not really this format: let Image.open find out what it is
    try:
        return Image.open(path)
    except Image.DecompressionBombError as exc:
        raise InputFileError(
            path,
            f"is too large to open ({_reason(exc)}); it is not really a {fmt} file: "
            "save it as TIFF under its own name",
        ) from exc


def _read_pillow(path: str, fmt: str, *, labels: bool, budget: int) -> _Raw:
    with _open_pillow(path, fmt) as im:
        width, height = im.size
        per_pixel = _PILLOW_BYTES_PER_PIXEL.get(im.mode, 2 if im.mode.startswith("I;16") else 4)
        if labels and im.mode in ("P", "L"):
            per_pixel = 1
        _check_budget(path, (height, width), per_pixel, budget, f" pixels, {im.mode} mode")
        n_frames = int(getattr(im, "n_frames", 1) or 1) if fmt == "GIF" else 1
        if n_frames > 1:
            # Later GIF frames decode to RGB(A) or palette indices.
            _check_budget(path, (n_frames, height, width), 1 if labels else 4, budget, " pixels, GIF frames")
        if n_frames == 1:
            im.load()
            data, names = _pillow_frame(im, path, labels)
            axes = "YX" if names is None else "YXC"
            return _Raw(data, axes, names)
        frames = []
        palette = None
        for index in range(n_frames):
            im.seek(index)
            im.load()
            if labels:
                if index == 0 and im.mode == "P":
                    palette = _palette_array(im)
                frames.append((_gif_label_frame(im, palette, path, index), None))
            else:
                frames.append(_pillow_frame(im, path, labels))
    if not labels and len({(a.shape, a.dtype, n) for a, n in frames}) > 1:
        frames = [_common_rgb(a, n) for a, n in frames]
        if any(n == _RGBA_NAMES for _, n in frames):
            frames = [(_add_alpha(a) if n == _RGB_NAMES else a, _RGBA_NAMES) for a, n in frames]
    shapes = {a.shape for a, _ in frames}
    if len(shapes) > 1:
        raise InputFileError(
            path, f"the frames of this GIF have different sizes {sorted(shapes)}; save the stack as TIFF"
        )
    data = np.stack([a for a, _ in frames])
    names = frames[0][1]
    if names == _RGB_NAMES and not labels:
        data, names = _palette_rgb_to_gray(data)
    axes = "ZYX" if names is None else "ZYXC"
    return _Raw(data, axes, names)


def _pillow_frame(im, path: str, labels: bool) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Array and channel names (None for one channel) of the current frame."""
    mode = im.mode
    if mode in ("1", "L", "I", "F") or mode.startswith("I;16"):
        return np.asarray(im), None
    if mode == "P":
        if labels:
            return np.asarray(im), None
        if "transparency" in im.info:
            return np.asarray(im.convert("RGBA")), _RGBA_NAMES
        return _palette_rgb_to_gray(np.asarray(im.convert("RGB")))
    if mode == "RGB":
        return np.asarray(im), _RGB_NAMES
    if mode == "RGBA":
        return np.asarray(im), _RGBA_NAMES
    if mode == "LA":
        return np.asarray(im), _LA_NAMES
    if mode == "La":
        return np.asarray(im.convert("LA")), _LA_NAMES
    if mode in ("PA", "RGBa"):
        return np.asarray(im.convert("RGBA")), _RGBA_NAMES
    # CMYK, YCbCr, LAB, HSV, RGBX, ...: colour; convert to RGB.
    return np.asarray(im.convert("RGB")), _RGB_NAMES


def _palette_rgb_to_gray(rgb: np.ndarray) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """(..., 3) colours from a palette -> (...) grayscale if every colour is gray."""
    if rgb[..., 0].size and np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(
        rgb[..., 0], rgb[..., 2]
    ):
        return np.ascontiguousarray(rgb[..., 0]), None
    return rgb, _RGB_NAMES


def _common_rgb(array: np.ndarray, names) -> tuple[np.ndarray, tuple[str, ...]]:
    """Bring a GIF frame (gray, RGB or RGBA uint8) to RGB or RGBA."""
    if names is None:
        return np.repeat(array[..., None], 3, axis=-1), _RGB_NAMES
    return array, names


def _add_alpha(rgb: np.ndarray) -> np.ndarray:
    alpha = np.full(rgb.shape[:-1] + (1,), 255, dtype=rgb.dtype)
    return np.concatenate([rgb, alpha], axis=-1)


def _palette_array(im) -> np.ndarray | None:
    palette = im.getpalette("RGB")
    if not palette:
        return None
    return np.asarray(palette, dtype=np.int64).reshape(-1, 3)


def _gif_label_frame(im, palette: np.ndarray | None, path: str, index: int) -> np.ndarray:
    """Palette indices of one GIF frame.

    Pillow decodes frames after the first to RGB(A); their colours are mapped
    back to indices of the first frame's palette (lowest index for repeated
    colours), which is exact when the frames share the palette.
    """
    if im.mode in ("P", "L"):
        return np.asarray(im)
    if palette is None or im.mode not in ("RGB", "RGBA"):
        raise InputFileError(
            path, "this GIF has no palette, so its frames carry no label values; save the labels as TIFF"
        )
    rgb = np.asarray(im)[..., :3].astype(np.int64)
    codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    pal_codes = (palette[:, 0] << 16) | (palette[:, 1] << 8) | palette[:, 2]
    unique_pal, first_index = np.unique(pal_codes, return_index=True)
    pos = np.searchsorted(unique_pal, codes)
    pos = np.clip(pos, 0, len(unique_pal) - 1)
    if not np.array_equal(unique_pal[pos], codes):
        raise InputFileError(
            path,
            f"frame {index} of this GIF uses colours that are not in the palette of the first "
            "frame, so its label values cannot be recovered; save the label stack as TIFF",
        )
    return first_index[pos].astype(np.uint8)


# --------------------------------------------------------------------------
# NPY
# --------------------------------------------------------------------------


def _read_npy(path: str, *, budget: int) -> _Raw:
    with open(path, "rb") as fh:
        magic = fh.read(6)
        if magic != b"\x93NUMPY":
            raise InputFileError(
                path,
                "cannot be read as NPY: not a NumPy .npy file (it does not start with the NumPy header); "
                "save the array with numpy.save",
            )
        fh.seek(0)
        version = np.lib.format.read_magic(fh)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = header(fh, max_header_size=100_000)
        data_start = fh.tell()
    if not dtype.hasobject:
        # From the header, before anything is read: numpy.load allocates the whole array first.
        _check_budget(path, shape, dtype.itemsize, budget, f" values of {dtype}")
        n_bytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if os.path.getsize(path) - data_start < n_bytes:
            raise InputFileError(
                path,
                f"cannot be read as NPY: the file is shorter than its header says (an array of shape "
                f"{_fmt_shape(shape)} and dtype {dtype}); it was probably not saved or copied completely",
            )
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise InputFileError(
                path,
                "contains Python objects (dtype object), which are not read for safety; "
                "save a numeric array, e.g. numpy.save(path, array.astype(numpy.uint16))",
            ) from exc
        raise
    if not isinstance(data, np.ndarray):
        raise InputFileError(path, "does not contain a single array; save one array with numpy.save")
    if data.dtype.names is not None:
        raise InputFileError(
            path,
            f"contains a structured array (fields {', '.join(data.dtype.names)}); "
            "save a plain numeric array instead",
        )
    return _Raw(np.asarray(data), None, guessed=True)


# --------------------------------------------------------------------------
# Axis normalisation and validation
# --------------------------------------------------------------------------


def _normalise(raw: _Raw, path: str, axes_override: str | None) -> ImageData:
    """Bring a reader's array to (Z,) Y, X (, C) and validate it."""
    data = raw.data
    _check_dtype(data, path)
    if 0 in data.shape or data.ndim == 0:
        raise InputFileError(
            path,
            f"contains no pixels: array of shape {_fmt_shape(data.shape)} has an empty axis; "
            "export the image again",
        )
    if axes_override is not None:
        axes_override = _check_axes_argument(axes_override, path)
        if len(axes_override) != data.ndim:
            squeezed = tuple(n for n in data.shape if n != 1)
            if len(axes_override) != len(squeezed):
                raise InputFileError(
                    path,
                    f"axes='{axes_override}' names {len(axes_override)} axes but the image has "
                    f"{data.ndim} (shape {_fmt_shape(data.shape)}); give one letter per axis",
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
            f"the image axes '{axes}' (shape {_fmt_shape(data.shape)}) do not include one Y and one X "
            "axis; give the axes explicitly, e.g. axes='ZYX'",
        )
    order = [axes.index(a) for a in "ZYXC" if a in axes]
    data = np.transpose(data, order)
    axes = "".join(axes[i] for i in order)

    names = None
    if "C" in axes:
        n = data.shape[-1]
        defaults = default_channel_names(n, data.dtype)
        names = _unique(_pick_names(raw.channel_names, n) or defaults, defaults)

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
        problem = (
            f"has non-numeric pixel values (dtype {data.dtype}); "
            "save a numeric (integer or float) array"
        )
    raise InputFileError(path, problem)


def _check_axes_argument(axes, path: str) -> str:
    text = str(axes).strip().upper() if isinstance(axes, str) else None
    if (
        not text
        or any(a not in "ZYXC" for a in text)
        or len(set(text)) != len(text)
        or "Y" not in text
        or "X" not in text
    ):
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
            f"4D array of shape {_fmt_shape(shape)} without channel axis is not supported: "
            f"{_CONVENTION_TEXT}; if one axis is channels, give the axes explicitly, e.g. axes='CZYX'",
        )
    raise InputFileError(
        path,
        f"{ndim}D array of shape {_fmt_shape(shape)} is not supported: {_CONVENTION_TEXT}",
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
            f"(axes '{axes}', shape {_fmt_shape(shape)}); save one time point as a separate "
            "file (e.g. in Fiji: Image > Duplicate, one frame)",
        )
    if "Z" not in axes:
        generic = [a for a in axes if a in "QI"]
        if len(generic) == 1:
            axes = axes.replace(generic[0], "Z")
    extra = [a for a in axes if a not in "ZYXC"]
    if extra:
        names = getattr(tifffile.TIFF, "AXES_NAMES", {})
        described = " and ".join(
            f"'{a}' ({names.get(a, 'unknown')}) of length {shape[axes.index(a)]}" for a in extra
        )
        raise InputFileError(
            path,
            f"the image has an axis {described} that is not Z, Y, X or channels (axes '{axes}', "
            f"shape {_fmt_shape(shape)}): {_CONVENTION_TEXT}; save a single 2D or 3D image, "
            "or give the axes explicitly",
        )
    if len(axes) > 4:  # cannot happen with unique letters, kept as a guard
        raise InputFileError(
            path, f"array of shape {_fmt_shape(shape)} has too many axes: {_CONVENTION_TEXT}"
        )
    return axes


def _pick_names(candidates: tuple[str, ...] | None, n: int) -> tuple[str, ...] | None:
    """Names for n channels: candidates if there are n of them, or n repeated."""
    if not candidates:
        return None
    candidates = tuple(candidates)
    if len(candidates) == n:
        return candidates
    if len(candidates) % n == 0 and candidates == candidates[:n] * (len(candidates) // n):
        return candidates[:n]
    return None


def _unique(names: Iterable[str], defaults: Sequence[str]) -> tuple[str, ...]:
    """Make names non-empty (a blank one gets its default) and unique by suffixing '_2', '_3', ..."""
    result: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        name = str(name).strip() or defaults[i]
        candidate, k = name, 2
        while candidate in seen:
            candidate = f"{name}_{k}"
            k += 1
        seen.add(candidate)
        result.append(candidate)
    return tuple(result)


def _fmt_shape(shape: Iterable[int]) -> str:
    return str(tuple(int(n) for n in shape))


# --------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------


def _multichannel_labels_problem(image: ImageData, guessed: bool) -> str:
    shape = _fmt_shape(image.data.shape)
    problem = (
        f"a label image must have one channel (a single-channel integer image), but this file "
        f"has shape {shape} with {image.n_channels} channels ({', '.join(image.channel_names)})"
    )
    data = image.data
    if guessed:
        problem += "; if the last axis is not channels, give the axes explicitly, e.g. axes='ZYX'"
    elif all(np.array_equal(data[..., 0], data[..., i]) for i in range(1, min(3, data.shape[-1]))):
        problem += "; its colour channels are identical, so save it as a grayscale (single-channel) image"
    else:
        problem += (
            "; export the label image itself (integer labels, 0 = background), "
            "not a coloured picture of the regions"
        )
    return problem


def _smallest_uint(max_value: int) -> np.dtype:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if max_value <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def _to_label_array(data: np.ndarray, path: str) -> np.ndarray:
    kind = data.dtype.kind
    if kind == "b":
        from skimage.measure import label

        labelled = label(data, connectivity=data.ndim)
        max_label = int(labelled.max()) if labelled.size else 0
        return labelled.astype(_smallest_uint(max_label))
    if kind == "u":
        return data
    if kind == "i":
        negative = int(np.count_nonzero(data < 0))
        if negative:
            raise InputFileError(
                path,
                f"{negative} pixels have negative values (minimum {int(data.min())}); labels must be "
                "0 for background and positive integers for regions: export the labels as an "
                "unsigned integer image",
            )
        return data
    if kind == "f":
        finite = np.isfinite(data)
        if not finite.all():
            n_bad = int(data.size - np.count_nonzero(finite))
            raise InputFileError(
                path,
                f"{n_bad} pixels are NaN or infinite; a label image must contain whole numbers "
                "only: export the labels as an integer image (e.g. uint16 TIFF or PNG)",
            )
        fractional = int(np.count_nonzero(data != np.floor(data)))
        if fractional:
            raise InputFileError(
                path,
                f"{fractional} pixels are not whole numbers (float values like "
                f"{float(data[data != np.floor(data)].flat[0]):g}); a label image must contain whole "
                "numbers: export the labels as an integer image (e.g. uint16 TIFF or PNG), not as a "
                "probability or intensity image",
            )
        minimum = float(data.min())
        if minimum < 0:
            negative = int(np.count_nonzero(data < 0))
            raise InputFileError(
                path,
                f"{negative} pixels have negative values (minimum {minimum:g}); labels must be "
                "0 for background and positive integers for regions: export the labels as an "
                "unsigned integer image",
            )
        maximum = float(data.max())
        if maximum >= 2.0**64:
            raise InputFileError(
                path, f"label values up to {maximum:g} do not fit a 64-bit integer; renumber the labels"
            )
        return data.astype(_smallest_uint(int(maximum)))
    # complex and others were rejected by _check_dtype already
    raise InputFileError(path, f"cannot be used as labels (dtype {data.dtype}); save an integer image")
