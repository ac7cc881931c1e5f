"""Channel names: the one rule for channels a file does not name, and what colours become.

:func:`default_channel_names` is the only place regionscope makes names for
unnamed channels; files, arrays given to :func:`regionscope.measure`, lazy
sources and the app all use it, so the same image always gets the same
column names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

__all__ = ["default_channel_names", "channel_names", "palette_rgb_to_gray", "RGB_NAMES", "RGBA_NAMES", "LA_NAMES"]

RGB_NAMES = ("red", "green", "blue")
RGBA_NAMES = ("red", "green", "blue", "alpha")
LA_NAMES = ("gray", "alpha")


def default_channel_names(n_channels: int, dtype: DTypeLike | None = None) -> tuple[str, ...]:
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
        return RGBA_NAMES[:n_channels]
    return tuple(f"ch{i}" for i in range(n_channels))


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


def palette_rgb_to_gray(rgb: np.ndarray) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """(..., 3) colours from a palette -> (...) grayscale if every colour is gray."""
    if rgb[..., 0].size and np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        return np.ascontiguousarray(rgb[..., 0]), None
    return rgb, RGB_NAMES


def channel_names(stored: Sequence[str] | None, n_channels: int, dtype: DTypeLike | None) -> tuple[str, ...]:
    """The names of ``n_channels`` channels of an image read from a file.

    The names the file stores when they fit (one per channel, or repeated
    once per plane as ImageJ writes them), else :func:`default_channel_names`;
    a blank name gets its default and repeated names a suffix (``"GFP_2"``).
    """
    defaults = default_channel_names(n_channels, dtype)
    return _unique(_pick_names(stored, n_channels) or defaults, defaults)
