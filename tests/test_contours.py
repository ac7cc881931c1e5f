"""Tests of regionscope.region_contours: rings that give back each region's mask."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import ndimage as ndi
from skimage.draw import polygon

from regionscope import RegionContours, region_contours

SHAPE = (40, 48)


def _disc(centre, radius, shape=SHAPE):
    rows, cols = np.indices(shape)
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


@pytest.fixture(scope="module")
def scene():
    """Regions covering the awkward cases, with non-contiguous label values.

    - 5: a square with a square hole (2 rings);
    - 17: two separate rectangles with one label (2 rings);
    - 11: two squares touching only at a corner (one 8-connected region);
    - 1000: a disc cut by the top edge;
    - 42: a rectangle on the left edge;
    - 7: a disc cut by the bottom edge;
    - 3: an L shape on the right edge, sharing its left side with region 9;
    - 13: a one-pixel-wide line to the right edge;
    - 2: a single pixel (too small for the IoU check, but it has a ring).
    """
    labels = np.zeros(SHAPE, dtype=np.int32)
    labels[6:16, 6:16] = 5
    labels[9:13, 9:13] = 0
    labels[20:26, 4:10] = 17
    labels[20:26, 13:18] = 17
    labels[28:32, 20:24] = 11
    labels[32:36, 24:28] = 11
    labels[_disc((-2, 28), 8)] = 1000
    labels[28:36, 0:7] = 42
    labels[_disc((40, 38), 5)] = 7
    labels[10:25, 40:48] = 3
    labels[10:18, 44:48] = 0
    labels[10:25, 34:40] = 9
    labels[26, 20:48] = 13
    labels[38, 2] = 2
    return labels


def fill_rings(rings, shape):
    """Rasterise rings with the even-odd rule: XOR of the pixels whose centre each ring encloses."""
    mask = np.zeros(shape, dtype=bool)
    for ring in rings:
        rr, cc = polygon(ring[:, 0], ring[:, 1], shape)
        inside = np.zeros(shape, dtype=bool)
        inside[rr, cc] = True
        mask ^= inside
    return mask


def iou(a, b):
    return np.count_nonzero(a & b) / np.count_nonzero(a | b)


def test_polygon_rasterisation_takes_pixel_centres():
    """The test's own yardstick: ``polygon`` keeps the pixels whose centres are inside.

    The diamond around pixel (2, 3) -- the 0.5 iso-line of a single pixel -- must
    give that pixel and nothing else; a square through the centres of its
    neighbours must not take the neighbours.
    """
    diamond = np.array([[2.5, 3.0], [2.0, 2.5], [1.5, 3.0], [2.0, 3.5], [2.5, 3.0]])
    rr, cc = polygon(diamond[:, 0], diamond[:, 1], (5, 6))
    assert list(zip(rr.tolist(), cc.tolist())) == [(2, 3)]
    square = np.array([[1.5, 2.5], [1.5, 3.5], [2.5, 3.5], [2.5, 2.5], [1.5, 2.5]])
    rr, cc = polygon(square[:, 0], square[:, 1], (5, 6))
    assert list(zip(rr.tolist(), cc.tolist())) == [(2, 3)]


# --------------------------------------------------------------------------
# CONTOUR FIDELITY (acceptance test)
# --------------------------------------------------------------------------


def test_scene_has_the_intended_edge_cases(scene):
    """Guard the fixture itself: every edge is touched, labels are non-contiguous."""
    assert sorted(np.unique(scene).tolist()) == [0, 2, 3, 5, 7, 9, 11, 13, 17, 42, 1000]
    assert (scene[0] == 1000).any() and (scene[-1] == 7).any()
    assert (scene[:, 0] == 42).any() and (scene[:, -1] == 3).any()
    assert ndi.label(scene == 17)[1] == 2
    assert ndi.label(scene == 5)[1] == 1 and ndi.binary_fill_holes(scene == 5).sum() > (scene == 5).sum()
    assert ndi.label(scene == 11)[1] == 2 and ndi.label(scene == 11, np.ones((3, 3)))[1] == 1


def test_even_odd_fill_reproduces_every_region(scene):
    contours = region_contours(scene)
    labels, areas = np.unique(scene[scene > 0], return_counts=True)
    checked = []
    for label, area in zip(labels.tolist(), areas.tolist()):
        rings = contours.rings(label)
        assert rings, f"region {label} has no ring"
        if area < 20:
            continue
        mask = scene == label
        overlap = iou(fill_rings(rings, scene.shape), mask)
        assert overlap >= 0.98, f"region {label}: IoU {overlap:.4f}"
        checked.append(label)
    assert sorted(checked) == [3, 5, 7, 9, 11, 13, 17, 42, 1000]


def test_even_odd_fill_is_exact_on_coins(coins_crop):
    from regionscope import segment

    labels = segment(coins_crop)
    contours = region_contours(labels)
    for label in range(1, labels.max() + 1):
        assert_array_equal(fill_rings(contours.rings(label), labels.shape), labels == label)


# --------------------------------------------------------------------------
# Rings
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "n_rings"), [(5, 2), (17, 2), (11, 2), (42, 1), (1000, 1), (13, 1), (2, 1)])
def test_ring_counts(scene, label, n_rings):
    assert len(region_contours(scene).rings(label)) == n_rings


def test_hole_ring_lies_inside_the_outer_ring(scene):
    outer, hole = sorted(region_contours(scene).rings(5), key=len, reverse=True)
    assert outer[:, 0].min() == 5.5 and outer[:, 0].max() == 15.5
    assert hole[:, 0].min() == 8.5 and hole[:, 0].max() == 12.5
    assert hole[:, 1].min() == 8.5 and hole[:, 1].max() == 12.5


def test_rings_are_closed(scene):
    contours = region_contours(scene)
    for i in range(contours.n_rings):
        ring = contours.coords[contours.start[i] : contours.start[i + 1]]
        assert len(ring) >= 4
        assert_array_equal(ring[0], ring[-1])


def test_packed_arrays(scene):
    contours = region_contours(scene)
    assert isinstance(contours, RegionContours)
    assert contours.ndim == 2
    n = contours.n_rings
    assert n == 13 and len(contours) == 10  # rings; regions
    assert contours.label.dtype == np.int64 and contours.label.shape == (n,)
    assert contours.plane.dtype == np.int64 and contours.plane.tolist() == [0] * n
    assert contours.start.dtype == np.int64 and contours.start.shape == (n + 1,)
    assert contours.start[0] == 0 and contours.start[-1] == len(contours.coords)
    assert np.all(np.diff(contours.start) > 0)
    assert contours.coords.dtype == np.float64 and contours.coords.shape[1] == 2
    assert contours.labels().tolist() == [2, 3, 5, 7, 9, 11, 13, 17, 42, 1000]


def test_coordinates_are_row_col_in_image_pixels(scene):
    contours = region_contours(scene)
    for label, box in enumerate(ndi.find_objects(scene), start=1):
        if box is None:
            continue
        points = np.concatenate(contours.rings(label))
        rows, cols = box
        assert points[:, 0].min() == pytest.approx(rows.start - 0.5), label
        assert points[:, 0].max() == pytest.approx(rows.stop - 0.5), label
        assert points[:, 1].min() == pytest.approx(cols.start - 0.5), label
        assert points[:, 1].max() == pytest.approx(cols.stop - 0.5), label


def test_coordinates_of_a_rectangle_on_a_non_square_image():
    labels = np.zeros((4, 9), dtype=np.uint8)
    labels[1:3, 2:7] = 1  # 2 rows, 5 columns
    (ring,) = region_contours(labels).rings(1)
    assert (ring[:, 0].min(), ring[:, 0].max()) == (0.5, 2.5)
    assert (ring[:, 1].min(), ring[:, 1].max()) == (1.5, 6.5)


def test_region_on_the_image_edge_gets_a_closed_ring_outside_the_pixels():
    labels = np.ones((3, 4), dtype=np.int32)  # the whole image
    (ring,) = region_contours(labels).rings(1)
    assert ring[:, 0].min() == -0.5 and ring[:, 0].max() == 2.5
    assert ring[:, 1].min() == -0.5 and ring[:, 1].max() == 3.5
    assert_array_equal(fill_rings([ring], labels.shape), labels == 1)


def test_neighbours_do_not_change_a_region_s_rings(scene):
    alone = np.where(scene == 3, 3, 0)
    together = region_contours(scene).rings(3)
    by_itself = region_contours(alone).rings(3)
    assert len(together) == len(by_itself)
    for a, b in zip(together, by_itself):
        assert_array_equal(a, b)


def test_rings_selects_by_label_and_plane(scene):
    contours = region_contours(scene)
    assert contours.rings(4) == []
    assert len(contours.rings(17, plane=0)) == 2
    assert contours.rings(17, plane=1) == []
    for ring in contours.rings(42):
        assert ring[:, 1].min() == -0.5


def test_docstring_example():
    labels = np.zeros((5, 5), int)
    labels[1:4, 1:4] = 7
    labels[2, 2] = 0
    assert region_contours(labels).label.tolist() == [7, 7]


# --------------------------------------------------------------------------
# 3D, empty, huge labels, bad input
# --------------------------------------------------------------------------


def test_3d_labels_give_rings_per_plane():
    labels = np.zeros((4, 10, 12), dtype=np.uint16)
    labels[0, 1:4, 1:4] = 4
    labels[2, 5:9, 2:6] = 4
    labels[2, 1:3, 8:11] = 9
    # plane 1 and plane 3 are empty
    contours = region_contours(labels)
    assert contours.ndim == 3
    assert sorted(zip(contours.label.tolist(), contours.plane.tolist())) == [(4, 0), (4, 2), (9, 2)]
    assert len(contours.rings(4)) == 2
    assert contours.rings(4, plane=1) == []
    (ring,) = contours.rings(4, plane=2)
    assert (ring[:, 0].min(), ring[:, 0].max(), ring[:, 1].min(), ring[:, 1].max()) == (4.5, 8.5, 1.5, 5.5)
    assert_array_equal(fill_rings([ring], labels.shape[1:]), labels[2] == 4)
    (ring,) = contours.rings(9, plane=2)
    assert_array_equal(fill_rings([ring], labels.shape[1:]), labels[2] == 9)
    assert contours.labels().tolist() == [4, 9]


# --------------------------------------------------------------------------
# By label: contours[label], len, in, iteration, repr (issue 8, point 17)
# --------------------------------------------------------------------------


def test_indexing_by_label_gives_that_regions_rings(scene):
    contours = region_contours(scene)
    rings = contours[5]
    assert isinstance(rings, list) and len(rings) == 2  # outer ring and hole
    for ring, expected in zip(rings, contours.rings(5), strict=True):
        assert ring.shape[1] == 2
        assert_array_equal(ring, expected)
    assert len(contours[np.int32(1000)]) == 1  # numpy integers index too


def test_labels_are_the_keys(scene):
    contours = region_contours(scene)
    assert list(contours) == [2, 3, 5, 7, 9, 11, 13, 17, 42, 1000]
    assert len(contours) == 10
    assert 42 in contours and 0 not in contours and 4 not in contours and "42" not in contours
    assert sorted(dict(contours.items())) == list(contours)
    assert contours.get(4) is None


@pytest.mark.parametrize("missing", [0, 4, -1, 5.0, "5", True])
def test_missing_label_is_a_key_error_naming_the_labels(scene, missing):
    with pytest.raises(
        KeyError, match=r"no region with label .*the labels with outlines are 2, 3, 5, 7, 9, 11, 13, 17, \.\.\. \(10 in all\)"
    ):
        region_contours(scene)[missing]


def test_repr_is_short(scene):
    contours = region_contours(scene)
    assert repr(contours) == "RegionContours(10 regions, 13 rings, 2D)"
    single = np.zeros((4, 4), int)
    single[1, 1] = 3
    assert repr(region_contours(single)) == "RegionContours(1 region, 1 ring, 2D)"
    assert repr(region_contours(np.zeros((2, 4, 4), int))) == "RegionContours(0 regions, 0 rings, 3D)"


def test_3d_indexing_gives_the_rings_of_every_plane():
    labels = np.zeros((3, 6, 6), int)
    labels[0, 1:3, 1:3] = 4
    labels[2, 2:5, 2:5] = 4
    contours = region_contours(labels)
    assert list(contours) == [4]
    assert len(contours[4]) == 2 and len(contours.rings(4, plane=2)) == 1


def test_contours_compare_by_identity(scene):
    contours = region_contours(scene)
    assert contours == contours and contours != region_contours(scene)
    assert len({contours}) == 1


@pytest.mark.parametrize("shape", [(6, 7), (3, 6, 7)])
def test_no_regions_gives_empty_contours(shape):
    contours = region_contours(np.zeros(shape, dtype=np.int32))
    assert len(contours) == 0
    assert contours.ndim == len(shape)
    assert contours.label.shape == (0,) and contours.label.dtype == np.int64
    assert contours.plane.shape == (0,)
    assert contours.start.tolist() == [0]
    assert contours.coords.shape == (0, 2) and contours.coords.dtype == np.float64
    assert contours.labels().tolist() == []
    assert contours.rings(1) == []


@pytest.mark.parametrize(
    ("dtype", "big"),
    [(np.int64, 10**9), (np.uint32, 2**32 - 1), (np.uint64, 2**40)],
)
def test_huge_label_values(dtype, big):
    labels = np.zeros((6, 7), dtype=dtype)
    labels[1:3, 1:3] = big
    labels[4, 4:7] = 5
    contours = region_contours(labels)
    assert contours.labels().tolist() == [5, big]
    (ring,) = contours.rings(big)
    assert_array_equal(fill_rings([ring], labels.shape), labels == big)
    assert_array_equal(fill_rings(contours.rings(5), labels.shape), labels == 5)


def test_huge_label_values_in_3d():
    labels = np.zeros((2, 5, 5), dtype=np.int64)
    labels[1, 1:3, 1:3] = 10**9
    contours = region_contours(labels)
    assert contours.label.tolist() == [10**9] and contours.plane.tolist() == [1]


@pytest.mark.parametrize("shape", [(5,), (2, 2, 5, 5)])
def test_unsupported_dimensions(shape):
    with pytest.raises(ValueError, match="2D .* or 3D"):
        region_contours(np.zeros(shape, dtype=np.int32))


def test_negative_labels():
    labels = np.zeros((4, 4), dtype=np.int32)
    labels[1, 1] = -1
    with pytest.raises(ValueError, match="must not be negative"):
        region_contours(labels)


@pytest.mark.parametrize("dtype", [bool, np.float64])
def test_non_integer_labels(dtype):
    with pytest.raises(ValueError, match="integer array"):
        region_contours(np.ones((4, 4), dtype=dtype))
