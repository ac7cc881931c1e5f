"""Segmentation chunk by chunk on Dask: the regions of regionscope.segment, whatever the chunks."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dask_image")

import dask.array as da  # noqa: E402

from regionscope.chunked_segmentation import segment_chunked  # noqa: E402
from regionscope.segmentation import SegmentationError, segment  # noqa: E402


def same_regions(a, b):
    """Whether two label images hold the same regions (the numbering may differ)."""
    if not np.array_equal(a > 0, b > 0):
        return False
    pairs = np.unique(np.stack([a[a > 0], b[b > 0]]), axis=1)
    return pairs.shape[1] == len(np.unique(a[a > 0])) == len(np.unique(b[b > 0]))


def blobs(shape=(60, 70), n=14, seed=1):
    """Bright rectangles on a noisy background, several of them across the 16-pixel chunk borders."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 40, shape).astype(np.uint8)
    for _ in range(n):
        r, c = rng.integers(0, shape[0] - 8), rng.integers(0, shape[1] - 8)
        h, w = rng.integers(1, 14, 2)
        image[r : r + h, c : c + w] = 200
    image[10, 16:40] = 220  # a thin region through two chunk borders
    image[15:18, 15:18] = 210  # a small one on a chunk corner
    return image


@pytest.mark.parametrize(
    "options",
    [
        {"min_size": 0},
        {"min_size": 5},
        {"min_size": 5, "objects": "dark"},
        {"min_size": 3, "clear_border": True},
        {"method": "li", "min_size": 0},
        {"method": "mean", "min_size": 2},
    ],
    ids=["all", "min size", "dark", "clear border", "li", "mean"],
)
def test_chunked_regions_equal_segment_2d(options):
    image = blobs()
    expected = segment(image, **options)
    result = segment_chunked(da.from_array(image, chunks=16), **options)
    labels = result.labels.compute()
    assert result.sample_step == 1
    assert result.n_regions == expected.max() == labels.max()
    assert same_regions(labels, expected)
    assert sorted(np.unique(labels).tolist()) == list(range(result.n_regions + 1))  # numbered 1..N


def test_chunked_regions_equal_segment_3d_rgb_and_nan():
    rng = np.random.default_rng(2)
    stack = np.stack([blobs(seed=s) for s in (3, 4, 5)])  # (3, 60, 70): regions touch across planes
    assert same_regions(
        segment_chunked(da.from_array(stack, chunks=(2, 32, 40)), min_size=4).labels.compute(), segment(stack, min_size=4)
    )
    rgb = np.stack([blobs(seed=6), blobs(seed=6) // 2, rng.integers(0, 255, (60, 70)).astype(np.uint8)], axis=-1)
    chunked = segment_chunked(da.from_array(rgb, chunks=(16, 16, 3)), multichannel=True, min_size=4).labels.compute()
    assert same_regions(chunked, segment(rgb, multichannel=True, min_size=4))
    floats = blobs(seed=7).astype(float)
    floats[::7, ::5] = np.nan  # never foreground, left out of the threshold
    assert same_regions(
        segment_chunked(da.from_array(floats, chunks=16), min_size=0).labels.compute(), segment(floats, min_size=0)
    )


def test_a_large_image_is_thresholded_on_a_stated_sample():
    image = blobs((64, 64))
    result = segment_chunked(da.from_array(image, chunks=16), max_sample_pixels=1024, min_size=0)
    assert result.sample_step == 2
    from skimage.filters import threshold_otsu

    assert result.threshold == threshold_otsu(image[::2, ::2])


def test_constant_image_and_what_is_not_done_chunk_by_chunk():
    empty = segment_chunked(da.zeros((20, 20), chunks=8, dtype=np.uint8))
    assert empty.n_regions == 0 and not empty.labels.compute().any()
    image = da.from_array(blobs(), chunks=16)
    with pytest.raises(SegmentationError, match="local threshold is not available"):
        segment_chunked(image, method="local")
    with pytest.raises(SegmentationError, match="filling holes needs each region whole"):
        segment_chunked(image, fill_holes=True)
    with pytest.raises(SegmentationError, match="splitting touching objects"):
        segment_chunked(image, split_touching=True)
    with pytest.raises(SegmentationError, match="unknown threshold method 'magic'"):
        segment_chunked(image, method="magic")
