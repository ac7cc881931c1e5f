"""Choosing the reader: the format from the file name, the path checks, and one error type.

The format is chosen from the extension (case-insensitive), longest suffix
first. Every exception of the underlying libraries becomes an
:class:`~regionscope.errors.InputFileError` naming the file, chained as
``__cause__``.
"""

from __future__ import annotations

import os

from regionscope.errors import InputFileError

from .axes import RawImage
from .messages import exception_reason
from .npy import read_npy
from .pictures import read_picture
from .tiff import read_tiff

__all__ = ["SUPPORTED_EXTENSIONS", "check_path", "read_raw"]

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


def check_path(path: str | os.PathLike | None) -> tuple[str, str]:
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
        raise InputFileError(path_str, "is a directory, not a file; give the path of one image file inside it")
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
        raise InputFileError(path_str, f"cannot be opened: {exception_reason(exc)}") from exc
    if size == 0:
        raise InputFileError(path_str, "file is empty (0 bytes); it was probably not saved completely: save or copy it again")
    return path_str, fmt


def _format_of(path: str) -> str | None:
    name = os.path.basename(path).lower()
    for suffix, fmt in _FORMATS:
        if name.endswith(suffix):
            return fmt
    return None


def read_raw(path: str, fmt: str, *, labels: bool, budget: int) -> RawImage:
    """Dispatch to the reader of ``fmt``, wrapping every library exception."""
    try:
        if fmt in ("TIFF", "OME-TIFF"):
            return read_tiff(path, labels=labels, budget=budget)
        if fmt == "NPY":
            return read_npy(path, budget=budget)
        return read_picture(path, fmt, labels=labels, budget=budget)
    except InputFileError:
        raise
    except MemoryError as exc:
        raise InputFileError(path, f"is too large to load into memory as {fmt}; crop or downsample it first") from exc
    except PermissionError as exc:
        raise InputFileError(path, f"cannot be opened: {exception_reason(exc)}; check the file permissions") from exc
    except Exception as exc:  # noqa: BLE001 - every library error becomes an InputFileError
        raise InputFileError(
            path,
            f"cannot be read as {fmt}: {exception_reason(exc)}; the file may be damaged or not really "
            f"a {fmt} file: check that it opens in an image viewer, or export it again",
        ) from exc
