"""Prepared datasets: ids, table order, immutability (what a viewer draws them with: test_app_view_data.py)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from regionscope.app.view_data import view_data
from regionscope.dataset import (
    Dataset,
    content_hash,
    dataset_id,
    prepare_dataset,
)
from regionscope.io import ImageData
from regionscope.segmentation import DEFAULTS


def _blobs():
    """Two bright squares on a dark 10 x 12 image: 9 and 12 pixels."""
    image = np.zeros((10, 12))
    image[1:4, 1:4] = 100
    image[6:9, 7:11] = 100
    return image


# --- prepare_dataset ----------------------------------------------------------


@pytest.fixture
def prepared(tiny):
    image, labels, _ = tiny
    return prepare_dataset(ImageData(image), labels, name="tiny")


def test_prepare_dataset_fields(prepared, tiny):
    _, labels, expected = tiny
    assert isinstance(prepared, Dataset)
    assert prepared.name == "tiny"
    assert prepared.labels_given is True
    assert prepared.segmentation == {}
    assert prepared.shape == (6, 8)
    assert prepared.n_planes == 1
    assert_array_equal(prepared.labels, labels)
    assert prepared.table["label"].tolist() == expected["label"]
    assert prepared.table["area"].tolist() == expected["area"]
    assert prepared.table["intensity_mean"].tolist() == expected["intensity_mean"]


def test_prepare_dataset_arrays_read_only(prepared):
    for array in (prepared.labels,):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0, 0] = 1


def test_prepare_dataset_leaves_callers_labels_writable(tiny):
    # Regression: the dataset froze the caller's own array (and would have
    # changed if the caller wrote to it).
    image, labels, _ = tiny
    dataset = prepare_dataset(ImageData(image), labels)
    assert labels.flags.writeable
    labels[0, 0] = 9
    assert dataset.labels[0, 0] == 0


def test_prepare_dataset_table_sorted(nonsequential):
    dataset = prepare_dataset(ImageData(nonsequential.astype(float)), nonsequential)
    assert dataset.table["label"].tolist() == [3, 10, 200]
    assert dataset.table["area"].tolist() == [3, 2, 1]


def test_prepare_dataset_id_stable_for_equal_inputs(tiny):
    image, labels, _ = tiny
    first = prepare_dataset(ImageData(image), labels, name="a")
    second = prepare_dataset(ImageData(image.copy()), labels.copy(), name="b")
    assert first.id == second.id
    assert len(first.id) == 16
    assert first.id == dataset_id(ImageData(image), labels, {})


def test_prepare_dataset_id_differs_for_different_labels(tiny):
    image, labels, _ = tiny
    other = labels.copy()
    other[5, 0] = 4
    assert prepare_dataset(ImageData(image), labels).id != prepare_dataset(ImageData(image), other).id


def test_prepare_dataset_id_differs_for_different_image(tiny):
    image, labels, _ = tiny
    brighter = image + 1
    assert prepare_dataset(ImageData(image), labels).id != prepare_dataset(ImageData(brighter), labels).id


def test_prepare_dataset_id_ignores_segmentation_when_labels_given(tiny):
    image, labels, _ = tiny
    plain = prepare_dataset(ImageData(image), labels)
    with_options = prepare_dataset(ImageData(image), labels, segmentation={"min_size": 3})
    assert plain.id == with_options.id
    assert with_options.segmentation == {}


def test_prepare_dataset_segments_without_labels():
    dataset = prepare_dataset(ImageData(_blobs()), segmentation={"min_size": 0})
    assert dataset.labels_given is False
    assert dataset.segmentation == {**DEFAULTS, "min_size": 0}
    assert dataset.table["area"].tolist() == [9, 12]
    assert_array_equal(view_data(dataset).contours.labels(), [1, 2])


def test_prepare_dataset_id_differs_for_different_segmentation():
    image = ImageData(_blobs())
    default = prepare_dataset(image, segmentation={"min_size": 0})
    again = prepare_dataset(ImageData(_blobs()), segmentation={"min_size": 0})
    larger = prepare_dataset(image, segmentation={"min_size": 10})
    assert default.id == again.id
    assert default.id != larger.id
    assert larger.table["area"].tolist() == [12]


def test_segmented_and_given_labels_have_different_ids():
    segmented = prepare_dataset(ImageData(_blobs()))
    given = prepare_dataset(ImageData(_blobs()), np.array(segmented.labels))
    assert_array_equal(given.labels, segmented.labels)
    assert given.id != segmented.id


def test_prepare_dataset_no_regions():
    dataset = prepare_dataset(ImageData(np.zeros((4, 4))), np.zeros((4, 4), dtype=np.int32))
    assert len(dataset.table) == 0
    assert dataset.row_of(1) is None


# --- row_of / n_planes --------------------------------------------------------


def test_row_of_present_label(prepared):
    row = prepared.row_of(2)
    assert row["label"] == 2
    assert row["area"] == 6
    assert prepared.row_of(np.int64(3))["area"] == 1


@pytest.mark.parametrize("label", [0, 4, 100, -1])
def test_row_of_missing_label(prepared, label):
    assert prepared.row_of(label) is None


def test_label_values(prepared):
    values = prepared.label_values
    assert values.dtype == np.int64
    assert_array_equal(values, [1, 2, 3])


def test_n_planes_3d():
    labels = np.zeros((3, 4, 5), dtype=np.int32)
    labels[0, 1:3, 1:3] = 1
    labels[2, 0:2, 2:5] = 2
    image = ImageData(labels.astype(float))
    dataset = prepare_dataset(image, labels)
    assert dataset.n_planes == 3
    assert dataset.shape == (3, 4, 5)
    view = view_data(dataset)
    assert view.index_plane(2).shape == (4, 5)
    assert_array_equal(view.index_plane(2), labels[2])
    assert_array_equal(view.index_plane(1), np.zeros((4, 5)))
    assert view.contours.rings(1, plane=0)
    assert view.contours.rings(1, plane=2) == []


# --- content_hash -------------------------------------------------------------


def test_content_hash_format_and_stability():
    digest = content_hash(np.arange(5), "x", 3, None)
    assert len(digest) == 16
    int(digest, 16)
    assert digest == content_hash(np.arange(5), "x", 3, None)


def test_content_hash_dtype_matters():
    assert content_hash(np.zeros(4, dtype=np.uint8)) != content_hash(np.zeros(4, dtype=np.int8))
    assert content_hash(np.zeros(2, dtype=np.int32)) != content_hash(np.zeros(1, dtype=np.int64))


def test_content_hash_shape_matters():
    assert content_hash(np.zeros((2, 3))) != content_hash(np.zeros((3, 2)))
    assert content_hash(np.zeros((6,))) != content_hash(np.zeros((2, 3)))


def test_content_hash_values_matter():
    a = np.zeros((2, 2))
    b = a.copy()
    b[1, 1] = 1e-12
    assert content_hash(a) != content_hash(b)


def test_content_hash_non_contiguous_equals_copy():
    array = np.arange(20).reshape(4, 5)[:, ::2]
    assert content_hash(array) == content_hash(array.copy())


def test_content_hash_dict_order_does_not_matter():
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})


def test_content_hash_part_boundaries():
    assert content_hash("ab", "c") != content_hash("a", "bc")
    assert content_hash(None) != content_hash()
