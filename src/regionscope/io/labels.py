"""Label coercion: what a label image file may hold, and how it becomes non-negative integers.

Unsigned integers, and signed ones without negative values, are kept;
booleans are labelled by connectivity; whole-number floats become the
smallest unsigned type holding them; anything else is an error saying what
to export instead.
"""

from __future__ import annotations

import numpy as np

from regionscope.errors import InputFileError
from regionscope.relabel import smallest_uint

from .image_data import ImageData
from .messages import format_shape

__all__ = ["multichannel_labels_problem", "to_label_array"]


def multichannel_labels_problem(image: ImageData, guessed: bool) -> str:
    shape = format_shape(image.data.shape)
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
        problem += "; export the label image itself (integer labels, 0 = background), not a coloured picture of the regions"
    return problem


def to_label_array(data: np.ndarray, path: str) -> np.ndarray:
    kind = data.dtype.kind
    if kind == "b":
        from skimage.measure import label

        labelled = label(data, connectivity=data.ndim)
        max_label = int(labelled.max()) if labelled.size else 0
        return labelled.astype(smallest_uint(max_label))
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
            raise InputFileError(path, f"label values up to {maximum:g} do not fit a 64-bit integer; renumber the labels")
        return data.astype(smallest_uint(int(maximum)))
    # complex and others were rejected by axes.normalize already
    raise InputFileError(path, f"cannot be used as labels (dtype {data.dtype}); save an integer image")
