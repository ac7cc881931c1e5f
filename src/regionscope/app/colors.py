"""Colours of regions: a colour per table row from a property and a colormap.

Plain numpy (Plotly only supplies the colormap definitions): unit-tested
without a browser. Colours are computed for all regions at once, so colouring
50,000 regions costs one vectorised lookup.
"""

from __future__ import annotations

import base64
import functools

import numpy as np
from plotly import colors as plotly_colors

#: Colormaps offered for numeric properties (Plotly names).
COLORMAPS = ("Viridis", "Plasma", "Inferno", "Magma", "Cividis", "Turbo", "Hot", "Greys", "RdBu", "Spectral")
#: Categorical palette for ``label`` (distinct neighbours), RGB 0..255.
CATEGORICAL = np.array(
    [
        plotly_colors.hex_to_rgb(c) if c.startswith("#") else plotly_colors.unlabel_rgb(c)
        for c in plotly_colors.qualitative.Dark24 + plotly_colors.qualitative.Light24
    ],
    dtype=np.uint8,
)
#: Colour of regions whose value is missing (NaN).
MISSING_COLOR = (128, 128, 128)
#: Entries in a colormap lookup table.
LUT_SIZE = 256
#: Colormaps whose lowest colours are near black: outlines in them vanish on a
#: dark image, so regionscope uses them from this fraction upwards.
DARK_START = {"viridis": 0.15, "plasma": 0.12, "inferno": 0.2, "magma": 0.2, "cividis": 0.15, "turbo": 0.1, "hot": 0.15}


@functools.lru_cache(maxsize=64)
def colormap_lut(name, size=LUT_SIZE):
    """A colormap as a lookup table.

    Parameters
    ----------
    name : str
        A Plotly colorscale name (case-insensitive, ``_r`` reverses).
    size : int

    Returns
    -------
    ndarray of uint8, shape (size, 3)
    """
    scale = plotly_colors.get_colorscale(name)
    base = name.lower().removesuffix("_r")
    cut = DARK_START.get(base, 0.0)
    # Reversed maps (``_r``) have their dark end last.
    low, high = (0.0, 1.0 - cut) if name.lower().endswith("_r") else (cut, 1.0)
    samples = plotly_colors.sample_colorscale(scale, np.linspace(low, high, size), colortype="tuple")
    lut = np.clip(np.rint(np.asarray(samples) * 255), 0, 255).astype(np.uint8)
    # Cached (Plotly samples a colorscale in 3 ms, twice per colouring): read-only, so no caller changes it.
    lut.setflags(write=False)
    return lut


def lut_colorscale(name, stops=16):
    """A Plotly colorscale that matches :func:`colormap_lut` (for the colour bar).

    Returns
    -------
    list of [float, str]
    """
    lut = colormap_lut(name)
    positions = np.linspace(0, 1, stops)
    rows = np.rint(positions * (len(lut) - 1)).astype(int)
    return [[float(p), "rgb({},{},{})".format(*lut[r])] for p, r in zip(positions, rows, strict=True)]


def value_range(values):
    """The colour range of a property: min and max of its finite values.

    Returns
    -------
    (float, float) or None
        None when no value is finite.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    return float(finite.min()), float(finite.max())


#: The default colour range leaves out the lowest and highest 2 % of regions.
ROBUST_PERCENTILES = (2.0, 98.0)
#: ... and regions beyond this many interquartile ranges outside the quartiles
#: (Tukey's far-out fence): with a few dozen regions a percentile cannot leave
#: out one outlier (coins: one 9,076 px region among 24 of 1,000-3,100 px).
FENCE_IQR = 3.0


def robust_range(values):
    """The default colour range of a property: outliers left out.

    The range is the 2nd to 98th percentile of the finite values, narrowed to
    Tukey's far-out fences (quartiles ± 3 interquartile ranges); it never
    leaves ``[min, max]``. Regions outside it take the colours at its ends.

    Parameters
    ----------
    values : array_like, shape (n,)

    Returns
    -------
    (float, float) or None
        None when no value is finite.

    Examples
    --------
    >>> robust_range([10, 20, 30])
    (10.0, 30.0)
    >>> robust_range([1000, 1100, 1200, 1300, 1400, 1500, 9076])
    (1000.0, 1500.0)
    """
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    # "nearest": with few regions the ends are real values, not interpolations.
    p_low, p_high = np.percentile(finite, ROBUST_PERCENTILES, method="nearest")
    q1, q3 = np.percentile(finite, (25.0, 75.0))
    spread = FENCE_IQR * (q3 - q1)
    robust_low, robust_high = max(low, p_low, q1 - spread), min(high, p_high, q3 + spread)
    if robust_high <= robust_low:
        return low, high
    # Snap to the values actually inside, so the ends read as region values.
    inside = finite[(finite >= robust_low) & (finite <= robust_high)]
    return float(inside.min()), float(inside.max())


def numeric_colors(values, colormap, limits=None):
    """Colour of each region by a numeric property.

    Parameters
    ----------
    values : ndarray, shape (n,)
    colormap : str
    limits : (float, float) or None
        Values at the ends of the colormap; default :func:`value_range`.

    Returns
    -------
    ndarray of uint8, shape (n, 3)
    """
    values = np.asarray(values, dtype=np.float64)
    lut = colormap_lut(colormap)
    limits = limits or value_range(values) or (0.0, 1.0)
    low, high = limits
    span = high - low if high > low else 1.0
    position = np.clip((values - low) / span, 0.0, 1.0)
    finite = np.isfinite(position)
    indices = np.rint(np.where(finite, position, 0.0) * (len(lut) - 1)).astype(np.intp)
    colors = lut[indices]
    colors[~finite] = MISSING_COLOR
    return colors


def categorical_colors(labels):
    """Colour of each region by its label, from a fixed palette.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)

    Returns
    -------
    ndarray of uint8, shape (n, 3)
        Consecutive labels get different colours; a label always gets the same one.
    """
    return CATEGORICAL[np.asarray(labels, dtype=np.int64) % len(CATEGORICAL)]


def region_colors(table, color_by, colormap, limits=(None, None)):
    """Colours of all regions and the colour bar that explains them.

    Parameters
    ----------
    table : pandas.DataFrame
        The region table (``label`` column and ``color_by``).
    color_by : str
        A column; ``"label"`` uses the categorical palette.
    colormap : str
    limits : (float or None, float or None)
        The values at the ends of the colormap as the user set them; a None
        end is the :func:`robust_range` end.

    Returns
    -------
    colors : ndarray of uint8, shape (n, 3)
    colorbar : dict or None
        ``{"title", "colorscale", "cmin", "cmax", "auto": (low, high)}`` for
        numeric properties (``auto``: the robust range, whatever the user set).
    """
    if color_by == "label" or color_by not in table.columns:
        return categorical_colors(table["label"].to_numpy()), None
    values = table[color_by].to_numpy(dtype=np.float64, na_value=np.nan)
    auto = robust_range(values) or (0.0, 1.0)
    low, high = (auto[k] if limits[k] is None else float(limits[k]) for k in (0, 1))
    if high < low:
        low, high = high, low
    limits = (low, high)
    colorbar = {"title": color_by, "colorscale": lut_colorscale(colormap), "cmin": limits[0], "cmax": limits[1], "auto": auto}
    return numeric_colors(values, colormap, limits), colorbar


#: Colours given to new classes, in order: Okabe and Ito's colour-blind-safe
#: palette plus two, none of them the grey of unclassified regions, the white
#: of selected ones or the red of the focus outline.
CLASS_PALETTE = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#8c564b", "#17becf")


def next_class_color(classes):
    """The colour for a new class: the first palette colour no class has yet.

    Parameters
    ----------
    classes : list of dict
        ``[{"name", "color"}, ...]`` of the dataset.

    Returns
    -------
    str
        ``'#rrggbb'``; past the palette, it starts over.
    """
    used = {c["color"].lower() for c in classes}
    for color in CLASS_PALETTE:
        if color not in used:
            return color
    return CLASS_PALETTE[len(classes) % len(CLASS_PALETTE)]


#: Colour of regions without a class when colouring by class.
UNCLASSIFIED_COLOR = (150, 150, 150)


def class_colors(label_values, classes):
    """Colour of each region by its class.

    Parameters
    ----------
    label_values : ndarray of int, shape (n,)
        Sorted labels of the table's rows.
    classes : dict
        ``{"classes": [{"name", "color": "#rrggbb"}], "assignments": {"label": name}}``
        (the ``rs-classes`` store).

    Returns
    -------
    ndarray of uint8, shape (n, 3)
        Unassigned regions get :data:`UNCLASSIFIED_COLOR`.
    """
    label_values = np.asarray(label_values)
    colors = np.tile(np.asarray(UNCLASSIFIED_COLOR, dtype=np.uint8), (len(label_values), 1))
    palette = {c["name"]: plotly_colors.hex_to_rgb(c["color"]) for c in classes.get("classes") or []}
    assignments = classes.get("assignments") or {}
    if not assignments or not len(label_values):
        return colors
    # The labels' own dtype: uint64 labels above 2**63 do not fit int64.
    dtype = label_values.dtype if label_values.dtype.kind in "iu" else np.int64
    labels = np.fromiter((int(label) for label in assignments), dtype=dtype, count=len(assignments))
    names = list(assignments.values())
    positions = np.clip(np.searchsorted(label_values, labels), 0, len(label_values) - 1)
    for position, label, name in zip(positions, labels, names, strict=True):
        if label_values[position] == label and name in palette:
            colors[position] = palette[name]
    return colors


def numeric_columns(table):
    """Columns that can colour regions: numbers and booleans, ``label`` first."""
    columns = [c for c in table.columns if table[c].dtype.kind in "biuf"]
    return ["label"] + [c for c in columns if c != "label"]


def encode_bytes(array):
    """Base64 of an array's bytes (little-endian), for typed arrays in the browser."""
    return base64.b64encode(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()).decode("ascii")


def overlay_coloring(table, color_by, colormap, limits=(None, None), classes=None):
    """The colour of every region as the overlay shows it, and what explains it.

    Parameters
    ----------
    table : pandas.DataFrame
        The region table, sorted by ``label``.
    color_by : str
        A column, ``"label"`` or ``"class"``.
    colormap : str
    limits : (float or None, float or None)
        See :func:`region_colors`.
    classes : dict or None
        The ``rs-classes`` store (for ``color_by="class"``).

    Returns
    -------
    colors : ndarray of uint8, shape (n, 3)
    colorbar : dict or None
        For numeric colourings (:func:`region_colors`).
    legend : list of (str, (int, int, int))
        Class names and colours, for ``color_by="class"`` (else empty).
    """
    if color_by == "class":
        classes = classes or {}
        legend = [(c["name"], plotly_colors.hex_to_rgb(c["color"])) for c in classes.get("classes") or []]
        return class_colors(table["label"].to_numpy(), classes), None, legend + [("no class", UNCLASSIFIED_COLOR)]
    colors, colorbar = region_colors(table, color_by or "label", colormap or "Viridis", limits=limits)
    return colors, colorbar, []
