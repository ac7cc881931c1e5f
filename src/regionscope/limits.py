"""How much memory one image may take when it is read: the byte budget.

A compressed file can decode to far more than its size (a 1 MB zlib TIFF of
zeros can be 30,000 x 30,000 pixels, 3.6 GB as uint32). The readers of
:mod:`regionscope.io` take the decoded size from the file's header, before
decoding anything, and refuse files above the budget with a message that says
how to raise it.

The budget is, in order of precedence:

1. the ``max_bytes=`` argument of :func:`regionscope.read_image` and friends;
2. the environment variable ``REGIONSCOPE_MAX_IMAGE_BYTES`` (which
   ``regionscope view --max-image-bytes`` sets for the server it runs, so
   that it also applies to files opened from the page);
3. :data:`DEFAULT_MAX_IMAGE_BYTES`, 2 GiB: what a laptop survives, with room
   for the copies that measuring and display make.

Sizes are given as a number of bytes or with a unit: ``"500M"``, ``"4G"``,
``"1.5GiB"`` (see :func:`parse_byte_size`; K, M, G, T are powers of 1024).
"""

from __future__ import annotations

import math
import os
import re

__all__ = [
    "DEFAULT_MAX_IMAGE_BYTES",
    "MAX_IMAGE_BYTES_ENV",
    "format_byte_size",
    "image_byte_budget",
    "parse_byte_size",
]

#: Default largest decoded size of one image, in bytes (2 GiB).
DEFAULT_MAX_IMAGE_BYTES = 2 * 1024**3
#: Environment variable that sets the budget when no ``max_bytes`` is given.
MAX_IMAGE_BYTES_ENV = "REGIONSCOPE_MAX_IMAGE_BYTES"

_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)


def parse_byte_size(text: str | int) -> int:
    """The number of bytes a size such as ``"4G"``, ``"500 MB"`` or ``"1073741824"`` stands for.

    Parameters
    ----------
    text : str or int
        A positive number, optionally followed by K, M, G or T (powers of
        1024; ``KB``, ``KiB``... are accepted too).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For anything else (with a message that shows the accepted forms).

    Examples
    --------
    >>> parse_byte_size("4G"), parse_byte_size("512 MiB"), parse_byte_size(1000)
    (4294967296, 536870912, 1000)
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a size")
    if isinstance(text, int):
        value = text
    else:
        match = _SIZE.fullmatch(str(text))
        if not match:
            raise ValueError(f"{text!r} is not a size; write e.g. 4G, 500M or 1073741824 (bytes)")
        number, unit = match.groups()
        value = math.floor(float(number) * _UNITS[unit.lower()])
    if value <= 0:
        raise ValueError(f"{text!r} is not a positive size; write e.g. 4G, 500M or 1073741824 (bytes)")
    return int(value)


def format_byte_size(n_bytes: int) -> str:
    """A size for people: ``"3.6 GB"``, ``"512 MB"``, ``"20 kB"`` (powers of 1000, as file managers show)."""
    n_bytes = float(n_bytes)
    for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= factor:
            return f"{n_bytes / factor:.3g} {unit}"
    return f"{int(n_bytes)} bytes"


def image_byte_budget(max_bytes: int | str | None = None) -> int:
    """The largest decoded size, in bytes, that one image may have.

    Parameters
    ----------
    max_bytes : int, str or None
        An explicit budget (bytes, or a size such as ``"4G"``); None: the
        environment variable :data:`MAX_IMAGE_BYTES_ENV`, else
        :data:`DEFAULT_MAX_IMAGE_BYTES`.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        When ``max_bytes`` or the environment variable is not a size.
    """
    if max_bytes is not None:
        return parse_byte_size(max_bytes)
    configured = os.environ.get(MAX_IMAGE_BYTES_ENV, "").strip()
    if configured:
        try:
            return parse_byte_size(configured)
        except ValueError as exc:
            raise ValueError(f"${MAX_IMAGE_BYTES_ENV}: {exc}") from None
    return DEFAULT_MAX_IMAGE_BYTES
