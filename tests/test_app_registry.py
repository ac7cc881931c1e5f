"""The dataset registry: reuse of equal inputs, LRU eviction and rebuilding, errors, threads."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from regionscope.app.registry import DatasetGoneError, DatasetRegistry
from regionscope.app.view_data import view_data
from regionscope.errors import RegionscopeError
from regionscope.io import ImageData
from regionscope.segmentation import DEFAULTS


def _inputs(n):
    """An 8 x 8 image with ``n`` one-pixel regions (so every n gives another dataset)."""
    labels = np.zeros((8, 8), dtype=np.int32)
    for i in range(n):
        labels[i // 4 * 2, i % 4 * 2] = i + 1
    image = ImageData(labels * 10.0)
    return image, labels


def test_open_twice_returns_same_object():
    registry = DatasetRegistry()
    image, labels = _inputs(2)
    first = registry.open(image, labels, name="a")
    second = registry.open(ImageData(image.data.copy()), labels.copy(), name="a")
    assert second is first
    assert first.id in registry


def test_open_different_labels_gives_different_dataset():
    registry = DatasetRegistry()
    image, labels = _inputs(2)
    other = labels.copy()
    other[7, 7] = 9
    assert registry.open(image, labels).id != registry.open(image, other).id


def test_open_segmentation_twice_returns_same_object():
    registry = DatasetRegistry()
    image, _ = _inputs(3)
    first = registry.open(image, None, segmentation={"min_size": 0})
    assert registry.open(image, None, segmentation={"min_size": 0}) is first
    assert registry.open(image, None, segmentation={"min_size": 5}) is not first


def test_get_returns_prepared_object():
    registry = DatasetRegistry()
    dataset = registry.open(*_inputs(1))
    assert registry.get(dataset.id) is dataset


def test_eviction_and_rebuild_from_recipe():
    registry = DatasetRegistry(max_prepared=2)
    datasets = [registry.open(*_inputs(n), name=f"d{n}") for n in (1, 2, 3)]
    # All three are known, the oldest is no longer kept in memory.
    assert all(d.id in registry for d in datasets)
    assert registry.get(datasets[2].id) is datasets[2]
    rebuilt = registry.get(datasets[0].id)
    assert rebuilt is not datasets[0]
    assert rebuilt.id == datasets[0].id
    assert rebuilt.name == "d1"
    pd.testing.assert_frame_equal(rebuilt.table, datasets[0].table)
    assert_array_equal(registry.view_of(rebuilt).index, view_data(datasets[0]).index)
    # Rebuilt datasets are kept again.
    assert registry.get(datasets[0].id) is rebuilt


def test_get_moves_to_end_of_lru():
    registry = DatasetRegistry(max_prepared=2)
    a = registry.open(*_inputs(1))
    b = registry.open(*_inputs(2))
    registry.get(a.id)  # a is now the most recent: b gets evicted next
    registry.open(*_inputs(3))
    assert registry.get(a.id) is a
    assert registry.get(b.id) is not b


def test_open_files(tmp_path, save_png):
    image = np.zeros((6, 8), dtype=np.uint8)
    image[1:3, 1:3] = 200
    image[3:5, 5:8] = 100
    mask = np.zeros((6, 8), dtype=np.uint8)
    mask[1:3, 1:3] = 1
    mask[3:5, 5:8] = 2
    image_path = save_png(tmp_path / "cells.png", image)
    mask_path = save_png(tmp_path / "cells_mask.png", mask)

    registry = DatasetRegistry(max_prepared=1)
    dataset = registry.open_files(image_path, mask_path)
    assert dataset.name == "cells.png"
    assert dataset.labels_given
    assert dataset.table["label"].tolist() == [1, 2]
    assert dataset.table["area"].tolist() == [4, 6]
    assert dataset.table["intensity_mean"].tolist() == [200.0, 100.0]
    assert registry.open_files(image_path, mask_path) is dataset

    # Evict it; the recipe re-reads the files.
    registry.open(*_inputs(1))
    rebuilt = registry.get(dataset.id)
    assert rebuilt is not dataset
    assert rebuilt.id == dataset.id
    pd.testing.assert_frame_equal(rebuilt.table, dataset.table)


def test_open_files_same_content_as_open(tmp_path, save_png):
    labels = np.zeros((4, 4), dtype=np.uint8)
    labels[1:3, 1:3] = 1
    image = labels * np.uint8(50)
    registry = DatasetRegistry()
    from_files = registry.open_files(save_png(tmp_path / "i.png", image), save_png(tmp_path / "m.png", labels), name="x")
    assert from_files.name == "x"
    from regionscope.io import load_image, load_labels

    in_memory = registry.open(load_image(tmp_path / "i.png"), load_labels(tmp_path / "m.png").data)
    assert in_memory is from_files


def test_open_files_without_mask_segments(tmp_path, save_png):
    image = np.zeros((10, 10), dtype=np.uint8)
    image[2:5, 2:5] = 255
    dataset = DatasetRegistry().open_files(save_png(tmp_path / "blob.png", image), segmentation={"min_size": 0})
    assert not dataset.labels_given
    assert dataset.segmentation == {**DEFAULTS, "min_size": 0}
    assert dataset.table["area"].tolist() == [9]


def test_open_files_mismatched_shapes(tmp_path, save_png):
    image_path = save_png(tmp_path / "i.png", np.zeros((4, 4), dtype=np.uint8))
    mask_path = save_png(tmp_path / "m.png", np.zeros((4, 5), dtype=np.uint8))
    with pytest.raises(RegionscopeError):
        DatasetRegistry().open_files(image_path, mask_path)


def test_get_unknown_id():
    registry = DatasetRegistry()
    assert "0123456789abcdef" not in registry
    with pytest.raises(DatasetGoneError) as info:
        registry.get("0123456789abcdef")
    message = str(info.value)
    assert "0123456789abcdef" in message
    assert "open the file again or reload the page" in message
    assert isinstance(info.value, RegionscopeError)
    assert isinstance(info.value, KeyError)


def test_get_none_id():
    with pytest.raises(DatasetGoneError):
        DatasetRegistry().get(None)


def test_threads_open_and_get_concurrently():
    registry = DatasetRegistry(max_prepared=2)
    inputs = [_inputs(n) for n in range(1, 5)]
    ids = [registry.open(*pair).id for pair in inputs]
    errors = []
    barrier = threading.Barrier(8)

    def work(seed):
        try:
            barrier.wait()
            for step in range(10):
                n = (seed + step) % len(inputs)
                if step % 2:
                    dataset = registry.open(*inputs[n])
                else:
                    dataset = registry.get(ids[n])
                assert dataset.id == ids[n]
                assert len(dataset.table) == n + 1
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert len(registry._prepared) <= 2
