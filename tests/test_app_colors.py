"""Region colours: colormap lookup tables, numeric and categorical colours, encodings."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from regionscope.app.colors import (
    CATEGORICAL,
    CLASS_PALETTE,
    COLORMAPS,
    LUT_SIZE,
    MISSING_COLOR,
    categorical_colors,
    colormap_lut,
    encode_bytes,
    lut_colorscale,
    next_class_color,
    numeric_colors,
    numeric_columns,
    region_colors,
    robust_range,
    value_range,
)

# Viridis is used from 15 % up (DARK_START): its first colour is viridis(0.15).
VIRIDIS_FIRST = [68, 52, 126]
VIRIDIS_LAST = [0xFD, 0xE7, 0x25]  # "#fde725"


# --- colormap_lut -------------------------------------------------------------


def test_colormap_lut_shape_and_dtype():
    lut = colormap_lut("Viridis")
    assert lut.shape == (LUT_SIZE, 3) == (256, 3)
    assert lut.dtype == np.uint8


def test_colormap_lut_viridis_ends():
    lut = colormap_lut("Viridis")
    assert_array_equal(lut[0], VIRIDIS_FIRST)
    assert_array_equal(lut[-1], VIRIDIS_LAST)


def test_colormap_lut_case_insensitive_and_reversed():
    assert_array_equal(colormap_lut("viridis"), colormap_lut("Viridis"))
    reversed_lut = colormap_lut("Viridis_r")
    assert_array_equal(reversed_lut[0], VIRIDIS_LAST)
    assert_array_equal(reversed_lut[-1], VIRIDIS_FIRST)


def test_colormap_lut_greys_ends():
    lut = colormap_lut("Greys", size=5)
    assert lut.shape == (5, 3)
    # Plotly's Greys goes from white to black.
    assert_array_equal(lut[0], [255, 255, 255])
    assert_array_equal(lut[-1], [0, 0, 0])


@pytest.mark.parametrize("name", COLORMAPS)
def test_every_offered_colormap_exists(name):
    assert colormap_lut(name).shape == (256, 3)


# --- value_range / numeric_colors ----------------------------------------------


def test_value_range():
    assert value_range([3.0, np.nan, -1.0, np.inf]) == (-1.0, 3.0)
    assert value_range([np.nan, np.nan]) is None
    assert value_range([]) is None


def test_numeric_colors_min_max_and_missing():
    lut = colormap_lut("Viridis")
    colors = numeric_colors(np.array([2.0, 4.0, np.nan, 6.0]), "Viridis")
    assert colors.shape == (4, 3)
    assert colors.dtype == np.uint8
    assert_array_equal(colors[0], lut[0])
    assert_array_equal(colors[1], lut[128])  # 0.5 * 255 = 127.5 rounds to 128
    assert_array_equal(colors[2], MISSING_COLOR)
    assert_array_equal(colors[3], lut[-1])


def test_numeric_colors_integer_input():
    colors = numeric_colors(np.array([0, 255], dtype=np.int64), "Viridis")
    assert_array_equal(colors, [VIRIDIS_FIRST, VIRIDIS_LAST])


def test_numeric_colors_constant_values():
    colors = numeric_colors(np.full(3, 5.0), "Viridis")
    assert_array_equal(colors, np.tile(VIRIDIS_FIRST, (3, 1)))


def test_numeric_colors_all_missing():
    colors = numeric_colors(np.array([np.nan, np.nan]), "Viridis")
    assert_array_equal(colors, [MISSING_COLOR, MISSING_COLOR])


def test_numeric_colors_explicit_limits_clip():
    lut = colormap_lut("Viridis")
    colors = numeric_colors(np.array([-10.0, 0.0, 5.0, 10.0, 99.0]), "Viridis", limits=(0.0, 10.0))
    assert_array_equal(colors[0], lut[0])
    assert_array_equal(colors[1], lut[0])
    assert_array_equal(colors[2], lut[128])
    assert_array_equal(colors[3], lut[255])
    assert_array_equal(colors[4], lut[255])


def test_numeric_colors_empty():
    assert numeric_colors(np.array([]), "Viridis").shape == (0, 3)


# --- categorical_colors ---------------------------------------------------------


def test_categorical_colors_deterministic():
    labels = np.array([1, 2, 3, 1000, 1])
    first = categorical_colors(labels)
    assert first.shape == (5, 3)
    assert first.dtype == np.uint8
    assert_array_equal(first, categorical_colors(labels))
    assert_array_equal(first[0], first[4])
    assert_array_equal(categorical_colors([7]), categorical_colors(np.array([7], dtype=np.uint16)))


def test_categorical_colors_consecutive_labels_differ():
    labels = np.arange(0, 3 * len(CATEGORICAL))
    colors = categorical_colors(labels).astype(int)
    assert np.all(np.any(colors[1:] != colors[:-1], axis=1))


def test_categorical_colors_wrap_around_palette():
    n = len(CATEGORICAL)
    assert_array_equal(categorical_colors([1]), categorical_colors([1 + n]))


# --- region_colors --------------------------------------------------------------


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "label": np.array([1, 2, 5], dtype=np.int64),
            "area": np.array([10, 20, 30], dtype=np.int64),
            "solidity": [0.5, np.nan, 1.0],
            "touches_border": [True, False, True],
            "kind": ["a", "b", "c"],
        }
    )


def test_region_colors_label_is_categorical_without_colorbar(table):
    colors, colorbar = region_colors(table, "label", "Viridis")
    assert colorbar is None
    assert_array_equal(colors, categorical_colors([1, 2, 5]))


def test_region_colors_unknown_column_falls_back_to_label(table):
    colors, colorbar = region_colors(table, "no such column", "Viridis")
    assert colorbar is None
    assert_array_equal(colors, categorical_colors([1, 2, 5]))


def test_region_colors_numeric_column(table):
    colors, colorbar = region_colors(table, "area", "Viridis")
    assert colorbar == {
        "title": "area",
        "colorscale": lut_colorscale("Viridis"),
        "cmin": 10.0,
        "cmax": 30.0,
        "auto": (10.0, 30.0),
    }
    assert_array_equal(colors, colormap_lut("Viridis")[[0, 128, 255]])


def test_region_colors_missing_values(table):
    colors, colorbar = region_colors(table, "solidity", "Greys")
    assert (colorbar["cmin"], colorbar["cmax"]) == (0.5, 1.0)
    assert_array_equal(colors[1], MISSING_COLOR)
    assert_array_equal(colors[[0, 2]], [[255, 255, 255], [0, 0, 0]])


def test_region_colors_boolean_column(table):
    colors, colorbar = region_colors(table, "touches_border", "Greys")
    assert (colorbar["cmin"], colorbar["cmax"]) == (0.0, 1.0)
    # True is the high end (black in Greys), False the low end (white).
    assert_array_equal(colors, [[0, 0, 0], [255, 255, 255], [0, 0, 0]])


def test_region_colors_nullable_column_with_missing():
    table = pd.DataFrame({"label": [1, 2], "n": pd.array([3, None], dtype="Int64")})
    colors, colorbar = region_colors(table, "n", "Viridis")
    assert (colorbar["cmin"], colorbar["cmax"]) == (3.0, 3.0)
    assert_array_equal(colors, [VIRIDIS_FIRST, MISSING_COLOR])


def test_robust_range_leaves_out_one_outlier_among_few_regions():
    # coins: 23 coins of 1,000-3,100 px and one background region merged with a coin.
    areas = [
        1050,
        1100,
        1180,
        1240,
        1300,
        1330,
        1400,
        1450,
        1500,
        1520,
        1580,
        1600,
        1650,
        1700,
        1720,
        1800,
        1900,
        1950,
        2000,
        2200,
        2400,
        2606,
        3100,
        9076,
    ]
    assert robust_range(areas) == (1050.0, 3100.0)


def test_robust_range_leaves_out_two_percent_of_many_regions():
    values = np.arange(1000, dtype=float)  # uniform: no outliers by the fences
    assert robust_range(values) == (20.0, 979.0)


def test_robust_range_constant_missing_and_empty():
    assert robust_range([5.0, 5.0, np.nan]) == (5.0, 5.0)
    assert robust_range([np.nan, np.inf]) is None
    # Mostly one value (quartiles equal): the range falls back to min..max.
    assert robust_range([0, 0, 0, 0, 0, 0, 0, 1]) == (0.0, 1.0)


def test_region_colors_user_limits_override_either_end(table):
    colors, colorbar = region_colors(table, "area", "Viridis", limits=(None, 20))
    assert (colorbar["cmin"], colorbar["cmax"], colorbar["auto"]) == (10.0, 20.0, (10.0, 30.0))
    assert_array_equal(colors, colormap_lut("Viridis")[[0, 255, 255]])
    _, colorbar = region_colors(table, "area", "Viridis", limits=(25, 15))  # given the wrong way round
    assert (colorbar["cmin"], colorbar["cmax"]) == (15.0, 25.0)


def test_next_class_color_takes_the_first_unused_palette_colour():
    assert next_class_color([]) == CLASS_PALETTE[0]
    assert next_class_color([{"name": "a", "color": CLASS_PALETTE[0].upper()}]) == CLASS_PALETTE[1]
    taken = [{"name": str(k), "color": c} for k, c in enumerate(CLASS_PALETTE)]
    assert next_class_color(taken) in CLASS_PALETTE


# --- numeric_columns ------------------------------------------------------------


def test_numeric_columns_order(table):
    shuffled = table[["area", "kind", "solidity", "label", "touches_border"]]
    assert numeric_columns(shuffled) == ["label", "area", "solidity", "touches_border"]


def test_numeric_columns_excludes_strings(table):
    assert "kind" not in numeric_columns(table)


# --- encode_bytes ---------------------------------------------------------------


@pytest.mark.parametrize(
    "array",
    [
        np.array([[1, 2, 3], [255, 0, 128]], dtype=np.uint8),
        np.array([0.5, -1.25, np.nan], dtype=np.float32),
        np.array([1, 70000, 2**31 - 1], dtype=np.uint32),
    ],
)
def test_encode_bytes_round_trip(array):
    decoded = np.frombuffer(base64.b64decode(encode_bytes(array)), dtype=array.dtype.newbyteorder("<"))
    assert_array_equal(decoded.reshape(array.shape), array)


def test_encode_bytes_is_little_endian():
    big = np.array([1, 256], dtype=">u2")
    assert base64.b64decode(encode_bytes(big)) == b"\x01\x00\x00\x01"


def test_encode_bytes_non_contiguous():
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)[:, ::2]
    assert base64.b64decode(encode_bytes(array)) == bytes([0, 2, 4, 6, 8, 10])


def test_lut_colorscale_matches_the_lookup_table():
    scale = lut_colorscale("Viridis")
    lut = colormap_lut("Viridis")
    assert scale[0] == [0.0, "rgb({},{},{})".format(*lut[0])]
    assert scale[-1] == [1.0, "rgb({},{},{})".format(*lut[-1])]
