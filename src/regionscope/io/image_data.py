"""The in-memory result of every reader: pixels in regionscope axis order, channel names, pixel size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from regionscope.errors import InputFileError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ImageData"]


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

    def __post_init__(self) -> None:
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
            raise ValueError(f"data of shape {data.shape} without channel names must be 2D (Y, X) or 3D (Z, Y, X)")
        if self.spacing is not None:
            spacing = tuple(float(s) for s in self.spacing)
            object.__setattr__(self, "spacing", spacing)
            if len(spacing) != self.spatial_ndim:
                raise ValueError(
                    f"spacing {spacing} does not have one value per spatial axis of spatial shape {self.spatial_shape}"
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

    def with_pixel_size(self, pixel_size: float | Sequence[float]) -> ImageData:
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
