"""Issue 9.16: the pixel size read from the file is used.

OME-TIFF / ImageJ / TIFF pixel sizes were read into ``ImageData.spacing`` and
dropped. Now tables keep scikit-image's pixel columns and add physical ones
(``area_um2``, ``perimeter_um``, ``centroid_um-0``, ...) equal to
scikit-image's ``regionprops_table(spacing=...)``; ``--pixel-size`` sets or
overrides the pixel size on the command line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tifffile
from skimage.measure import regionprops_table

from regionscope import measure
from regionscope.dataset import prepare_dataset
from regionscope.errors import MeasurementError
from regionscope.io import ImageData, load_image
from regionscope.measurement import PHYSICAL_PROPERTIES, physical_name
from regionscope.pipeline import measure_files

from cli_support import run

PROPERTIES_2D = [
    "label",
    "area",
    "area_bbox",
    "area_convex",
    "area_filled",
    "perimeter",
    "perimeter_crofton",
    "axis_major_length",
    "axis_minor_length",
    "equivalent_diameter_area",
    "feret_diameter_max",
    "centroid",
    "centroid_weighted",
    "eccentricity",
    "solidity",
    "intensity_mean",
]
PROPERTIES_3D = [p for p in PROPERTIES_2D if p not in ("perimeter", "perimeter_crofton", "eccentricity")]


def _regions(ndim):
    rng = np.random.default_rng(7)
    shape = (40, 50) if ndim == 2 else (12, 30, 34)
    labels = np.zeros(shape, dtype=np.int32)
    if ndim == 2:
        labels[3:15, 4:30] = 1
        labels[20:37, 10:19] = 2
        labels[25:33, 30:47] = 5
        labels[22, 40:49] = 5  # not convex
    else:
        labels[1:6, 2:14, 3:20] = 1
        labels[6:11, 15:28, 6:14] = 2
        labels[2:9, 18:26, 22:32] = 3
    image = rng.random(shape)
    return labels, image


@pytest.mark.parametrize(
    ("ndim", "spacing"),
    [(2, (0.5, 0.5)), (2, (0.25, 0.65)), (3, (2.0, 0.3, 0.3)), (3, (1.5, 0.4, 0.7))],
)
def test_physical_columns_equal_scikit_image_with_spacing(ndim, spacing):
    labels, image = _regions(ndim)
    properties = PROPERTIES_2D if ndim == 2 else PROPERTIES_3D
    table = measure(image, labels, properties, spacing=spacing)
    pixels = pd.DataFrame(regionprops_table(labels, image, properties=properties))
    physical = (
        pd.DataFrame(regionprops_table(labels, image, properties=properties, spacing=spacing))
        if (ndim == 3 or len(set(spacing)) == 1)
        else pd.DataFrame(
            regionprops_table(labels, image, properties=[p for p in properties if "perimeter" not in p], spacing=spacing)
        )
    )
    for column in pixels.columns:
        # Pixel columns keep their scikit-image names and values.
        np.testing.assert_allclose(table[column].to_numpy(dtype=float), pixels[column], rtol=1e-9, err_msg=column)
        base = column.partition("-")[0]
        if base not in PHYSICAL_PROPERTIES:
            continue
        name = physical_name(column, ndim)
        if column not in physical.columns:
            assert name not in table.columns  # perimeter with rectangular pixels
            continue
        np.testing.assert_allclose(table[name], physical[column], rtol=1e-9, err_msg=name)
        # ... right after the pixel column.
        assert list(table.columns).index(name) > list(table.columns).index(column)


def test_names_and_units_by_hand(tiny):
    image, labels, _ = tiny
    table = measure(image, labels, ["area", "perimeter", "centroid"], spacing=(2.0, 3.0))
    assert list(table.columns) == [
        "label",
        "area",
        "area_um2",
        "perimeter",
        "centroid-0",
        "centroid-1",
        "centroid_um-0",
        "centroid_um-1",
    ]
    assert table["area"].tolist() == [4, 6, 1] and table["area"].dtype == np.int64
    assert table["area_um2"].tolist() == [24.0, 36.0, 6.0]
    assert table["centroid_um-1"].tolist() == [4.5, 19.5, 12.0]
    square = measure(image, labels, ["perimeter"], spacing=0.5)
    np.testing.assert_allclose(square["perimeter_um"], square["perimeter"] * 0.5)
    volume = measure(np.stack([image] * 2), np.stack([labels] * 2), ["area"], spacing=(4.0, 2.0, 3.0))
    assert volume["area_um3"].tolist() == [192.0, 288.0, 48.0]


def test_bad_pixel_sizes(tiny):
    image, labels, _ = tiny
    for spacing in [(1.0, 2.0, 3.0), (0.0, 1.0), (-1.0,), (np.nan, 1.0)]:
        with pytest.raises(MeasurementError, match="pixel size"):
            measure(image, labels, ["area"], spacing=spacing)


def _ome_tiff(path, data, physical_size=(0.25, 0.5)):
    tifffile.imwrite(
        path,
        data,
        ome=True,
        metadata={
            "axes": "YX",
            "PhysicalSizeY": physical_size[0],
            "PhysicalSizeX": physical_size[1],
            "PhysicalSizeYUnit": "µm",
            "PhysicalSizeXUnit": "µm",
        },
    )
    return path


def test_the_files_pixel_size_reaches_the_table(tmp_path, tiny):
    image, labels, _ = tiny
    path = _ome_tiff(tmp_path / "cells.ome.tif", (image * 100).astype(np.uint16))
    tifffile.imwrite(tmp_path / "labels.tif", labels.astype(np.uint16))
    assert load_image(path).spacing == (0.25, 0.5)
    table = measure_files(path, tmp_path / "labels.tif")
    assert table["area_um2"].tolist() == [0.5, 0.75, 0.125]
    # --pixel-size overrides it.
    table = measure_files(path, tmp_path / "labels.tif", pixel_size=(1.0, 2.0))
    assert table["area_um2"].tolist() == [8.0, 12.0, 2.0]
    # A file without a pixel size has pixel columns only, unless one is given.
    tifffile.imwrite(tmp_path / "plain.tif", (image * 100).astype(np.uint16))
    assert "area_um2" not in measure_files(tmp_path / "plain.tif", tmp_path / "labels.tif").columns
    assert measure_files(tmp_path / "plain.tif", tmp_path / "labels.tif", pixel_size=2.0)["area_um2"].tolist() == [
        16.0,
        24.0,
        4.0,
    ]


def test_the_app_dataset_has_physical_columns_and_its_own_id(tiny):
    image, labels, _ = tiny
    plain = prepare_dataset(ImageData(image), labels)
    scaled = prepare_dataset(ImageData(image, spacing=(0.5, 0.5)), labels)
    assert "area_um2" not in plain.table.columns and scaled.table["area_um2"].tolist() == [1.0, 1.5, 0.25]
    assert plain.id != scaled.id
    assert prepare_dataset(ImageData(image), labels).id == plain.id


def test_with_pixel_size(tiny):
    from regionscope.errors import InputFileError

    image, _, _ = tiny
    data = ImageData(image, source="cells.tif")
    assert data.with_pixel_size(0.5).spacing == (0.5, 0.5)
    assert data.with_pixel_size((0.5, 0.25)).spacing == (0.5, 0.25)
    with pytest.raises(InputFileError, match="cells.tif.*3 values.*2D"):
        data.with_pixel_size((1, 2, 3))
    with pytest.raises(InputFileError, match="positive"):
        data.with_pixel_size(0)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def test_cli_pixel_size(tmp_path, capsys, tiny):
    image, labels, _ = tiny
    _ome_tiff(tmp_path / "cells.ome.tif", (image * 100).astype(np.uint16))
    tifffile.imwrite(tmp_path / "labels.tif", labels.astype(np.uint16))
    out_csv = tmp_path / "t.csv"
    code, _, err = run(["measure", tmp_path / "cells.ome.tif", "--labels", tmp_path / "labels.tif", "-o", out_csv], capsys)
    assert code == 0, err
    assert pd.read_csv(out_csv)["area_um2"].tolist() == [0.5, 0.75, 0.125]
    code, _, err = run(
        ["measure", tmp_path / "cells.ome.tif", "--labels", tmp_path / "labels.tif", "-o", out_csv, "--pixel-size", "0.5"], capsys
    )
    assert code == 0, err
    assert pd.read_csv(out_csv)["area_um2"].tolist() == [1.0, 1.5, 0.25]
    code, _, err = run(
        ["measure", tmp_path / "cells.ome.tif", "--labels", tmp_path / "labels.tif", "--pixel-size", "1,2,3"], capsys
    )
    assert code == 1 and "cells.ome.tif" in err and "3 values" in err
    code, _, err = run(["measure", tmp_path / "cells.ome.tif", "--pixel-size", "abc"], capsys)
    assert code == 2 and "--pixel-size" in err
    code, _, err = run(
        ["measure", tmp_path / "cells.ome.tif", "--filter", "area_um2 > 0.2", "--labels", tmp_path / "labels.tif"], capsys
    )
    assert code == 0, err


def test_view_pixel_size_reaches_the_served_dataset(tmp_path, tiny):
    from regionscope.app.registry import DatasetRegistry
    from regionscope.app.server import open_default

    image, labels, _ = tiny
    path = _ome_tiff(tmp_path / "cells.ome.tif", (image * 100).astype(np.uint16))
    tifffile.imwrite(tmp_path / "labels.tif", labels.astype(np.uint16))
    registry = DatasetRegistry()
    from_file = open_default(registry, path, tmp_path / "labels.tif")
    assert from_file.table["area_um2"].tolist() == [0.5, 0.75, 0.125]
    overridden = open_default(registry, path, tmp_path / "labels.tif", pixel_size=[0.5])
    assert overridden.table["area_um2"].tolist() == [1.0, 1.5, 0.25]
    assert registry.get(overridden.id).table["area_um2"].tolist() == [1.0, 1.5, 0.25]
    arrays = open_default(registry, image, labels, pixel_size=(1.0, 2.0))
    assert arrays.table["area_um2"].tolist() == [8.0, 12.0, 2.0]
