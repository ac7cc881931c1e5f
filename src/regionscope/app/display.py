"""From data arrays to what the browser shows: 8-bit planes and encoded images.

Plain numpy and Pillow, no Dash: unit-tested without a browser.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from regionscope.io import default_channel_names

#: Contrast limits are these percentiles of each channel.
CONTRAST_PERCENTILES = (0.5, 99.5)
#: Above this many pixels the display image is sent as JPEG, not PNG.
JPEG_ABOVE_PIXELS = 1024 * 1024
#: Additive colours of channels in a composite, in order (RGB, 0..1).
COMPOSITE_COLORS = (
    (0.0, 1.0, 0.0),
    (1.0, 0.0, 1.0),
    (0.0, 1.0, 1.0),
    (1.0, 0.0, 0.0),
    (0.0, 0.0, 1.0),
    (1.0, 1.0, 0.0),
)
#: Largest side (pixels) of a plane sent to the browser; larger planes are
#: shown every ``display_step`` pixels so that the page stays responsive.
MAX_DISPLAY_SIDE = 4096
#: Channel choice meaning "all channels blended" (see :func:`display_plane`).
COMPOSITE = "composite"
#: Styles of a control row that a dataset does not need (no channels, one plane), and of one it does.
HIDDEN = {"display": "none"}
SHOWN = {}


def contrast_limits(values, percentiles=CONTRAST_PERCENTILES):
    """Display range of intensities, robust to a few extreme pixels.

    Parameters
    ----------
    values : ndarray
    percentiles : (float, float)

    Returns
    -------
    (float, float)
        ``low < high`` always (a constant image gets ``(v, v + 1)``).
    """
    values = np.asarray(values)
    if values.size > 4_000_000:
        # Percentiles of a strided sample are as good and 10x faster.
        values = values.ravel()[:: values.size // 2_000_000]
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if finite.size == 0:
        return 0.0, 1.0
    low, high = np.percentile(finite, percentiles)
    if high <= low:
        low, high = float(finite.min()), float(finite.max())
    if high <= low:
        high = low + 1.0
    return float(low), float(high)


def to_uint8(plane, limits):
    """Scale intensities linearly so that ``limits`` map to 0 and 255.

    Parameters
    ----------
    plane : ndarray, shape (Y, X)
    limits : (float, float)

    Returns
    -------
    ndarray of uint8, shape (Y, X)
    """
    low, high = limits
    plane = np.asarray(plane)
    # float64 stays float64: values such as 1e308 do not fit float32. Halves,
    # so that neither ``x - low`` nor ``high - low`` overflows (1e308 - -1e308).
    dtype = np.float64 if plane.dtype.kind == "f" and plane.dtype.itemsize > 4 else np.float32
    half_span = high / 2 - low / 2
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = (plane.astype(dtype, copy=False) / 2 - dtype(low / 2)) * dtype(255.0 / half_span)
    # NaN shows as the darkest value, ±inf as the darkest or brightest. Round,
    # not truncate: in float32 ``high`` often scales to 254.99998, which
    # truncation would show as 254 instead of 255.
    return np.clip(np.rint(np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)), 0, 255).astype(np.uint8)


def is_rgb(image):
    """Whether an ImageData is an ordinary 8-bit RGB(A) picture, shown as is."""
    return image.has_channels and image.data.dtype == np.uint8 and image.n_channels in (3, 4)


def channel_choices(image):
    """Display choices for an image: ``[]`` (nothing to choose) or channel names + composite.

    Parameters
    ----------
    image : ImageData

    Returns
    -------
    list of dict
        ``{"label": ..., "value": ...}`` options; values are channel indices or
        :data:`COMPOSITE`.
    """
    if not image.has_channels:
        return []
    options = [{"label": "composite" if not is_rgb(image) else "colour (RGB)", "value": COMPOSITE}]
    names = image.channel_names or default_channel_names(image.n_channels, image.data.dtype)
    options += [{"label": str(name), "value": index} for index, name in enumerate(names)]
    return options


def display_plane(image, limits, plane=0, channel=COMPOSITE):
    """The 8-bit picture of one z-plane and channel choice.

    Parameters
    ----------
    image : ImageData
    limits : list of (float, float)
        Contrast limits per channel (one entry for single-channel images).
    plane : int
        z index (ignored for 2D images).
    channel : int or str
        Channel index, or :data:`COMPOSITE` for all channels blended (RGB
        images: the picture itself).

    Returns
    -------
    ndarray of uint8, shape (Y, X) or (Y, X, 3)
    """
    data = image.data[plane] if image.spatial_ndim == 3 else image.data
    if not image.has_channels:
        return to_uint8(data, limits[0])
    if channel != COMPOSITE:
        return to_uint8(data[..., int(channel)], limits[int(channel)])
    if is_rgb(image):
        return np.ascontiguousarray(data[..., :3])
    composite = np.zeros(data.shape[:-1] + (3,), dtype=np.float32)
    for index in range(image.n_channels):
        color = np.asarray(COMPOSITE_COLORS[index % len(COMPOSITE_COLORS)], dtype=np.float32)
        composite += to_uint8(data[..., index], limits[index])[..., None].astype(np.float32) * color
    return np.clip(composite, 0, 255).astype(np.uint8)


def image_limits(image):
    """Contrast limits of every channel of an ImageData (over all planes)."""
    if not image.has_channels:
        return [contrast_limits(image.data)]
    return [contrast_limits(image.data[..., c]) for c in range(image.n_channels)]


def encode_picture(picture, *, fmt=None):
    """Encode an 8-bit picture as a data URL.

    Parameters
    ----------
    picture : ndarray of uint8, shape (Y, X) or (Y, X, 3)
    fmt : {"png", "jpeg"} or None
        ``None``: PNG up to :data:`JPEG_ABOVE_PIXELS` pixels, JPEG above.

    Returns
    -------
    str
        ``data:image/...;base64,...``
    """
    if fmt is None:
        fmt = "png" if picture.shape[0] * picture.shape[1] <= JPEG_ABOVE_PIXELS else "jpeg"
    buffer = io.BytesIO()
    pil = Image.fromarray(picture)
    if fmt == "png":
        pil.save(buffer, format="PNG", compress_level=3)
    else:
        pil.save(buffer, format="JPEG", quality=90)
    return f"data:image/{fmt};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def encode_index_png(index_plane):
    """Encode a label-index raster as a lossless RGB PNG data URL.

    Pixel value ``i`` is stored as ``R = i & 255``, ``G = (i >> 8) & 255``,
    ``B = (i >> 16) & 255``: the browser decodes the region under the cursor
    from it without asking the server.

    Parameters
    ----------
    index_plane : ndarray of uint32, shape (Y, X)
        Values below 2**24.

    Returns
    -------
    str
        ``data:image/png;base64,...``
    """
    index_plane = np.asarray(index_plane, dtype=np.uint32)
    rgb = np.empty(index_plane.shape + (3,), dtype=np.uint8)
    rgb[..., 0] = index_plane & 0xFF
    rgb[..., 1] = (index_plane >> 8) & 0xFF
    rgb[..., 2] = (index_plane >> 16) & 0xFF
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_index_png(data_url):
    """Inverse of :func:`encode_index_png` (used by tests)."""
    payload = base64.b64decode(data_url.split(",", 1)[1])
    rgb = np.asarray(Image.open(io.BytesIO(payload)).convert("RGB"), dtype=np.uint32)
    return rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16)


#: Below this mean brightness (0-255) a picture counts as dark: outlines get a light edge.
DARK_PICTURE_MEAN = 90


def halo_color(picture):
    """The colour of the thin edge drawn outside every outline, chosen for contrast.

    Dark pictures (night sky, fluorescence) get a light edge, others a dark
    one, so that outlines in any colour of the colormap stand out from the
    pixels around them (a dark purple outline on black was invisible).

    Parameters
    ----------
    picture : ndarray of uint8, shape (Y, X) or (Y, X, 3)
        The plane as shown.

    Returns
    -------
    [int, int, int]
    """
    picture = np.asarray(picture)
    step = max(1, int(np.sqrt(picture.shape[0] * picture.shape[1] / 250_000)))
    mean = float(picture[::step, ::step].mean()) if picture.size else 0.0
    return [255, 255, 255] if mean < DARK_PICTURE_MEAN else [0, 0, 0]


def outline_width(shape):
    """Outline thickness in pixels so outlines stay visible when a large image is shown whole."""
    return max(1, int(np.ceil(max(shape[-2:]) / 1024)))


def display_step(shape):
    """Stride at which a plane of ``shape`` is sent to the browser (1: every pixel).

    Parameters
    ----------
    shape : tuple of int
        ``(..., Y, X)``.
    """
    return max(1, int(np.ceil(max(shape[-2:]) / MAX_DISPLAY_SIDE)))


def visible_window(relayout, shape, *, margin=0.1):
    """The part of a plane a zoomed view shows, from a Plotly ``relayoutData``.

    Parameters
    ----------
    relayout : dict or None
        ``{"xaxis.range[0]": ..., "xaxis.range[1]": ..., "yaxis.range[0]": ..., ...}``
        (or ``"xaxis.range": [a, b]``); x is the column, y the row.
    shape : (int, int)
        ``(rows, cols)`` of the plane.
    margin : float
        Extra fraction of the window on each side, so a little panning needs no new crop.

    Returns
    -------
    (row0, row1, col0, col1) or None
        Pixel bounds (end exclusive), clipped to the plane; None when the
        relayout holds no complete ranges (e.g. an autorange back to the whole view).
    """
    if not relayout:
        return None

    def axis_range(axis):
        if f"{axis}.range" in relayout:
            return relayout[f"{axis}.range"]
        if f"{axis}.range[0]" in relayout and f"{axis}.range[1]" in relayout:
            return [relayout[f"{axis}.range[0]"], relayout[f"{axis}.range[1]"]]
        return None

    x_range, y_range = axis_range("xaxis"), axis_range("yaxis")
    if x_range is None or y_range is None:
        return None
    rows, cols = shape
    bounds = []
    for (low, high), size in ((sorted(y_range), rows), (sorted(x_range), cols)):
        pad = (high - low) * margin
        start = int(np.clip(np.floor(low - pad + 0.5), 0, size))
        stop = int(np.clip(np.ceil(high + pad + 0.5), 0, size))
        bounds.append((start, stop))
    (row0, row1), (col0, col1) = bounds
    if row1 <= row0 or col1 <= col0:
        return None
    return row0, row1, col0, col1


#: Largest integer a browser holds exactly as a number (2**53 - 1).
MAX_SAFE_INTEGER = 2**53 - 1


def json_labels(values):
    """Label values for the browser: numbers when all are exact in JavaScript, else decimal strings.

    Parameters
    ----------
    values : ndarray of int, shape (n,), or sequence of int
        A list of Python ints stays exact (NumPy would make a mix of small
        labels and labels of 2**63 or more float64).

    Returns
    -------
    list of int or list of str
    """
    if not isinstance(values, np.ndarray):
        values = [int(value) for value in values]
        if all(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER for value in values):
            return values
        return [str(value) for value in values]
    if values.size == 0 or (int(values.max()) <= MAX_SAFE_INTEGER and int(values.min()) >= -MAX_SAFE_INTEGER):
        return values.tolist()
    return [str(value) for value in values.tolist()]


def label_value(value):
    """A label sent by the browser (number or decimal string) as a Python int, or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    return None
