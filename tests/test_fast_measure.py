"""Tests of regionscope.fast_measure: the same table as scikit-image's regionprops_table.

Every comparison asks for the same keys in the same order, the same dtypes,
integers exactly equal and floats equal to a relative 1e-9 (``atol=0``: where
scikit-image gives exactly 0, so must the fast table).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from skimage import data
from skimage.draw import disk, ellipse, line, polygon
from skimage.measure import label as sk_label
from skimage.measure import regionprops_table

from regionscope.fast_measure import SUPPORTED_PROPERTIES, fast_regionprops_table

#: What regionscope's measure() asks for by default (less touches_border).
SHAPE_PROPERTIES = [
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
]
INTENSITY_PROPERTIES = ["intensity_mean", "intensity_min", "intensity_max"]
EXTRA_PROPERTIES = ["num_pixels", "area_bbox", "area_convex", "extent", "equivalent_diameter_area", "centroid_local"]
ALL_PROPERTIES = SHAPE_PROPERTIES + EXTRA_PROPERTIES + INTENSITY_PROPERTIES


def assert_same_table(got, expected):
    assert list(got) == list(expected)
    for key, want in expected.items():
        have = got[key]
        assert have.dtype == want.dtype, key
        assert have.shape == want.shape, key
        if want.dtype.kind in "biu":
            assert_array_equal(have, want, err_msg=key)
        else:
            assert_allclose(have, want, rtol=1e-9, atol=0, err_msg=key)


def check(labels, image=None, properties=None, **kwargs):
    """The fast table equals scikit-image's; returns it."""
    if properties is None:
        properties = SHAPE_PROPERTIES + EXTRA_PROPERTIES + (INTENSITY_PROPERTIES if image is not None else [])
    expected = regionprops_table(labels, image, properties=properties)
    got = fast_regionprops_table(labels, image, properties=properties, **kwargs)
    assert_same_table(got, expected)
    return got


def voronoi(shape, n_seeds, rng):
    """Touching regions 1..n_seeds: every pixel labelled by its nearest seed."""
    seeds = rng.integers(0, shape, size=(n_seeds, 2))
    rows, cols = np.indices(shape)
    distance = (rows[..., None] - seeds[:, 0]) ** 2 + (cols[..., None] - seeds[:, 1]) ** 2
    return (np.argmin(distance, axis=-1) + 1).astype(np.int32)


# --------------------------------------------------------------------------
# Hand-made edge cases


def test_single_pixel_region():
    labels = np.zeros((5, 5), dtype=np.int32)
    labels[2, 3] = 4
    table = check(labels, np.arange(25, dtype=np.uint8).reshape(5, 5))
    assert table["orientation"][0] == pytest.approx(-np.pi / 4)
    assert table["perimeter"][0] == 0.0
    assert table["solidity"][0] == 1.0


@pytest.mark.parametrize(
    "coords",
    [
        ([3] * 6, list(range(1, 7))),  # horizontal
        (list(range(1, 7)), [2] * 6),  # vertical
        (list(range(1, 7)), list(range(1, 7))),  # diagonal
        (list(range(6, 0, -1)), list(range(1, 7))),  # anti-diagonal
        ([2, 2], [4, 5]),  # two pixels
    ],
)
def test_line_regions_have_zero_minor_axis(coords):
    labels = np.zeros((8, 8), dtype=np.uint8)
    labels[coords] = 1
    table = check(labels)
    assert table["axis_minor_length"][0] == 0.0


def test_rasterised_line():
    labels = np.zeros((40, 40), dtype=np.int32)
    labels[line(2, 3, 37, 21)] = 1
    labels[line(30, 1, 33, 38)] = 2
    check(labels)


def test_region_with_holes():
    labels = np.zeros((9, 11), dtype=np.int32)
    labels[1:8, 1:10] = 1
    labels[3, 3] = 0
    labels[4:6, 6:8] = 2  # a hole filled with another region
    table = check(labels)
    assert_array_equal(table["euler_number"], [-1, 1])


def test_diagonal_connections_and_hole_touching_corners():
    labels = np.array(
        [
            [1, 0, 0, 1, 1],
            [0, 1, 1, 0, 1],
            [0, 1, 0, 1, 1],
            [1, 0, 1, 1, 0],
        ]
    )
    check(labels)


def test_two_part_label():
    labels = np.zeros((10, 12), dtype=np.int32)
    labels[1:3, 1:4] = 5
    labels[6:9, 7:11] = 5
    labels[4, 5] = 7
    table = check(labels, np.linspace(0, 1, 120).reshape(10, 12))
    assert table["euler_number"][0] == 2


def test_regions_touching_every_edge():
    rng = np.random.default_rng(1)
    labels = voronoi((17, 23), 9, rng)
    check(labels, rng.integers(0, 255, labels.shape).astype(np.uint8))
    full = np.ones((6, 7), dtype=np.int64)
    check(full)


def test_non_sequential_labels():
    labels = np.zeros((12, 12), dtype=np.uint16)
    labels[1:4, 1:5] = 200
    labels[6:11, 2:4] = 3
    labels[5:10, 7:11] = 10
    table = check(labels, np.arange(144, dtype=np.float64).reshape(12, 12))
    assert_array_equal(table["label"], [3, 10, 200])


def test_negative_labels_are_background():
    labels = np.array([[0, -1, 2, 2], [3, 3, -1, 2], [3, -5, 0, 0]], dtype=np.int16)
    check(labels)


def test_huge_sparse_labels():
    rng = np.random.default_rng(2)
    dense = voronoi((30, 40), 6, rng) % 6  # 0..5, 0 background
    values = np.array([0, 3, 10, 200, 10**9, 2**62], dtype=np.int64)
    image = rng.random(dense.shape)
    expected = regionprops_table(dense, image, properties=SHAPE_PROPERTIES + INTENSITY_PROPERTIES)
    expected["label"] = values[expected["label"]]
    got = fast_regionprops_table(values[dense], image, properties=SHAPE_PROPERTIES + INTENSITY_PROPERTIES)
    assert_same_table(got, expected)


def test_no_region():
    labels = np.zeros((6, 7), dtype=np.int32)
    check(labels)
    check(labels, np.zeros(labels.shape, dtype=np.uint8))
    check(labels, np.zeros(labels.shape + (2,), dtype=np.float32))
    check(-np.ones(labels.shape, dtype=np.int8))


def test_property_order_and_duplicates():
    labels = np.array([[1, 1, 0], [0, 2, 2]])
    check(labels, properties=["bbox", "area", "label", "area"])
    check(labels, properties=[])


# --------------------------------------------------------------------------
# Random label images


@pytest.mark.parametrize("seed", range(4))
def test_binary_blobs(seed):
    labels = sk_label(data.binary_blobs(128, blob_size_fraction=0.1, volume_fraction=0.4, rng=seed))
    rng = np.random.default_rng(seed)
    check(labels, rng.integers(0, 4000, labels.shape).astype(np.uint16))


@pytest.mark.parametrize("seed", range(4))
def test_voronoi_touching_regions(seed):
    rng = np.random.default_rng(seed)
    labels = voronoi((64, 48), 30, rng)
    labels[rng.random(labels.shape) < 0.05] = 0  # speckled with holes
    check(labels, rng.normal(size=labels.shape))


def test_scattered_labels():
    """Each label scattered over the whole image: big, sparse, many-part regions."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 12, size=(40, 50))
    check(labels, rng.integers(0, 100, labels.shape).astype(np.int16))


def test_drawn_shapes():
    """Ellipses at many angles, discs, polygons: orientations and hulls of all kinds."""
    rng = np.random.default_rng(4)
    labels = np.zeros((240, 240), dtype=np.int32)
    for k in range(36):
        top, left = 40 * (k // 6) + 1, 40 * (k % 6) + 1
        if k % 3 == 0:
            rr, cc = ellipse(top + 19, left + 19, rng.uniform(1, 19), rng.uniform(1, 19), rotation=rng.uniform(-np.pi, np.pi))
        elif k % 3 == 1:
            rr, cc = disk((top + 19, left + 19), rng.uniform(0.5, 19))
        else:
            rr, cc = polygon(top + rng.integers(0, 38, 6), left + rng.integers(0, 38, 6))
        labels[rr, cc] = k + 1
    check(labels, rng.random(labels.shape).astype(np.float32))


@pytest.mark.parametrize("reps", [(70, 150), (160, 210)])
def test_many_regions(reps):
    """Over 2**14 and over 2**16 regions (index types) on a tiled image, against one tile."""
    tile = np.array([[1, 1, 0], [1, 0, 2], [0, 2, 2]], dtype=np.int32)
    tile_image = np.arange(9, dtype=np.uint8).reshape(3, 3)
    tiles = np.arange(reps[0] * reps[1]).reshape(reps)
    labels = np.kron(tiles * 2, np.ones((3, 3), dtype=np.int32)) + np.tile(tile, reps)
    labels[np.tile(tile, reps) == 0] = 0
    image = np.tile(tile_image, reps)
    properties = SHAPE_PROPERTIES + INTENSITY_PROPERTIES
    expected = regionprops_table(tile, tile_image, properties=properties)
    got = fast_regionprops_table(labels, image, properties=properties)
    n = labels.max()
    assert got["label"].size == n
    shift = {"centroid-0": 3 * (np.arange(n) // 2 // reps[1]), "centroid-1": 3 * (np.arange(n) // 2 % reps[1])}
    shift["bbox-0"] = shift["bbox-2"] = shift["centroid-0"]
    shift["bbox-1"] = shift["bbox-3"] = shift["centroid-1"]
    for key, want in expected.items():
        if key == "label":
            continue
        assert_allclose(got[key], np.tile(want, n // 2) + shift.get(key, 0), rtol=1e-9, atol=0, err_msg=key)


# --------------------------------------------------------------------------
# Intensity images


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.uint32, np.float16, np.float32, np.float64, bool])
@pytest.mark.parametrize("channels", [None, 1, 3])
def test_intensity_dtypes_and_channels(dtype, channels):
    rng = np.random.default_rng(5)
    labels = voronoi((30, 40), 30, rng)
    labels[rng.random(labels.shape) < 0.1] = 0
    shape = labels.shape if channels is None else labels.shape + (channels,)
    if dtype is bool:
        image = rng.random(shape) < 0.5
    elif np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        image = rng.integers(max(info.min, -5000), min(info.max, 10**6), size=shape, endpoint=True).astype(dtype)
    else:
        image = (rng.normal(size=shape) * 300).astype(dtype)
    check(labels, image, properties=["label"] + INTENSITY_PROPERTIES)


def test_intensity_with_nan():
    rng = np.random.default_rng(6)
    labels = voronoi((20, 20), 8, rng)
    image = rng.random(labels.shape)
    image[3, :] = np.nan
    check(labels, image, properties=["label"] + INTENSITY_PROPERTIES)


def test_non_contiguous_inputs():
    rng = np.random.default_rng(7)
    labels = voronoi((60, 80), 20, rng)
    image = rng.random((60, 80, 2))
    check(labels[::2, 1::3], image[::2, 1::3])
    check(np.asfortranarray(labels), np.asfortranarray(image[..., 0]))
    check(labels.astype(">i4"), image.astype(">f4"))  # big-endian, as from some TIFF files
    labels.flags.writeable = False
    check(labels, (image[..., 1] * 1000).astype(">u2"))


# --------------------------------------------------------------------------
# Threads, and what falls back to scikit-image


def test_thread_pool_gives_the_serial_result():
    rng = np.random.default_rng(8)
    labels = sk_label(data.binary_blobs(96, blob_size_fraction=0.08, volume_fraction=0.5, rng=8))
    image = rng.random(labels.shape + (2,)).astype(np.float32)
    serial = fast_regionprops_table(labels, image, properties=ALL_PROPERTIES, workers=1)
    threaded = fast_regionprops_table(labels, image, properties=ALL_PROPERTIES, workers=2, min_regions_for_pool=1)
    assert list(threaded) == list(serial)
    for key in serial:
        assert_array_equal(threaded[key], serial[key], err_msg=key)
    check(labels, image, properties=ALL_PROPERTIES, workers=2, min_regions_for_pool=1)


@pytest.mark.parametrize(
    "labels, image, properties",
    [
        (np.ones((3, 4, 5), dtype=np.int32), None, ["label", "area"]),  # 3D
        (np.ones((0, 4), dtype=np.int32), None, ["label", "area"]),  # scikit-image raises
        (np.ones((4, 5), dtype=np.int32), None, ["label", "moments_hu"]),
        (np.ones((4, 5), dtype=np.int32), None, ["label", "mean_intensity"]),  # legacy name
        (np.ones((4, 5), dtype=np.int32), np.ones((4, 5)), ["label", "intensity_std"]),
        (np.ones((4, 5), dtype=np.int32), None, ["intensity_mean"]),  # no image
        (np.ones((4, 5), dtype=np.int32), np.ones((5, 4)), ["intensity_mean"]),  # shapes differ
        (np.ones((4, 5), dtype=np.int32), np.ones((4, 5), dtype=complex), ["intensity_mean"]),
        (np.ones((4, 5), dtype=bool), None, ["area"]),
        (np.ones((4, 5), dtype=np.float64), None, ["area"]),
        (np.ones((4, 5), dtype=np.int32), None, "area"),
    ],
)
def test_not_implemented(labels, image, properties):
    with pytest.raises(NotImplementedError):
        fast_regionprops_table(labels, image, properties=properties)


def test_supported_properties_are_skimage_names():
    labels = np.array([[1, 1], [0, 2]])
    table = regionprops_table(labels, np.ones((2, 2)), properties=sorted(SUPPORTED_PROPERTIES))
    assert {key.partition("-")[0] for key in table} == SUPPORTED_PROPERTIES
