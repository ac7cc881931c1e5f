"""The image figure skeleton, colour bar, highlight outline and zoom ranges."""

from __future__ import annotations

import json

import numpy as np
import pytest

from regionscope.app.figure import (
    EMPTY_PNG,
    HIGHLIGHT_COLOR,
    MIN_ZOOM_WINDOW,
    base_figure,
    colorbar_marker,
    highlight_shapes,
    rings_to_path,
    zoom_ranges,
)

# A closed unit square around pixel (row 0, col 1), in (row, col).
SQUARE = np.array([[0.0, 1.0], [0.0, 2.0], [1.0, 2.0], [1.0, 1.0], [0.0, 1.0]])


# --- base_figure --------------------------------------------------------------


@pytest.fixture
def figure():
    return base_figure((6, 8), uirevision="abc", opacity=0.6)


def test_base_figure_is_plain_json(figure):
    assert set(figure) == {"data", "layout"}
    json.dumps(figure)


def test_base_figure_image_trace(figure):
    image = figure["data"][0]
    assert image["type"] == "image"
    assert image["hoverinfo"] == "none"
    assert image["source"] == EMPTY_PNG
    assert (image["x0"], image["y0"], image["dx"], image["dy"]) == (0, 0, 1, 1)


def test_base_figure_colorbar_trace(figure):
    trace = figure["data"][1]
    assert trace["type"] == "scatter"
    assert trace["hoverinfo"] == "skip"
    assert trace["showlegend"] is False
    assert trace["marker"]["showscale"] is False
    assert len(figure["data"]) == 2


def test_base_figure_overlay_sized_to_shape(figure):
    (overlay,) = figure["layout"]["images"]
    assert (overlay["sizex"], overlay["sizey"]) == (8, 6)
    assert (overlay["x"], overlay["y"]) == (-0.5, -0.5)
    assert (overlay["xref"], overlay["yref"]) == ("x", "y")
    assert (overlay["xanchor"], overlay["yanchor"]) == ("left", "top")
    assert overlay["opacity"] == 0.6
    assert overlay["layer"] == "above"
    assert overlay["source"] == EMPTY_PNG


def test_base_figure_axes(figure):
    layout = figure["layout"]
    assert list(layout["xaxis"]["range"]) == [-0.5, 7.5]
    # Rows grow downwards: the y axis is reversed.
    assert list(layout["yaxis"]["range"]) == [5.5, -0.5]
    assert layout["yaxis"]["scaleanchor"] == "x"
    assert layout["uirevision"] == "abc"
    assert layout.get("shapes", []) == []


def test_base_figure_non_square():
    layout = base_figure((1, 300), uirevision="u")["layout"]
    assert (layout["images"][0]["sizex"], layout["images"][0]["sizey"]) == (300, 1)
    assert list(layout["yaxis"]["range"]) == [0.5, -0.5]


# --- colorbar_marker ----------------------------------------------------------


def test_colorbar_marker_none():
    marker = colorbar_marker(None)
    assert marker["showscale"] is False
    assert "colorbar" not in marker


def test_colorbar_marker_dict():
    marker = colorbar_marker({"title": "area", "colorscale": "Plasma", "cmin": 2.0, "cmax": 9.5})
    assert marker["showscale"] is True
    assert (marker["cmin"], marker["cmax"]) == (2.0, 9.5)
    assert marker["colorscale"] == "Plasma"
    assert marker["color"] == [2.0]
    assert marker["colorbar"]["title"]["text"] == "area"


def test_colorbar_marker_is_valid_plotly():
    import plotly.graph_objects as go

    for colorbar in (None, {"title": "t", "colorscale": "Viridis", "cmin": 0, "cmax": 1}):
        go.Scatter(marker=colorbar_marker(colorbar))


# --- rings_to_path / highlight_shapes -------------------------------------------


def test_rings_to_path_square():
    # x is the column, y the row.
    assert rings_to_path([SQUARE]) == "M1.0,0.0 L2.0,0.0 L2.0,1.0 L1.0,1.0 L1.0,0.0 Z"


def test_rings_to_path_several_rings_and_rounding():
    second = np.array([[3.04, 4.0], [3.5, 5.96]])
    path = rings_to_path([SQUARE, second])
    assert path == rings_to_path([SQUARE]) + " M4.0,3.0 L6.0,3.5 Z"
    assert path.count("M") == 2
    assert path.count("Z") == 2


def test_rings_to_path_skips_degenerate_rings():
    assert rings_to_path([np.array([[1.0, 1.0]])]) == ""


def test_rings_to_path_empty():
    assert rings_to_path([]) == ""


def test_highlight_shapes_empty():
    assert highlight_shapes([]) == []


def test_highlight_shapes_one_path():
    (shape,) = highlight_shapes([SQUARE])
    assert shape["type"] == "path"
    assert shape["path"] == rings_to_path([SQUARE])
    assert (shape["xref"], shape["yref"]) == ("x", "y")
    assert shape["line"]["color"] == HIGHLIGHT_COLOR


# --- zoom_ranges --------------------------------------------------------------


def test_zoom_ranges_centred_with_min_window():
    # Rows 10..13, cols 20..23: centre (11.5, 21.5); 4 * 1.5 = 6 < 48.
    x_range, y_range = zoom_ranges((10, 20, 14, 24), (100, 200))
    assert x_range == [21.5 - 24, 21.5 + 24]
    # Reversed: the larger row first.
    assert y_range == [11.5 + 24, 11.5 - 24]


def test_zoom_ranges_margin_of_larger_side():
    # 40 rows x 10 cols: side = 40 * 1.5 = 60 > 48.
    x_range, y_range = zoom_ranges((0, 0, 40, 10), (500, 500))
    assert x_range == [4.5 - 30, 4.5 + 30]
    assert y_range == [19.5 + 30, 19.5 - 30]


def test_zoom_ranges_custom_min_window():
    x_range, y_range = zoom_ranges((5, 5, 6, 6), (100, 100), min_window=10)
    assert x_range == [0.0, 10.0]
    assert y_range == [10.0, 0.0]


def test_zoom_ranges_clamped_to_image_size():
    # A 20 x 30 image: the window never exceeds the larger image side.
    x_range, y_range = zoom_ranges((0, 0, 20, 30), (20, 30))
    assert x_range[1] - x_range[0] == 30
    assert y_range[0] - y_range[1] == 30
    assert x_range == [-0.5, 29.5]
    assert y_range == [24.5, -5.5]


def test_zoom_ranges_tiny_image():
    x_range, y_range = zoom_ranges((1, 1, 2, 2), (4, 4))
    assert x_range == [-1.0, 3.0]
    assert y_range == [3.0, -1.0]
    assert MIN_ZOOM_WINDOW > 4
