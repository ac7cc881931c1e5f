"""Out-of-core measurement: a label image measured chunk by chunk on Dask.

:func:`measure_chunked` gives the table :func:`regionscope.measure` gives
(same columns, dtypes and values) for label images larger than memory. It
runs on ``dask.distributed``: a :class:`~distributed.LocalCluster` it starts
and stops itself, or an existing cluster (``scheduler="tcp://host:8786"``, or
a ``client``). Only chunks and region crops are ever in a worker's memory.

Two passes:

1. **Every chunk**, in parallel, gives per-label partial results that add up
   (merged by label in a tree of tasks): pixel count, the exact integer sums of
   coordinates and of their products (raw moments, kept relative to the
   region's bounding-box corner so that they stay small), the bounding box,
   intensity sums, minima and maxima. Area, centroid, bounding box,
   ``touches_border`` and the intensity mean/min/max come from these. A chunk
   also measures with :func:`regionscope.measure` the whole-region properties
   (perimeter, solidity, Euler number, Feret diameter, the moment-based axis
   lengths ...) of the regions that lie inside it and touch none of its faces
   shared with another chunk; most regions are among them.
2. **Regions that span chunks** (or are split into pieces lying in several
   chunks: labels need not be connected) get their whole-region properties
   from their own crop, read by their merged bounding box, measured with
   :func:`regionscope.measure` on ``crop == label``. When only additive and
   moment properties are asked for, the axis lengths, eccentricity and
   orientation of such regions come from the merged central moments instead
   (no crop), except where scikit-image's own rounding decides the value (a
   near-disc's orientation, a line's minor axis): those are read as crops.

A crop larger than ``crop_budget`` bytes is an error naming the region,
never an out-of-memory worker. Pieces of the work are plain functions of
numpy arrays, so that they can be tested without Dask.
"""

from __future__ import annotations

import math
import os
import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from regionscope.errors import MeasurementError
from regionscope.measurement import default_channel_names, measure, normalize_property_names

if TYPE_CHECKING:
    # Only for the hints: dask and distributed are imported when a measurement runs (the [dask] extra).
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    import dask.array as da
    from distributed import Client
    from numpy.typing import ArrayLike, DTypeLike

    from regionscope.sources import ImageSource

__all__ = [
    "ADDITIVE_PROPERTIES",
    "DEFAULT_CROP_BUDGET",
    "IN_MEMORY_LIMIT",
    "MOMENT_PROPERTIES",
    "dask_client",
    "measure_chunked",
    "measure_files_chunked",
    "prefers_chunked",
    "table_meta",
]

#: Properties computed from per-chunk partial results that add up.
ADDITIVE_PROPERTIES = frozenset(
    {
        "label",
        "area",
        "num_pixels",
        "bbox",
        "area_bbox",
        "centroid",
        "centroid_local",
        "extent",
        "equivalent_diameter_area",
        "touches_border",
        "intensity_mean",
        "intensity_min",
        "intensity_max",
    }
)
#: Properties computed from the merged second-order central moments.
MOMENT_PROPERTIES = frozenset({"axis_major_length", "axis_minor_length", "eccentricity", "orientation"})
#: Pixel bytes (labels + image) above which ``regionscope measure`` measures chunk by chunk.
IN_MEMORY_LIMIT = 1 << 30
#: Largest region crop (label bytes) read in pass 2.
DEFAULT_CROP_BUDGET = 512 << 20
#: Default chunk side of label images given without chunks (2D, 3D).
DEFAULT_CHUNKS = {2: 2048, 3: 256}
#: Relative margin under which a moment property is left to scikit-image on the crop (as fast_measure does).
_ILL_CONDITIONED = 1e-4
#: Crops measured per task in pass 2 (fewer when they are large).
_CROPS_PER_TASK = 4096
_CROP_BYTES_PER_TASK = 64 << 20
#: Largest union of a task's crops read at once (label bytes).
_UNION_BYTES = 256 << 20


class ChunkedMeasurementError(MeasurementError):
    """A chunked measurement cannot run as asked (cluster, budget, inputs)."""


# ---------------------------------------------------------------- schema


def table_meta(
    ndim: int,
    properties: Sequence[str] | None = None,
    *,
    image_dtype: DTypeLike | None = None,
    channel_names: Sequence[str] | None = None,
    label_dtype: DTypeLike = np.int32,
) -> pd.DataFrame:
    """The empty table :func:`measure_chunked` returns for these inputs: columns and dtypes.

    Known before any pixel is read (Dask's ``meta``): it is what
    :func:`regionscope.measure` returns for a one-region image of the same
    dimension, dtypes and channels, emptied.

    Parameters
    ----------
    ndim : {2, 3}
        Spatial dimension of the label image.
    properties : sequence of str or None
        As in :func:`regionscope.measure`.
    image_dtype : numpy dtype or None
        The intensity image's dtype; ``None`` for labels only.
    channel_names : sequence of str or None
        Channel names of a multichannel image (``None``: one channel).

    Returns
    -------
    pandas.DataFrame
        No rows.
    """
    shape = (5,) * ndim
    labels = np.zeros(shape, dtype=label_dtype)
    labels[(slice(1, 4),) * ndim] = 1
    image = None
    if image_dtype is not None:
        spatial = shape + ((len(channel_names),) if channel_names is not None else ())
        image = np.ones(spatial, dtype=image_dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = measure(
            image,
            labels,
            properties,
            channel_names=channel_names,
            multichannel=None if image is None else channel_names is not None,
        )
    return table.iloc[:0].copy()


# --------------------------------------------------------------- cluster


@contextmanager
def dask_client(
    scheduler: str | None = None,
    *,
    n_workers: int | None = None,
    memory_limit: str | int | None = None,
    threads_per_worker: int = 1,
    processes: bool = True,
    timeout: str = "10s",
) -> Iterator[Client]:
    """A ``distributed.Client``: on ``scheduler`` if given, else on a LocalCluster closed afterwards.

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://127.0.0.1:8786``).
    n_workers : int or None
        Workers of the LocalCluster (default ``min(2, cpu count)``).
    memory_limit : str, int or None
        Per worker (``"4GB"``); default Dask's share of the machine.
    timeout : str
        How long to try to reach ``scheduler``.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - the extra is in the test install
        raise ChunkedMeasurementError("chunked measurement needs Dask: pip install 'regionscope[dask]'") from exc
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ChunkedMeasurementError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with 'dask scheduler' "
                "or leave out --scheduler for a local cluster"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    from dask.utils import parse_bytes

    if isinstance(memory_limit, str) and memory_limit != "auto":
        try:
            parse_bytes(memory_limit)
        except (ValueError, TypeError):
            raise ChunkedMeasurementError(f"memory limit {memory_limit!r} is not a size such as 4GB or 500MiB") from None
    if n_workers is not None and n_workers < 1:
        raise ChunkedMeasurementError(f"the number of workers must be at least 1, not {n_workers}")
    n_workers = n_workers or min(2, os.cpu_count() or 1)
    try:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=processes,
            memory_limit=memory_limit if memory_limit is not None else "auto",
            dashboard_address="127.0.0.1:0",
            **({"host": "127.0.0.1"} if processes else {}),
        )
    except (ValueError, TypeError) as exc:
        raise ChunkedMeasurementError(
            f"cannot start a local Dask cluster with {n_workers} workers and memory limit {memory_limit!r}: {exc}"
        ) from None
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


# ----------------------------------------------------------- measurement


def measure_chunked(
    labels: da.Array | ImageSource | np.ndarray,
    image: da.Array | ImageSource | np.ndarray | None = None,
    properties: Sequence[str] | None = None,
    *,
    chunks: int | tuple[int, ...] | None = None,
    client: Client | None = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    memory_limit: str | int | None = None,
    channel_names: Sequence[str] | None = None,
    multichannel: bool | None = None,
    crop_budget: int = DEFAULT_CROP_BUDGET,
) -> pd.DataFrame:
    """Measure every region of a label image chunk by chunk on Dask.

    Parameters
    ----------
    labels : dask array, ImageSource or ndarray of int, shape (Y, X) or (Z, Y, X)
        Label image (0 is background).
    image : dask array, ImageSource, ndarray or None, shape (Y, X), (Z, Y, X) or (..., C)
        Intensity image, channels last, the labels' spatial shape.
    properties : sequence of str or None
        As in :func:`regionscope.measure` (its defaults when None).
    chunks : int, tuple of int or None
        Chunk shape of the labels (the image is chunked alike). Default: the
        dask array's or source's own chunks, or 2048² / 256³.
    client : distributed.Client or None
        Run on this client. Otherwise one is made with :func:`dask_client`
        from ``scheduler``, ``n_workers`` and ``memory_limit``.
    channel_names : sequence of str or None
        Channel names of a multichannel image (default: the source's, or
        ``ch0, ch1, ...``).
    multichannel : bool or None
        Whether the image's last axis is channels (default: it has one more
        axis than the labels).
    crop_budget : int
        Largest crop (bytes of labels) read for a region spanning chunks.

    Returns
    -------
    pandas.DataFrame
        What ``regionscope.measure(image, labels, properties)`` returns, with
        the columns and dtypes of :func:`table_meta`.

    Raises
    ------
    MeasurementError
        Inputs that do not fit, unknown properties, a region crop over the
        budget, an unreachable scheduler.
    """
    plan = _Plan(labels, image, properties, chunks, channel_names, multichannel, crop_budget)
    if client is not None:
        return plan.run(client)
    with dask_client(scheduler, n_workers=n_workers, memory_limit=memory_limit) as own:
        return plan.run(own)


def prefers_chunked(
    image_path: str | os.PathLike | None, labels_path: str | os.PathLike | None, *, limit: int = IN_MEMORY_LIMIT
) -> bool:
    """Whether files are too large to measure in memory (labels given, lazily readable, over ``limit`` bytes)."""
    from regionscope.sources import SourceError, open_source

    if labels_path is None or image_path is None:
        return False
    lazy = (".zarr", ".tif", ".tiff", ".btf", ".npy")
    if not all(str(p).lower().rstrip("/").endswith(lazy) or "://" in str(p) for p in (image_path, labels_path)):
        return False
    try:
        return open_source(image_path).nbytes() + open_source(labels_path).nbytes() > limit
    except SourceError:
        return False  # the in-memory reader gives its own message


def measure_files_chunked(
    image_path: str | os.PathLike,
    labels_path: str | os.PathLike | None,
    *,
    properties: Sequence[str] | None = None,
    chunks: int | tuple[int, ...] | None = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    memory_limit: str | int | None = None,
) -> pd.DataFrame:
    """Open an image and its labels lazily and measure them with :func:`measure_chunked`.

    Parameters
    ----------
    image_path, labels_path : str or os.PathLike
        Anything :func:`regionscope.sources.open_source` opens. ``labels_path=None``
        is a :class:`ChunkedMeasurementError` (:func:`regionscope.store.prepare` segments chunk by chunk).
    Other parameters as in :func:`measure_chunked`.
    """
    from regionscope.sources import open_source

    if labels_path is None:
        raise ChunkedMeasurementError(
            "chunked measurement needs a label image (--labels); to segment a large image chunk by chunk, "
            "prepare it into a store (--store DIR)"
        )
    image = open_source(image_path)
    labels = open_source(labels_path)
    if labels.has_channels:
        raise ChunkedMeasurementError(f"{labels.location}: a label image has one channel; this one has {labels.shape[-1]}")
    if labels.spatial_shape != image.spatial_shape:
        raise ChunkedMeasurementError(
            f"{labels.location}: the labels (shape {labels.spatial_shape}) do not fit the image {image.location} "
            f"(spatial shape {image.spatial_shape}); the labels must be made from this image"
        )
    return measure_chunked(
        labels,
        image,
        properties,
        chunks=chunks,
        scheduler=scheduler,
        n_workers=n_workers,
        memory_limit=memory_limit,
        channel_names=image.channel_names,
    )


class _Plan:
    """The inputs as dask arrays, the property split and the two passes."""

    def __init__(self, labels, image, properties, chunks, channel_names, multichannel, crop_budget):
        from regionscope.sources import ArraySource, ImageSource

        if isinstance(labels, np.ndarray):
            labels = ArraySource(labels, axes="YX" if labels.ndim == 2 else "ZYX")
        if isinstance(image, np.ndarray):
            if multichannel is None:
                multichannel = image.ndim == _ndim(labels) + 1
            spatial = "YX" if _ndim(labels) == 2 else "ZYX"
            image = ArraySource(image, axes=spatial + ("C" if multichannel else ""), channel_names=channel_names)
        self.label_source = labels if isinstance(labels, ImageSource) else None
        self.image_source = image if isinstance(image, ImageSource) else None
        if self.label_source is not None:
            if self.label_source.has_channels:
                raise ChunkedMeasurementError(
                    f"{self.label_source.location}: labels must have one channel, not {self.label_source.shape[-1]}"
                )
            label_chunks = chunks if chunks is not None else _default_chunks(self.label_source.chunks(0))
            labels = self.label_source.to_dask(0, chunks=_expand_chunks(label_chunks, self.label_source.shape))
        else:
            import dask.array as da

            labels = da.asarray(labels)
            if chunks is not None:
                labels = labels.rechunk(_expand_chunks(chunks, labels.shape))
        if labels.dtype == bool:
            raise ChunkedMeasurementError(
                "boolean masks must be labelled before chunked measurement (regions cannot be found chunk by chunk yet)"
            )
        if not np.issubdtype(labels.dtype, np.integer):
            raise ChunkedMeasurementError(f"labels must be an integer array, not {labels.dtype}")
        if labels.ndim not in (2, 3):
            raise ChunkedMeasurementError(f"labels must be 2D (Y, X) or 3D (Z, Y, X); got shape {labels.shape}")
        self.labels = labels
        self.ndim = labels.ndim
        self.shape = tuple(int(n) for n in labels.shape)

        self.multichannel = False
        if image is not None:
            if self.image_source is not None:
                self.multichannel = self.image_source.has_channels
                if channel_names is None and self.multichannel:
                    channel_names = self.image_source.channel_names
                image = self.image_source.to_dask(0, chunks=labels.chunksize + self.image_source.shape[self.ndim :])
            else:
                import dask.array as da

                image = da.asarray(image)
                self.multichannel = image.ndim == self.ndim + 1 if multichannel is None else bool(multichannel)
            spatial = tuple(image.shape[: self.ndim])
            if spatial != self.shape or image.ndim != self.ndim + self.multichannel:
                raise ChunkedMeasurementError(
                    f"the image (shape {tuple(image.shape)}) and the labels (shape {self.shape}) differ in shape; "
                    "the labels must be made from this image"
                )
            image = image.rechunk(labels.chunks + ((image.shape[-1],) if self.multichannel else ()))
            if self.multichannel:
                n = image.shape[-1]
                if channel_names is None:
                    channel_names = default_channel_names(n, image.dtype)
                if len(channel_names) != n:
                    raise ChunkedMeasurementError(f"{len(channel_names)} channel names given for an image with {n} channels")
                channel_names = list(channel_names)
            else:
                channel_names = None
        self.image = image
        self.channel_names = channel_names
        self.names = normalize_property_names(properties, ndim=self.ndim, has_intensity=image is not None)
        self.additive = [n for n in self.names if n in ADDITIVE_PROPERTIES]
        self.moments = [n for n in self.names if n in MOMENT_PROPERTIES]
        self.whole = [n for n in self.names if n not in ADDITIVE_PROPERTIES and n not in MOMENT_PROPERTIES]
        # A chunk or a crop knows local coordinates only: the weighted centroid is
        # measured locally and moved by the region's bounding-box corner at the end.
        self.absolute_weighted = "centroid_weighted" in self.whole
        if self.absolute_weighted:
            self.whole = list(dict.fromkeys("centroid_weighted_local" if n == "centroid_weighted" else n for n in self.whole))
        # With whole-region properties a spanning region's crop is read anyway:
        # its moment properties come from it too (scikit-image's own values).
        self.crop_names = self.whole + self.moments if self.whole else []
        self.chunk_names = self.whole + self.moments
        self.crop_budget = crop_budget
        self.meta = table_meta(
            self.ndim,
            properties,
            image_dtype=None if image is None else image.dtype,
            channel_names=channel_names,
            label_dtype=np.int64,
        )

    # ------------------------------------------------------------------

    def run(self, client):
        import dask

        partials = []
        label_blocks = self.labels.to_delayed().ravel()
        image_blocks = self.image.to_delayed().reshape(-1) if self.image is not None else [None] * len(label_blocks)
        starts = [np.cumsum((0,) + c[:-1]) for c in self.labels.chunks]
        for block_index, label_block, image_block in zip(np.ndindex(*self.labels.numblocks), label_blocks, image_blocks):
            offset = tuple(int(starts[a][i]) for a, i in enumerate(block_index))
            inner = tuple((i > 0, i < n - 1) for i, n in zip(block_index, self.labels.numblocks))
            partials.append(
                dask.delayed(chunk_partials, pure=True)(
                    label_block, image_block, offset, inner, self.chunk_names, self.channel_names, self.multichannel
                )
            )
        merged = client.compute(_tree(partials, merge_partials)).result()
        return self._finish(merged, client)

    def _finish(self, merged, client):
        n = merged["label"].size
        columns = additive_columns(merged, self.shape, self.additive, self.channel_names)
        complete = merged["complete"]
        values = {name: merged[f"w:{name}"].copy() for name in _chunk_columns(merged)}
        crop = ~complete
        if self.moments and not self.whole:
            moment_values, ill = moment_properties(merged, self.ndim, self.moments)
            for name in self.moments:
                values[name] = np.where(complete, values[name], moment_values[name])
            crop = crop & ill
        if self.chunk_names and crop.any():
            names = self.crop_names or self.moments
            rows, crop_values = self._measure_crops(merged, np.flatnonzero(crop), names, client)
            for column, column_values in crop_values.items():
                values.setdefault(column, np.full(n, np.nan))
                values[column][rows] = column_values
        columns.update(values)
        if self.absolute_weighted:
            for column in self.meta.columns:
                if column.startswith("centroid_weighted-"):
                    rest = column.partition("-")[2]
                    axis = int(rest.partition("-")[0])
                    columns[column] = columns[f"centroid_weighted_local-{rest}"] + merged[f"ref{axis}"]
        return _assemble(columns, self.meta, n)

    def _measure_crops(self, merged, rows, names, client):
        import dask

        ndim = self.ndim
        lo = np.stack([merged[f"ref{a}"][rows] for a in range(ndim)], axis=1)
        hi = np.stack([merged[f"max{a}"][rows] for a in range(ndim)], axis=1)
        sizes = np.prod(hi - lo, axis=1) * self.labels.dtype.itemsize
        too_big = np.flatnonzero(sizes > self.crop_budget)
        if too_big.size:
            k = too_big[0]
            raise ChunkedMeasurementError(
                f"region {int(merged['label'][rows[k]])} spans {'x'.join(map(str, hi[k] - lo[k]))} pixels "
                f"({sizes[k] / 2**20:.0f} MiB of labels), more than the crop budget of {self.crop_budget / 2**20:.0f} MiB; "
                f"raise crop_budget or measure only additive and moment properties ({', '.join(sorted(ADDITIVE_PROPERTIES | MOMENT_PROPERTIES))})"
            )
        tasks, batch, batch_bytes = [], [], 0
        # Crops starting in the same chunk together: a task reads their union once.
        home = lo // np.asarray(self.labels.chunksize)
        by_home = np.lexsort(tuple(lo[:, a] for a in reversed(range(ndim))) + tuple(home[:, a] for a in reversed(range(ndim))))
        rows, lo, hi, sizes, home = rows[by_home], lo[by_home], hi[by_home], sizes[by_home], home[by_home]
        for k, row in enumerate(rows.tolist()):
            if batch and (home[k] != home[k - 1]).any():
                tasks.append(batch)
                batch, batch_bytes = [], 0
            window = tuple(slice(int(a), int(b)) for a, b in zip(lo[k], hi[k]))
            batch.append((int(merged["label"][row]), window))
            batch_bytes += int(sizes[k])
            if len(batch) >= _CROPS_PER_TASK or batch_bytes >= _CROP_BYTES_PER_TASK:
                tasks.append(batch)
                batch, batch_bytes = [], 0
        if batch:
            tasks.append(batch)
        delayed = []
        for batch in tasks:
            if _reads_files(self.label_source) and (self.image is None or _reads_files(self.image_source)):
                # Workers read their crops from the files themselves.
                delayed.append(
                    dask.delayed(measure_crops, pure=True)(
                        batch, self.label_source, self.image_source, names, self.channel_names, self.multichannel
                    )
                )
            else:
                crops = [self.labels[w] for _, w in batch]
                images = [self.image[w] for _, w in batch] if self.image is not None else None
                delayed.append(
                    dask.delayed(measure_crop_arrays, pure=True)(
                        [lab for lab, _ in batch], crops, images, names, self.channel_names, self.multichannel
                    )
                )
        results = client.compute(delayed, sync=True)
        out = {}
        for result in results:
            for column, column_values in result.items():
                out.setdefault(column, []).append(column_values)
        return rows, {column: np.concatenate(parts) for column, parts in out.items()}


def _reads_files(source):
    """Whether a source reads its windows from a file (an in-memory array would be sent with every task)."""
    return source is not None and source.kind != "array"


def _ndim(array):
    return len(array.spatial_shape) if hasattr(array, "spatial_shape") else np.ndim(array)


def _default_chunks(native):
    """The source's chunks, or bigger ones: tiles of 256² would make too many tasks."""
    side = DEFAULT_CHUNKS[len(native)]
    return tuple(max(int(c), side) if len(native) == 2 else max(int(c), side) for c in native)


def _expand_chunks(chunks, shape):
    if isinstance(chunks, (int, np.integer)):
        return (int(chunks),) * len(shape)
    chunks = tuple(int(c) for c in chunks)
    if len(chunks) != len(shape) or min(chunks) < 1:
        raise ChunkedMeasurementError(
            f"chunks {chunks} do not fit labels of shape {tuple(shape)}: give one positive size per axis"
        )
    return chunks


def _tree(items, merge, fan_in=8):
    """Merge delayed items in a tree of ``fan_in``-way merges."""
    import dask

    items = list(items)
    if not items:
        return dask.delayed(merge)([])
    while len(items) > 1:
        items = [dask.delayed(merge, pure=True)(items[i : i + fan_in]) for i in range(0, len(items), fan_in)]
    return items[0]


# ----------------------------------------------------- pass 1: per chunk


def chunk_partials(
    labels: ArrayLike,
    image: ArrayLike | None,
    offset: tuple[int, ...],
    inner: tuple[tuple[bool, bool], ...],
    whole_names: Sequence[str],
    channel_names: Sequence[str] | None = None,
    multichannel: bool = False,
) -> dict[str, np.ndarray]:
    """Per-label partial results of one chunk.

    Parameters
    ----------
    labels : ndarray of int, shape (y, x) or (z, y, x)
        The chunk.
    image : ndarray or None
        The image chunk (channels last when ``multichannel``).
    offset : tuple of int
        The chunk's position in the whole image.
    inner : tuple of (bool, bool)
        Per axis, whether the chunk's low and high faces are shared with
        another chunk.
    whole_names : list of str
        Whole-region properties to measure for the regions inside the chunk
        that touch no shared face.

    Returns
    -------
    dict of str to ndarray
        One entry per label in the chunk, sorted by label: ``label``,
        ``count``, ``chunks`` (1), ``ref{a}`` and ``max{a}`` (the bounding box,
        in image coordinates), ``s{a}`` (sum of coordinates relative to
        ``ref{a}``), ``s{a}{b}`` (sums of products), ``isum{c}``/``imin{c}``/
        ``imax{c}`` per channel, ``complete`` and ``w:NAME`` columns.
    """
    labels = np.asarray(labels)
    ndim = labels.ndim
    flat = labels.reshape(-1)
    foreground = np.flatnonzero(flat > 0)
    values = flat[foreground]
    if values.size and labels.dtype == np.uint64 and int(values.max()) > np.iinfo(np.int64).max:
        raise ChunkedMeasurementError("label values above 2**63 - 1 are not supported")
    order = np.argsort(values, kind="stable")
    foreground, values = foreground[order], values[order]
    first = np.flatnonzero(np.r_[True, values[1:] != values[:-1]]) if values.size else np.zeros(0, np.intp)
    out = {"label": values[first].astype(np.int64) if values.size else np.zeros(0, np.int64)}
    out["count"] = np.diff(np.r_[first, values.size]).astype(np.int64)
    out["chunks"] = np.ones(first.size, dtype=np.int64)
    coords = np.unravel_index(foreground, labels.shape)
    local = []
    for a in range(ndim):
        c = coords[a].astype(np.int64)
        low = np.minimum.reduceat(c, first) if first.size else np.zeros(0, np.int64)
        high = np.maximum.reduceat(c, first) + 1 if first.size else np.zeros(0, np.int64)
        c = c - np.repeat(low, out["count"])
        local.append(c)
        out[f"ref{a}"] = low + offset[a]
        out[f"max{a}"] = high + offset[a]
        out[f"s{a}"] = np.add.reduceat(c, first) if first.size else np.zeros(0, np.int64)
    for a in range(ndim):
        for b in range(a, ndim):
            out[f"s{a}{b}"] = np.add.reduceat(local[a] * local[b], first) if first.size else np.zeros(0, np.int64)
    del local, coords
    if image is not None:
        image = np.asarray(image)
        pixels = image.reshape(flat.size, -1) if multichannel else image.reshape(flat.size, 1)
        if pixels.dtype == bool:
            pixels = pixels.view(np.uint8)
        pixels = pixels[foreground]
        exact = pixels.dtype.kind in "ui" and pixels.dtype.itemsize <= 4
        total_dtype = np.int64 if exact else np.float64
        for c in range(pixels.shape[1]):
            channel = pixels[:, c]
            if first.size:
                out[f"isum{c}"] = np.add.reduceat(channel.astype(total_dtype), first)
                out[f"imin{c}"] = np.minimum.reduceat(channel, first).astype(np.float64)
                out[f"imax{c}"] = np.maximum.reduceat(channel, first).astype(np.float64)
            else:
                out[f"isum{c}"] = np.zeros(0, total_dtype)
                out[f"imin{c}"] = out[f"imax{c}"] = np.zeros(0, np.float64)
    # Inside the chunk: touching no face shared with another chunk.
    complete = np.ones(first.size, dtype=bool)
    for a, (low_inner, high_inner) in enumerate(inner):
        if low_inner:
            complete &= out[f"ref{a}"] > offset[a]
        if high_inner:
            complete &= out[f"max{a}"] < offset[a] + labels.shape[a]
    out["complete"] = complete
    if whole_names:
        for column, column_values in _whole_values(
            labels, image, out["label"], complete, whole_names, channel_names, multichannel
        ).items():
            out[f"w:{column}"] = column_values
    return out


def _whole_values(labels, image, label_values, complete, names, channel_names, multichannel):
    """Whole-region columns (float64, NaN where not measured) of the chunk's complete regions."""
    n = label_values.size
    if not complete.any():
        return {column: np.full(n, np.nan) for column in _columns_of(names, labels, image, channel_names, multichannel)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        table = measure(
            image,
            labels,
            ["label"] + list(names),
            channel_names=channel_names,
            multichannel=multichannel if image is not None else None,
            workers=1,  # inside a Dask task: the cluster's workers are the parallelism
        )
    rows = np.searchsorted(table["label"].to_numpy(), label_values)
    out = {}
    for column in table.columns:
        if column == "label":
            continue
        column_values = table[column].to_numpy(dtype=np.float64)[rows]
        out[column] = np.where(complete, column_values, np.nan)
    return out


def _columns_of(names, labels, image, channel_names, multichannel):
    meta = table_meta(
        labels.ndim,
        ["label"] + list(names),
        image_dtype=None if image is None else image.dtype,
        channel_names=channel_names if multichannel else None,
    )
    return [c for c in meta.columns if c != "label"]


def _chunk_columns(merged):
    return [key[2:] for key in merged if key.startswith("w:")]


def merge_partials(parts: Iterable[dict[str, np.ndarray] | None]) -> dict[str, np.ndarray]:
    """Merge partial results (of chunks or of earlier merges) by label.

    Sums add up after shifting each part's sums to the merged bounding-box
    corner (exact integers); minima, maxima and bounding boxes combine; the
    whole-region values of a label that occurs in one chunk only are kept.
    """
    parts = [p for p in parts if p is not None]
    if not parts:
        return {}
    nonempty = [p for p in parts if p["label"].size] or parts[:1]
    if len(nonempty) == 1:
        return nonempty[0]
    keys = list(nonempty[0])
    cat = {k: np.concatenate([p[k] for p in nonempty]) for k in keys}
    order = np.argsort(cat["label"], kind="stable")
    cat = {k: v[order] for k, v in cat.items()}
    label = cat["label"]
    first = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
    group_size = np.diff(np.r_[first, label.size])
    ndim = sum(1 for k in keys if k.startswith("ref"))
    out = {"label": label[first], "count": np.add.reduceat(cat["count"], first), "chunks": np.add.reduceat(cat["chunks"], first)}
    n_part = cat["count"]
    shift = []
    for a in range(ndim):
        ref = np.minimum.reduceat(cat[f"ref{a}"], first)
        out[f"ref{a}"] = ref
        out[f"max{a}"] = np.maximum.reduceat(cat[f"max{a}"], first)
        shift.append(cat[f"ref{a}"] - np.repeat(ref, group_size))
    for a in range(ndim):
        for b in range(a, ndim):
            # sum (x - r')(y - r') = sum (x - r)(y - r) + d_a s_b + d_b s_a + n d_a d_b
            s = cat[f"s{a}{b}"] + shift[a] * cat[f"s{b}"] + shift[b] * cat[f"s{a}"] + n_part * shift[a] * shift[b]
            out[f"s{a}{b}"] = np.add.reduceat(s, first)
    for a in range(ndim):
        out[f"s{a}"] = np.add.reduceat(cat[f"s{a}"] + n_part * shift[a], first)
    for key in keys:
        if key.startswith("isum"):
            out[key] = np.add.reduceat(cat[key], first)
        elif key.startswith("imin"):
            out[key] = np.minimum.reduceat(cat[key], first)
        elif key.startswith("imax"):
            out[key] = np.maximum.reduceat(cat[key], first)
        elif key.startswith("w:"):
            out[key] = cat[key][first]
    out["complete"] = cat["complete"][first] & (out["chunks"] == 1)
    return {k: out[k] for k in keys}


# ----------------------------------------------------- from the partials


def additive_columns(
    merged: Mapping[str, np.ndarray], shape: tuple[int, ...], names: Iterable[str], channel_names: Sequence[str] | None
) -> dict[str, np.ndarray]:
    """The additive properties' columns (measure's names) from merged partial results."""
    ndim = len(shape)
    count = merged["count"]
    area = count.astype(np.float64)
    columns = {}
    bbox = [merged[f"ref{a}"] for a in range(ndim)] + [merged[f"max{a}"] for a in range(ndim)]
    local_centroid = [merged[f"s{a}"].astype(np.float64) / area for a in range(ndim)]
    for name in names:
        if name == "label":
            columns["label"] = merged["label"].astype(np.int64)
        elif name in ("area", "num_pixels"):
            columns[name] = count
        elif name == "bbox":
            for i, values in enumerate(bbox):
                columns[f"bbox-{i}"] = values
        elif name == "area_bbox":
            columns[name] = np.prod([bbox[a + ndim] - bbox[a] for a in range(ndim)], axis=0)
        elif name == "extent":
            columns[name] = area / np.prod([bbox[a + ndim] - bbox[a] for a in range(ndim)], axis=0).astype(np.float64)
        elif name == "equivalent_diameter_area":
            columns[name] = (2 * ndim * area / math.pi) ** 0.5 if ndim == 2 else (6 * area / math.pi) ** (1 / 3)
        elif name == "centroid":
            for a in range(ndim):
                columns[f"centroid-{a}"] = (merged[f"ref{a}"] * count + merged[f"s{a}"]).astype(np.float64) / area
        elif name == "centroid_local":
            for a in range(ndim):
                columns[f"centroid_local-{a}"] = local_centroid[a]
        elif name == "touches_border":
            touches = np.zeros(count.size, dtype=bool)
            for a, size in enumerate(shape):
                touches |= (bbox[a] == 0) | (bbox[a + ndim] == size)
            columns[name] = touches
        elif name in ("intensity_mean", "intensity_min", "intensity_max"):
            channels = sorted(int(k[4:]) for k in merged if k.startswith("isum"))
            for c in channels:
                column = name if channel_names is None else f"{name}-{channel_names[c]}"
                if name == "intensity_mean":
                    columns[column] = merged[f"isum{c}"].astype(np.float64) / area
                else:
                    columns[column] = merged[f"{'imin' if name == 'intensity_min' else 'imax'}{c}"]
    return columns


def moment_properties(
    merged: Mapping[str, np.ndarray], ndim: int, names: Iterable[str]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Axis lengths, eccentricity and orientation from the merged moments, as scikit-image defines them.

    Returns
    -------
    values : dict of str to ndarray
    ill_conditioned : ndarray of bool
        Regions whose values scikit-image's own rounding decides (measure
        their crops instead).
    """
    n = merged["count"].astype(object)
    # n^2 * covariance, exact in Python integers (the products exceed int64 for large regions).
    cov = {}
    for a in range(ndim):
        for b in range(a, ndim):
            cov[a, b] = cov[b, a] = n * merged[f"s{a}{b}"].astype(object) - merged[f"s{a}"].astype(object) * merged[
                f"s{b}"
            ].astype(object)
    n2 = (n * n).astype(np.float64)
    mu = {key: value.astype(np.float64) / n2 for key, value in cov.items()}
    count = merged["count"]
    tensor = np.zeros((count.size, ndim, ndim))
    trace = sum(mu[a, a] for a in range(ndim))
    for a in range(ndim):
        tensor[:, a, a] = trace - mu[a, a]
        for b in range(ndim):
            if a != b:
                tensor[:, a, b] = -mu[a, b]
    eig = np.clip(np.linalg.eigvalsh(tensor), 0, None)[:, ::-1]  # descending
    extent = np.max([merged[f"max{a}"] - merged[f"ref{a}"] for a in range(ndim)], axis=0)
    tol = _ILL_CONDITIONED * np.maximum(1.0, extent / 64.0)
    scale = np.maximum(eig[:, 0], np.finfo(float).tiny)
    ill = count == 1
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        if ndim == 2:
            l1, l2 = eig[:, 0], eig[:, 1]
            out["axis_major_length"] = 4 * np.sqrt(l1)
            out["axis_minor_length"] = 4 * np.sqrt(l2)
            out["eccentricity"] = np.where(l1 == 0, 0.0, np.sqrt(1 - l2 / l1))
            a_, b_, c_ = tensor[:, 0, 0], tensor[:, 0, 1], tensor[:, 1, 1]
            out["orientation"] = 0.5 * np.arctan2(-2 * b_, c_ - a_)
            ill |= (l2 <= tol * scale) | (l1 - l2 <= tol * scale) | (2 * np.abs(b_) <= tol * (a_ + c_))
        else:
            out["axis_major_length"] = np.sqrt(np.maximum(0, 10 * (eig[:, 0] + eig[:, 1] - eig[:, 2])))
            minor = 10 * (-eig[:, 0] + eig[:, 1] + eig[:, 2])
            out["axis_minor_length"] = np.sqrt(np.maximum(0, minor))
            ill |= (minor <= 10 * tol * scale) | (eig[:, 2] <= tol * scale)
    return {name: out[name] for name in names}, ill


# ------------------------------------------------------ pass 2: crops


def measure_crops(
    items: Sequence[tuple[int, tuple[slice, ...]]],
    label_source: ImageSource,
    image_source: ImageSource | None,
    names: Sequence[str],
    channel_names: Sequence[str] | None = None,
    multichannel: bool = False,
) -> dict[str, np.ndarray]:
    """Whole-region properties of regions read as crops from sources.

    Parameters
    ----------
    items : list of (int, tuple of slice)
        Label value and its bounding box.
    label_source, image_source : ImageSource (image_source may be None)
    """
    labels = [lab for lab, _ in items]
    lo = np.min([[s.start for s in window] for _, window in items], axis=0)
    hi = np.max([[s.stop for s in window] for _, window in items], axis=0)
    union = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))
    crop_pixels = sum(int(np.prod([s.stop - s.start for s in window])) for _, window in items)
    if int(np.prod(hi - lo)) * label_source.dtype.itemsize <= _UNION_BYTES or int(np.prod(hi - lo)) <= 4 * crop_pixels:
        # Nearby crops (one chunk's border regions): one read, then slices of it.
        # Reading crop by crop would decode a whole stored chunk (tile) for every crop.
        whole = label_source.read(union)
        whole_image = image_source.read(union) if image_source is not None else None

        def local(window):
            return tuple(slice(s.start - int(a), s.stop - int(a)) for s, a in zip(window, lo))

        crops = [whole[local(window)] for _, window in items]
        images = [whole_image[local(window)] for _, window in items] if whole_image is not None else None
    else:
        crops = [label_source.read(window) for _, window in items]
        images = [image_source.read(window) for _, window in items] if image_source is not None else None
    return measure_crop_arrays(labels, crops, images, names, channel_names, multichannel)


def measure_crop_arrays(
    label_values: Sequence[int],
    crops: Sequence[ArrayLike],
    images: Sequence[ArrayLike] | None,
    names: Sequence[str],
    channel_names: Sequence[str] | None = None,
    multichannel: bool = False,
) -> dict[str, np.ndarray]:
    """Whole-region properties of regions given as (label, label crop, image crop).

    The regions' masks are laid side by side along X (one pixel apart) in one
    label image, measured with one :func:`regionscope.measure` call: the
    properties measured from crops do not depend on a region's position.
    """
    if not len(label_values):
        return {}
    crops = [np.asarray(c) for c in crops]
    ndim = crops[0].ndim
    extent = [max(c.shape[a] for c in crops) for a in range(ndim - 1)]
    widths = [c.shape[-1] for c in crops]
    starts = np.cumsum([0] + [w + 1 for w in widths[:-1]])
    canvas = np.zeros(tuple(extent) + (int(starts[-1] + widths[-1]),), dtype=np.int32)
    image_canvas = None
    if images is not None:
        first = np.asarray(images[0])
        image_canvas = np.zeros(canvas.shape + first.shape[ndim:], dtype=first.dtype)
    for k, (value, crop) in enumerate(zip(label_values, crops)):
        where = tuple(slice(0, n) for n in crop.shape[:-1]) + (slice(int(starts[k]), int(starts[k]) + crop.shape[-1]),)
        mask = crop == value
        canvas[where][mask] = k + 1
        if image_canvas is not None:
            image_canvas[where][mask] = np.asarray(images[k])[mask]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        table = measure(
            image_canvas,
            canvas,
            ["label"] + list(names),
            channel_names=channel_names,
            multichannel=multichannel if image_canvas is not None else None,
            workers=1,
        )
    if len(table) != len(label_values):
        raise MeasurementError(f"internal error: {len(table)} of {len(label_values)} region crops measured")  # pragma: no cover
    return {column: table[column].to_numpy(dtype=np.float64) for column in table.columns if column != "label"}


def _assemble(columns, meta, n):
    """The final table: meta's columns, order and dtypes."""
    data = {}
    for column, dtype in meta.dtypes.items():
        values = columns.get(column)
        if values is None:
            raise MeasurementError(f"internal error: no values for column {column!r}")  # pragma: no cover
        values = np.asarray(values)
        if dtype.kind in "iub":
            data[column] = values.astype(dtype)
        else:
            data[column] = values.astype(np.float64)
    table = pd.DataFrame(data, columns=list(meta.columns))
    return table.sort_values("label", kind="stable").reset_index(drop=True)
