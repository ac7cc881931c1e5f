"""Lazy image sources: an image's shape, axes, channels, pixel size and levels,
and windowed reads, without reading the whole image.

An :class:`ImageSource` presents every format the same way, in regionscope's
axis order: spatial axes ``(Y, X)`` or ``(Z, Y, X)``, then the channel axis
last when there is more than one channel (``"YXC"``, ``"ZYXC"``), like
:class:`regionscope.io.ImageData`. Any other axis (time, a scene) is fixed at
one index (``select={"T": 3}``; default 0, and an axis longer than one must be
chosen explicitly).

- :class:`OmeZarrSource`: OME-Zarr (NGFF 0.1-0.5) on a local path or an
  ``fsspec`` URL (``http://``, ``s3://``, ``memory://`` ...), every level of
  the multiscale pyramid.
- :class:`TiffSource`: TIFF, tiled TIFF, (pyramidal) OME-TIFF and the
  TIFF-based slide formats tifffile reads, through tifffile's zarr interface
  (``tifffile.imread(path, aszarr=True, level=k)``), every level.
- :class:`BioioSource`: ND2, CZI, LIF ... through ``bioio`` and its reader
  plugins (the optional extra ``regionscope[formats]``).
- :class:`ArraySource`: a numpy, dask or zarr array already at hand, and
  ``.npy`` files (memory-mapped).

:func:`open_source` picks the source for a path. ``read(window, level)`` reads
a window; ``to_dask(level)`` gives a dask array whose tasks read their own
windows (a source pickles as its location, not its pixels, so that Dask
workers open the file themselves); ``to_numpy(budget=...)`` reads a whole
level only if it fits the budget. ``identity()`` is a cheap key for caches:
the location, size and modification time, shape and dtype and a hash of a
sample of chunks, instead of a hash of every pixel.

Why plain ``zarr`` and the NGFF JSON rather than the ``ome-zarr`` or
``ngff-zarr`` packages: reading needs only the ``multiscales`` and ``omero``
attributes (a few lines), and both packages bring large dependency trees
(napari-style readers, ITK for ngff-zarr) for what zarr already does.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from regionscope.errors import InputFileError

if TYPE_CHECKING:
    # Only for the hints: dask is imported when a dask array is asked for.
    import dask.array as da
    from numpy.typing import ArrayLike, DTypeLike

__all__ = [
    "DEFAULT_BUDGET",
    "ArraySource",
    "BioioSource",
    "ImageSource",
    "OmeZarrSource",
    "SourceError",
    "TiffSource",
    "open_source",
]

#: Bytes a whole level may have to be read into memory by :meth:`ImageSource.to_numpy`.
DEFAULT_BUDGET = 1 << 30
#: Chunk shape used for dask arrays of sources that have no chunks of their own.
DEFAULT_CHUNK_SIDE = {2: 2048, 3: 256}

_SPATIAL = "ZYX"
_TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf8", ".svs", ".ndpi", ".scn", ".qptiff")


class SourceError(InputFileError):
    """An image source cannot be opened or read as asked.

    Pickles with its path and problem (Dask sends errors between processes).
    """

    def __reduce__(self) -> tuple[type[SourceError], tuple[str | None, str]]:
        return (type(self), (self.path, self.problem))


class ImageSource:
    """A lazily read image: shape, axes, channels, pixel size, levels, windows.

    Subclasses set the attributes below in ``__init__`` and implement
    :meth:`_open_levels` (the native arrays of every level, opened on first
    use and again after unpickling).

    Attributes
    ----------
    location : str
        The path or URL (or ``"<array>"``), used in messages.
    axes : str
        ``"YX"``, ``"ZYX"``, ``"YXC"`` or ``"ZYXC"``.
    dtype : numpy.dtype
    levels : list of tuple of int
        Shape of every level in ``axes`` order, finest first.
    channel_names : tuple of str or None
        One name per channel when ``axes`` ends in ``C``.
    spacing : tuple of float or None
        Physical pixel size per spatial axis at level 0, when the file says.
    """

    kind = "source"

    def __init__(
        self,
        location: str | os.PathLike,
        *,
        native_axes: str,
        native_shapes: Sequence[Sequence[int]],
        dtype: DTypeLike,
        select: Mapping[str, int] | None = None,
        channel_names: Sequence[str] | None = None,
        spacing: Sequence[float] | None = None,
        channel_axes: str = "CS",
    ) -> None:
        self.location = str(location)
        self.dtype = np.dtype(dtype)
        native_axes = native_axes.upper()
        self._native_axes = native_axes
        self._index, self._channel_native, self.axes = _axis_plan(
            native_axes, native_shapes[0], select or {}, channel_axes, self.location
        )
        self.levels = [tuple(int(shape[native_axes.index(a)]) for a in self._kept_order()) for shape in native_shapes]
        self._native_shapes = [tuple(int(n) for n in s) for s in native_shapes]
        n_channels = self.levels[0][-1] if self.axes.endswith("C") else 1
        if self.axes.endswith("C"):
            if channel_names is None or len(channel_names) != n_channels or len(set(channel_names)) != n_channels:
                from regionscope.io import default_channel_names

                channel_names = default_channel_names(n_channels, self.dtype)
            self.channel_names = tuple(str(n) for n in channel_names)
        else:
            self.channel_names = None
        spatial_ndim = len(self.axes.rstrip("C"))
        if spacing is not None and (len(spacing) != spatial_ndim or not all(s and s > 0 and math.isfinite(s) for s in spacing)):
            spacing = None
        self.spacing = None if spacing is None else tuple(float(s) for s in spacing)
        self._arrays = None

    # ---------------------------------------------------------------- shape

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of level 0 in ``axes`` order."""
        return self.levels[0]

    @property
    def ndim(self) -> int:
        return len(self.axes)

    @property
    def has_channels(self) -> bool:
        return self.axes.endswith("C")

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        return self.shape[:-1] if self.has_channels else self.shape

    @property
    def spatial_ndim(self) -> int:
        return len(self.spatial_shape)

    def nbytes(self, level: int = 0) -> int:
        """Bytes of a whole level in memory."""
        return int(np.prod(self.levels[level], dtype=np.int64)) * self.dtype.itemsize

    def level_scale(self, level: int) -> tuple[float, ...]:
        """Downsampling factor of ``level`` per spatial axis (level 0 shape / level shape)."""
        n = self.spatial_ndim
        return tuple(a / b for a, b in zip(self.levels[0][:n], self.levels[level][:n]))

    def chunks(self, level: int = 0) -> tuple[int, ...]:
        """The native chunk (tile) shape of a level in ``axes`` order, or a default."""
        native = getattr(self._level_arrays()[level], "chunks", None)
        if native is not None and not isinstance(native[0], int):  # a dask array's chunks
            native = tuple(c[0] for c in native)
        if native is None:
            side = DEFAULT_CHUNK_SIDE.get(self.spatial_ndim, 256)
            return tuple(min(side, n) if a != "C" else n for a, n in zip(self.axes, self.levels[level]))
        return tuple(
            int(native[self._native_axes.index(a)]) if ours != "C" else n
            for ours, a, n in zip(self.axes, self._kept_order(), self.levels[level])
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r}, axes={self.axes!r}, shape={self.shape}, dtype={self.dtype}, levels={len(self.levels)})"

    # ---------------------------------------------------------------- reads

    def read(self, window: Sequence[slice] | None = None, level: int = 0) -> np.ndarray:
        """Read a window of a level.

        Parameters
        ----------
        window : sequence of slice or None
            One slice per axis in ``axes`` order (missing trailing axes are
            read whole; steps are not allowed). ``None`` reads the whole level:
            prefer :meth:`to_numpy`, which checks a budget.
        level : int
            0 is full resolution.

        Returns
        -------
        ndarray, shape of the window, axes in ``axes`` order
        """
        shape = self._check_level(level)
        bounds = _window_bounds(window, shape, self.location)
        native = self._level_arrays()[level]
        key = []
        kept = dict(zip(self._kept_order(), bounds))
        for axis in self._native_axes:
            key.append(slice(*kept[axis]) if axis in kept else self._index.get(axis, 0))
        try:
            data = native[tuple(key)]
            if hasattr(data, "compute"):  # a dask array: never the distributed scheduler inside a task
                data = data.compute(scheduler="synchronous")
            data = np.asarray(data)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise SourceError(self.location, f"cannot read level {level} window {bounds}: {exc}") from exc
        order = [a for a in self._native_axes if a in kept]
        permutation = [order.index(a) for a in self._kept_order()]
        data = np.transpose(data, permutation) if permutation != list(range(len(permutation))) else data
        return data.astype(self.dtype, copy=False)

    def to_numpy(self, level: int = 0, *, budget: int | None = DEFAULT_BUDGET) -> np.ndarray:
        """Read a whole level, if it fits ``budget`` bytes.

        Raises
        ------
        SourceError
            When the level is larger than ``budget``.
        """
        size = self.nbytes(level)
        if budget is not None and size > budget:
            raise SourceError(
                self.location,
                f"level {level} ({'x'.join(map(str, self.levels[level]))} {self.dtype}, {size / 2**20:.0f} MiB) is larger than "
                f"the memory budget of {budget / 2**20:.0f} MiB; read windows, use a coarser level or the chunked measurement",
            )
        return self.read(None, level)

    def to_dask(self, level: int = 0, *, chunks: int | tuple[int, ...] | None = None) -> da.Array:
        """A dask array of a level whose tasks read their own windows.

        Parameters
        ----------
        chunks : tuple of int or None
            Chunk shape in ``axes`` order; default the native chunks (the
            channel axis in one chunk).
        """
        import dask.array as da
        from dask.base import tokenize

        shape = self._check_level(level)
        if chunks is None:
            chunks = self.chunks(level)
        elif isinstance(chunks, int):
            chunks = tuple(chunks if a != "C" else n for a, n in zip(self.axes, shape))
        reader = _LevelReader(self, level)
        name = "rs-source-" + tokenize(
            type(self).__name__, self.location, self._token(), self.axes, shape, str(self.dtype), level, chunks
        )
        return da.from_array(
            reader, chunks=chunks, name=name, asarray=False, fancy=False, meta=np.empty((0,) * len(shape), dtype=self.dtype)
        )

    # ------------------------------------------------------------- identity

    def identity(self, *, samples: int = 8) -> str:
        """A cheap key that changes when the image does.

        The location, the file's size and modification time (where it is a
        local file), the axes, shape, dtype and levels, and a hash of up to
        ``samples`` chunks of level 0 spread over the image. An edit that
        touches no sampled chunk and keeps size and time is not seen: this is
        a cache key, not a checksum.
        """
        digest = hashlib.sha256()
        digest.update(repr((type(self).__name__, self.location, self.axes, self.levels, str(self.dtype), self._token())).encode())
        chunk = self.chunks(0)
        grid = [max(1, -(-n // c)) for n, c in zip(self.shape, chunk)]
        total = int(np.prod(grid, dtype=np.int64))
        picks = sorted({int(round(i * (total - 1) / max(1, samples - 1))) for i in range(min(samples, total))})
        for flat in picks:
            index = np.unravel_index(flat, grid)
            window = tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(index, chunk, self.shape))
            digest.update(np.ascontiguousarray(self.read(window)).tobytes())
        return digest.hexdigest()[:32]

    def _token(self):
        """Size and modification time of the files behind the source (local files only)."""
        return _stat_token(self.location)

    # ------------------------------------------------------------ internals

    def _kept_order(self):
        """The native axis letters of our axes, in our order."""
        return [self._channel_native if a == "C" else a for a in self.axes]

    def _check_level(self, level):
        if not isinstance(level, (int, np.integer)) or not 0 <= level < len(self.levels):
            raise SourceError(self.location, f"level {level} does not exist; this image has levels 0..{len(self.levels) - 1}")
        return self.levels[level]

    def _level_arrays(self):
        if self._arrays is None:
            self._arrays = self._open_levels()
        return self._arrays

    def _open_levels(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release open files (they are opened again on the next read)."""
        self._arrays = None

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_arrays"] = None  # the receiving process opens the file itself
        return state


class _LevelReader:
    """What ``dask.array.from_array`` slices: one level of a source."""

    def __init__(self, source, level):
        self.source, self.level = source, level
        self.shape = source.levels[level]
        self.dtype = source.dtype
        self.ndim = len(self.shape)

    def __getitem__(self, key):
        return self.source.read(key, self.level)


# ---------------------------------------------------------------- OME-Zarr


class OmeZarrSource(ImageSource):
    """An OME-Zarr image (NGFF multiscales, zarr v2 or v3), local or remote.

    Parameters
    ----------
    location : str or os.PathLike
        A folder, or an ``fsspec`` URL. A label image of the store
        (``image.zarr/labels/cells``) is an image of its own.
    storage_options : dict or None
        Passed to fsspec for URLs.
    select : dict or None
        Index of non-spatial, non-channel axes, e.g. ``{"T": 2}``.
    """

    kind = "ome-zarr"

    def __init__(
        self,
        location: str | os.PathLike,
        *,
        storage_options: Mapping[str, Any] | None = None,
        select: Mapping[str, int] | None = None,
    ) -> None:
        import zarr

        self._url = str(location)
        self._storage_options = storage_options
        try:
            node = (
                zarr.open(self._url, mode="r", storage_options=storage_options)
                if _is_url(self._url)
                else zarr.open(self._url, mode="r")
            )
        except (FileNotFoundError, OSError, ValueError, KeyError) as exc:
            raise SourceError(location, f"cannot open as Zarr: {exc}") from exc
        except Exception as exc:  # zarr raises its own errors for missing metadata
            raise SourceError(location, f"not a Zarr store ({type(exc).__name__}: {exc})") from exc
        if isinstance(node, zarr.Array):
            self._paths = [None]
            shapes = [node.shape]
            axes = _guess_array_axes(node.shape)
            scale, names = None, None
            dtype = node.dtype
        else:
            attrs = dict(node.attrs)
            meta = attrs.get("ome", attrs)
            multiscales = meta.get("multiscales")
            if not multiscales:
                raise SourceError(
                    location, "is a Zarr group without OME-NGFF 'multiscales' metadata; open the image's group or array itself"
                )
            multiscale = multiscales[0]
            datasets = multiscale.get("datasets") or []
            if not datasets:
                raise SourceError(location, "its 'multiscales' metadata lists no datasets")
            self._paths = [d["path"] for d in datasets]
            try:
                arrays = [node[p] for p in self._paths]
            except KeyError as exc:
                raise SourceError(location, f"multiscales dataset {exc} is missing from the store") from exc
            shapes = [a.shape for a in arrays]
            dtype = arrays[0].dtype
            axes = _ngff_axes(multiscale.get("axes"), len(shapes[0]), self._url)
            scale = _ngff_scale(multiscale, datasets[0], len(axes))
            names = [c.get("label") for c in (meta.get("omero") or {}).get("channels", []) or []]
            names = names if names and all(names) else None
        spacing = None
        if scale is not None:
            spacing = [scale[axes.index(a)] for a in _SPATIAL if a in axes]
        super().__init__(
            location,
            native_axes=axes,
            native_shapes=shapes,
            dtype=dtype,
            select=select,
            channel_names=names,
            spacing=spacing,
            channel_axes="C",
        )

    def _open_levels(self):
        import zarr

        if _is_url(self._url):
            node = zarr.open(self._url, mode="r", storage_options=self._storage_options)
        else:
            node = zarr.open(self._url, mode="r")
        if self._paths == [None]:
            return [node]
        return [node[p] for p in self._paths]

    def _token(self):
        if _is_url(self._url):
            return None
        path = Path(self._url)
        files = [path / name for name in ("zarr.json", ".zattrs", ".zgroup", ".zarray")]
        files += [path / str(p) / name for p in self._paths if p is not None for name in ("zarr.json", ".zarray")]
        return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.exists())


def _ngff_axes(axes, ndim, location):
    if axes is None:  # NGFF 0.1 / 0.2: always 5D TCZYX
        if ndim != 5:
            raise SourceError(
                location, f"has no 'axes' in its multiscales metadata and {ndim} dimensions (NGFF 0.1 images are 5D)"
            )
        return "TCZYX"
    names = [a["name"] if isinstance(a, Mapping) else a for a in axes]
    types = [a.get("type") if isinstance(a, Mapping) else None for a in axes]
    out = []
    for name, kind in zip(names, types):
        name = str(name).upper()
        if kind == "channel":
            name = "C"
        elif kind == "time":
            name = "T"
        out.append(name)
    if len(out) != ndim:
        raise SourceError(location, f"its multiscales 'axes' ({len(out)}) do not match its {ndim} dimensions")
    return "".join(out)


def _ngff_scale(multiscale, dataset, ndim):
    """The physical scale of a dataset: its own scale times the multiscale-wide one."""
    scale = np.ones(ndim)
    found = False
    for transforms in (dataset.get("coordinateTransformations"), multiscale.get("coordinateTransformations")):
        for transform in transforms or []:
            if transform.get("type") == "scale" and len(transform.get("scale", [])) == ndim:
                scale = scale * np.asarray(transform["scale"], dtype=float)
                found = True
    return scale.tolist() if found else None


# -------------------------------------------------------------------- TIFF


class TiffSource(ImageSource):
    """A TIFF, tiled TIFF or (pyramidal) OME-TIFF through tifffile's zarr interface.

    Parameters
    ----------
    location : str or os.PathLike
    series : int
        The TIFF series (image) to open.
    select : dict or None
        Index of non-spatial, non-channel axes, e.g. ``{"T": 2}``.
    """

    kind = "tiff"

    def __init__(self, location: str | os.PathLike, *, series: int = 0, select: Mapping[str, int] | None = None) -> None:
        import tifffile

        self._series = series
        try:
            with tifffile.TiffFile(location) as tif:
                if not 0 <= series < len(tif.series):
                    raise SourceError(location, f"has {len(tif.series)} image series; series {series} does not exist")
                image = tif.series[series]
                axes = image.axes
                shapes = [level.shape for level in image.levels]
                dtype = image.dtype
                names, spacing = None, None
                if tif.is_ome and tif.ome_metadata:
                    names, spacing = _ome_channels_and_spacing(tif.ome_metadata, series, axes)
                elif image.keyframe is not None:
                    spacing = _resolution_spacing(image.keyframe, axes)
        except SourceError:
            raise
        except (OSError, ValueError, tifffile.TiffFileError, IndexError, KeyError) as exc:
            raise SourceError(location, f"cannot read as TIFF: {exc}") from exc
        super().__init__(
            location,
            native_axes=_tiff_axes(axes, shapes[0]),
            native_shapes=shapes,
            dtype=dtype,
            select=select,
            channel_names=names,
            spacing=spacing,
        )

    def _open_levels(self):
        import tifffile
        import zarr

        return [
            zarr.open(tifffile.imread(self.location, aszarr=True, series=self._series, level=k), mode="r")
            for k in range(len(self.levels))
        ]

    def close(self) -> None:
        for array in self._arrays or []:
            store = getattr(array, "store", None)
            if hasattr(store, "close"):
                store.close()
        self._arrays = None


def _tiff_axes(axes, shape):
    """tifffile's axis letters, a page sequence (I, Q) read as Z when there is no Z.

    Samples (S, RGB) are channels like C; :func:`_axis_plan` keeps the longer one.
    """
    axes = axes.upper()
    if "Z" not in axes:
        for letter in "IQ":
            if letter in axes and shape[axes.index(letter)] > 1:
                axes = axes.replace(letter, "Z", 1)
                break
    return axes


def _ome_channels_and_spacing(xml, series, axes):
    import tifffile

    try:
        ome = tifffile.xml2dict(xml)["OME"]
        images = ome["Image"] if isinstance(ome["Image"], list) else [ome["Image"]]
        pixels = images[series]["Pixels"]
    except (KeyError, IndexError, TypeError, ValueError):
        return None, None
    channels = pixels.get("Channel", [])
    channels = channels if isinstance(channels, list) else [channels]
    names = [c.get("Name") for c in channels if isinstance(c, Mapping)]
    names = names if names and all(names) else None
    sizes = {a: pixels.get(f"PhysicalSize{a}") for a in _SPATIAL}
    present = [a for a in _SPATIAL if a in axes.upper() and (a != "Z" or int(pixels.get("SizeZ", 1)) > 1)]
    spacing = [sizes[a] for a in present]
    if any(s is None for s in spacing):
        spacing = None
    return names, spacing


def _resolution_spacing(page, axes):
    """Pixel size from the resolution tags (pixels per unit), for YX images."""
    if "Z" in axes.upper():
        return None
    try:
        x = page.tags["XResolution"].value
        y = page.tags["YResolution"].value
        unit = page.tags["ResolutionUnit"].value
    except KeyError:
        return None
    if int(unit) == 1:  # no absolute unit: the default 1 pixel per "inch" says nothing
        return None
    factor = {2: 25400.0, 3: 10000.0}.get(int(unit))  # micrometres per inch / centimetre
    if factor is None or not x[0] or not y[0]:
        return None
    return [factor * y[1] / y[0], factor * x[1] / x[0]]


# -------------------------------------------------------------------- bioio


class BioioSource(ImageSource):
    """Any format a ``bioio`` reader plugin reads (ND2, CZI, LIF, ...).

    Needs the extra ``regionscope[formats]``. Dimensions come in bioio's
    ``TCZYX`` (+ ``S`` for RGB) order; every resolution level is a level.
    """

    kind = "bioio"

    def __init__(
        self, location: str | os.PathLike, *, scene: int | str | None = None, select: Mapping[str, int] | None = None
    ) -> None:
        self._scene = scene
        image = self._bioimage(location)
        dims = image.dims.order
        levels = list(image.resolution_levels) or [0]
        shapes = []
        for level in levels:
            image.set_resolution_level(level)
            shapes.append(image.dask_data.shape)
        image.set_resolution_level(levels[0])
        self._levels_index = levels
        sizes = image.physical_pixel_sizes
        spatial = [a for a in _SPATIAL if a in dims and (a != "Z" or image.dims.Z > 1)]
        spacing = [getattr(sizes, a) for a in spatial]
        spacing = spacing if all(s for s in spacing) else None
        names = [str(n) for n in (image.channel_names or [])]
        super().__init__(
            location,
            native_axes=dims,
            native_shapes=shapes,
            dtype=image.dtype,
            select=select,
            channel_names=names or None,
            spacing=spacing,
        )

    def _bioimage(self, location=None):
        try:
            from bioio import BioImage
        except ImportError as exc:
            raise SourceError(
                location or self.location, "reading this format needs bioio: pip install 'regionscope[formats]'"
            ) from exc
        try:
            image = BioImage(str(location or self.location))
            if self._scene is not None:
                image.set_scene(self._scene)
        except Exception as exc:  # bioio raises plugin-specific errors
            raise SourceError(
                location or self.location,
                f"bioio cannot read it ({type(exc).__name__}: {exc}); "
                "is the reader plugin for this format installed (bioio-nd2, bioio-czi, ...)?",
            ) from exc
        return image

    def _open_levels(self):
        image = self._bioimage()
        arrays = []
        for level in self._levels_index:
            image.set_resolution_level(level)
            arrays.append(image.dask_data)
        return arrays


# -------------------------------------------------------------------- array


class ArraySource(ImageSource):
    """A numpy, dask or zarr array as a source (one level).

    Parameters
    ----------
    array : array-like
        Anything with ``shape``, ``dtype`` and basic slicing.
    axes : str or None
        e.g. ``"YX"``, ``"ZYX"``, ``"YXC"``, ``"CYX"``; default guessed as
        :func:`regionscope.io.has_channel_axis` does.
    """

    kind = "array"

    def __init__(
        self,
        array: ArrayLike,
        *,
        axes: str | None = None,
        location: str = "<array>",
        channel_names: Sequence[str] | None = None,
        spacing: Sequence[float] | None = None,
        select: Mapping[str, int] | None = None,
    ) -> None:
        if not hasattr(array, "shape") or not hasattr(array, "dtype"):
            array = np.asarray(array)
        self._array = array
        native_axes = (axes or _guess_array_axes(array.shape)).upper()
        if len(native_axes) != len(array.shape):
            raise SourceError(location, f"axes {native_axes!r} do not fit an array of shape {tuple(array.shape)}")
        super().__init__(
            location,
            native_axes=native_axes,
            native_shapes=[array.shape],
            dtype=array.dtype,
            select=select,
            channel_names=channel_names,
            spacing=spacing,
        )

    def _open_levels(self):
        return [self._array]

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def _token(self):
        return _stat_token(self.location) if self.location != "<array>" else id(self._array)


def _guess_array_axes(shape):
    from regionscope.io import has_channel_axis

    ndim = len(shape)
    if ndim == 2:
        return "YX"
    if ndim == 3:
        return "YXC" if has_channel_axis(shape) else "ZYX"
    if ndim == 4 and has_channel_axis(shape):
        return "ZYXC"
    if ndim == 5:
        return "TCZYX"
    return "TCZYX"[-ndim:] if ndim <= 5 else "?" * ndim


# ---------------------------------------------------------------- dispatch


def open_source(
    location: str | os.PathLike | ArrayLike,
    *,
    axes: str | None = None,
    series: int = 0,
    select: Mapping[str, int] | None = None,
    storage_options: Mapping[str, Any] | None = None,
    reader: str | None = None,
) -> ImageSource:
    """Open an image lazily, choosing the source from the path.

    Parameters
    ----------
    location : str, os.PathLike or array
        A ``.zarr`` folder or URL (OME-Zarr), a TIFF-based file (OME-TIFF,
        pyramidal, tiled), a ``.npy`` file (memory-mapped), any format a
        bioio plugin reads, or an array.
    axes : str or None
        Axis letters for sources without metadata (arrays, ``.npy``).
    series : int
        TIFF series.
    select : dict or None
        Index of extra axes (``{"T": 0}``).
    storage_options : dict or None
        fsspec options for URLs.
    reader : {"zarr", "tiff", "bioio", "array"} or None
        Force a source instead of choosing from the path.

    Returns
    -------
    ImageSource

    Raises
    ------
    SourceError
        The path does not exist, the format is unknown or its reader is
        missing, or the file cannot be read.
    """
    if hasattr(location, "shape") and hasattr(location, "dtype"):
        return ArraySource(location, axes=axes, select=select)
    text = os.fspath(location)
    lower = text.lower().rstrip("/")
    url = _is_url(text)
    if not url and not os.path.exists(text):
        raise SourceError(text, "no such file or folder; check the path")
    if reader is None:
        if url or lower.endswith(".zarr") or (os.path.isdir(text) and _looks_like_zarr(text)):
            reader = "zarr"
        elif lower.endswith(_TIFF_SUFFIXES):
            reader = "tiff"
        elif lower.endswith(".npy"):
            reader = "npy"
        elif os.path.isdir(text):
            raise SourceError(text, "is a folder but not a Zarr store (no zarr.json, .zgroup or .zarray)")
        else:
            reader = "bioio"
    if reader == "zarr":
        return OmeZarrSource(text, storage_options=storage_options, select=select)
    if reader == "tiff":
        return TiffSource(text, series=series, select=select)
    if reader == "npy":
        try:
            array = np.load(text, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise SourceError(text, f"cannot read as .npy: {exc}") from exc
        return ArraySource(array, axes=axes, location=text, select=select)
    if reader == "bioio":
        return BioioSource(text, select=select)
    if reader == "array":
        from regionscope.io import read_image

        return ArraySource(read_image(text, axes=axes), location=text, select=select)
    raise SourceError(text, f"unknown reader {reader!r}; choose zarr, tiff, npy, bioio or array")


def _is_url(text):
    return "://" in str(text)


def _looks_like_zarr(folder):
    return any(os.path.exists(os.path.join(folder, name)) for name in ("zarr.json", ".zgroup", ".zarray", ".zattrs"))


def _stat_token(location):
    try:
        stat = os.stat(location)
    except (OSError, TypeError, ValueError):
        return None
    return (stat.st_size, stat.st_mtime_ns)


def _axis_plan(native_axes, native_shape, select, channel_axes, location):
    """Which native axes are kept (spatial, channel) and at which index the others are read."""
    select = {str(k).upper(): int(v) for k, v in select.items()}
    if len(set(native_axes)) != len(native_axes):
        raise SourceError(location, f"repeated axis letters in {native_axes!r}")
    index, kept = {}, []
    channel = None
    for axis, size in zip(native_axes, native_shape):
        if axis in "YX" or (axis == "Z" and size > 1 and axis not in select):
            kept.append(axis)
        elif axis in channel_axes and size > 1 and axis not in select:
            if channel is not None:
                raise SourceError(
                    location, f"has two channel axes ({channel} and {axis}); choose one with select={{{axis!r}: 0}}"
                )
            channel = axis
        else:
            chosen = select.get(axis, 0)
            if size > 1 and axis not in select:
                raise SourceError(location, f"has {size} entries along axis {axis!r}; choose one with select={{{axis!r}: N}}")
            if not 0 <= chosen < size:
                raise SourceError(location, f"axis {axis!r} has {size} entries; index {chosen} does not exist")
            index[axis] = chosen
    if "Y" not in kept or "X" not in kept:
        raise SourceError(location, f"axes {native_axes!r} have no Y and X axes")
    spatial = "".join(a for a in _SPATIAL if a in kept)
    # The channel's native letter (C or S) is kept apart: ours is always C.
    return index, channel, spatial + ("C" if channel else "")


def _window_bounds(window, shape, location):
    if window is None:
        window = ()
    if isinstance(window, slice) or isinstance(window, (int, np.integer)):
        window = (window,)
    window = tuple(window)
    if len(window) > len(shape):
        raise SourceError(location, f"window {window} has more axes than the image ({len(shape)})")
    bounds = []
    for i, size in enumerate(shape):
        item = window[i] if i < len(window) else slice(None)
        if isinstance(item, (int, np.integer)):
            item = slice(int(item), int(item) + 1)
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise SourceError(location, f"windows are slices without step; got {item!r}")
        start, stop, _ = item.indices(size)
        bounds.append((start, max(start, stop)))
    return bounds
