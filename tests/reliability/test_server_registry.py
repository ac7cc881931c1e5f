"""Issue 9.4: the registry's memory is bounded by a byte budget whatever users upload; inputs are keyed
cheaply before any preparing; equal requests are prepared once; different ones side by side."""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from regionscope.app.registry import DatasetGoneError, DatasetRegistry, dataset_nbytes

SIDE = 128


def _image(tmp_path, side=SIDE):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, size=(side, side), dtype=np.uint8)
    path = tmp_path / "image.png"
    Image.fromarray(image).save(path)
    return path


def _masks(tmp_path, count, side=SIDE):
    """``count`` different masks for the same image (a grid of squares, shifted by k)."""
    paths = []
    for k in range(count):
        mask = np.zeros((side, side), dtype=np.uint16)
        n = 0
        for row in range(0, side - 16, 16):
            for col in range(k % 8, side - 16, 16):
                n += 1
                mask[row + 2 : row + 12, col + 2 : col + 12] = n
        path = tmp_path / f"mask{k}.png"
        Image.fromarray(mask).save(path)
        paths.append(path)
    return paths


def test_memory_stays_within_the_budget_whatever_is_opened(tmp_path):
    """The audit: 36 different masks (here 24) of one image raised RSS linearly. Now: bounded by max_bytes."""
    image_path = _image(tmp_path)
    masks = _masks(tmp_path, 24)
    probe_registry = DatasetRegistry()
    probe = probe_registry.open_files(image_path, masks[0])
    one = dataset_nbytes(probe, probe_registry.view_of(probe))
    del probe, probe_registry
    budget = 3 * one
    registry = DatasetRegistry(max_prepared=100, max_bytes=budget)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        after = []
        for k, mask in enumerate(masks):
            registry.open_files(image_path, mask)
            assert registry.held_bytes() <= budget
            if k in (5, 23):
                gc.collect()
                after.append(tracemalloc.get_traced_memory()[0] - base)
    finally:
        tracemalloc.stop()
    assert len(registry._prepared) <= 3
    # 18 more datasets opened between the two points: traced memory did not grow with them.
    assert after[1] - after[0] < one, f"grew by {(after[1] - after[0]) / one:.1f} datasets"
    assert after[1] < budget + 2 * one
    # Every one is still known and rebuilds from its files.
    assert len(registry.get(next(iter(registry._recipes))).table) > 0


def test_recipes_hold_paths_not_arrays(tmp_path):
    registry = DatasetRegistry()
    image_path = _image(tmp_path)
    dataset = registry.open_files(image_path, _masks(tmp_path, 1)[0])
    segmented = registry.open_derived(dataset.id, segmentation={"method": "otsu"})
    for dataset_id in (dataset.id, segmented.id):
        recipe = registry.recipe(dataset_id)
        assert recipe.build is None
        assert not any(isinstance(value, np.ndarray) for value in vars(recipe).values())


def test_recipes_are_pruned(tmp_path):
    image_path = _image(tmp_path)
    registry = DatasetRegistry(max_recipes=4)
    ids = [registry.open_files(image_path, mask).id for mask in _masks(tmp_path, 6)]
    assert len(registry._recipes) == 4
    with pytest.raises(DatasetGoneError):
        registry.get(ids[0])
    assert registry.get(ids[-1]).id == ids[-1]


def test_the_same_files_are_found_before_preparing(tmp_path):
    registry = DatasetRegistry()
    image_path, mask = _image(tmp_path), _masks(tmp_path, 1)[0]
    first = registry.open_files(image_path, mask)
    assert registry.stats["prepared"] == 1
    assert registry.open_files(image_path, mask) is first
    assert registry.stats["prepared"] == 1  # nothing read or measured the second time
    assert registry.stats["reused"] == 1


def test_concurrent_requests_for_the_same_file_prepare_it_once(tmp_path):
    registry = DatasetRegistry()
    image_path, mask = _image(tmp_path), _masks(tmp_path, 1)[0]
    barrier = threading.Barrier(8)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(registry.open_files(image_path, mask))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert registry.stats["prepared"] == 1


def test_different_uploads_are_prepared_side_by_side(tmp_path):
    """No global lock around preparing: two different datasets are in preparation at the same time."""
    registry = DatasetRegistry(max_parallel=2)
    image_path = _image(tmp_path, 512)
    masks = _masks(tmp_path, 2, 512)
    spans = {}
    barrier = threading.Barrier(2)

    def work(k):
        barrier.wait()
        start = time.perf_counter()
        registry.open_files(image_path, masks[k])
        spans[k] = (start, time.perf_counter())

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    (a0, a1), (b0, b1) = spans[0], spans[1]
    assert a0 < b1 and b0 < a1, "the two preparations ran one after the other"
    assert registry.stats["prepared"] == 2


def test_a_failed_preparation_is_not_kept_and_can_be_retried(tmp_path):
    registry = DatasetRegistry()
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    from regionscope.errors import RegionscopeError

    for _ in range(2):
        with pytest.raises(RegionscopeError):
            registry.open_files(broken)
    assert registry._inflight == {}
    assert len(registry._recipes) == 0


def test_an_owner_sees_only_their_datasets_and_the_public_ones(tmp_path):
    registry = DatasetRegistry()
    public = registry.open_files(_image(tmp_path))
    mask = _masks(tmp_path, 1)[0]
    mine = registry.open_derived(public.id, labels_path=mask, owner="ada")
    assert registry.get(mine.id, "ada") is mine
    assert registry.get(public.id, "grace") is public
    with pytest.raises(DatasetGoneError):
        registry.get(mine.id, "grace")
    # The same file opened by a second user: the same dataset, now theirs too.
    assert registry.open_derived(public.id, labels_path=mask, owner="grace") is mine
    assert registry.get(mine.id, "grace") is mine
