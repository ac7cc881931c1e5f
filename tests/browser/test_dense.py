"""Hover and click name the exact region at any pixel, on touching regions."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import serve
from pagetools import click_pixel, hover_until

pytestmark = pytest.mark.browser


def touching_regions(shape=(72, 96), n=90, seed=7):
    """Voronoi cells of random seeds: every pixel belongs to a region, neighbours touch."""
    rng = np.random.default_rng(seed)
    seeds = rng.uniform((0, 0), shape, size=(n, 2))
    rows, cols = np.indices(shape)
    distance = (rows[..., None] - seeds[:, 0]) ** 2 + (cols[..., None] - seeds[:, 1]) ** 2
    labels = (np.argmin(distance, axis=-1) * 3 + 5).astype(np.int32)  # non-sequential: 5, 8, 11, ...
    image = rng.integers(40, 220, size=n, dtype=np.uint8)[np.argmin(distance, axis=-1)]
    return image, labels


@pytest.fixture(scope="module")
def dense_app():
    image, labels = touching_regions()
    served = serve(image, labels, name="touching")
    yield served, labels
    served.server.stop()


def hovered_label(page):
    text = page.locator("#rs-hover-info").inner_text().split()
    return int(text[text.index("label") + 1]) if "label" in text else None


def test_hover_names_the_region_under_every_sampled_pixel(dense_app, new_page):
    served, labels = dense_app
    page = new_page(served.url)
    rng = np.random.default_rng(1)
    # Pixels next to a boundary are the hard ones: take those and some others.
    boundary = np.argwhere((labels[1:-1, 1:-1] != labels[2:, 1:-1]) | (labels[1:-1, 1:-1] != labels[1:-1, 2:])) + 1
    points = np.concatenate([boundary[rng.choice(len(boundary), 25, replace=False)], rng.integers((0, 0), labels.shape, (10, 2))])
    wrong = []
    for row, col in points:
        expected = int(labels[row, col])
        hover_until(page, int(row), int(col), f"label {expected}")
        if hovered_label(page) != expected:
            wrong.append((int(row), int(col), expected, hovered_label(page)))
    assert wrong == []


def test_click_selects_the_region_under_the_pixel(dense_app, new_page):
    served, labels = dense_app
    page = new_page(served.url)
    for row, col in [(3, 4), (40, 50), (70, 95), (36, 0), (0, 60)]:
        page.wait_for_timeout(400)  # two clicks closer together are Plotly's double-click (reset the view)
        click_pixel(page, row, col)
        expected = str(labels[row, col])
        page.wait_for_function(
            "(id) => { const rows = dash_ag_grid.getApi('rs-grid').getSelectedRows(); return rows.length === 1 && rows[0].label + '' === id; }",
            arg=expected,
            timeout=5_000,
        )
