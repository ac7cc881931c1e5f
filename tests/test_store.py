"""The store of prepared data: label pyramids keep label identity; entries are reused or rebuilt."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import tifffile
import zarr

from regionscope import store as store_module
from regionscope.chunked import dask_client
from regionscope.measurement import measure
from regionscope.sources import open_source
from regionscope.store import StoreError, downsample_labels, prepare


@pytest.fixture(scope="module")
def client():
    with dask_client(n_workers=1, threads_per_worker=2, processes=False) as client:
        yield client


def test_mode_downsampling_by_hand():
    labels = np.array([
        [1, 1, 2, 0, 5],
        [1, 3, 2, 2, 5],
        [0, 0, 4, 0, 6],
    ])
    # Blocks: [[1,1],[1,3]] -> 1; [[2,0],[2,2]] -> 2; [[5],[5]] padded -> 5;
    # [[0,0]] padded [[0,0],[0,0]] -> 0; [[4,0]] padded -> tie 4/0, first -> 4; [[6]] -> 6.
    assert downsample_labels(labels, "mode").tolist() == [[1, 2, 5], [0, 4, 6]]
    assert downsample_labels(labels, "nearest").tolist() == [[1, 2, 5], [0, 4, 6]]
    with pytest.raises(StoreError, match="unknown label downsampling"):
        downsample_labels(labels, "mean")


@pytest.mark.parametrize("method", ["mode", "nearest"])
def test_pyramids_never_invent_labels(method):
    rng = np.random.default_rng(3)
    labels = rng.choice(np.array([0, 7, 11, 2**40 + 1, 2**40 + 9], dtype=np.uint64), size=(2, 53, 37))
    present = set(np.unique(labels).tolist())
    level = labels
    while level.shape[-1] > 1:
        level = downsample_labels(level, method)
        assert set(np.unique(level).tolist()) <= present
        assert level.dtype == labels.dtype


@pytest.fixture
def slide(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "SMALLEST_LEVEL", 32)  # a few levels on a tiny image
    rng = np.random.default_rng(0)
    labels = np.zeros((150, 130), dtype=np.uint32)
    for k in range(40):
        r, c = rng.integers(0, 140, 2)
        labels[r:r + rng.integers(3, 12), c:c + rng.integers(3, 12)] = 1000 + 13 * k
    image = rng.integers(0, 4000, labels.shape).astype(np.uint16)
    tifffile.imwrite(tmp_path / "image.tif", image, tile=(32, 32), metadata={"axes": "YX"})
    tifffile.imwrite(tmp_path / "labels.tif", labels, tile=(32, 32))
    return tmp_path, image, labels


def test_prepare_writes_ome_zarr_pyramids_and_parquet(slide, client):
    folder, image, labels = slide
    entry = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client, chunks=64)
    assert not entry.reused
    pd.testing.assert_frame_equal(entry.read_table(), measure(image, labels), check_exact=False, rtol=1e-9)
    image_levels = open_source(entry.image_zarr)
    label_levels = open_source(entry.labels_zarr)
    assert image_levels.levels == [(150, 130), (75, 65), (38, 33), (19, 17)]
    assert label_levels.levels == image_levels.levels
    np.testing.assert_array_equal(image_levels.read(None), image)
    np.testing.assert_array_equal(label_levels.read(None), labels)
    present = set(np.unique(labels).tolist())
    finer = labels
    for level in range(1, len(label_levels.levels)):
        coarse = label_levels.read(None, level)
        assert set(np.unique(coarse).tolist()) <= present
        np.testing.assert_array_equal(coarse, downsample_labels(finer, "mode"))
        finer = coarse
    assert image_levels.read(None, 1)[0, 0] == round(image[:2, :2].mean())
    group = zarr.open_group(str(entry.labels_zarr), mode="r")
    assert group.attrs["image-label"]["method"] == "mode"
    manifest = json.loads((entry.folder / "manifest.json").read_text())
    assert manifest["regions"] == len(np.unique(labels)) - 1 and manifest["complete"]


def test_prepare_reuses_unchanged_inputs_and_rebuilds_changed_ones(slide, client):
    folder, image, labels = slide
    first = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client, chunks=64)
    again = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client, chunks=64)
    assert again.reused and again.folder == first.folder
    changed = labels.copy()
    changed[:5, :5] = 99  # a new region in the first tile, which the identity always samples
    tifffile.imwrite(folder / "labels.tif", changed, tile=(32, 32))
    rebuilt = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client, chunks=64)
    assert not rebuilt.reused and rebuilt.folder == first.folder
    assert 99 in rebuilt.read_table()["label"].tolist()
    other = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", properties=["label", "area"], client=client)
    assert not other.reused and list(other.read_table().columns) == ["label", "area"]


def test_one_store_holds_many_images(slide, client):
    folder, image, labels = slide
    tifffile.imwrite(folder / "image2.tif", image[:, ::-1].copy())
    tifffile.imwrite(folder / "labels2.tif", labels[:, ::-1].copy())
    a = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client)
    b = prepare(folder / "store", folder / "image2.tif", folder / "labels2.tif", client=client)
    assert a.folder != b.folder
    assert sorted(p.name for p in (folder / "store" / "images").iterdir()) == sorted([a.folder.name, b.folder.name])
    assert prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client).reused
