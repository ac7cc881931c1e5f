"""What the viewer draws a dataset with: the label-index raster and every region's outlines."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from regionscope.app.view_data import MAX_REGIONS, label_index, view_data
from regionscope.contours import region_contours
from regionscope.dataset import prepare_dataset
from regionscope.io import ImageData


@pytest.fixture
def prepared(tiny):
    image, labels, _ = tiny
    return prepare_dataset(ImageData(image), labels, name="tiny")


# --- label_index --------------------------------------------------------------


def test_label_index_dense(nonsequential):
    # Labels {3, 10, 200}: dense enough for a lookup table.
    index = label_index(nonsequential, np.array([3, 10, 200]))
    assert index.dtype == np.uint32
    expected = np.zeros((5, 6), dtype=np.uint32)
    expected[0, 0] = 3
    expected[2, 2:4] = 2
    expected[4, 3:6] = 1
    assert_array_equal(index, expected)


def test_label_index_sparse():
    # 10**7 is far above 4 * n + 65536: the searchsorted path.
    labels = np.array([[0, 5], [10**7, 0], [5, 10**7]], dtype=np.int64)
    index = label_index(labels, np.array([5, 10**7]))
    assert index.dtype == np.uint32
    assert_array_equal(index, [[0, 1], [2, 0], [1, 2]])


def test_label_index_dense_and_sparse_agree():
    labels = np.array([[0, 1, 2], [70000, 0, 1]], dtype=np.uint32)
    values = np.array([1, 2, 70000])
    # 70000 <= 4 * 3 + 65536 is false, so this is sparse; compare with a dense case.
    sparse = label_index(labels, values)
    dense = label_index(np.where(labels == 70000, 3, labels), np.array([1, 2, 3]))
    assert_array_equal(sparse, dense)
    assert_array_equal(sparse, [[0, 1, 2], [3, 0, 1]])


def test_label_index_3d():
    labels = np.zeros((2, 2, 2), dtype=np.int32)
    labels[1, 1, 1] = 4
    labels[0, 0, 0] = 2
    assert_array_equal(label_index(labels, np.array([2, 4])), [[[1, 0], [0, 0]], [[0, 0], [0, 2]]])


def test_label_index_no_regions():
    index = label_index(np.zeros((3, 4), dtype=np.uint8), np.array([], dtype=np.int64))
    assert index.dtype == np.uint32
    assert_array_equal(index, np.zeros((3, 4)))


def test_label_index_too_many_regions():
    with pytest.raises(ValueError, match="at most"):
        # A broadcast view: the length without allocating 2**24 values.
        label_index(np.zeros((1, 1), dtype=np.int64), np.broadcast_to(np.int64(1), (MAX_REGIONS + 1,)))


# --- view_data ------------------------------------------------------------------


def test_prepare_dataset_contours_for_each_label(prepared):
    assert_array_equal(view_data(prepared).contours.labels(), [1, 2, 3])
    for label in (1, 2, 3):
        assert len(view_data(prepared).contours.rings(label)) == 1


def test_prepare_dataset_index(prepared, tiny):
    _, labels, _ = tiny
    index = view_data(prepared).index
    assert index.dtype == np.uint32
    assert_array_equal(index, labels)  # labels 1, 2, 3 are already rows 0, 1, 2 + 1
    assert_array_equal(view_data(prepared).index_plane(), index)


def test_view_arrays_read_only(prepared):
    for array in (view_data(prepared).index,):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0, 0] = 1


def test_view_index_follows_the_sorted_table(nonsequential):
    dataset = prepare_dataset(ImageData(nonsequential.astype(float)), nonsequential)
    view = view_data(dataset)
    assert view.index[0, 0] == 3
    assert view.index[4, 3] == 1


def test_view_of_no_regions():
    view = view_data(prepare_dataset(ImageData(np.zeros((4, 4))), np.zeros((4, 4), dtype=np.int32)))
    assert len(view.contours) == 0
    assert_array_equal(view.index, np.zeros((4, 4)))


# --- outlines traced on demand ------------------------------------------------


def _same_rings(lazy, eager):
    assert len(lazy) == len(eager)
    for a, b in zip(lazy, eager, strict=True):
        assert_array_equal(a, b)


def _edge_cases_2d():
    labels = np.zeros((9, 10), dtype=np.int64)
    labels[0:3, 0:4] = 5  # touches two image borders
    labels[4:9, 3:8] = 9  # with a hole:
    labels[6, 5] = 0
    labels[1, 8] = 2  # one pixel
    labels[2:4, 6:8] = 2  # and a second piece of the same region (two outer rings)
    return labels


@pytest.mark.parametrize("with_boxes", [True, False], ids=["table boxes", "no bbox columns"])
def test_outlines_on_demand_equal_every_ring_of_region_contours_2d(with_boxes):
    labels = _edge_cases_2d()
    properties = None if with_boxes else ["label", "area"]
    dataset = prepare_dataset(ImageData(labels.astype(float)), labels, properties=properties)
    view = view_data(dataset)
    assert (view.boxes is not None) is with_boxes
    eager = region_contours(labels)
    for label in (2, 5, 9):
        _same_rings(view.rings(label), eager.rings(label))
    assert len(view.rings(9)) == 2 and len(view.rings(2)) == 2
    assert view.rings(4) == [] and view.planes_of(4).tolist() == []


def test_outlines_on_demand_equal_region_contours_3d_per_plane_and_huge_labels():
    labels = np.zeros((3, 6, 7), dtype=np.uint64)
    labels[0, 1:3, 1:3] = 2**64 - 1
    labels[2, 0:4, 2:6] = 2**64 - 1  # the same region on another plane, larger there
    labels[1, 3:6, 0:2] = 7
    dataset = prepare_dataset(ImageData(labels.astype(float)), labels)
    view = view_data(dataset)
    eager = region_contours(labels)
    for label in (2**64 - 1, 7):
        for plane in (0, 1, 2, None):
            _same_rings(view.rings(label, plane), eager.rings(label, plane))
    assert view.planes_of(2**64 - 1).tolist() == [0, 2]
    assert view.planes_of(7).tolist() == [1]
