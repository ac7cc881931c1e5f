"""A store for prepared data: pyramids and region tables, keyed per image, reused while inputs are unchanged.

Layout (plain OME-Zarr and Parquet that other tools open)::

    STORE/
      images/<key>/
        image.zarr/              OME-Zarr (NGFF 0.4, zarr v2): the image pyramid (block means)
          labels/labels/         the label pyramid, an NGFF label image (nearest or mode)
        regions.parquet          the region table (regionscope.measure's columns)
        manifest.json            inputs' identities, properties, levels, what was written

Without a label image the image is segmented chunk by chunk
(:func:`regionscope.chunked_segmentation.segment_chunked`) straight into the
label pyramid's level 0, which is then measured; the manifest's ``labels``
holds the segmentation settings instead of a label file, so that the same
settings reuse the entry and other settings rebuild it.

``<key>`` is derived from the image and label *locations*, so that one store
holds many images; the manifest holds their *identities*
(:meth:`regionscope.sources.ImageSource.identity`), so that a changed input
is noticed and its entry rebuilt, and an unchanged one reused without reading
more than a sample of chunks.

Label pyramids never invent labels: every pixel of a coarser level is the
value of one of the finer pixels it covers (``nearest``: the top-left one;
``mode``: the most frequent, ties to the first in raster order). Averaging or
interpolating labels would make values that no region has.

Why NGFF 0.4 on zarr v2: it is what most viewers and ``ome-zarr-py`` read
today; :class:`regionscope.sources.OmeZarrSource` reads 0.4 and 0.5.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from regionscope.errors import RegionscopeError

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client
    from numpy.typing import ArrayLike

    from regionscope.sources import ImageSource

__all__ = [
    "AUTO_STORE_PIXELS",
    "AUTO_STORE_PIXELS_ENV",
    "SEGMENTED",
    "PreparedImage",
    "StoreError",
    "chunked_segmentation_settings",
    "downsample_labels",
    "large_image_pixels",
    "open_entry",
    "prepare",
    "store_key",
]

#: Stop adding levels when the coarsest is at most this many pixels along Y and X.
SMALLEST_LEVEL = 512
MANIFEST_VERSION = 1
#: What stands for the label location in the key of an entry whose labels were segmented.
SEGMENTED = "<segmented>"
#: ``regionscope view`` prepares an image with more pixels (Y x X x Z) than this into the workspace's store
#: instead of reading it whole: 64 Mpixel, an 8192² slide.
AUTO_STORE_PIXELS = 64 * 2**20
#: Environment variable that overrides :data:`AUTO_STORE_PIXELS` (a number of pixels).
AUTO_STORE_PIXELS_ENV = "REGIONSCOPE_AUTO_STORE_PIXELS"
#: Files whose shape is known without reading their pixels.
_LAZY_SUFFIXES = (".zarr", ".tif", ".tiff", ".btf", ".npy")


class StoreError(RegionscopeError):
    """The store cannot be written or read as asked."""


@dataclass(frozen=True)
class PreparedImage:
    """An image's entry in a store.

    Attributes
    ----------
    folder : pathlib.Path
    image_zarr : pathlib.Path
        OME-Zarr image pyramid; its label pyramid is ``image_zarr / "labels" / "labels"``.
    table : pathlib.Path
        The region table (Parquet).
    manifest : dict
    reused : bool
        True when the entry was found up to date and nothing was computed.
    """

    folder: Path
    image_zarr: Path
    table: Path
    manifest: dict
    reused: bool

    @property
    def labels_zarr(self) -> Path:
        return self.image_zarr / "labels" / "labels"

    def read_table(self) -> pd.DataFrame:
        import pandas as pd

        return pd.read_parquet(self.table)


def open_entry(folder: str | os.PathLike) -> PreparedImage:
    """An entry written by :func:`prepare`, found again from its folder (``STORE/images/<key>``)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{folder}: not a complete store entry ({exc}); prepare it again") from None
    if not manifest.get("complete"):
        raise StoreError(f"{folder}: the store entry was not finished; prepare it again")
    return PreparedImage(folder, folder / "image.zarr", folder / "regions.parquet", manifest, reused=True)


def large_image_pixels(location: str | os.PathLike, *, limit: int | None = None) -> int | None:
    """The spatial pixel count of an image above ``limit``, or None for smaller (or unreadable) ones.

    Only files whose shape is read without their pixels (OME-Zarr, TIFF, .npy,
    URLs) are looked at; others are read whole as always, and an unreadable
    file is left to the reader that reports it.

    Parameters
    ----------
    location : str or os.PathLike
    limit : int or None
        Default: ``$REGIONSCOPE_AUTO_STORE_PIXELS``, else :data:`AUTO_STORE_PIXELS`.
    """
    from regionscope.sources import SourceError, open_source

    if limit is None:
        text = os.environ.get(AUTO_STORE_PIXELS_ENV, "").strip()
        if text and not text.isdigit():
            raise StoreError(f"${AUTO_STORE_PIXELS_ENV} must be a number of pixels, not {text!r}")
        limit = int(text) if text else AUTO_STORE_PIXELS
    name = str(location)
    if not (name.lower().rstrip("/").endswith(_LAZY_SUFFIXES) or "://" in name):
        return None
    try:
        with open_source(location) as source:
            pixels = int(np.prod(source.spatial_shape))
    except (SourceError, OSError):
        return None
    return pixels if pixels > limit else None


def store_key(image_location: str | os.PathLike, labels_location: str | os.PathLike) -> str:
    """The folder name of an image's entry: readable stem + a hash of both locations."""
    text = f"{os.path.abspath(str(image_location)) if '://' not in str(image_location) else image_location}\n{labels_location}"
    stem = Path(str(image_location).rstrip("/")).name.split(".")[0][:40] or "image"
    return f"{stem}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def downsample_labels(labels: ArrayLike, method: str = "nearest") -> np.ndarray:
    """Halve the last two axes of a label array without inventing labels.

    Parameters
    ----------
    labels : ndarray of int, shape (..., Y, X)
    method : {"nearest", "mode"}
        ``nearest`` keeps the top-left pixel of every 2x2 block; ``mode`` its
        most frequent value (ties: the first in raster order).

    Returns
    -------
    ndarray, shape (..., ceil(Y / 2), ceil(X / 2))

    Examples
    --------
    >>> downsample_labels(np.array([[1, 2, 0, 0], [2, 2, 0, 3]]), "mode").tolist()
    [[2, 0]]
    """
    labels = np.asarray(labels)
    if method == "nearest":
        return labels[..., ::2, ::2]
    if method != "mode":
        raise StoreError(f"unknown label downsampling {method!r}; choose 'nearest' or 'mode'")
    pad = [(0, 0)] * (labels.ndim - 2) + [(0, labels.shape[-2] % 2), (0, labels.shape[-1] % 2)]
    if any(p[1] for p in pad):
        labels = np.pad(labels, pad, mode="edge")  # repeated edge values: still existing labels
    candidates = np.stack([labels[..., i::2, j::2] for i in (0, 1) for j in (0, 1)], axis=0)
    counts = sum((candidates == candidates[k]).astype(np.uint8) for k in range(4))
    # argmax takes the first of equal counts: the first candidate in raster order.
    best = np.argmax(counts, axis=0)
    return np.take_along_axis(candidates, best[None], axis=0)[0]


def _n_levels(shape):
    levels, y, x = 1, shape[-2], shape[-1]
    while max(y, x) > SMALLEST_LEVEL:
        y, x = -(-y // 2), -(-x // 2)
        levels += 1
    return levels


def _dask_label_level(level, method):
    import dask.array as da

    if method == "nearest":
        return level[..., ::2, ::2]
    # Even chunks along Y and X (the last may be odd) so that blocks halve independently.
    chunks = list(level.chunksize)
    for axis in (-2, -1):
        chunks[axis] = max(2, chunks[axis] - chunks[axis] % 2)
    level = level.rechunk(tuple(chunks))
    out_chunks = level.chunks[:-2] + tuple(tuple(-(-c // 2) for c in axis) for axis in level.chunks[-2:])
    return da.map_blocks(downsample_labels, level, method, chunks=out_chunks, dtype=level.dtype)


def _dask_image_level(level, spatial_ndim):
    """Block means over 2x2 in Y and X (edge pixels repeated for odd sizes), in the image's dtype."""
    import dask.array as da

    pad = [(0, 0)] * level.ndim
    y_axis, x_axis = spatial_ndim - 2, spatial_ndim - 1
    pad[y_axis] = (0, level.shape[y_axis] % 2)
    pad[x_axis] = (0, level.shape[x_axis] % 2)
    if any(p[1] for p in pad):
        level = da.pad(level, pad, mode="edge")
    dtype = level.dtype
    mean = da.coarsen(np.mean, level.astype(np.float64), {y_axis: 2, x_axis: 2}, trim_excess=True)
    if np.issubdtype(dtype, np.integer):
        mean = da.round(mean)
    return mean.astype(dtype)


def _ngff_axes(axes):
    kinds = {"Z": "space", "Y": "space", "X": "space", "C": "channel"}
    return [{"name": a.lower(), "type": kinds[a]} for a in axes]


def _write_pyramid(group, levels, axes, spacing, client, name, *, written=0):
    """Write dask levels as datasets 0..n-1 of an NGFF multiscale group (the first ``written`` are there already)."""
    datasets = []
    for i, level in enumerate(levels):
        if i >= written:
            _write_level(group, str(i), level, client)
        scale = [1.0] * len(axes)
        for k, axis in enumerate(axes):
            if axis in "YX":
                scale[k] = (spacing[axes.index(axis)] if spacing else 1.0) * 2**i
            elif axis == "Z" and spacing:
                scale[k] = spacing[0]
        datasets.append({"path": str(i), "coordinateTransformations": [{"type": "scale", "scale": scale}]})
    group.attrs["multiscales"] = [{"version": "0.4", "name": name, "axes": _ngff_axes(axes), "datasets": datasets}]


def _write_level(group, path, level, client):
    """Compute a dask array into the new zarr array ``group[path]`` on ``client``; the zarr array."""
    import dask.array as da

    array = group.create_array(path, shape=level.shape, dtype=level.dtype, chunks=level.chunksize, overwrite=True)
    client.compute(da.store(level, array, lock=False, compute=False)).result()
    return array


def prepare(
    store: str | os.PathLike,
    image: str | os.PathLike | ImageSource,
    labels: str | os.PathLike | ImageSource | None = None,
    *,
    segmentation: Mapping[str, object] | None = None,
    properties: Sequence[str] | None = None,
    label_method: str = "mode",
    client: Client | None = None,
    chunks: int | tuple[int, ...] | None = None,
    rebuild: bool = False,
    scheduler: str | None = None,
    n_workers: int | None = None,
    memory_limit: str | int | None = None,
) -> PreparedImage:
    """Build an image's entry in ``store`` (pyramids and table), or reuse it when its inputs are unchanged.

    Parameters
    ----------
    store : str or os.PathLike
        The store folder (created when missing).
    image, labels : str, os.PathLike or ImageSource
        Anything :func:`regionscope.sources.open_source` opens; the labels
        have the image's spatial shape, (Y, X) or (Z, Y, X). Without
        ``labels`` the image is segmented chunk by chunk.
    segmentation : mapping or None
        Without ``labels``: the options of :func:`regionscope.segment`
        (``channel`` may be a channel name), run by
        :func:`regionscope.chunked_segmentation.segment_chunked`: a global
        threshold, no hole filling or splitting. Ignored with ``labels``.
    properties : sequence of str or None
        As in :func:`regionscope.measure`.
    label_method : {"mode", "nearest"}
        How label levels are downsampled.
    client : distributed.Client or None
        Run on this client. Otherwise one is made with
        :func:`regionscope.chunked.dask_client` from ``scheduler``,
        ``n_workers`` and ``memory_limit``, for the time of the build only:
        reusing an entry starts no cluster.
    chunks : int, tuple of int or None
        Chunk shape of the measurement, as in :func:`regionscope.chunked.measure_chunked`.
    rebuild : bool
        Build even when the entry is up to date.
    scheduler, n_workers, memory_limit
        As in :func:`regionscope.chunked.dask_client`, without ``client``.

    Returns
    -------
    PreparedImage

    Notes
    -----
    Inside :func:`regionscope.progress.stages` (the command line's bar) the
    build names its stages: segmenting (without labels), measuring, then each pyramid.
    The regions of a segmented entry are those of :func:`regionscope.segment`
    with the same settings; their label numbers may differ.
    """
    from regionscope.chunked import dask_client
    from regionscope.sources import ImageSource, open_source

    image = image if isinstance(image, ImageSource) else open_source(image)
    if labels is not None:
        labels = labels if isinstance(labels, ImageSource) else open_source(labels)
        segmentation = None
    else:
        segmentation = chunked_segmentation_settings(image, segmentation)
    if label_method not in ("mode", "nearest"):
        raise StoreError(f"unknown label downsampling {label_method!r}; choose 'nearest' or 'mode'")
    if labels is not None and labels.spatial_shape != image.spatial_shape:
        # Before anything is written, naming both files (the measurement would name neither).
        raise StoreError(
            f"{labels.location}: the labels (shape {labels.spatial_shape}) do not fit the image {image.location} "
            f"(spatial shape {image.spatial_shape}); the labels must be made from this image"
        )
    folder = Path(store) / "images" / store_key(image.location, SEGMENTED if labels is None else labels.location)
    wanted = {
        "version": MANIFEST_VERSION,
        "image": {"location": image.location, "identity": image.identity()},
        "labels": {"segmented": segmentation} if labels is None else {"location": labels.location, "identity": labels.identity()},
        "properties": None if properties is None else list(properties),
        "label_method": label_method,
    }
    manifest_path = folder / "manifest.json"
    if not rebuild and manifest_path.exists():
        try:
            found = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            found = None
        if found is not None and all(found.get(k) == v for k, v in wanted.items()) and found.get("complete"):
            return PreparedImage(folder, folder / "image.zarr", folder / "regions.parquet", found, reused=True)

    started = time.perf_counter()
    partial = folder.with_name(folder.name + ".building")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
    except OSError as exc:
        # A file where the folder should be, a read-only disk: say which store, not a traceback.
        raise StoreError(
            f"{store}: cannot create the store's folders there ({exc.strerror or exc}); "
            "give a folder that can be created and written"
        ) from None
    try:
        if client is None:
            with dask_client(scheduler, n_workers=n_workers, memory_limit=memory_limit) as own:
                manifest = _build(partial, image, labels, properties, label_method, own, chunks, wanted, segmentation)
        else:
            manifest = _build(partial, image, labels, properties, label_method, client, chunks, wanted, segmentation)
        manifest["build_seconds"] = round(time.perf_counter() - started, 3)
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=2))
        # Replace the old entry only once the new one is whole.
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(partial, folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return PreparedImage(folder, folder / "image.zarr", folder / "regions.parquet", manifest, reused=False)


def chunked_segmentation_settings(image: ImageSource, options: Mapping[str, object] | None) -> dict:
    """Every segmentation setting of ``options`` for ``image`` (a source), as a store's manifest records them.

    As :func:`regionscope.segmentation.segmentation_settings` (a channel name
    resolved to its index), naming the image in any error; the options that
    :func:`regionscope.chunked_segmentation.segment_chunked` cannot do are refused here, before any work.
    """
    from regionscope.segmentation import SegmentationError, segmentation_settings, uses_luminance

    try:
        settings = segmentation_settings(
            options, channel_names=image.channel_names, luminance=uses_luminance(image, image.has_channels)
        )
    except SegmentationError as exc:
        raise SegmentationError(f"{image.location}: {exc}") from exc
    unsupported = [
        text
        for text, given in (
            ("the local threshold", settings["method"] == "local"),
            ("filling holes", settings["fill_holes"]),
            ("splitting touching objects", settings["split_touching"]),
        )
        if given
    ]
    if unsupported:
        raise SegmentationError(
            f"{image.location}: {' and '.join(unsupported)} cannot be done chunk by chunk, as an image is segmented into "
            "a store; segment without it (a global threshold), or give a label image"
        )
    settings.pop("block_size", None)  # the local threshold's only
    return settings


def _segment_into(group, image, settings, chunks, client):
    """Segment ``image`` on ``client`` into ``group["0"]``: the label pyramid's level 0, as a dask array, and what was found."""
    import dask
    import dask.array as da

    from regionscope.chunked import _default_chunks, _expand_chunks
    from regionscope.chunked_segmentation import segment_chunked
    from regionscope.segmentation import SegmentationError

    side = chunks if chunks is not None else _default_chunks(image.chunks(0)[: image.spatial_ndim])
    options = {key: settings[key] for key in ("method", "objects", "min_size", "clear_border", "channel")}
    # segment_chunked computes its threshold and counts with dask.compute: on this client too.
    with dask.config.set(scheduler=client.get):
        try:
            # Read in the segmentation's chunks (a rechunk of small tiles would double dask-image's large graph).
            spatial = _expand_chunks(side, image.spatial_shape)
            pixels = image.to_dask(0, chunks=spatial + tuple(image.shape[image.spatial_ndim :]))
            result = segment_chunked(pixels, **options, multichannel=image.has_channels)
        except SegmentationError as exc:
            raise SegmentationError(f"{image.location}: {exc}") from exc
    array = _write_level(group, "0", result.labels, client)
    found = {"regions": result.n_regions, "threshold": result.threshold, "sample_step": result.sample_step}
    return da.from_zarr(array), found


def _build(folder, image, labels, properties, label_method, client, chunks, manifest, segmentation=None):
    import zarr

    from regionscope.chunked import measure_chunked
    from regionscope.progress import stage

    root = zarr.open_group(str(folder / "image.zarr"), mode="w", zarr_format=2)
    label_group = root.create_group("labels").create_group("labels")
    root["labels"].attrs["labels"] = ["labels"]
    if labels is None:
        stage("segmenting")
        label_array, found = _segment_into(label_group, image, segmentation, chunks, client)
        label_axes = "".join(axis for axis in image.axes if axis in "ZYX")
        label_spacing, written = image.spacing, 1
    else:
        label_array, found = labels, None
        label_axes, label_spacing, written = labels.axes, labels.spacing, 0

    stage("measuring regions")
    table = measure_chunked(label_array, image, properties, chunks=chunks, client=client, channel_names=image.channel_names)
    table.to_parquet(folder / "regions.parquet", index=False)

    n_levels = _n_levels(image.spatial_shape)
    stage("writing the image pyramid")
    image_levels = [image.to_dask(0)]
    for _ in range(n_levels - 1):
        image_levels.append(_dask_image_level(image_levels[-1], image.spatial_ndim))
    _write_pyramid(root, image_levels, image.axes, image.spacing, client, "image")
    if image.channel_names:
        root.attrs["omero"] = {"channels": [{"label": name} for name in image.channel_names]}

    stage("writing the label pyramid")
    label_levels = [label_array if labels is None else labels.to_dask(0)]
    for _ in range(n_levels - 1):
        label_levels.append(_dask_label_level(label_levels[-1], label_method))
    _write_pyramid(label_group, label_levels, label_axes, label_spacing, client, "labels", written=written)
    label_group.attrs["image-label"] = {"version": "0.4", "source": {"image": "../../"}, "method": label_method}
    manifest = dict(manifest)
    manifest.update({"complete": True, "levels": n_levels, "regions": len(table), "columns": list(table.columns)})
    if found is not None:
        manifest["segmentation"] = found  # what the settings found: the threshold and the sample it came from
    return manifest
