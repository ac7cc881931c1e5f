"""The image figure: base image trace, overlay layer, colour bar and highlight.

The figure's structure is fixed so that callbacks can patch parts of it by
path:

- ``data[0]``: the image (``go.Image`` with a compressed ``source``); it
  reports pixel coordinates on hover and click anywhere.
- ``data[1]``: an invisible marker trace that only carries the colour bar.
- ``layout.images[0]``: the region overlay, an RGBA picture drawn in the browser.
- ``layout.shapes``: the outline of the focused region.

Coordinates: x is the column and y the row, in full-resolution pixels.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import plotly.graph_objects as go

#: A fully transparent 1x1 PNG: the overlay before the browser has drawn it.
EMPTY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="
)
#: Colour of the focused region's outline.
HIGHLIGHT_COLOR = "#ff2d55"
#: Room on the right of the plot for the colour bar, in pixels.
COLORBAR_MARGIN = 80
#: Smallest zoom window (pixels) when centring on a region.
MIN_ZOOM_WINDOW = 48


def base_figure(shape, *, uirevision, opacity=0.8, step=1):
    """The figure skeleton for an image of ``shape`` (no pixels yet).

    Parameters
    ----------
    shape : (int, int)
        ``(rows, cols)`` of the image plane.
    uirevision : str
        Zoom and pan survive updates while this stays the same.
    opacity : float
        Overlay opacity.
    step : int
        The image is sent every ``step`` pixels (see ``display.display_step``);
        coordinates stay those of the full-resolution image.

    Returns
    -------
    dict
        A Plotly figure as a plain dict.
    """
    figure = json.loads(_skeleton_json(int(shape[0]), int(shape[1]), float(opacity), int(step)))
    figure["layout"]["uirevision"] = figure["layout"]["selectionrevision"] = uirevision
    return figure


@functools.lru_cache(maxsize=64)
def _skeleton_json(rows, cols, opacity, step):
    # Plotly's figure objects validate every property: 20 ms of the 37 ms a first view's
    # show_dataset took. The skeleton depends only on these numbers, so it is built once
    # per shape and copied (from JSON: nothing of one answer is shared with the next).
    figure = go.Figure()
    # hoverlabel colours set explicitly: Plotly otherwise derives them from the
    # pixel under the cursor and logs a warning for every hover on an Image.
    figure.add_trace(
        go.Image(
            source=EMPTY_PNG,
            x0=0,
            y0=0,
            dx=step,
            dy=step,
            hoverinfo="none",
            # "fast" makes Plotly hand the encoded picture to the browser as is.
            # Otherwise it may repaint it pixel by pixel through a canvas: slow
            # for large images, and seen to miscolour them when Plotly's
            # pixelated-rendering probe has not answered yet. CSS keeps the
            # pixels sharp when zoomed in (assets/regionscope.css).
            zsmooth="fast",
            hoverlabel={"bgcolor": "white", "bordercolor": "#333", "font": {"color": "#111"}},
            name="image",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            hoverinfo="skip",
            showlegend=False,
            marker={"size": 0.1, "color": [0], "colorscale": "Viridis", "showscale": False, "cmin": 0, "cmax": 1},
            name="colorbar",
        )
    )
    figure.update_layout(
        images=[
            {
                "source": EMPTY_PNG,
                "xref": "x",
                "yref": "y",
                "x": -0.5,
                "y": -0.5,
                "sizex": cols,
                "sizey": rows,
                "sizing": "stretch",
                "layer": "above",
                "opacity": opacity,
                "xanchor": "left",
                "yanchor": "top",
            }
        ],
        shapes=[],
        margin={"l": 0, "r": COLORBAR_MARGIN, "t": 0, "b": 0},
        dragmode="pan",
        hovermode="closest",
        uirevision="",  # set per dataset by base_figure
        # Keep the user's box/lasso across redraws, so that Shift can add to it.
        selectionrevision="",
        plot_bgcolor="#111",
        paper_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
    )
    figure.update_xaxes(range=[-0.5, cols - 0.5], showgrid=False, zeroline=False, showticklabels=False, constrain="domain")
    figure.update_yaxes(
        range=[rows - 0.5, -0.5], showgrid=False, zeroline=False, showticklabels=False, scaleanchor="x", constrain="domain"
    )
    return figure.to_json()


def colorbar_marker(colorbar):
    """The ``marker`` of ``data[1]``: a colour bar, or none for ``colorbar=None``.

    Parameters
    ----------
    colorbar : dict or None
        ``{"title", "colorscale", "cmin", "cmax"}`` from
        :func:`regionscope.app.colors.region_colors`.
    """
    if colorbar is None:
        return {"size": 0.1, "color": [0], "showscale": False, "colorscale": "Viridis", "cmin": 0, "cmax": 1}
    return {
        "size": 0.1,
        "color": [colorbar["cmin"]],
        "colorscale": colorbar["colorscale"],
        "cmin": colorbar["cmin"],
        "cmax": colorbar["cmax"],
        "showscale": True,
        "colorbar": {
            "title": {"text": colorbar["title"], "side": "right"},
            "thickness": 14,
            "len": 0.9,
            "x": 1.01,
            "xanchor": "left",
            "outlinewidth": 0,
        },
    }


def rings_to_path(rings):
    """An SVG path (x = column, y = row) drawing closed rings.

    Parameters
    ----------
    rings : list of ndarray, each of shape (n, 2) in (row, col)

    Returns
    -------
    str
        ``"M x,y L x,y ... Z M ..."``; empty for no rings.
    """
    parts = []
    for ring in rings:
        if len(ring) < 2:
            continue
        points = " L".join(f"{col:.1f},{row:.1f}" for row, col in np.asarray(ring))
        parts.append(f"M{points} Z")
    return " ".join(parts)


def highlight_shapes(rings):
    """``layout.shapes`` outlining the focused region (empty list for none)."""
    path = rings_to_path(rings)
    if not path:
        return []
    return [
        {
            "type": "path",
            "path": path,
            "xref": "x",
            "yref": "y",
            "line": {"color": HIGHLIGHT_COLOR, "width": 2.5},
            "fillcolor": "rgba(0,0,0,0)",
            "layer": "above",
        }
    ]


def zoom_ranges(bbox, shape, *, margin=1.5, min_window=MIN_ZOOM_WINDOW):
    """Axis ranges that centre a region and show it with some context.

    Parameters
    ----------
    bbox : (int, int, int, int)
        ``(min_row, min_col, max_row, max_col)``, max exclusive (scikit-image's ``bbox``).
    shape : (int, int)
        Image plane shape.
    margin : float
        The window is this many times the region's larger side.
    min_window : int
        Smallest window side in pixels.

    Returns
    -------
    x_range : [float, float]
    y_range : [float, float]
        Reversed (rows grow downwards), as the figure's y axis is.
    """
    min_row, min_col, max_row, max_col = bbox
    center_row = (min_row + max_row - 1) / 2
    center_col = (min_col + max_col - 1) / 2
    side = max(max_row - min_row, max_col - min_col) * margin
    side = min(max(side, min_window), max(shape))
    half = side / 2
    return [center_col - half, center_col + half], [center_row + half, center_row - half]
