"""Tests of regionscope.segment: the classic Otsu pipeline and its clean-up options."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from skimage import filters
from skimage.color import rgb2gray
from skimage.measure import label as sk_label

from regionscope import METHODS, RegionscopeError, segment
from regionscope.segmentation import DEFAULT_MIN_SIZE, DEFAULTS, SegmentationError, segmentation_settings

#: ``segment`` keeping every region: these tests are about the thresholding and
#: clean-up steps on tiny arrays, not about the default minimum size (tested below).
segment_all = partial(segment, min_size=0)


def assert_sequential(labels):
    """Labels are int32 and their values are exactly 1..N (plus background 0)."""
    assert labels.dtype == np.int32
    values = set(np.unique(labels).tolist()) - {0}
    assert values == set(range(1, len(values) + 1))


def blocks(shape, boxes, value=200, background=10, dtype=np.uint8):
    """An image with bright rectangles ``(r0, r1, c0, c1)`` on a dark background."""
    image = np.full(shape, background, dtype=dtype)
    for r0, r1, c0, c1 in boxes:
        image[r0:r1, c0:c1] = value
    return image


def discs(shape, centres, radius):
    rows, cols = np.indices(shape)
    mask = np.zeros(shape, dtype=bool)
    for r, c in centres:
        mask |= (rows - r) ** 2 + (cols - c) ** 2 <= radius**2
    return mask


# --------------------------------------------------------------------------
# The defaults: the classic pipeline without the specks (issue 8, point 4)
# --------------------------------------------------------------------------


def test_default_drops_regions_below_the_default_min_size(coins):
    everything = sk_label(coins > filters.threshold_otsu(coins))
    assert everything.max() == 96  # mostly 1-pixel specks
    result = segment(coins)
    assert DEFAULT_MIN_SIZE == 64 == DEFAULTS["min_size"]
    assert result.max() == 24  # the coins
    assert_array_equal(result, segment_all(coins, min_size=DEFAULT_MIN_SIZE))
    assert np.bincount(result.ravel())[1:].min() >= DEFAULT_MIN_SIZE


def test_default_min_size_counts_voxels_in_3d():
    volume = np.zeros((6, 20, 20), dtype=np.uint8)
    volume[1:5, 2:8, 2:8] = 200  # 144 voxels
    volume[0, 15, 15] = volume[3, 12, 18] = volume[5, 0, 0] = 200  # single voxels
    labels = segment(volume)
    assert labels.max() == 1 and np.count_nonzero(labels) == 144
    assert segment_all(volume).max() == 4


def test_segment_signature_takes_its_defaults_from_DEFAULTS():
    import inspect

    parameters = inspect.signature(segment).parameters
    for name, value in DEFAULTS.items():
        assert parameters[name].default == value, name


def test_settings_fill_in_the_defaults():
    assert segmentation_settings() == dict(DEFAULTS)
    assert segmentation_settings({"min_size": DEFAULT_MIN_SIZE}) == segmentation_settings({})
    assert segmentation_settings({"method": "li"})["method"] == "li"
    assert segmentation_settings({"channel": "Green"}, channel_names=("red", "green", "blue"))["channel"] == 1
    with pytest.raises(SegmentationError, match="unknown segmentation option 'min_area'"):
        segmentation_settings({"min_area": 3})


@pytest.mark.parametrize(
    ("channel", "expected"),
    [(None, None), ("auto", None), ("", None), ("blue", 2), ("BLUE", 2), (" 1 ", 1), ("-1", 2), (0, 0), (2, 2), (-3, 0)],
)
def test_channel_index_by_name_or_index(channel, expected):
    from regionscope.segmentation import channel_index

    assert channel_index(channel, ("red", "green", "blue")) == expected


@pytest.mark.parametrize(
    ("channel", "names", "message"),
    [
        (
            "gren",
            ("red", "green", "blue"),
            r"channel 'gren' does not exist; the image's channels are red, green, blue \(or 0 to 2\)",
        ),
        (3, ("red", "green", "blue"), r"channel 3 does not exist; the image's channels are red, green, blue"),
        ("1", None, "channel 1 does not exist; the image has a single channel"),
        ("red", None, "channel 'red' does not exist; the image has a single channel"),
        (1.5, ("a", "b"), "channel must be a channel name or index, not 1.5"),
    ],
)
def test_channel_index_errors_name_the_channels(channel, names, message):
    from regionscope.segmentation import channel_index

    with pytest.raises(SegmentationError, match=message):
        channel_index(channel, names)


def test_channel_zero_of_a_single_channel_image_is_the_image():
    from regionscope.segmentation import channel_index

    assert channel_index("0", None) is None


@pytest.mark.parametrize("min_size", [2.5, "10", True])
def test_min_size_must_be_a_whole_number(coins_crop, min_size):
    with pytest.raises(SegmentationError, match="min_size must be a whole number of pixels"):
        segment(coins_crop, min_size=min_size)


# --------------------------------------------------------------------------
# The thresholding is the classic pipeline
# --------------------------------------------------------------------------


def test_default_equals_label_of_otsu(coins):
    expected = sk_label(coins > filters.threshold_otsu(coins))
    result = segment_all(coins)
    assert result.dtype == np.int32
    assert_array_equal(result, expected)


def test_default_equals_label_of_otsu_on_crop(coins_crop):
    expected = sk_label(coins_crop > filters.threshold_otsu(coins_crop))
    assert_array_equal(segment_all(coins_crop), expected)
    assert segment_all(coins_crop).max() == 7


def test_default_on_float_image(coins):
    image = coins / 255.0
    assert_array_equal(segment_all(image), sk_label(image > filters.threshold_otsu(image)))


@pytest.mark.parametrize("dtype", [np.uint16, np.int32])
def test_integer_images_keep_their_levels(coins, dtype):
    """Otsu on integer images histograms each level, as threshold_otsu(image) does."""
    image = coins.astype(dtype) * 3
    assert_array_equal(segment_all(image), sk_label(image > filters.threshold_otsu(image)))


@pytest.mark.parametrize("dtype", [np.uint32, np.int64, np.uint64])
def test_integer_image_with_a_huge_range(dtype):
    """Not one histogram bin per level (that would need gigabytes): thresholded as float."""
    image = np.zeros((20, 20), dtype=dtype)
    image[5:10, 5:10] = 3_000_000_000
    image[12:18, 2:4] = 2_000_000_000
    labels = segment_all(image)
    assert labels.max() == 2
    assert np.count_nonzero(labels) == 25 + 12


def test_boolean_image_is_its_own_mask():
    mask = np.zeros((8, 8), dtype=bool)
    mask[1:3, 1:3] = True
    mask[5:7, 4:8] = True
    assert_array_equal(segment_all(mask), sk_label(mask))


@pytest.mark.parametrize("method", METHODS)
def test_every_method_runs_on_coins(coins, method):
    labels = segment_all(coins, method)
    assert labels.shape == coins.shape
    assert labels.max() > 0
    assert_sequential(labels)


@pytest.mark.parametrize("method", [m for m in METHODS if m != "local"])
def test_global_methods_match_skimage_thresholds(coins, method):
    threshold = getattr(filters, f"threshold_{method}")(coins)
    assert_array_equal(segment_all(coins, method), sk_label(coins > threshold))


def test_method_name_is_case_insensitive(coins_crop):
    assert_array_equal(segment_all(coins_crop, "Otsu"), segment_all(coins_crop))


def test_dark_objects_on_inverted_image_are_the_same_regions(coins):
    assert_array_equal(segment_all(255 - coins, objects="dark"), segment_all(coins))


def test_local_dark_objects_on_inverted_image_are_the_same_regions():
    from regionscope.samples import blobs_2d

    image, truth = blobs_2d()  # flat background: not a dark object
    assert_array_equal(segment_all(255 - image, "local", objects="dark"), segment_all(image, "local"))
    assert_array_equal(segment_all(image, "local") > 0, truth > 0)


def test_dark_objects_are_the_complement_of_bright(coins_crop):
    bright = segment_all(coins_crop) > 0
    dark = segment_all(coins_crop, objects="dark") > 0
    assert_array_equal(dark, ~bright)


# --------------------------------------------------------------------------
# Clean-up options
# --------------------------------------------------------------------------


@pytest.fixture
def four_sizes():
    """Bright squares of 1, 4, 9 and 16 pixels, in that raster order."""
    return blocks((20, 20), [(1, 2, 1, 2), (5, 7, 5, 7), (15, 18, 2, 5), (10, 14, 12, 16)])


def test_no_min_size_keeps_every_region(four_sizes):
    labels = segment_all(four_sizes)
    assert sorted(np.bincount(labels.ravel())[1:].tolist()) == [1, 4, 9, 16]


@pytest.mark.parametrize(
    ("min_size", "kept"),
    [(0, [1, 4, 9, 16]), (1, [1, 4, 9, 16]), (2, [4, 9, 16]), (4, [4, 9, 16]), (5, [9, 16]), (16, [16]), (17, [])],
)
def test_min_size_removes_small_regions_and_relabels(four_sizes, min_size, kept):
    labels = segment_all(four_sizes, min_size=min_size)
    assert_sequential(labels)
    assert labels.max() == len(kept)
    assert sorted(np.bincount(labels.ravel())[1:].tolist()) == kept


def test_fill_holes_fills_a_ring():
    image = blocks((9, 9), [(1, 8, 1, 8)])
    image[3:6, 3:6] = 10  # a 3 x 3 hole
    assert np.count_nonzero(segment_all(image)) == 49 - 9
    filled = segment_all(image, fill_holes=True)
    assert np.count_nonzero(filled) == 49
    assert filled[4, 4] == 1 and filled.max() == 1


def test_fill_holes_does_not_fill_a_bay_open_to_the_border():
    image = blocks((9, 9), [(0, 9, 0, 9)], value=200)
    image[3:6, 0:6] = 10  # a notch reaching the left edge: not a hole
    assert np.count_nonzero(segment_all(image, fill_holes=True)) == 81 - 18


def test_clear_border_drops_regions_touching_the_border():
    image = blocks((12, 12), [(0, 2, 4, 6), (4, 6, 0, 2), (10, 12, 6, 8), (5, 7, 10, 12), (4, 7, 4, 7)])
    assert segment_all(image).max() == 5
    labels = segment_all(image, clear_border=True)
    assert_sequential(labels)
    assert labels.max() == 1
    assert_array_equal(np.argwhere(labels == 1).min(axis=0), [4, 4])
    assert np.count_nonzero(labels) == 9


def test_split_touching_splits_two_overlapping_discs():
    mask = discs((40, 56), [(20, 18), (20, 36)], 10)
    image = np.where(mask, 200, 10).astype(np.uint8)
    assert segment_all(image).max() == 1
    labels = segment_all(image, split_touching=True)
    assert_sequential(labels)
    assert labels.max() == 2
    assert_array_equal(labels > 0, mask)  # splitting loses no pixel
    # Each part holds one disc centre, and the cut lies between them.
    assert labels[20, 18] != labels[20, 36]
    assert {labels[20, 10], labels[20, 44]} == {1, 2}


def test_split_touching_leaves_separate_objects_alone(four_sizes):
    assert_array_equal(segment_all(four_sizes, split_touching=True) > 0, segment_all(four_sizes) > 0)


def test_split_touching_on_empty_image():
    assert segment_all(np.zeros((10, 10)), split_touching=True).max() == 0


# --------------------------------------------------------------------------
# Dimensions and channels
# --------------------------------------------------------------------------


def test_3d_input():
    volume = np.full((6, 20, 20), 10, dtype=np.uint8)
    volume[1:3, 2:6, 2:6] = 200
    volume[3:6, 10:15, 12:18] = 180
    labels = segment_all(volume)
    assert labels.shape == volume.shape
    assert_array_equal(labels, sk_label(volume > filters.threshold_otsu(volume)))
    assert labels.max() == 2
    assert_sequential(labels)


def test_3d_with_min_size():
    volume = np.zeros((5, 12, 12), dtype=np.uint8)
    volume[0:2, 0:2, 0:2] = 255  # 8 voxels
    volume[2:5, 5:10, 5:10] = 255  # 75 voxels
    labels = segment_all(volume, min_size=10)
    assert labels.max() == 1
    assert np.count_nonzero(labels) == 75


def test_rgb_uint8_uses_luminance():
    rgb = np.zeros((20, 30, 3), dtype=np.uint8)
    rgb[2:8, 2:8] = (0, 255, 0)  # bright green: luminance 0.7152
    rgb[12:18, 2:8] = (255, 0, 0)  # red: luminance 0.2125
    rgb[2:8, 20:28] = (0, 0, 255)  # blue: luminance 0.0722
    gray = rgb2gray(rgb)
    labels = segment_all(rgb)
    assert_array_equal(labels, sk_label(gray > filters.threshold_otsu(gray)))
    assert labels[4, 4] > 0 and labels[14, 4] == 0  # green is an object, red is not
    # The first channel alone would have found the red square instead.
    assert segment_all(rgb, channel=0)[14, 4] > 0


def test_rgba_uint8_ignores_alpha():
    rgb = np.zeros((20, 30, 3), dtype=np.uint8)
    rgb[5:15, 5:15] = 255
    rgba = np.concatenate([rgb, np.full((20, 30, 1), 255, np.uint8)], axis=-1)
    assert_array_equal(segment_all(rgba), segment_all(rgb))


@pytest.fixture
def two_channel_image():
    image = np.zeros((20, 20, 2), dtype=np.float64)
    image[2:6, 2:6, 0] = 1.0  # channel 0: top-left square
    image[12:18, 10:16, 1] = 1.0  # channel 1: another square
    return image


def test_channel_picks_a_channel(two_channel_image):
    labels = segment_all(two_channel_image, channel=1)
    assert_array_equal(labels, segment_all(two_channel_image[..., 1]))
    assert labels[14, 12] == 1 and labels[3, 3] == 0
    assert_array_equal(segment_all(two_channel_image, channel=-1), labels)


def test_first_channel_is_the_default_for_non_rgb(two_channel_image):
    assert_array_equal(segment_all(two_channel_image), segment_all(two_channel_image[..., 0]))


def test_multichannel_false_treats_last_axis_as_space():
    volume = np.zeros((10, 10, 3), dtype=np.uint8)  # would be guessed as (Y, X, C)
    volume[2:5, 2:5, :] = 200
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "looks like an RGB image" warning either
        assert segment_all(volume, multichannel=False).shape == (10, 10, 3)
    assert segment_all(volume).shape == (10, 10)


# --------------------------------------------------------------------------
# Errors and degenerate images
# --------------------------------------------------------------------------


def test_bad_method(coins_crop):
    with pytest.raises(SegmentationError, match=r"unknown threshold method 'foo'; choose one of: otsu, li") as info:
        segment_all(coins_crop, "foo")
    assert isinstance(info.value, RegionscopeError)
    assert isinstance(info.value, ValueError)


def test_bad_objects(coins_crop):
    with pytest.raises(SegmentationError, match=r"objects must be 'bright' or 'dark', not 'black'"):
        segment_all(coins_crop, objects="black")


def test_channel_out_of_range(two_channel_image):
    with pytest.raises(SegmentationError, match=r"channel=5 does not exist: the image has 2 channels \(0 to 1\)"):
        segment_all(two_channel_image, channel=5)


def test_channel_on_image_without_channels(coins_crop):
    with pytest.raises(SegmentationError, match="channel=1 was asked for, but the image has no channel axis"):
        segment_all(coins_crop, channel=1)


def test_channel_that_is_not_an_index(two_channel_image):
    with pytest.raises(SegmentationError, match="channel must be an integer"):
        segment_all(two_channel_image, channel="GFP")


def test_negative_min_size(coins_crop):
    with pytest.raises(SegmentationError, match="min_size must be >= 0, not -1"):
        segment_all(coins_crop, min_size=-1)


@pytest.mark.parametrize("block_size", [2, 1, 50])
def test_bad_block_size(coins_crop, block_size):
    with pytest.raises(SegmentationError, match=f"block_size must be an odd number >= 3, not {block_size}"):
        segment_all(coins_crop, "local", block_size=block_size)


def test_minimum_threshold_failure_is_a_segmentation_error():
    image = np.linspace(0, 1, 4096).reshape(64, 64)  # flat histogram: no two maxima
    with pytest.raises(SegmentationError, match="threshold method 'minimum' failed.*try 'otsu'"):
        segment_all(image, "minimum")


@pytest.mark.parametrize("shape", [(10,), (2, 3, 10, 10)])
def test_unsupported_dimensions(shape):
    with pytest.raises(SegmentationError, match="2D or 3D"):
        segment_all(np.ones(shape))


@pytest.mark.parametrize("objects", ["bright", "dark"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("value", [0, 7.5])
def test_constant_image_has_no_regions_and_no_warning(method, objects, value):
    image = np.full((12, 12), value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels = segment_all(image, method, objects=objects, min_size=2, fill_holes=True)
    assert labels.dtype == np.int32
    assert labels.shape == (12, 12)
    assert labels.max() == 0


def test_constant_3d_image_has_no_regions():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert segment_all(np.full((3, 8, 8), 5, dtype=np.uint16)).max() == 0


# --------------------------------------------------------------------------
# Label images that look like intensity images (issue 8, point 16)
# --------------------------------------------------------------------------


def test_a_real_mask_does_not_look_like_intensity(coins):
    from regionscope.segmentation import intensity_like_labels

    assert intensity_like_labels(segment(coins)) is None
    assert intensity_like_labels(segment_all(coins)) is None  # specks are still one patch each


def test_an_intensity_image_looks_like_intensity(coins):
    from regionscope.segmentation import intensity_like_labels

    reason = intensity_like_labels(coins)
    assert reason.startswith("its 250 values form ") and "separate patches" in reason


def test_dense_touching_labels_do_not_look_like_intensity():
    from regionscope.segmentation import intensity_like_labels

    rows, cols = np.indices((120, 120))
    tiles = (rows // 6) * 20 + cols // 6 + 1  # 400 touching square cells, no background
    assert intensity_like_labels(tiles) is None


@pytest.mark.parametrize(
    "labels",
    [
        np.zeros((10, 10), np.int32),
        np.arange(100, dtype=np.int32).reshape(10, 10) % 3,  # a class map: few values
        np.ones((0, 4), np.int32),
    ],
    ids=["empty", "few-values", "no-pixels"],
)
def test_few_values_are_never_called_intensity(labels):
    from regionscope.segmentation import intensity_like_labels

    assert intensity_like_labels(labels) is None


def test_3d_noise_looks_like_intensity():
    from regionscope.segmentation import intensity_like_labels

    noise = np.random.default_rng(0).integers(0, 200, (4, 30, 30))
    assert intensity_like_labels(noise) is not None
