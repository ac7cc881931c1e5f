"""Per-region measurements: a label image in, a tidy table out.

:func:`measure` wraps :func:`skimage.measure.regionprops_table` and keeps its
property and column names (``area``, ``centroid-0``, ``intensity_mean``), with
three additions that a table for people needs:

- legacy names from older tutorials (``mean_intensity``) are accepted and
  mapped to the current ones (``intensity_mean``);
- intensity columns of a multichannel image carry the channel name
  (``intensity_mean-DAPI``) instead of a bare index;
- ``touches_border`` (bool) says whether a region reaches the image edge, a
  question scikit-image answers only indirectly (through ``bbox``).

Pixel counts (``area`` and friends) are integers.

Physical units
--------------
With a pixel size (``spacing``, in micrometres per axis, as read from
OME-TIFF / ImageJ / TIFF metadata into :attr:`regionscope.io.ImageData.spacing`)
the table keeps every pixel column under its scikit-image name and adds,
right after it, the same measure in micrometres, the unit in the name:
``area_um2`` (``area_um3`` in 3D, a volume), ``perimeter_um``,
``axis_major_length_um``, ``centroid_um-0``, ... (see
:data:`PHYSICAL_PROPERTIES`). The values are scikit-image's with ``spacing=``.
Shape descriptors without a unit (eccentricity, orientation, solidity,
extent, euler_number) and ``bbox`` stay in pixel geometry. scikit-image
defines ``perimeter`` only for square pixels, so with rectangular pixels there
is no ``perimeter_um``.
"""

from __future__ import annotations

import difflib
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from skimage import measure as skmeasure

from regionscope import relabel
from regionscope.errors import MeasurementError
from regionscope.fast_measure import fast_regionprops_table
from regionscope.io import default_channel_names

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from numpy.typing import ArrayLike

    from regionscope.io import ImageData

#: Old property names (scikit-image < 0.19 tutorials) and what they are now.
LEGACY_NAMES = {
    "bbox_area": "area_bbox",
    "convex_area": "area_convex",
    "filled_area": "area_filled",
    "equivalent_diameter": "equivalent_diameter_area",
    "local_centroid": "centroid_local",
    "major_axis_length": "axis_major_length",
    "minor_axis_length": "axis_minor_length",
    "max_intensity": "intensity_max",
    "mean_intensity": "intensity_mean",
    "min_intensity": "intensity_min",
    "std_intensity": "intensity_std",
    "weighted_centroid": "centroid_weighted",
    "weighted_local_centroid": "centroid_weighted_local",
    "weighted_moments": "moments_weighted",
    "weighted_moments_central": "moments_weighted_central",
    "weighted_moments_hu": "moments_weighted_hu",
    "weighted_moments_normalized": "moments_weighted_normalized",
}

#: Properties that give one number (or a fixed-size vector) per region.
TABLE_PROPERTIES = frozenset(
    {
        "label",
        "area",
        "area_bbox",
        "area_convex",
        "area_filled",
        "axis_major_length",
        "axis_minor_length",
        "bbox",
        "centroid",
        "centroid_local",
        "centroid_weighted",
        "centroid_weighted_local",
        "eccentricity",
        "equivalent_diameter_area",
        "euler_number",
        "extent",
        "feret_diameter_max",
        "inertia_tensor",
        "inertia_tensor_eigvals",
        "intensity_max",
        "intensity_mean",
        "intensity_median",
        "intensity_min",
        "intensity_std",
        "moments",
        "moments_central",
        "moments_hu",
        "moments_normalized",
        "moments_weighted",
        "moments_weighted_central",
        "moments_weighted_hu",
        "moments_weighted_normalized",
        "num_pixels",
        "orientation",
        "perimeter",
        "perimeter_crofton",
        "solidity",
    }
)
#: Properties computed by regionscope itself rather than scikit-image.
EXTRA_PROPERTIES = frozenset({"touches_border"})
#: Properties that need an intensity image; their last column index is the channel.
INTENSITY_PROPERTIES = frozenset(
    {
        "intensity_max",
        "intensity_mean",
        "intensity_median",
        "intensity_min",
        "intensity_std",
        "centroid_weighted",
        "centroid_weighted_local",
        "moments_weighted",
        "moments_weighted_central",
        "moments_weighted_hu",
        "moments_weighted_normalized",
    }
)
#: Properties scikit-image defines for 2D regions only.
PLANAR_ONLY_PROPERTIES = frozenset(
    {"perimeter", "perimeter_crofton", "eccentricity", "orientation", "moments_hu", "moments_weighted_hu"}
)
#: Properties that get a physical column when a pixel size is given, and the
#: power of length of their unit (``"ndim"``: area in 2D, volume in 3D).
PHYSICAL_PROPERTIES = {
    "area": "ndim",
    "area_bbox": "ndim",
    "area_convex": "ndim",
    "area_filled": "ndim",
    "perimeter": 1,
    "perimeter_crofton": 1,
    "axis_major_length": 1,
    "axis_minor_length": 1,
    "equivalent_diameter_area": 1,
    "feret_diameter_max": 1,
    "centroid": 1,
    "centroid_weighted": 1,
}
#: The unit of physical columns, as written in their names (micrometres).
PHYSICAL_UNIT = "um"
#: Properties whose physical value is not the pixel value times a factor when
#: the pixels are not square: computed by scikit-image with ``spacing``.
_ANISOTROPIC_PROPERTIES = ("axis_major_length", "axis_minor_length", "feret_diameter_max")
#: scikit-image refuses these for non-square pixels.
_ISOTROPIC_ONLY_PROPERTIES = frozenset({"perimeter", "perimeter_crofton"})

#: Properties that are pixel counts.
COUNT_PROPERTIES = frozenset({"label", "area", "area_bbox", "area_convex", "area_filled", "num_pixels", "bbox", "euler_number"})

#: What :func:`measure` computes when no property is named, in column order.
DEFAULT_PROPERTIES = (
    "label",
    "area",
    "perimeter",
    "centroid",
    "bbox",
    "axis_major_length",
    "axis_minor_length",
    "eccentricity",
    "orientation",
    "solidity",
    "euler_number",
    "touches_border",
    "intensity_mean",
    "intensity_min",
    "intensity_max",
)


def normalize_property_names(properties: Iterable[str] | None, *, ndim: int, has_intensity: bool) -> list[str]:
    """Map user-given property names to scikit-image's current names.

    Parameters
    ----------
    properties : iterable of str or None
        Names as given (legacy names accepted). ``None`` means the defaults.
    ndim : int
        2 or 3, the dimension of the label image.
    has_intensity : bool
        Whether an intensity image is available.

    Returns
    -------
    list of str
        Current names, ``label`` first, no duplicates. With ``properties=None``
        the defaults that make sense for ``ndim`` and ``has_intensity``.

    Raises
    ------
    MeasurementError
        For unknown names, array-valued properties, 2D-only properties on 3D
        labels, or intensity properties without an image.
    """
    if properties is None:
        names = [
            name
            for name in DEFAULT_PROPERTIES
            if (ndim == 2 or name not in PLANAR_ONLY_PROPERTIES) and (has_intensity or name not in INTENSITY_PROPERTIES)
        ]
        return names
    if isinstance(properties, str):
        properties = [p for p in properties.split(",")]
    names = ["label"]
    for given in properties:
        name = LEGACY_NAMES.get(given.strip(), given.strip())
        if not name:
            continue
        if name not in TABLE_PROPERTIES | EXTRA_PROPERTIES:
            known = sorted(TABLE_PROPERTIES | EXTRA_PROPERTIES | set(LEGACY_NAMES))
            close = difflib.get_close_matches(name, known, n=3)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            if name in {"image", "coords", "coords_scaled", "slice", "image_convex", "image_filled", "image_intensity"}:
                hint = " It is an array per region, not a table column."
            raise MeasurementError(
                f"unknown property {given.strip()!r}.{hint} See the scikit-image regionprops documentation for the names."
            )
        if ndim != 2 and name in PLANAR_ONLY_PROPERTIES:
            raise MeasurementError(f"property {name!r} is defined for 2D images only; this label image is {ndim}D")
        if not has_intensity and name in INTENSITY_PROPERTIES:
            raise MeasurementError(f"property {name!r} needs an intensity image; give the image, not only the labels")
        if name not in names:
            names.append(name)
    return names


def border_touching(bbox_table: Mapping[str, ArrayLike], shape: tuple[int, ...]) -> np.ndarray:
    """Whether each region's bounding box reaches the image edge.

    Parameters
    ----------
    bbox_table : Mapping[str, ndarray]
        ``bbox-0`` .. ``bbox-(2*ndim - 1)`` columns as from ``regionprops_table``.
    shape : tuple of int
        Shape of the label image.

    Returns
    -------
    ndarray of bool, shape (n_regions,)
    """
    ndim = len(shape)
    touches = np.zeros(len(bbox_table["bbox-0"]), dtype=bool)
    for axis, size in enumerate(shape):
        touches |= np.asarray(bbox_table[f"bbox-{axis}"]) == 0
        touches |= np.asarray(bbox_table[f"bbox-{axis + ndim}"]) == size
    return touches


def rename_channel_columns(columns: Iterable[str], channel_names: Sequence[str]) -> dict[str, str]:
    """Replace the channel index of intensity columns by the channel name.

    Parameters
    ----------
    columns : list of str
        Column names from ``regionprops_table`` on a multichannel image.
    channel_names : sequence of str
        One name per channel.

    Returns
    -------
    dict of str to str
        Old column name to new one, for the columns that change.

    Examples
    --------
    >>> rename_channel_columns(["label", "intensity_mean-0", "centroid_weighted-1-0"], ["DAPI"])
    {'intensity_mean-0': 'intensity_mean-DAPI', 'centroid_weighted-1-0': 'centroid_weighted-1-DAPI'}
    """
    renamed = {}
    for column in columns:
        base, _, rest = column.partition("-")
        if base not in INTENSITY_PROPERTIES or not rest:
            continue
        head, _, index = column.rpartition("-")
        renamed[column] = f"{head}-{channel_names[int(index)]}"
    return renamed


#: Largest label value measured without renumbering (see :func:`regionscope.relabel.compact_labels`).
SPARSE_LABEL_LIMIT = relabel.SPARSE_LABEL_LIMIT


def _compact_labels(labels):
    """Renumber huge label values so that scikit-image can measure them.

    ``regionprops`` indexes regions with :func:`scipy.ndimage.find_objects`,
    which makes a list as long as the largest label; see
    :func:`regionscope.relabel.compact_labels`.
    """
    return relabel.compact_labels(labels, SPARSE_LABEL_LIMIT)


def _beyond_int64(column):
    """Whether a column holds uint64 values of 2**63 or more (labels that must stay uint64)."""
    return column.dtype == np.uint64 and len(column) > 0 and int(column.max()) > np.iinfo(np.int64).max


def measure(
    image: ArrayLike | None,
    labels: ArrayLike | None = None,
    properties: Sequence[str] | None = None,
    *,
    spacing: float | Sequence[float] | None = None,
    channel_names: Sequence[str] | None = None,
    multichannel: bool | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Measure every region of a label image.

    Parameters
    ----------
    image : ndarray or None, shape (Y, X), (Z, Y, X) or with channels last (..., C)
        Intensity image. ``None`` measures shape properties only.
    labels : ndarray of int or None, shape (Y, X) or (Z, Y, X)
        Label image (0 is background). ``None`` segments ``image`` with
        :func:`regionscope.segment` defaults.
    properties : sequence of str or None
        scikit-image property names (legacy names accepted) and
        ``"touches_border"``. ``None`` gives :data:`DEFAULT_PROPERTIES`
        restricted to what the dimension and the inputs allow.
    spacing : float, sequence of float or None
        Physical pixel size in micrometres, one per spatial axis (``(dy, dx)``
        or ``(dz, dy, dx)``) or one for all. Adds physical columns
        (``area_um2``, ``perimeter_um``, ...) after the pixel ones; see the
        module docs.
    channel_names : sequence of str or None
        Names of the image's channels, used in intensity column names.
        Default: :func:`regionscope.io.default_channel_names` (``red, green,
        blue`` for 3 ``uint8`` channels, ``ch0, ch1, ...`` otherwise).
    multichannel : bool or None
        Whether the image's last axis is channels. ``None``: when ``labels`` are
        given, the image has channels if it has one more axis than the labels;
        otherwise guessed by :func:`regionscope.io.has_channel_axis`.
    workers : int or None
        Threads of the 2D vectorised measurement (default: up to 2). Inside a
        Dask task, 1: the cluster's workers are the parallelism there.

    Returns
    -------
    pandas.DataFrame
        One row per region, sorted by ``label``, the ``label`` column first.
        No region gives an empty table with the same columns. In 3D, the
        ``solidity`` of a region without a convex volume (a single plane or
        line of pixels) is NaN.

    Examples
    --------
    >>> from skimage import data
    >>> table = measure(data.coins()[10:150, 10:150], properties=["label", "area"])
    >>> table.head(2).values.tolist()
    [[1, 545], [2, 1289]]
    """
    from regionscope.segmentation import segment

    image = None if image is None else np.asarray(image)
    if labels is None:
        if image is None:
            raise MeasurementError("give an image, labels, or both")
        labels = segment(image, multichannel=multichannel)
    labels = np.asarray(labels)
    if labels.dtype == bool:
        labels = skmeasure.label(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise MeasurementError(f"labels must be an integer array, not {labels.dtype}")
    if labels.ndim not in (2, 3):
        raise MeasurementError(f"labels must be 2D (Y, X) or 3D (Z, Y, X); got shape {labels.shape}")

    if image is not None:
        if multichannel is None:
            multichannel = image.ndim == labels.ndim + 1
        spatial_shape = image.shape[:-1] if multichannel else image.shape
        if spatial_shape != labels.shape:
            raise MeasurementError(
                f"the image (spatial shape {spatial_shape}) and the labels (shape {labels.shape}) differ in shape; "
                "the labels must be made from this image"
            )
        if multichannel and channel_names is None:
            n = image.shape[-1]
            channel_names = default_channel_names(n, image.dtype)
        if multichannel and len(channel_names) != image.shape[-1]:
            raise MeasurementError(f"{len(channel_names)} channel names given for an image with {image.shape[-1]} channels")

    names = normalize_property_names(properties, ndim=labels.ndim, has_intensity=image is not None)
    skimage_names = [n for n in names if n not in EXTRA_PROPERTIES]
    needs_bbox = "touches_border" in names and "bbox" not in skimage_names
    requested = skimage_names + (["bbox"] if needs_bbox else [])
    columns, label_values = None, None
    original_labels = labels
    spacing = _check_spacing(spacing, labels.ndim)
    if labels.ndim == 2:
        try:
            # Vectorised over the whole image: the same values, about 30x faster.
            columns = fast_regionprops_table(labels, image, properties=requested, workers=workers)
        except NotImplementedError:
            columns = None  # properties or inputs it does not cover: scikit-image below
    if columns is None:
        labels, label_values = _compact_labels(labels)
        with warnings.catch_warnings():
            if labels.ndim == 3:
                # The 3D convex hull of a flat or tiny region (one plane, a line)
                # does not exist: scikit-image warns with the whole Qhull report
                # and divides by a zero hull volume. Such solidity is NaN below.
                warnings.filterwarnings("ignore", message="Failed to get convex hull image", category=UserWarning)
                warnings.filterwarnings("ignore", message="divide by zero", category=RuntimeWarning)
                warnings.filterwarnings("ignore", message="invalid value", category=RuntimeWarning)
            columns = skmeasure.regionprops_table(labels, intensity_image=image, properties=requested)
    if label_values is not None:
        columns["label"] = label_values[np.asarray(columns["label"], dtype=np.intp)]
    if labels.ndim == 3 and "solidity" in columns:
        solidity = np.asarray(columns["solidity"], dtype=np.float64)
        columns["solidity"] = np.where(np.isfinite(solidity), solidity, np.nan)
    if "touches_border" in names:
        touches = border_touching(columns, labels.shape)
    if needs_bbox:
        for axis in range(2 * labels.ndim):
            del columns[f"bbox-{axis}"]
    if "touches_border" in names:
        columns["touches_border"] = touches
    # Columns in the order the properties were asked for.
    order = sorted(columns, key=lambda column: names.index(column.partition("-")[0]))
    table = pd.DataFrame({column: columns[column] for column in order})
    if image is not None and multichannel:
        table = table.rename(columns=rename_channel_columns(list(table.columns), list(channel_names)))
    for column in table.columns:
        if column.partition("-")[0] in COUNT_PROPERTIES and not _beyond_int64(table[column]):
            table[column] = table[column].astype(np.int64)
    if spacing is not None:
        table = with_physical_columns(table, original_labels, spacing)
    return table.sort_values("label", kind="stable").reset_index(drop=True)


def _check_spacing(spacing, ndim):
    """``spacing`` as a tuple of ``ndim`` positive floats, or None."""
    if spacing is None:
        return None
    values = np.atleast_1d(np.asarray(spacing, dtype=np.float64))
    if values.ndim != 1 or len(values) not in (1, ndim):
        raise MeasurementError(
            f"a pixel size of {len(values)} values does not fit {ndim}D labels; give one value for all axes "
            f"or one per axis ({'dz, dy, dx' if ndim == 3 else 'dy, dx'}), in micrometres"
        )
    if not np.all(np.isfinite(values) & (values > 0)):
        raise MeasurementError(f"the pixel size must be positive numbers (micrometres), not {tuple(values.tolist())}")
    return tuple(float(v) for v in np.broadcast_to(values, (ndim,)))


def physical_name(column: str, ndim: int) -> str:
    """The name of the physical counterpart of a pixel column.

    Examples
    --------
    >>> physical_name("area", 2), physical_name("centroid-1", 3), physical_name("perimeter", 2)
    ('area_um2', 'centroid_um-1', 'perimeter_um')
    """
    base, dash, rest = column.partition("-")
    power = ndim if PHYSICAL_PROPERTIES[base] == "ndim" else PHYSICAL_PROPERTIES[base]
    return f"{base}_{PHYSICAL_UNIT}{power if power > 1 else ''}{dash}{rest}"


def with_physical_columns(table: pd.DataFrame, labels: np.ndarray, spacing: Sequence[float]) -> pd.DataFrame:
    """Add the physical counterpart of every pixel column that has one.

    Parameters
    ----------
    table : pandas.DataFrame
        A pixel table of :func:`measure` for ``labels``, rows in label order.
    labels : ndarray of int, shape (Y, X) or (Z, Y, X)
    spacing : tuple of float
        Micrometres per axis, one per axis of ``labels``.

    Returns
    -------
    pandas.DataFrame
        ``table`` with each physical column right after its pixel column.
        The values equal scikit-image's ``regionprops_table(..., spacing=spacing)``
        (to rounding): areas, volumes and centroids scale by the pixel size,
        and so do lengths for square pixels; with rectangular pixels the axis
        lengths and the Feret diameter are scikit-image's own.
    """
    ndim = labels.ndim
    isotropic = len(set(spacing)) == 1
    pixel_volume = float(np.prod(spacing))
    anisotropic = {}
    wanted = [name for name in _ANISOTROPIC_PROPERTIES if name in table.columns]
    if wanted and not isotropic and len(table):
        compact, values = _compact_labels(labels)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            warnings.filterwarnings("ignore", message="Failed to get convex hull image", category=UserWarning)
            anisotropic = skmeasure.regionprops_table(compact, properties=wanted, spacing=spacing)
    result, pending = {}, {}
    for position, column in enumerate(table.columns):
        result[column] = table[column]
        base, _, rest = column.partition("-")
        following = table.columns[position + 1] if position + 1 < len(table.columns) else None
        if base not in PHYSICAL_PROPERTIES:
            continue
        pixel = table[column].to_numpy(dtype=np.float64)
        if PHYSICAL_PROPERTIES[base] == "ndim":
            physical = pixel * pixel_volume
        elif base in ("centroid", "centroid_weighted"):
            physical = pixel * spacing[int(rest.split("-")[0])]
        elif base == "equivalent_diameter_area":
            physical = pixel * pixel_volume ** (1 / ndim)
        elif isotropic:
            physical = pixel * spacing[0]
        elif base in _ISOTROPIC_ONLY_PROPERTIES:
            continue  # scikit-image defines no perimeter for rectangular pixels
        else:
            physical = np.asarray(anisotropic[base], dtype=np.float64) if len(table) else pixel
        pending[physical_name(column, ndim)] = physical
        if following is None or following.partition("-")[0] != base:
            # After the last pixel column of the property: centroid-0, centroid-1, centroid_um-0, ...
            result.update(pending)
            pending = {}
    return pd.DataFrame(result, index=table.index)


def measure_image(
    image: ImageData, labels: ArrayLike, properties: Sequence[str] | None = None, *, workers: int | None = None
) -> pd.DataFrame:
    """:func:`measure` of an :class:`~regionscope.io.ImageData`: its pixel size and channel names used.

    Parameters
    ----------
    image : ImageData
    labels : ndarray of int, shape (Y, X) or (Z, Y, X)
    properties : sequence of str or None
    workers : int or None
        As in :func:`measure`.

    Returns
    -------
    pandas.DataFrame
    """
    return measure(
        image.data,
        labels,
        properties,
        spacing=image.spacing,
        channel_names=image.channel_names,
        multichannel=image.has_channels,
        workers=workers,
    )
