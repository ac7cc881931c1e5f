"""What the viewer draws a dataset with: the label-index raster and every region's outlines."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from regionscope.app.view_data import MAX_REGIONS, label_index, view_data
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
