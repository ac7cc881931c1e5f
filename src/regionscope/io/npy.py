"""NPY files: the header checked against the budget and the file size, then :func:`numpy.load` without pickles.

The file has no axis metadata, so :func:`~regionscope.io.axes.normalize`
guesses the axes (:func:`~regionscope.io.has_channel_axis`) unless ``axes=``
is given.
"""

from __future__ import annotations

import os

import numpy as np

from regionscope.errors import InputFileError

from .axes import RawImage
from .budget import check_budget
from .messages import format_shape

__all__ = ["read_npy"]


def read_npy(path: str, *, budget: int) -> RawImage:
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
        check_budget(path, shape, dtype.itemsize, budget, f" values of {dtype}")
        n_bytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if os.path.getsize(path) - data_start < n_bytes:
            raise InputFileError(
                path,
                f"cannot be read as NPY: the file is shorter than its header says (an array of shape "
                f"{format_shape(shape)} and dtype {dtype}); it was probably not saved or copied completely",
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
            f"contains a structured array (fields {', '.join(data.dtype.names)}); save a plain numeric array instead",
        )
    return RawImage(np.asarray(data), None, guessed=True)
