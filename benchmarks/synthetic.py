"""Synthetic segmentations for the benchmarks: round-ish regions packed on a grid.

:func:`make_synthetic` draws ``n_regions`` ellipses (discs when the axis ratio is
1) of varied size, orientation and brightness, one per cell of a regular grid,
each jittered inside its cell so that no two touch. The image is the regions'
intensity (a little brighter in the middle) on a dim background plus Gaussian
noise; the labels are int32, 0 for background, 1..n in shuffled order (so that
label values do not follow raster order, as in real label images).

Everything is vectorised (one pass over the pixels), so 4096 x 4096 with
50,000 regions takes about a second, and the result depends only on the seed.
"""

from __future__ import annotations

import math

import numpy as np

#: The benchmark sizes of the issue: name -> (image side, number of regions).
SIZES = {
    "a": (2048, 10_000),
    "b": (4096, 50_000),
}
#: Reduced sizes of ``--quick`` runs (same names, same code paths).
QUICK_SIZES = {
    "a": (1024, 2_500),
    "b": (2048, 10_000),
}


def grid_shape(shape, n_regions):
    """Rows and columns of the grid of cells: about square cells, at least ``n_regions`` of them."""
    height, width = shape
    side = math.sqrt(height * width / n_regions)
    rows = max(1, int(round(height / side)))
    cols = max(1, math.ceil(n_regions / rows))
    while rows * cols < n_regions:
        rows += 1
    return rows, cols


def make_synthetic(shape, n_regions, *, seed=0, dtype=np.uint16, noise=0.04, min_fill=0.45, max_fill=0.92):
    """An image and its label image with ``n_regions`` separate round-ish regions.

    Parameters
    ----------
    shape : int or (int, int)
        Image shape ``(rows, cols)`` (an int is a square).
    n_regions : int
    seed : int
        Everything random comes from ``numpy.random.default_rng(seed)``.
    dtype : numpy dtype
        ``uint8`` or ``uint16`` image.
    noise : float
        Standard deviation of the Gaussian noise as a fraction of the dtype's range used.
    min_fill, max_fill : float
        Range of a region's major diameter as a fraction of its cell side.

    Returns
    -------
    image : ndarray of ``dtype``, shape ``shape``
    labels : ndarray of int32, shape ``shape``
        Every label 1..n_regions occurs (each region has at least one pixel).
    """
    if isinstance(shape, int):
        shape = (shape, shape)
    height, width = shape
    rng = np.random.default_rng(seed)
    rows, cols = grid_shape(shape, n_regions)
    cell_h, cell_w = height / rows, width / cols
    n_cells = rows * cols
    cells = np.sort(rng.choice(n_cells, size=n_regions, replace=False))

    # Per cell (unused cells get radius 0): semi-axes, angle, centre, intensity.
    cell_side = min(cell_h, cell_w)
    major = np.zeros(n_cells, dtype=np.float32)
    major[cells] = rng.uniform(min_fill, max_fill, n_regions) * cell_side / 2
    minor = major * rng.uniform(0.6, 1.0, n_cells).astype(np.float32)
    angle = rng.uniform(0, np.pi, n_cells).astype(np.float32)
    # Jitter the centre as far as the cell allows (the ellipse stays inside its cell).
    slack_y = np.maximum(cell_h / 2 - major - 0.5, 0)
    slack_x = np.maximum(cell_w / 2 - major - 0.5, 0)
    cy = ((np.arange(n_cells) // cols) + 0.5) * cell_h + rng.uniform(-1, 1, n_cells) * slack_y
    cx = ((np.arange(n_cells) % cols) + 0.5) * cell_w + rng.uniform(-1, 1, n_cells) * slack_x
    cy, cx = cy.astype(np.float32), cx.astype(np.float32)
    brightness = rng.uniform(0.25, 0.9, n_cells).astype(np.float32)
    label_of_cell = np.zeros(n_cells, dtype=np.int32)
    label_of_cell[cells] = rng.permutation(n_regions).astype(np.int32) + 1

    yy = np.arange(height, dtype=np.float32)
    xx = np.arange(width, dtype=np.float32)
    row_cell = np.minimum((yy / cell_h).astype(np.int64), rows - 1)
    col_cell = np.minimum((xx / cell_w).astype(np.int64), cols - 1)
    cell = row_cell[:, None] * cols + col_cell[None, :]  # (H, W) cell of each pixel

    dy = yy[:, None] - cy[cell]
    dx = xx[None, :] - cx[cell]
    cos, sin = np.cos(angle)[cell], np.sin(angle)[cell]
    u = dx * cos + dy * sin
    v = -dx * sin + dy * cos
    del dx, dy, cos, sin
    a = np.maximum(major[cell], 1e-6)
    b = np.maximum(minor[cell], 1e-6)
    r2 = (u / a) ** 2 + (v / b) ** 2
    del u, v, a, b
    inside = r2 <= 1.0
    labels = np.where(inside, label_of_cell[cell], 0).astype(np.int32)
    # Tiny regions can miss every pixel centre: give them their centre pixel.
    present = np.bincount(labels.ravel(), minlength=n_regions + 1) > 0
    missing = cells[~present[label_of_cell[cells]]]
    if missing.size:
        my = np.clip(np.rint(cy[missing]).astype(np.int64), 0, height - 1)
        mx = np.clip(np.rint(cx[missing]).astype(np.int64), 0, width - 1)
        labels[my, mx] = label_of_cell[missing]
        inside[my, mx] = True
        r2[my, mx] = 0.0

    top = 255.0 if np.dtype(dtype) == np.uint8 else 4000.0
    background = 0.08
    signal = np.where(inside, brightness[cell] * (1.0 - 0.35 * np.minimum(r2, 1.0)), background).astype(np.float32)
    del r2, inside, cell
    signal += rng.normal(0.0, noise, size=shape).astype(np.float32)
    image = np.clip(signal * top, 0, np.iinfo(dtype).max).astype(dtype)
    return image, labels


def cheap_table(image, labels):
    """Area and mean intensity of labels 1..n (for checking what the app shows).

    Returns
    -------
    dict of ndarray
        ``label``, ``area`` (int64), ``intensity_mean``, ``centroid-0`` (row) and
        ``centroid-1`` (column) (float64), by label.
    """
    n = int(labels.max())
    flat = labels.ravel()
    area = np.bincount(flat, minlength=n + 1)
    total = np.bincount(flat, weights=image.ravel().astype(np.float64), minlength=n + 1)
    rows, cols = np.indices(labels.shape, dtype=np.float64)
    row_sum = np.bincount(flat, weights=rows.ravel(), minlength=n + 1)
    col_sum = np.bincount(flat, weights=cols.ravel(), minlength=n + 1)
    present = np.flatnonzero(area[1:] > 0) + 1
    return {
        "label": present,
        "area": area[present],
        "intensity_mean": total[present] / area[present],
        "centroid-0": row_sum[present] / area[present],
        "centroid-1": col_sum[present] / area[present],
    }
