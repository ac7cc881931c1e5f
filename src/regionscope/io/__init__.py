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

Modules
-------
One concept each; this package re-exports the public names:
``load`` (the public readers), ``dispatch`` (format by extension, path
checks, error wrapping), ``tiff`` (TIFF and OME-TIFF), ``pictures`` (PNG,
JPEG, BMP, GIF), ``npy``, ``axes`` (stored axes to the convention above),
``channels`` (channel names), ``labels`` (label coercion), ``budget`` (the
decompression-bomb check), ``image_data`` (:class:`ImageData`) and
``messages``.
"""

from __future__ import annotations

from regionscope.errors import InputFileError  # noqa: F401 - imported from here by callers
from regionscope.relabel import smallest_uint as _smallest_uint  # noqa: F401 - regionscope.export imports it from here

from .axes import has_channel_axis
from .channels import default_channel_names
from .dispatch import SUPPORTED_EXTENSIONS
from .image_data import ImageData
from .load import check_same_shape, load_image, load_labels, load_labels_for, read_image, read_labels

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
