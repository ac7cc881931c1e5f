"""TIFF and OME-TIFF: tifffile reads the first series; axes, channel names and pixel size from its metadata.

The axis letters are tifffile's (``series.axes``); :mod:`.axes` maps them.
Channel names come from OME ``Channel Name`` or ImageJ slice labels; pixel
sizes from OME ``PhysicalSize{Z,Y,X}`` (with units), ImageJ metadata, or the
X/YResolution tags in cm, mm or µm (never dots per inch, a printing setting).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from regionscope.errors import InputFileError

from .axes import RawImage
from .budget import check_budget
from .channels import RGB_NAMES, RGBA_NAMES, palette_rgb_to_gray

__all__ = ["read_tiff"]

# Conversion factors of length units to micrometres (spacing is in µm).
_UNIT_TO_UM = {
    "m": 1e6,
    "meter": 1e6,
    "metre": 1e6,
    "cm": 1e4,
    "centimeter": 1e4,
    "centimetre": 1e4,
    "mm": 1e3,
    "millimeter": 1e3,
    "millimetre": 1e3,
    "um": 1.0,
    "µm": 1.0,
    "μm": 1.0,
    "\\u00b5m": 1.0,
    "micron": 1.0,
    "microns": 1.0,
    "micrometer": 1.0,
    "micrometre": 1.0,
    "nm": 1e-3,
    "nanometer": 1e-3,
    "nanometre": 1e-3,
    "å": 1e-4,
    "angstrom": 1e-4,
    "pm": 1e-6,
    "in": 25400.0,
    "inch": 25400.0,
}
# TIFF ResolutionUnit values -> micrometres per unit (INCH deliberately absent).
_RESUNIT_TO_UM = {3: 1e4, 4: 1e3, 5: 1.0}


def read_tiff(path: str, *, labels: bool, budget: int) -> RawImage:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        if not tif.series:
            raise InputFileError(path, "TIFF file contains no image; export the image again")
        series = tif.series[0]
        page = getattr(series, "keyframe", None) or tif.pages.first
        # From the header, before anything is decoded. Palette images become RGB (3 bytes a pixel).
        palette = not labels and int(getattr(page, "photometric", 0) or 0) == 3
        itemsize = max(series.dtype.itemsize, 3) if palette else series.dtype.itemsize
        check_budget(path, series.shape, itemsize, budget, f" pixels of {'RGB' if palette else series.dtype}")
        data = series.asarray()
        axes = series.axes
        spacing = _tiff_tag_spacing(page)
        names = None
        if tif.is_imagej and tif.imagej_metadata:
            meta = tif.imagej_metadata
            spacing.update(_imagej_spacing(page, meta))
            ij_labels = meta.get("Labels")
            if isinstance(ij_labels, (list, tuple)) and ij_labels:
                names = tuple(str(label) for label in ij_labels)
        if tif.is_ome and tif.ome_metadata:
            ome_names, ome_spacing = _parse_ome(tif.ome_metadata)
            spacing.update(ome_spacing)
            if ome_names is not None:
                names = ome_names
        photometric = int(getattr(page, "photometric", 0) or 0)
        colormap = getattr(page, "colormap", None)

    if len(axes) != data.ndim:  # defensive: tifffile keeps them in sync
        axes = None
    if axes is not None and "S" in axes and photometric == 2:  # RGB
        n_samples = data.shape[axes.index("S")]
        if "C" not in axes or data.shape[axes.index("C")] == 1:
            if n_samples == 3:
                names = RGB_NAMES
            elif n_samples == 4:
                names = RGBA_NAMES
    if (
        not labels
        and photometric == 3  # palette
        and colormap is not None
        and axes is not None
        and "S" not in axes
        and "C" not in axes
        and data.dtype.kind in "ui"
    ):
        rgb = _apply_colormap(data, np.asarray(colormap))
        if rgb is not None:
            data, names = palette_rgb_to_gray(rgb)
            if names is not None:
                axes = axes + "C"
    return RawImage(data, axes, names, spacing)


def _apply_colormap(indices: np.ndarray, colormap: np.ndarray) -> np.ndarray | None:
    """Map palette indices through a TIFF colormap of shape (3, N) to (..., 3)."""
    if colormap.ndim != 2 or colormap.shape[0] != 3 or indices.size == 0:
        return None
    if indices.min() < 0 or indices.max() >= colormap.shape[1]:
        return None
    if colormap.max() < 256:
        colormap = colormap.astype(np.uint8)
    elif np.all(colormap % 257 == 0):
        colormap = (colormap // 257).astype(np.uint8)
    return np.moveaxis(colormap[:, indices], 0, -1)


def _tiff_tag_spacing(page) -> dict[str, float]:
    """Y/X pixel size from XResolution/YResolution in cm, mm or µm."""
    try:
        unit = int(page.tags["ResolutionUnit"].value)
    except (KeyError, TypeError, ValueError, AttributeError):
        return {}
    factor = _RESUNIT_TO_UM.get(unit)
    if factor is None:
        return {}
    return _resolution_spacing(page, factor)


def _imagej_spacing(page, meta: dict) -> dict[str, float]:
    """Pixel size from ImageJ metadata (``unit``, ``spacing``) and resolution tags."""
    unit = meta.get("unit")
    factor = _unit_factor(unit)
    if factor is None:
        return {}
    spacing = _resolution_spacing(page, factor)
    z = _positive(meta.get("spacing"))
    if z is not None:
        spacing["Z"] = z * factor
    return spacing


def _resolution_spacing(page, factor: float) -> dict[str, float]:
    spacing = {}
    for axis, tag in (("X", "XResolution"), ("Y", "YResolution")):
        try:
            value = page.tags[tag].value
            pixels_per_unit = value[0] / value[1] if isinstance(value, tuple) else float(value)
        except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError, AttributeError):
            continue
        pixels_per_unit = _positive(pixels_per_unit)
        if pixels_per_unit is not None:
            spacing[axis] = factor / pixels_per_unit
    return spacing


def _parse_ome(xml_text: str) -> tuple[tuple[str, ...] | None, dict[str, float]]:
    """Channel names and physical sizes (µm) of the first OME Image.

    Namespaces are ignored (OME schema versions differ); unparsable XML
    yields no metadata rather than an error, since the pixels are readable.

    ElementTree rather than a library: only three attributes of one element
    are needed. ``ome_types`` validates the whole document into pydantic
    models (slow to import, and a schema error would lose the names of a
    readable file); ``tifffile.xml2dict`` turns attribute text into numbers
    and tuples, so channels named "405", "1e3" or "1,2" would become
    ``405``, ``1000.0`` and ``(1, 2)``.
    """
    try:
        root = ET.fromstring(xml_text)
    except (ET.ParseError, ValueError, TypeError):
        return None, {}
    pixels = None
    for elem in root.iter():
        if _local(elem.tag) == "Image":
            pixels = next((c for c in elem if _local(c.tag) == "Pixels"), None)
            break
    if pixels is None:
        return None, {}
    spacing = {}
    for axis in "ZYX":
        size = _positive(pixels.get(f"PhysicalSize{axis}"))
        factor = _unit_factor(pixels.get(f"PhysicalSize{axis}Unit", "µm"))
        if size is not None and factor is not None:
            spacing[axis] = size * factor
    channels = [c for c in pixels if _local(c.tag) == "Channel"]
    names = None
    if channels and all(c.get("Name") for c in channels):
        names = tuple(c.get("Name") for c in channels)
    return names, spacing


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _unit_factor(unit) -> float | None:
    if not isinstance(unit, str):
        return None
    return _UNIT_TO_UM.get(unit.strip().lower())


def _positive(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) and number > 0 else None
