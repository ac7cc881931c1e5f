"""The view exported as a picture: resolution, overlay of the shown regions only, colour bar, legend."""

from __future__ import annotations

import io

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from PIL import Image

from regionscope.app.view_picture import LEGEND_WIDTH, blend, legend_scale, overlay_rgba, view_png, view_scale


@pytest.fixture
def index_plane():
    """Two 3x3 squares (rows 0 and 1 of the table) on a 6 x 8 plane."""
    index = np.zeros((6, 8), dtype=np.uint32)
    index[1:4, 1:4] = 1
    index[2:5, 4:7] = 2
    return index


COLORS = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)


def test_view_scale_enlarges_small_images_only():
    assert view_scale((6, 8)) == 96
    assert view_scale((512, 512)) == 2
    assert view_scale((768, 100)) == 1
    assert view_scale((4096, 4096)) == 1


def test_overlay_outlines_only_the_visible_regions(index_plane):
    rgba = overlay_rgba(index_plane, COLORS, np.array([True, False]))
    drawn = rgba[..., 3] > 0
    # Region 1's ring: its 8 outer pixels; the centre and region 2 are not drawn.
    expected = np.zeros_like(drawn)
    expected[1:4, 1:4] = True
    expected[2, 2] = False
    assert_array_equal(drawn, expected)
    assert_array_equal(rgba[1, 1], [255, 0, 0, 255])


def test_overlay_filled_mode_fills_inside(index_plane):
    rgba = overlay_rgba(index_plane, COLORS, np.array([True, True]), mode="filled")
    assert_array_equal(rgba[2, 2], [255, 0, 0, 120])
    assert rgba[3, 5, 3] == 120 or rgba[3, 5, 3] == 255
    assert rgba[0, 0, 3] == 0


def test_blend_gray_picture_under_the_overlay():
    picture = np.full((1, 2), 100, dtype=np.uint8)
    overlay = np.array([[[255, 0, 0, 255], [0, 0, 0, 0]]], dtype=np.uint8)
    assert_array_equal(blend(picture, overlay, 0.5), [[[178, 50, 50], [100, 100, 100]]])


def test_view_png_is_at_image_resolution_with_a_colour_bar(index_plane):
    picture = np.zeros((6, 8), dtype=np.uint8)
    png = view_png(picture, index_plane, COLORS, np.array([True, True]), colorbar={"title": "area", "cmin": 9.0, "cmax": 9.0})
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    scale = view_scale((6, 8))
    assert image.shape == (6 * scale, 8 * scale + LEGEND_WIDTH * legend_scale(6 * scale), 3)
    # Pixel (1, 1) is region 1's outline: red over black at opacity 0.8, in every enlarged pixel.
    block = image[scale : 2 * scale, scale : 2 * scale]
    assert_array_equal(np.unique(block.reshape(-1, 3), axis=0), [[204, 0, 0]])
    # The colour bar strip is not blank: it holds the gradient.
    strip = image[:, 8 * scale :]
    assert len(np.unique(strip.reshape(-1, 3), axis=0)) > 20


def test_view_png_legend_for_classes_and_nothing_beside_without_either(index_plane):
    picture = np.zeros((6, 8), dtype=np.uint8)
    plain = Image.open(io.BytesIO(view_png(picture, index_plane, COLORS, np.array([True, True]))))
    assert plain.size == (8 * view_scale((6, 8)), 6 * view_scale((6, 8)))
    with_legend = Image.open(
        io.BytesIO(view_png(picture, index_plane, COLORS, np.array([True, True]), legend=[("debris", (230, 159, 0))]))
    )
    assert with_legend.size[0] == plain.size[0] + LEGEND_WIDTH * legend_scale(plain.size[1])
    legend = np.asarray(with_legend.convert("RGB"))[:, plain.size[0] :]
    assert (legend == [230, 159, 0]).all(axis=2).any(), "the class swatch is drawn"
