"""Chunked measurement on Dask equals in-memory measurement."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import tifffile
from skimage import data
from skimage import measure as skmeasure

from regionscope.chunked import (
    ChunkedMeasurementError,
    chunk_partials,
    dask_client,
    measure_chunked,
    merge_partials,
    table_meta,
)
from regionscope.measurement import measure
from regionscope.sources import ArraySource, open_source


@pytest.fixture(scope="session")
def client():
    """One in-process LocalCluster for the module (the CLI test starts real processes)."""
    with dask_client(n_workers=1, threads_per_worker=2, processes=False) as client:
        yield client


def assert_same_table(expected, got):
    assert list(got.columns) == list(expected.columns)
    assert dict(got.dtypes) == dict(expected.dtypes)
    pd.testing.assert_frame_equal(expected, got, check_exact=False, rtol=1e-9, atol=1e-12)


def blobs_2d(seed=1, side=96):
    image = data.binary_blobs(side, blob_size_fraction=0.08, volume_fraction=0.35, rng=seed)
    return skmeasure.label(image, connectivity=1).astype(np.int32)


def intensity_for(labels, seed=0, dtype=np.uint16, channels=None):
    rng = np.random.default_rng(seed)
    shape = labels.shape + ((channels,) if channels else ())
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, 4000, shape).astype(dtype)
    return rng.random(shape).astype(dtype)


@pytest.mark.parametrize("chunks", [(17, 23), (32, 32), (96, 96), (5, 96)])
def test_2d_default_properties_equal_in_memory(client, chunks):
    labels = blobs_2d()
    image = intensity_for(labels)
    assert_same_table(measure(image, labels), measure_chunked(labels, image, chunks=chunks, client=client))


def test_2d_multichannel_float_image(client):
    labels = blobs_2d(seed=3)
    image = intensity_for(labels, dtype=np.float64, channels=2)
    expected = measure(image, labels, channel_names=["DAPI", "GFP"])
    got = measure_chunked(labels, image, chunks=(20, 31), client=client, channel_names=["DAPI", "GFP"])
    assert "intensity_mean-GFP" in got.columns
    assert_same_table(expected, got)


def test_3d_default_properties_equal_in_memory(client):
    volume = data.binary_blobs(24, n_dim=3, blob_size_fraction=0.2, volume_fraction=0.3, rng=2)
    labels = skmeasure.label(volume).astype(np.uint16)
    image = intensity_for(labels, dtype=np.uint8)
    expected = measure(image, labels)
    got = measure_chunked(labels, image, chunks=(7, 11, 9), client=client)
    assert "solidity" in got.columns and "euler_number" in got.columns
    assert_same_table(expected, got)


def test_non_contiguous_and_huge_uint64_labels(client):
    """One label in several distant pieces, each piece inside a single chunk; values near 2**62."""
    labels = blobs_2d(seed=5).astype(np.uint64)
    labels[labels % 7 == 3] = 3  # many pieces share label 3
    labels[labels > 0] += np.uint64(2**62)
    image = intensity_for(labels)
    expected = measure(image, labels)
    assert (expected["label"] > 2**62).all()
    assert_same_table(expected, measure_chunked(labels, image, chunks=(24, 24), client=client))


def test_regions_crossing_chunk_borders_in_every_direction(client):
    """A ring over a chunk corner (Euler number 0), a diagonal line, a row and a column across borders."""
    labels = np.zeros((40, 40), dtype=np.int32)
    rr, cc = np.ogrid[:40, :40]
    distance = np.hypot(rr - 19.5, cc - 19.5)
    labels[np.arange(2, 38), np.arange(2, 38)[::-1]] = 2  # anti-diagonal line, cut in pieces by the ring
    labels[(distance > 5) & (distance < 9)] = 1  # ring around the centre: all four chunks
    labels[38, :] = 3  # a row crossing the vertical border
    labels[:30, 0] = 4  # a column crossing the horizontal border
    labels[1:4, 22:26] = 5  # a block inside one chunk
    labels[25:27, 5:7] = 6
    image = intensity_for(labels, dtype=np.uint8)
    expected = measure(image, labels)
    assert expected.set_index("label").loc[1, "euler_number"] == 0
    assert_same_table(expected, measure_chunked(labels, image, chunks=(20, 20), client=client))


@pytest.mark.parametrize("ndim", [2, 3])
def test_moment_properties_from_merged_moments(client, ndim):
    """Without whole-region properties no crop is read except where rounding decides."""
    if ndim == 2:
        labels = blobs_2d(seed=8)
        chunks = (13, 19)
    else:
        labels = skmeasure.label(data.binary_blobs(20, n_dim=3, volume_fraction=0.3, rng=4))
        chunks = (6, 7, 8)
    names = ["label", "area", "centroid", "axis_major_length", "axis_minor_length"]
    names += ["eccentricity", "orientation"] if ndim == 2 else []
    assert_same_table(measure(None, labels, names), measure_chunked(labels, None, names, chunks=chunks, client=client))


def test_more_whole_region_properties(client):
    labels = blobs_2d(seed=9)
    image = intensity_for(labels, dtype=np.float64)
    names = [
        "label",
        "feret_diameter_max",
        "perimeter_crofton",
        "area_convex",
        "area_filled",
        "extent",
        "equivalent_diameter_area",
        "intensity_std",
        "centroid_weighted",
        "area_bbox",
        "num_pixels",
    ]
    assert_same_table(measure(image, labels, names), measure_chunked(labels, image, names, chunks=(21, 30), client=client))


def test_no_regions_gives_the_empty_table(client):
    labels = np.zeros((30, 30), dtype=np.int32)
    image = np.zeros((30, 30), dtype=np.uint8)
    assert_same_table(measure(image, labels), measure_chunked(labels, image, chunks=10, client=client))


def test_schema_is_known_before_computing():
    labels = blobs_2d()
    image = intensity_for(labels)
    meta = table_meta(2, None, image_dtype=image.dtype)
    table = measure(image, labels)
    assert list(meta.columns) == list(table.columns)
    assert dict(meta.dtypes) == dict(table.dtypes)
    assert len(meta) == 0


def test_sources_as_inputs(client, tmp_path):
    labels = blobs_2d(seed=11)
    image = intensity_for(labels, dtype=np.uint16)
    tifffile.imwrite(tmp_path / "labels.tif", labels, tile=(32, 32))
    tifffile.imwrite(tmp_path / "image.tif", image, tile=(32, 32))
    got = measure_chunked(
        open_source(tmp_path / "labels.tif"), open_source(tmp_path / "image.tif"), chunks=(32, 48), client=client
    )
    assert_same_table(measure(image, labels), got)


def test_partials_merge_in_any_grouping():
    """Merging chunk results pairwise or all at once gives the same sums."""
    labels = blobs_2d(seed=12, side=40)
    parts = [
        chunk_partials(labels[r : r + 20, c : c + 20], None, (r, c), ((r > 0, r < 20), (c > 0, c < 20)), [])
        for r in (0, 20)
        for c in (0, 20)
    ]
    flat = merge_partials(parts)
    nested = merge_partials([merge_partials(parts[:1]), merge_partials(parts[1:3]), parts[3]])
    whole = chunk_partials(labels, None, (0, 0), ((False, False), (False, False)), [])
    for key in whole:
        if key not in ("complete", "chunks"):
            np.testing.assert_array_equal(flat[key], whole[key], err_msg=key)
            np.testing.assert_array_equal(nested[key], whole[key], err_msg=key)


def test_crop_budget_is_a_clear_error_that_pickles(client):
    labels = np.zeros((40, 40), dtype=np.int32)
    labels[2:38, 2:38] = 7
    with pytest.raises(ChunkedMeasurementError, match=r"region 7 spans 36x36 pixels.*crop budget") as info:
        measure_chunked(labels, None, chunks=20, client=client, crop_budget=1000)
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)


def test_bad_inputs_are_clear_errors(client):
    labels = blobs_2d()
    with pytest.raises(ChunkedMeasurementError, match="differ in shape"):
        measure_chunked(labels, np.zeros((5, 5)), client=client)
    with pytest.raises(ChunkedMeasurementError, match="integer array"):
        measure_chunked(labels.astype(float), None, client=client)
    with pytest.raises(ChunkedMeasurementError, match="chunks"):
        measure_chunked(labels, None, chunks=(5,), client=client)
    with pytest.raises(ChunkedMeasurementError, match="labels must have one channel"):
        measure_chunked(ArraySource(np.zeros((4, 4, 2), np.int32), axes="YXC"), None, client=client)
    with pytest.raises(ChunkedMeasurementError, match="not a size"):
        with dask_client(memory_limit="lots"):
            pass


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(ChunkedMeasurementError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        with dask_client("tcp://127.0.0.1:9", timeout="1s"):
            pass
