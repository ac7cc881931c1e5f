"""The view as a picture file: the shown plane with its overlay, at the image's resolution.

Drawn on the server from the data, not captured from the screen: a screenshot
of the graph is the size of the window (859×664 for a 512² image), and its
colour bar is not in the canvas Plotly exports. Here the image keeps its
pixels (small images are enlarged by a whole factor so outlines stay crisp),
only the regions that pass every filter are drawn, and a colour bar or a
class legend is drawn beside it.

Plain numpy and Pillow, no Dash: unit-tested without a browser.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage.segmentation import find_boundaries

from regionscope.app import display
from regionscope.app.colors import colormap_lut

#: Small images are enlarged (nearest neighbour, by a whole factor) to at least this many pixels a side.
MIN_SIDE = 768
#: Width of the colour bar or legend strip beside the image, in pixels at scale 1.
LEGEND_WIDTH = 170
BACKGROUND = (255, 255, 255)
TEXT = (29, 35, 48)


def view_scale(shape):
    """The whole factor a plane of ``shape`` (rows, cols) is enlarged by (1 for large images)."""
    return max(1, int(np.ceil(MIN_SIDE / max(shape))))


def legend_scale(height):
    """How much larger than at 1x the colour bar and legend are drawn beside a picture ``height`` pixels high."""
    return int(np.clip(height // 600, 1, 4))


def overlay_rgba(index_plane, colors, visible_rows, *, mode="outline", width=1):
    """The overlay of a plane: outlines (or fills) of the visible regions in their colours.

    Parameters
    ----------
    index_plane : ndarray of uint32, shape (Y, X)
        0 background, ``i + 1`` for table row ``i``.
    colors : ndarray of uint8, shape (n_rows, 3)
    visible_rows : ndarray of bool, shape (n_rows,)
        Rows drawn (the others are left out, as on screen).
    mode : {"outline", "filled"}
    width : int
        Outline thickness in pixels.

    Returns
    -------
    ndarray of uint8, shape (Y, X, 4)
    """
    shown = np.concatenate([[False], np.asarray(visible_rows, dtype=bool)])[index_plane]
    drawn_index = np.where(shown, index_plane, 0)
    boundary = find_boundaries(drawn_index, mode="inner") & shown
    for _ in range(width - 1):
        grown = find_boundaries(np.where(boundary, 0, drawn_index), mode="inner") & shown
        boundary |= grown
    rgba = np.zeros(index_plane.shape + (4,), dtype=np.uint8)
    row_colors = np.concatenate([np.zeros((1, 3), dtype=np.uint8), np.asarray(colors, dtype=np.uint8)])
    if mode == "filled":
        rgba[shown, :3] = row_colors[index_plane[shown]]
        rgba[shown, 3] = 120
    rgba[boundary, :3] = row_colors[index_plane[boundary]]
    rgba[boundary, 3] = 255
    return rgba


def blend(picture, overlay, opacity):
    """The picture (gray or RGB, uint8) under the overlay (RGBA) at ``opacity``, as RGB uint8."""
    base = np.asarray(picture, dtype=np.float32)
    if base.ndim == 2:
        base = np.repeat(base[..., None], 3, axis=2)
    alpha = overlay[..., 3:4].astype(np.float32) / 255.0 * float(opacity)
    mixed = base * (1.0 - alpha) + overlay[..., :3].astype(np.float32) * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def _font(size):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one size only
        return ImageFont.load_default()


def _colorbar(height, scale, colorbar, colormap):
    strip = Image.new("RGB", (LEGEND_WIDTH * scale, height), BACKGROUND)
    draw = ImageDraw.Draw(strip)
    font = _font(12 * scale)
    top, bottom = 30 * scale, height - 20 * scale
    left, right = 14 * scale, 32 * scale
    lut = colormap_lut(colormap)
    for y in range(top, bottom):
        position = 1.0 - (y - top) / max(bottom - top - 1, 1)
        draw.line([(left, y), (right, y)], fill=tuple(int(c) for c in lut[int(round(position * (len(lut) - 1)))]))
    draw.text((left, 8 * scale), str(colorbar["title"]), fill=TEXT, font=font)
    low, high = colorbar["cmin"], colorbar["cmax"]
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = bottom - 1 - fraction * (bottom - top - 1)
        draw.line([(right, y), (right + 4 * scale, y)], fill=TEXT)
        draw.text((right + 7 * scale, y - 7 * scale), f"{low + fraction * (high - low):.4g}", fill=TEXT, font=font)
    return strip


def _legend(height, scale, entries):
    strip = Image.new("RGB", (LEGEND_WIDTH * scale, height), BACKGROUND)
    draw = ImageDraw.Draw(strip)
    font = _font(12 * scale)
    y = 10 * scale
    for name, color in entries:
        draw.rectangle([12 * scale, y, 24 * scale, y + 12 * scale], fill=tuple(color), outline=TEXT)
        draw.text((30 * scale, y - 1 * scale), str(name)[:22], fill=TEXT, font=font)
        y += 20 * scale
    return strip


def view_png(
    picture, index_plane, colors, visible_rows, *, mode="outline", opacity=0.8, colorbar=None, colormap="Viridis", legend=None
):
    """The view as PNG bytes: picture, overlay and a colour bar or class legend.

    Parameters
    ----------
    picture : ndarray of uint8, shape (Y, X) or (Y, X, 3)
        The plane as shown (:func:`regionscope.app.display.display_plane`).
    index_plane : ndarray of uint32, shape (Y, X)
    colors : ndarray of uint8, shape (n_rows, 3)
    visible_rows : ndarray of bool, shape (n_rows,)
    mode : {"outline", "filled"}
    opacity : float
    colorbar : dict or None
        ``{"title", "cmin", "cmax"}`` (from ``region_colors``) for a numeric colouring.
    colormap : str
    legend : list of (str, (int, int, int)) or None
        Class names and colours, for a colouring by class.

    Returns
    -------
    bytes
    """
    scale = view_scale(index_plane.shape)
    width = display.outline_width(index_plane.shape)
    composed = blend(picture, overlay_rgba(index_plane, colors, visible_rows, mode=mode, width=width), opacity)
    if scale > 1:
        composed = np.repeat(np.repeat(composed, scale, axis=0), scale, axis=1)
    image = Image.fromarray(composed, mode="RGB")
    strip = None
    text_scale = legend_scale(image.height)
    if colorbar is not None:
        strip = _colorbar(image.height, text_scale, colorbar, colormap)
    elif legend:
        strip = _legend(image.height, text_scale, legend)
    if strip is not None:
        whole = Image.new("RGB", (image.width + strip.width, image.height), BACKGROUND)
        whole.paste(image, (0, 0))
        whole.paste(strip, (image.width, 0))
        image = whole
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
