"""Display pictures: contrast limits, 8-bit scaling, planes, composites and encodings."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from PIL import Image

from regionscope.app import display
from regionscope.app.display import (
    COMPOSITE,
    channel_choices,
    contrast_limits,
    decode_index_png,
    display_plane,
    encode_index_png,
    encode_picture,
    image_limits,
    is_rgb,
    outline_width,
    to_uint8,
)
from regionscope.io import ImageData


def _decode(data_url):
    header, payload = data_url.split(",", 1)
    return header, np.asarray(Image.open(io.BytesIO(base64.b64decode(payload))))


# --- contrast_limits -------------------------------------------------------


def test_contrast_limits_are_percentiles():
    # 0..200: the 0.5th and 99.5th percentiles are 1 and 199.
    low, high = contrast_limits(np.arange(201))
    assert low == pytest.approx(1.0)
    assert high == pytest.approx(199.0)


def test_contrast_limits_custom_percentiles():
    assert contrast_limits(np.arange(101, dtype=np.uint8), (10, 90)) == pytest.approx((10.0, 90.0))


def test_contrast_limits_constant_image():
    assert contrast_limits(np.full((3, 4), 7, dtype=np.uint16)) == (7.0, 8.0)


def test_contrast_limits_falls_back_to_min_max_when_percentiles_coincide():
    # 999 zeros and one 1: both percentiles are 0, so the full range is used.
    values = np.zeros(1000)
    values[0] = 1
    assert contrast_limits(values) == (0.0, 1.0)


def test_contrast_limits_ignore_nan_and_inf():
    values = np.array([np.nan, 2.0, np.inf, 4.0, -np.inf, np.nan])
    assert contrast_limits(values, (0, 100)) == (2.0, 4.0)


def test_contrast_limits_all_nan():
    assert contrast_limits(np.full((2, 2), np.nan)) == (0.0, 1.0)


def test_contrast_limits_return_python_floats():
    low, high = contrast_limits(np.arange(10, dtype=np.uint8))
    assert type(low) is float and type(high) is float
    assert low < high


def test_image_limits_one_entry_per_channel():
    data = np.zeros((2, 2, 2))
    data[..., 0] = [[0, 1], [2, 3]]
    data[..., 1] = 5
    image = ImageData(data, channel_names=("a", "b"))
    first, second = image_limits(image)
    assert first == pytest.approx((0.015, 2.985))
    assert second == (5.0, 6.0)
    assert image_limits(ImageData(np.full((2, 2), 3.0))) == [(3.0, 4.0)]


# --- to_uint8 ---------------------------------------------------------------


def test_to_uint8_exact_mapping():
    plane = np.array([[10.0, 12.0, 14.0], [16.0, 18.0, 20.0]])
    expected = np.array([[0, 51, 102], [153, 204, 255]], dtype=np.uint8)
    result = to_uint8(plane, (10, 20))
    assert result.dtype == np.uint8
    assert_array_equal(result, expected)


def test_to_uint8_identity_for_full_8bit_range():
    plane = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert_array_equal(to_uint8(plane, (0, 255)), plane)


def test_to_uint8_clips_outside_limits():
    plane = np.array([-1000.0, 0.0, 9.0, 21.0, 1e9])
    assert_array_equal(to_uint8(plane, (10, 20)), [0, 0, 0, 255, 255])


def test_to_uint8_nan_and_inf():
    plane = np.array([np.nan, np.inf, -np.inf])
    assert_array_equal(to_uint8(plane, (0, 1)), [0, 255, 0])


@pytest.mark.parametrize("high", [7, 14, 28, 41, 0.12, 0.14, 1e-3, 3.3])
def test_to_uint8_upper_limit_is_white(high):
    # Regression: float32 rounding made ``high`` scale to 254.99998 -> 254.
    assert_array_equal(to_uint8(np.array([0.0, high]), (0.0, high)), [0, 255])


# --- display_plane ----------------------------------------------------------


def test_display_plane_2d_gray():
    image = ImageData(np.array([[0, 5], [10, 20]], dtype=np.uint16))
    assert_array_equal(display_plane(image, [(0, 10)]), [[0, 128], [255, 255]])


def test_display_plane_3d_selects_plane():
    data = np.stack([np.full((2, 3), z * 10.0) for z in range(3)])
    image = ImageData(data)
    limits = [(0.0, 20.0)]
    assert_array_equal(display_plane(image, limits, plane=0), np.zeros((2, 3)))
    assert_array_equal(display_plane(image, limits, plane=2), np.full((2, 3), 255))
    assert display_plane(image, limits, plane=1).shape == (2, 3)


def _two_channel():
    data = np.zeros((2, 2, 2), dtype=np.uint16)
    data[0, 0] = [255, 0]  # only channel 0
    data[0, 1] = [0, 255]  # only channel 1
    data[1, 0] = [255, 255]  # both
    return ImageData(data, channel_names=("dna", "actin"))


def test_display_plane_single_channel():
    image = _two_channel()
    limits = [(0, 255), (0, 255)]
    assert_array_equal(display_plane(image, limits, channel=0), [[255, 0], [255, 0]])
    assert_array_equal(display_plane(image, limits, channel=1), [[0, 255], [255, 0]])
    # Dropdown values may arrive as strings.
    assert_array_equal(display_plane(image, limits, channel="1"), [[0, 255], [255, 0]])


def test_display_plane_single_channel_uses_its_own_limits():
    image = _two_channel()
    assert_array_equal(display_plane(image, [(0, 255), (0, 510)], channel=1), [[0, 128], [128, 0]])


def test_display_plane_composite_exact_colours():
    image = _two_channel()
    picture = display_plane(image, [(0, 255), (0, 255)], channel=COMPOSITE)
    assert picture.dtype == np.uint8
    assert picture.shape == (2, 2, 3)
    assert_array_equal(picture[0, 0], [0, 255, 0])  # channel 0: green
    assert_array_equal(picture[0, 1], [255, 0, 255])  # channel 1: magenta
    assert_array_equal(picture[1, 0], [255, 255, 255])  # both: white
    assert_array_equal(picture[1, 1], [0, 0, 0])


def test_display_plane_composite_3d():
    data = np.zeros((2, 1, 1, 2), dtype=np.float32)
    data[1, 0, 0] = [1.0, 0.0]
    image = ImageData(data, channel_names=("a", "b"))
    limits = [(0.0, 1.0), (0.0, 1.0)]
    assert_array_equal(display_plane(image, limits, plane=0), [[[0, 0, 0]]])
    assert_array_equal(display_plane(image, limits, plane=1), [[[0, 255, 0]]])


def test_display_plane_rgb_passthrough():
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    image = ImageData(rgb, channel_names=("R", "G", "B"))
    assert is_rgb(image)
    # The limits are ignored for an RGB picture shown as is.
    picture = display_plane(image, [(0, 1)] * 3, channel=COMPOSITE)
    assert_array_equal(picture, rgb)
    assert picture.flags.c_contiguous


def test_display_plane_rgba_drops_alpha():
    rgba = np.zeros((1, 2, 4), dtype=np.uint8)
    rgba[0, 0] = [1, 2, 3, 0]
    rgba[0, 1] = [4, 5, 6, 255]
    image = ImageData(rgba, channel_names=("R", "G", "B", "A"))
    assert_array_equal(display_plane(image, [(0, 255)] * 4), [[[1, 2, 3], [4, 5, 6]]])


def test_uint16_three_channels_is_not_rgb():
    image = ImageData(np.zeros((2, 2, 3), dtype=np.uint16), channel_names=("a", "b", "c"))
    assert not is_rgb(image)


# --- channel_choices --------------------------------------------------------


def test_channel_choices_gray_is_empty():
    assert channel_choices(ImageData(np.zeros((2, 2)))) == []


def test_channel_choices_multichannel():
    assert channel_choices(_two_channel()) == [
        {"label": "composite", "value": COMPOSITE},
        {"label": "dna", "value": 0},
        {"label": "actin", "value": 1},
    ]


def test_channel_choices_rgb():
    image = ImageData(np.zeros((2, 2, 3), dtype=np.uint8), channel_names=("R", "G", "B"))
    options = channel_choices(image)
    assert options[0] == {"label": "colour (RGB)", "value": COMPOSITE}
    assert [o["value"] for o in options[1:]] == [0, 1, 2]


# --- encode_picture ---------------------------------------------------------


def test_encode_picture_png_round_trips_exactly():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (7, 5), dtype=np.uint8)
    rgb = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    for picture in (gray, rgb):
        header, decoded = _decode(encode_picture(picture))
        assert header == "data:image/png;base64"
        assert_array_equal(decoded, picture)


def test_encode_picture_switches_to_jpeg_above_limit(monkeypatch):
    monkeypatch.setattr(display, "JPEG_ABOVE_PIXELS", 12)
    assert encode_picture(np.zeros((3, 4), dtype=np.uint8)).startswith("data:image/png;base64,")
    url = encode_picture(np.zeros((3, 5), dtype=np.uint8))
    assert url.startswith("data:image/jpeg;base64,")
    assert _decode(url)[1].shape == (3, 5)


def test_encode_picture_default_limit_is_one_megapixel():
    assert display.JPEG_ABOVE_PIXELS == 1024 * 1024
    assert encode_picture(np.zeros((1025, 1024), dtype=np.uint8)).startswith("data:image/jpeg;")


def test_encode_picture_explicit_format():
    assert encode_picture(np.zeros((2, 2), dtype=np.uint8), fmt="jpeg").startswith("data:image/jpeg;")
    big = np.zeros((1025, 1024), dtype=np.uint8)
    assert encode_picture(big, fmt="png").startswith("data:image/png;")


# --- label-index PNG --------------------------------------------------------


def test_index_png_round_trip_24_bits():
    values = np.array(
        [[0, 1, 255, 256], [257, 65535, 65536, 70000], [2**16 + 2**8 + 1, 2**23, 2**24 - 2, 2**24 - 1]],
        dtype=np.uint32,
    )
    url = encode_index_png(values)
    assert url.startswith("data:image/png;base64,")
    decoded = decode_index_png(url)
    assert decoded.dtype == np.uint32
    assert_array_equal(decoded, values)


def test_index_png_byte_layout():
    # R holds the low byte, G the middle one, B the high one.
    _, rgb = _decode(encode_index_png(np.array([[70000]], dtype=np.uint32)))
    assert_array_equal(rgb[0, 0], [70000 & 255, (70000 >> 8) & 255, 70000 >> 16])
    assert_array_equal(rgb[0, 0], [112, 17, 1])


def test_index_png_accepts_other_integer_dtypes():
    values = np.array([[0, 3], [300, 7]], dtype=np.int64)
    assert_array_equal(decode_index_png(encode_index_png(values)), values)


# --- outline_width ----------------------------------------------------------


@pytest.mark.parametrize(
    "shape, width",
    [((10, 10), 1), ((1024, 1024), 1), ((1025, 3), 2), ((3, 2048), 2), ((2049, 100), 3), ((50, 4096, 10), 4)],
)
def test_outline_width(shape, width):
    assert outline_width(shape) == width


def test_display_step_keeps_planes_under_the_largest_side():
    from regionscope.app.display import MAX_DISPLAY_SIDE, display_step

    assert display_step((MAX_DISPLAY_SIDE, 10)) == 1
    assert display_step((3, MAX_DISPLAY_SIDE + 1, 10)) == 2
    assert display_step((10, 3 * MAX_DISPLAY_SIDE)) == 3


def test_visible_window_from_relayout_data():
    from regionscope.app.display import visible_window

    shape = (100, 200)
    assert visible_window(None, shape) is None
    assert visible_window({"xaxis.autorange": True}, shape) is None
    assert visible_window(
        {"xaxis.range[0]": 9.5, "xaxis.range[1]": 19.5, "yaxis.range[0]": 29.5, "yaxis.range[1]": 19.5}, shape, margin=0
    ) == (20, 30, 10, 20)
    assert visible_window({"xaxis.range": [-50, 500], "yaxis.range": [150, -10]}, shape, margin=0) == (0, 100, 0, 200)
    assert visible_window({"xaxis.range": [300, 400], "yaxis.range": [10, 0]}, shape) is None  # outside the image
