"""Issue 9.9: float images with NaN, ±inf and ±1e308 pixels.

They crashed with a ValueError from a histogram (the threshold), in the CLI
(a traceback) and in the app (an HTTP 500). Now: display ignores non-finite
pixels, measurement gives what scikit-image gives, thresholds are computed
over the finite pixels, and nothing crashes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from skimage.measure import regionprops_table

from regionscope import measure, segment
from regionscope.dataset import prepare_dataset
from regionscope.io import ImageData, load_image
from regionscope.segmentation import SegmentationError

from cli_support import run


def hostile_image():
    """Two bright squares on a dim background, with NaN, ±inf and ±1e308 pixels.

    ::

        region 1: rows 1-2, cols 1-2, values 10, 11, 12, NaN
        region 2: rows 5-6, cols 5-6, values 20, 21, inf, 22
        background 1.0 with -inf at (0, 7), 1e308 at (7, 0) and -1e308 at (7, 7)
    """
    image = np.ones((8, 8), dtype=np.float64)
    image[1:3, 1:3] = [[10, 11], [12, np.nan]]
    image[5:7, 5:7] = [[20, 21], [np.inf, 22]]
    image[0, 7] = -np.inf
    return image


def hostile_labels():
    labels = np.zeros((8, 8), dtype=np.uint8)
    labels[1:3, 1:3] = 1
    labels[5:7, 5:7] = 2
    return labels


# --------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------


def test_contrast_limits_ignore_non_finite_pixels():
    from regionscope.app.display import contrast_limits

    image = hostile_image()
    finite = image[np.isfinite(image)]
    assert contrast_limits(image, (0, 100)) == (finite.min(), finite.max()) == (1.0, 22.0)
    image[7, 0], image[7, 7] = 1e308, -1e308  # finite but extreme: the percentiles leave them out
    low, high = contrast_limits(image)
    assert np.isfinite(low) and np.isfinite(high) and low < high
    assert contrast_limits(np.full((3, 3), np.nan)) == (0.0, 1.0)
    assert contrast_limits(np.array([[np.inf, -np.inf]])) == (0.0, 1.0)


def test_display_plane_of_a_hostile_image_is_quiet_and_defined():
    from regionscope.app.display import display_plane, encode_picture, image_limits

    data = ImageData(hostile_image())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings either
        limits = image_limits(data)
        picture = display_plane(data, limits)
        encode_picture(picture)
    assert picture.dtype == np.uint8
    assert 0 < picture[1, 2] < 255 and picture[6, 6] == 255  # finite pixels scaled as usual
    assert picture[2, 2] == 0  # NaN shows as the darkest value
    assert picture[6, 5] == 255 and picture[0, 7] == 0  # +inf brightest, -inf darkest


def test_display_of_extreme_finite_values_does_not_overflow():
    from regionscope.app.display import display_plane, image_limits, to_uint8

    ramp = np.tile(np.arange(100, dtype=np.float64), (100, 1))
    ramp[0, 0], ramp[99, 99] = 1e308, -1e308  # 2 pixels of 10,000: outside the percentiles
    data = ImageData(ramp)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        limits = image_limits(data)
        picture = display_plane(data, limits)
        extreme = to_uint8(np.array([[1e308, -1e308]]), (-1e308, 1e308))
    assert 0 <= limits[0][0] < 1 and 98 < limits[0][1] <= 99
    assert picture[0, 0] == 255 and picture[99, 99] == 0 and picture[5, 50] in (128, 129)
    assert extreme.tolist() == [[255, 0]]


def test_display_of_a_multichannel_hostile_image():
    from regionscope.app.display import display_plane, image_limits

    stack = np.stack([hostile_image(), np.full((8, 8), np.nan)], axis=-1)
    data = ImageData(stack, channel_names=("a", "b"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        picture = display_plane(data, image_limits(data))
    assert picture.shape == (8, 8, 3)


# --------------------------------------------------------------------------
# Measurement and segmentation
# --------------------------------------------------------------------------


def test_measurement_gives_what_scikit_image_gives():
    image, labels = hostile_image(), hostile_labels()
    properties = ["label", "area", "intensity_mean", "intensity_min", "intensity_max"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = pd.DataFrame(regionprops_table(labels, image, properties=properties))
    table = measure(image, labels, properties)
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    assert np.isnan(table["intensity_mean"][0]) and table["intensity_max"][1] == np.inf


def test_segmentation_thresholds_the_finite_pixels():
    image = hostile_image()
    labels = segment(image, min_size=0)  # the squares are smaller than the default minimum size
    # The threshold of the finite pixels separates the squares from the background;
    # the NaN pixel is not foreground, +inf is brighter than any threshold.
    finite = image.copy()
    finite[~np.isfinite(finite)] = 1.0
    assert set(np.unique(labels)) == {0, 1, 2}
    assert labels[2, 2] == 0 and labels[6, 5] != 0 and labels[0, 7] == 0
    assert labels[1, 1] != 0 and labels[5, 5] != 0


def test_segmentation_of_an_image_without_finite_pixels_is_empty():
    assert segment(np.full((4, 4), np.nan)).max() == 0


def test_segmentation_of_values_too_far_apart_says_so():
    image = hostile_image()
    image[7, 0], image[7, 7] = 1e308, -1e308
    with pytest.raises(SegmentationError, match="1e\\+308"):
        segment(image)


def test_the_app_dataset_of_a_hostile_image():
    dataset = prepare_dataset(ImageData(hostile_image()), None, segmentation={"min_size": 0})
    assert dataset.table["label"].tolist() == [1, 2]
    dataset = prepare_dataset(ImageData(hostile_image()), hostile_labels())
    assert np.isnan(dataset.table["intensity_mean"][0])


# --------------------------------------------------------------------------
# Through the command line
# --------------------------------------------------------------------------


def test_cli_measure_of_a_npy_with_nan_segments_and_measures(tmp_path, capsys):
    np.save(tmp_path / "hostile.npy", hostile_image())
    code, out, err = run(["measure", tmp_path / "hostile.npy", "--min-size", "0", "-o", tmp_path / "out.csv"], capsys)
    assert code == 0, err
    table = pd.read_csv(tmp_path / "out.csv")
    # The NaN pixel is not foreground, the +inf one is.
    assert table["label"].tolist() == [1, 2] and table["area"].tolist() == [3, 4]
    assert table["intensity_mean"][0] == 11.0 and table["intensity_max"][1] == np.inf


def test_cli_measure_with_labels_of_a_npy_with_nan(tmp_path, capsys):
    np.save(tmp_path / "hostile.npy", hostile_image())
    np.save(tmp_path / "labels.npy", hostile_labels())
    code, out, err = run(["measure", tmp_path / "hostile.npy", "--labels", tmp_path / "labels.npy"], capsys)
    assert code == 0, err
    assert "nan" in out.lower() and "inf" in out


def test_cli_measure_of_extreme_values_is_one_clear_line(tmp_path, capsys):
    image = hostile_image()
    image[7, 0], image[7, 7] = 1e308, -1e308
    np.save(tmp_path / "extreme.npy", image)
    code, out, err = run(["measure", tmp_path / "extreme.npy"], capsys)
    assert code == 1
    assert err.startswith("regionscope: error: ") and err.count("\n") == 1
    assert "extreme.npy" in err and "label image" in err
    assert "Traceback" not in err
    assert load_image(tmp_path / "extreme.npy").data.dtype == np.float64
