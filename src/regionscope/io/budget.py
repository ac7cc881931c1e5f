"""The decompression-bomb check: the decoded size, from a file's header, against the byte budget.

Every reader calls :func:`check_budget` with the shape and item size its
header promises before it decodes anything, so a small compressed file
cannot fill the memory. The budget itself is :mod:`regionscope.limits`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from regionscope.errors import InputFileError
from regionscope.limits import MAX_IMAGE_BYTES_ENV, format_byte_size, image_byte_budget

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["byte_budget", "check_budget"]


def byte_budget(max_bytes: int | str | None, path: str) -> int:
    """The budget in bytes for ``max_bytes`` (see :func:`~regionscope.limits.image_byte_budget`).

    An unusable value is an error naming ``path``.
    """
    try:
        return image_byte_budget(max_bytes)
    except ValueError as exc:
        raise InputFileError(path, f"not read: the memory limit is not valid ({exc})") from None


def check_budget(path: str, shape: Sequence[int], itemsize: int, budget: int, what: str = "") -> None:
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
