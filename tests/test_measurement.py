"""Tests of regionscope.measure: exact values on tiny arrays, named edge cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import ndimage as ndi
from skimage import filters
from skimage.measure import label as sk_label
from skimage.measure import regionprops_table

from regionscope import DEFAULT_PROPERTIES, MeasurementError, RegionscopeError, measure
from regionscope.cli import main

#: ``regionscope measure crop.png --properties label,area,perimeter,mean_intensity``
#: on ``skimage.data.coins()[10:150, 10:150]``: the first five rows, as printed
#: with six decimals (the numbers of the classic scikit-image tutorial).
CLASSIC_ROWS = [
    ("1", "545", "143.018290", "172.022018"),
    ("2", "1289", "273.670094", "169.703646"),
    ("3", "1088", "149.917785", "185.149816"),
    ("4", "2", "0.000000", "176.500000"),
    ("5", "1286", "181.616270", "191.275272"),
]


def _formatted_rows(table, n=5):
    return [
        (str(row.label), str(row.area), f"{row.perimeter:.6f}", f"{row.intensity_mean:.6f}") for row in table.head(n).itertuples()
    ]


# --------------------------------------------------------------------------
# Exact values on a tiny hand-made image
# --------------------------------------------------------------------------


def test_exact_values_on_tiny_image(tiny):
    image, labels, expected = tiny
    props = ["label", "area", "centroid", "bbox", "touches_border", "intensity_mean", "intensity_min", "intensity_max"]
    table = measure(image, labels, props)
    assert list(table.columns) == list(expected)
    for column, values in expected.items():
        assert table[column].tolist() == values, column


def test_default_properties_on_tiny_image(tiny):
    image, labels, expected = tiny
    table = measure(image, labels)
    assert list(table.columns[:2]) == ["label", "area"]
    for column, values in expected.items():
        assert table[column].tolist() == values, column
    # One pixel has no perimeter; a 2 x 2 square has no hole.
    assert table["perimeter"].iloc[2] == 0
    assert table["euler_number"].tolist() == [1, 1, 1]


def test_label_column_first_even_when_not_asked(tiny):
    image, labels, _ = tiny
    table = measure(image, labels, ["area", "centroid"])
    assert list(table.columns) == ["label", "area", "centroid-0", "centroid-1"]


def test_columns_follow_the_requested_order(tiny):
    image, labels, _ = tiny
    table = measure(image, labels, ["intensity_max", "area", "label", "bbox"])
    assert list(table.columns) == ["label", "intensity_max", "area", "bbox-0", "bbox-1", "bbox-2", "bbox-3"]


def test_properties_as_comma_separated_string(tiny):
    image, labels, _ = tiny
    table = measure(image, labels, "label, area ,intensity_mean")
    assert list(table.columns) == ["label", "area", "intensity_mean"]
    assert table["intensity_mean"].tolist() == [25.0, 3.5, 7.0]


def test_duplicate_properties_give_one_column(tiny):
    image, labels, _ = tiny
    table = measure(image, labels, ["area", "area", "mean_intensity", "intensity_mean"])
    assert list(table.columns) == ["label", "area", "intensity_mean"]


def test_touches_border_without_bbox_adds_no_bbox_columns(tiny):
    image, labels, _ = tiny
    table = measure(image, labels, ["touches_border"])
    assert list(table.columns) == ["label", "touches_border"]
    assert table["touches_border"].dtype == bool
    assert table["touches_border"].tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("region", "touches"),
    [
        ((slice(0, 1), slice(2, 4)), True),  # top
        ((slice(5, 6), slice(2, 4)), True),  # bottom
        ((slice(2, 4), slice(0, 1)), True),  # left
        ((slice(2, 4), slice(7, 8)), True),  # right
        ((slice(0, 6), slice(0, 8)), True),  # the whole image
        ((slice(1, 5), slice(1, 7)), False),  # one pixel from every edge
    ],
    ids=["top", "bottom", "left", "right", "everything", "inside"],
)
def test_touches_border_each_edge(region, touches):
    labels = np.zeros((6, 8), dtype=np.uint8)
    labels[region] = 1
    assert measure(None, labels, ["touches_border"])["touches_border"].tolist() == [touches]


def test_region_with_a_hole():
    labels = np.zeros((5, 5), dtype=np.int32)
    labels[1:4, 1:4] = 4
    labels[2, 2] = 0
    table = measure(None, labels, ["area", "area_filled", "euler_number", "centroid", "touches_border"])
    assert table["label"].tolist() == [4]
    assert table["area"].tolist() == [8]
    assert table["area_filled"].tolist() == [9]
    assert table["euler_number"].tolist() == [0]  # one object, one hole
    assert table[["centroid-0", "centroid-1"]].values.tolist() == [[2.0, 2.0]]
    assert table["touches_border"].tolist() == [False]


def test_label_made_of_two_separate_parts():
    labels = np.zeros((4, 7), dtype=np.int32)
    labels[1:3, 0:2] = 9  # 4 pixels, centroid (1.5, 0.5)
    labels[1:3, 4:7] = 9  # 6 pixels, centroid (1.5, 5.0)
    table = measure(None, labels, ["area", "centroid", "bbox", "euler_number"])
    assert len(table) == 1
    assert table["area"].tolist() == [10]
    assert table["centroid-0"].tolist() == [1.5]
    assert_allclose(table["centroid-1"], [(4 * 0.5 + 6 * 5.0) / 10], rtol=1e-12)
    assert table[["bbox-0", "bbox-1", "bbox-2", "bbox-3"]].values.tolist() == [[1, 0, 3, 7]]
    assert table["euler_number"].tolist() == [2]


def test_single_region():
    labels = np.zeros((3, 3), dtype=np.int64)
    labels[1, 1] = 1
    table = measure(np.arange(9.0).reshape(3, 3), labels, ["area", "intensity_mean", "centroid"])
    assert table.values.tolist() == [[1, 1, 4.0, 1.0, 1.0]]


def test_boolean_labels_are_labelled():
    mask = np.zeros((4, 6), dtype=bool)
    mask[0:2, 0:2] = True
    mask[3, 3:6] = True
    table = measure(None, mask, ["area"])
    assert table.values.tolist() == [[1, 4], [2, 3]]


# --------------------------------------------------------------------------
# Names: legacy, unknown, impossible
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("legacy", "current"),
    [
        ("mean_intensity", "intensity_mean"),
        ("max_intensity", "intensity_max"),
        ("min_intensity", "intensity_min"),
        ("major_axis_length", "axis_major_length"),
        ("filled_area", "area_filled"),
        ("bbox_area", "area_bbox"),
    ],
)
def test_legacy_names_give_current_columns(tiny, legacy, current):
    image, labels, _ = tiny
    table = measure(image, labels, ["label", legacy])
    assert list(table.columns) == ["label", current]
    assert_array_equal(table[current], measure(image, labels, [current])[current])


def test_legacy_mean_intensity_values(tiny):
    image, labels, expected = tiny
    table = measure(image, labels, ["mean_intensity"])
    assert table["intensity_mean"].tolist() == expected["intensity_mean"]


def test_unknown_property_is_named_with_a_suggestion(tiny):
    image, labels, _ = tiny
    with pytest.raises(MeasurementError, match=r"unknown property 'perimetr'.*Did you mean 'perimeter'"):
        measure(image, labels, ["area", "perimetr"])


def test_unknown_property_without_close_match(tiny):
    image, labels, _ = tiny
    with pytest.raises(MeasurementError, match="unknown property 'xyzzy'") as info:
        measure(image, labels, ["xyzzy"])
    assert isinstance(info.value, RegionscopeError)
    assert isinstance(info.value, ValueError)


def test_array_valued_property_is_refused(tiny):
    image, labels, _ = tiny
    with pytest.raises(MeasurementError, match="'coords'.*array per region"):
        measure(image, labels, ["coords"])


def test_intensity_property_needs_an_image(tiny):
    _, labels, _ = tiny
    with pytest.raises(MeasurementError, match="'intensity_mean' needs an intensity image"):
        measure(None, labels, ["mean_intensity"])


def test_defaults_without_image_have_no_intensity_columns(tiny):
    _, labels, _ = tiny
    table = measure(None, labels)
    assert not [c for c in table.columns if c.startswith("intensity")]
    assert list(table.columns[:3]) == ["label", "area", "perimeter"]


# --------------------------------------------------------------------------
# No regions, non-sequential labels
# --------------------------------------------------------------------------


def test_empty_label_image_gives_empty_table_with_same_columns(tiny):
    image, labels, _ = tiny
    full = measure(image, labels)
    empty = measure(image, np.zeros_like(labels))
    assert isinstance(empty, pd.DataFrame)
    assert len(empty) == 0
    assert list(empty.columns) == list(full.columns)
    assert list(empty.dtypes) == list(full.dtypes)


def test_empty_label_image_with_named_properties(tiny):
    image, labels, _ = tiny
    props = ["area", "bbox", "touches_border", "mean_intensity"]
    empty = measure(image, np.zeros_like(labels), props)
    assert len(empty) == 0
    assert list(empty.columns) == list(measure(image, labels, props).columns)


def test_empty_multichannel_and_3d_tables_keep_their_columns():
    image = np.random.default_rng(1).random((4, 6, 6, 2))
    labels = np.zeros((4, 6, 6), dtype=np.int32)
    empty = measure(image, labels, channel_names=["a", "b"])
    labels[1:3, 1:3, 1:3] = 1
    full = measure(image, labels, channel_names=["a", "b"])
    assert len(empty) == 0 and len(full) == 1
    assert list(empty.columns) == list(full.columns)


def test_nonsequential_labels_keep_their_values_sorted(nonsequential):
    table = measure(None, nonsequential, ["area", "centroid"])
    assert table["label"].tolist() == [3, 10, 200]
    assert table["area"].tolist() == [3, 2, 1]
    assert table[["centroid-0", "centroid-1"]].values.tolist() == [[4.0, 4.0], [2.0, 2.5], [0.0, 0.0]]
    assert table.index.tolist() == [0, 1, 2]


def test_huge_label_values():
    labels = np.zeros((3, 4), dtype=np.int64)
    labels[0, 0] = 10**9
    labels[2, 2:4] = 7
    table = measure(None, labels, ["area"])
    assert table.values.tolist() == [[7, 2], [10**9, 1]]


# --------------------------------------------------------------------------
# Channels
# --------------------------------------------------------------------------


@pytest.fixture
def two_channels(tiny):
    image, labels, _ = tiny
    return np.stack([image, 100 + 2 * image], axis=-1), labels


def test_multichannel_with_channel_names(two_channels):
    image, labels = two_channels
    table = measure(image, labels, ["mean_intensity", "intensity_max"], channel_names=["DAPI", "GFP"])
    assert list(table.columns) == [
        "label",
        "intensity_mean-DAPI",
        "intensity_mean-GFP",
        "intensity_max-DAPI",
        "intensity_max-GFP",
    ]
    assert table["intensity_mean-DAPI"].tolist() == [25.0, 3.5, 7.0]
    assert table["intensity_mean-GFP"].tolist() == [150.0, 107.0, 114.0]
    assert table["intensity_max-GFP"].tolist() == [180.0, 112.0, 114.0]


def test_multichannel_default_channel_names(two_channels):
    image, labels = two_channels
    table = measure(image, labels, ["intensity_mean", "intensity_min"])
    assert list(table.columns) == [
        "label",
        "intensity_mean-ch0",
        "intensity_mean-ch1",
        "intensity_min-ch0",
        "intensity_min-ch1",
    ]
    assert table["intensity_min-ch1"].tolist() == [120.0, 102.0, 114.0]


def test_multichannel_weighted_centroid_gets_channel_names(two_channels):
    image, labels = two_channels
    table = measure(image, labels, ["centroid_weighted"], channel_names=["DAPI", "GFP"])
    assert list(table.columns) == [
        "label",
        "centroid_weighted-0-DAPI",
        "centroid_weighted-0-GFP",
        "centroid_weighted-1-DAPI",
        "centroid_weighted-1-GFP",
    ]
    # Region 1: weights 10 20 / 30 40 -> row (10 + 20) * 1 + (30 + 40) * 2 over 100.
    assert table["centroid_weighted-0-DAPI"].iloc[0] == pytest.approx(1.7)


def test_rgb_uint8_channels_are_red_green_blue(tiny):
    _, labels, _ = tiny
    rgb = np.zeros(labels.shape + (3,), dtype=np.uint8)
    rgb[..., 0] = 10 * labels
    rgb[..., 1] = 20
    rgb[..., 2] = 255
    table = measure(rgb, labels, ["intensity_mean"])
    assert list(table.columns) == ["label", "intensity_mean-red", "intensity_mean-green", "intensity_mean-blue"]
    assert table["intensity_mean-red"].tolist() == [10.0, 20.0, 30.0]
    assert table["intensity_mean-green"].tolist() == [20.0, 20.0, 20.0]
    assert table["intensity_mean-blue"].tolist() == [255.0, 255.0, 255.0]


def test_wrong_number_of_channel_names(two_channels):
    image, labels = two_channels
    with pytest.raises(MeasurementError, match="3 channel names given for an image with 2 channels"):
        measure(image, labels, ["intensity_mean"], channel_names=["a", "b", "c"])


# --------------------------------------------------------------------------
# 3D
# --------------------------------------------------------------------------


@pytest.fixture
def labels_3d():
    labels = np.zeros((4, 5, 6), dtype=np.int32)
    labels[0:2, 1:3, 1:4] = 1  # 2 x 2 x 3 block touching z = 0
    labels[2:4, 3:5, 4:6] = 2  # 2 x 2 x 2 block in the far corner
    labels[2, 1, 1] = 3  # one voxel, inside
    return labels


def test_3d_defaults_exclude_planar_properties(labels_3d):
    table = measure(None, labels_3d)
    for name in ("perimeter", "eccentricity", "orientation"):
        assert name not in table.columns
    assert {"centroid-2", "bbox-5", "axis_major_length", "touches_border"} <= set(table.columns)


def test_3d_exact_values(labels_3d):
    image = np.arange(labels_3d.size, dtype=np.float64).reshape(labels_3d.shape)
    table = measure(image, labels_3d, ["area", "centroid", "bbox", "touches_border", "intensity_min"])
    assert table["area"].tolist() == [12, 8, 1]
    assert table[["centroid-0", "centroid-1", "centroid-2"]].values.tolist() == [
        [0.5, 1.5, 2.0],
        [2.5, 3.5, 4.5],
        [2.0, 1.0, 1.0],
    ]
    assert table[[f"bbox-{i}" for i in range(6)]].values.tolist() == [
        [0, 1, 1, 2, 3, 4],
        [2, 3, 4, 4, 5, 6],
        [2, 1, 1, 3, 2, 2],
    ]
    assert table["touches_border"].tolist() == [True, True, False]
    assert table["intensity_min"].tolist() == [image[0, 1, 1], image[2, 3, 4], image[2, 1, 1]]


@pytest.mark.parametrize("name", ["perimeter", "eccentricity", "orientation"])
def test_3d_planar_property_is_an_error(labels_3d, name):
    with pytest.raises(MeasurementError, match=f"'{name}' is defined for 2D images only; this label image is 3D"):
        measure(None, labels_3d, ["area", name])


def test_3d_flat_region_has_nan_solidity_and_no_warning(labels_3d, recwarn):
    table = measure(None, labels_3d, ["solidity"])
    assert table["solidity"].iloc[0] == pytest.approx(1.0)
    assert np.isnan(table["solidity"].iloc[2])  # one voxel: no convex volume
    assert not [w for w in recwarn if issubclass(w.category, (UserWarning, RuntimeWarning))]


# --------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------


def test_shape_mismatch(tiny):
    image, labels, _ = tiny
    with pytest.raises(MeasurementError, match=r"spatial shape \(6, 7\).*shape \(6, 8\)"):
        measure(image[:, :7], labels)


def test_shape_mismatch_multichannel(two_channels):
    image, labels = two_channels
    with pytest.raises(MeasurementError, match="differ in shape"):
        measure(image[:5], labels)


def test_float_labels_are_refused(tiny):
    image, labels, _ = tiny
    with pytest.raises(MeasurementError, match="integer array, not float64"):
        measure(image, labels.astype(float))


@pytest.mark.parametrize("shape", [(8,), (2, 3, 4, 5)])
def test_labels_of_unsupported_dimension(shape):
    with pytest.raises(MeasurementError, match="2D .* or 3D"):
        measure(None, np.ones(shape, dtype=np.int32))


def test_neither_image_nor_labels():
    with pytest.raises(MeasurementError, match="give an image, labels, or both"):
        measure(None, None)


# --------------------------------------------------------------------------
# Agreement with scikit-image, dtypes, segmentation default
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def random_regions():
    """Blobs from smoothed noise (ragged shapes, holes, border contact) and a random image."""
    rng = np.random.default_rng(12345)
    smooth = ndi.gaussian_filter(rng.random((64, 80)), 2.5)
    labels = sk_label(smooth > np.percentile(smooth, 60)).astype(np.int32)
    image = rng.random((64, 80)) * 1000
    assert labels.max() >= 5
    return image, labels


def test_values_equal_regionprops_table(random_regions):
    image, labels = random_regions
    ours = measure(image, labels)
    skimage_names = [name for name in DEFAULT_PROPERTIES if name != "touches_border"]
    reference = pd.DataFrame(regionprops_table(labels, image, properties=skimage_names))
    assert set(reference.columns) <= set(ours.columns)
    for column in reference.columns:
        assert_allclose(ours[column].to_numpy(float), reference[column].to_numpy(float), rtol=1e-9, err_msg=column)


def test_values_equal_regionprops_table_multichannel(random_regions):
    image, labels = random_regions
    stack = np.stack([image, image[::-1]], axis=-1)
    ours = measure(stack, labels, ["intensity_mean", "intensity_std"], channel_names=["DAPI", "GFP"])
    reference = regionprops_table(labels, stack, properties=["intensity_mean", "intensity_std"])
    for prop in ("intensity_mean", "intensity_std"):
        for index, name in enumerate(["DAPI", "GFP"]):
            assert_allclose(ours[f"{prop}-{name}"], reference[f"{prop}-{index}"], rtol=1e-9)


def test_touches_border_agrees_with_bbox(random_regions):
    image, labels = random_regions
    table = measure(image, labels, ["bbox", "touches_border"])
    rows, cols = labels.shape
    by_bbox = (table["bbox-0"] == 0) | (table["bbox-1"] == 0) | (table["bbox-2"] == rows) | (table["bbox-3"] == cols)
    assert table["touches_border"].tolist() == by_bbox.tolist()
    assert table["touches_border"].any() and not table["touches_border"].all()


def test_counts_are_int64_without_spacing(random_regions):
    image, labels = random_regions
    table = measure(image, labels, ["area", "bbox", "area_filled", "euler_number", "perimeter"])
    for column in ["label", "area", "area_filled", "euler_number"] + [f"bbox-{i}" for i in range(4)]:
        assert table[column].dtype == np.int64, column
    assert table["perimeter"].dtype == np.float64


def test_spacing_adds_physical_columns_and_keeps_pixels(tiny):
    # With a pixel size the pixel columns stay and physical ones (unit in the name) follow them;
    # more in tests/reliability/test_pixel_size.py.
    image, labels, _ = tiny
    table = measure(image, labels, ["area", "centroid"], spacing=(2.0, 3.0))
    assert table["area"].tolist() == [4, 6, 1] and table["area"].dtype == np.int64
    assert table["area_um2"].tolist() == [24.0, 36.0, 6.0]
    assert table["area_um2"].dtype == np.float64
    assert table["label"].dtype == np.int64
    assert table["centroid_um-1"].tolist() == [4.5, 19.5, 12.0]


def test_labels_none_segments_with_otsu(coins_crop):
    from skimage.segmentation import relabel_sequential

    from regionscope.segmentation import DEFAULT_MIN_SIZE, remove_small_regions

    otsu = sk_label(coins_crop > filters.threshold_otsu(coins_crop))
    # The segment() defaults: Otsu without the regions under DEFAULT_MIN_SIZE (a 2-pixel speck here).
    reference_labels = relabel_sequential(remove_small_regions(otsu, DEFAULT_MIN_SIZE))[0]
    expected = measure(coins_crop, reference_labels, ["area", "intensity_mean"])
    table = measure(coins_crop, None, ["area", "intensity_mean"])
    pd.testing.assert_frame_equal(table, expected)
    assert otsu.max() == 7 and table["label"].tolist() == list(range(1, 7))


def test_docstring_example(coins_crop):
    table = measure(coins_crop, properties=["label", "area"])
    assert table.head(2).values.tolist() == [[1, 545], [2, 1289]]


def test_classic_reference_in_python(coins_crop):
    from regionscope import segment

    # The classic pipeline keeps every region: min_size=0 (the default drops the 2-pixel region 4).
    table = measure(coins_crop, segment(coins_crop, min_size=0), properties=["label", "area", "perimeter", "mean_intensity"])
    assert len(table) == 7
    assert _formatted_rows(table) == CLASSIC_ROWS


# --------------------------------------------------------------------------
# THE CLASSIC REFERENCE through the command line (acceptance test)
# --------------------------------------------------------------------------

CLASSIC_ARGS = ["--properties", "label,area,perimeter,mean_intensity", "--min-size", "0"]  # keep every region


def _check_classic_csv(path):
    table = pd.read_csv(path)
    assert list(table.columns) == ["label", "area", "perimeter", "intensity_mean"]
    assert len(table) == 7
    assert _formatted_rows(table) == CLASSIC_ROWS


def test_classic_reference_cli_in_process(coins_png, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["measure", str(coins_png), *CLASSIC_ARGS, "-o", str(out)]) == 0
    assert "7 regions written" in capsys.readouterr().err
    _check_classic_csv(out)


def test_classic_reference_cli_subprocess(coins_png, tmp_path):
    script = Path(sys.executable).with_name("regionscope")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "regionscope.cli"]
    result = subprocess.run(
        [*command, "measure", "crop.png", *CLASSIC_ARGS, "-o", "out.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    _check_classic_csv(tmp_path / "out.csv")


def test_workers_choose_the_threads_and_not_the_values():
    # measure() controls fast_measure's thread pool (1 inside a Dask task); the table is the same.
    rng = np.random.default_rng(5)
    labels = np.kron(rng.integers(0, 40, (30, 30)), np.ones((3, 3), dtype=np.int64))
    image = rng.random(labels.shape)
    pd.testing.assert_frame_equal(measure(image, labels, workers=1), measure(image, labels, workers=2))
