"""Ordinary pictures (PNG, JPEG, BMP, GIF), read with Pillow.

Why Pillow by hand and not ``imageio.v3`` (``imread``/``improps``), which
wraps the same Pillow: its plugin opens every file with ``Image.open``, which
refuses images above Pillow's process-wide pixel limit
(``Image.MAX_IMAGE_PIXELS``, about 179 million pixels) and warns below it.
regionscope's byte budget must decide instead (a 2 x 100,000,000 PNG reads
with ``max_bytes="1G"``), and changing that process-wide setting is not safe
in the app's threaded server. So the file is opened here by its format's
plugin, the size read from the header is checked against the budget, and
only then the pixels are decoded. imageio also converts palette images to
their palette's colours, while label images need the palette indices and
later GIF frames (which Pillow decodes to RGB) need mapping back to them.
"""

from __future__ import annotations

import numpy as np

from regionscope.errors import InputFileError

from .axes import RawImage
from .budget import check_budget
from .channels import LA_NAMES, RGB_NAMES, RGBA_NAMES, palette_rgb_to_gray
from .messages import exception_reason

__all__ = ["read_picture"]


#: Bytes per pixel of the array regionscope makes from each Pillow mode (after
#: the conversions of _pillow_frame; palette images may become RGBA).
_PILLOW_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 4, "I": 4, "F": 4, "RGB": 3, "RGBA": 4, "LA": 2, "La": 2}


def _open_pillow(path: str, fmt: str):
    """Open an image with Pillow, reading its header only.

    ``Image.open`` refuses images above Pillow's process-wide pixel limit
    (``Image.MAX_IMAGE_PIXELS``) and warns below it; regionscope's byte
    budget decides instead (see :func:`~regionscope.io.budget.check_budget`), so the file is opened
    by the plugin of its format directly. A file whose content is of another
    format than its extension says falls back to ``Image.open``.
    """
    from PIL import Image

    Image.init()
    factory = Image.OPEN.get(fmt, (None, None))[0]
    if factory is not None:
        try:
            return factory(path)
        except (SyntaxError, IndexError, TypeError, ValueError, OSError):
            pass  # not really this format: let Image.open find out what it is
    try:
        return Image.open(path)
    except Image.DecompressionBombError as exc:
        raise InputFileError(
            path,
            f"is too large to open ({exception_reason(exc)}); it is not really a {fmt} file: save it as TIFF under its own name",
        ) from exc


def read_picture(path: str, fmt: str, *, labels: bool, budget: int) -> RawImage:
    with _open_pillow(path, fmt) as im:
        width, height = im.size
        per_pixel = _PILLOW_BYTES_PER_PIXEL.get(im.mode, 2 if im.mode.startswith("I;16") else 4)
        if labels and im.mode in ("P", "L"):
            per_pixel = 1
        check_budget(path, (height, width), per_pixel, budget, f" pixels, {im.mode} mode")
        n_frames = int(getattr(im, "n_frames", 1) or 1) if fmt == "GIF" else 1
        if n_frames > 1:
            # Later GIF frames decode to RGB(A) or palette indices.
            check_budget(path, (n_frames, height, width), 1 if labels else 4, budget, " pixels, GIF frames")
        if n_frames == 1:
            im.load()
            data, names = _pillow_frame(im, path, labels)
            axes = "YX" if names is None else "YXC"
            return RawImage(data, axes, names)
        frames = []
        palette = None
        for index in range(n_frames):
            im.seek(index)
            im.load()
            if labels:
                if index == 0 and im.mode == "P":
                    palette = _palette_array(im)
                frames.append((_gif_label_frame(im, palette, path, index), None))
            else:
                frames.append(_pillow_frame(im, path, labels))
    if not labels and len({(a.shape, a.dtype, n) for a, n in frames}) > 1:
        frames = [_common_rgb(a, n) for a, n in frames]
        if any(n == RGBA_NAMES for _, n in frames):
            frames = [(_add_alpha(a) if n == RGB_NAMES else a, RGBA_NAMES) for a, n in frames]
    shapes = {a.shape for a, _ in frames}
    if len(shapes) > 1:
        raise InputFileError(path, f"the frames of this GIF have different sizes {sorted(shapes)}; save the stack as TIFF")
    data = np.stack([a for a, _ in frames])
    names = frames[0][1]
    if names == RGB_NAMES and not labels:
        data, names = palette_rgb_to_gray(data)
    axes = "ZYX" if names is None else "ZYXC"
    return RawImage(data, axes, names)


def _pillow_frame(im, path: str, labels: bool) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Array and channel names (None for one channel) of the current frame."""
    mode = im.mode
    if mode in ("1", "L", "I", "F") or mode.startswith("I;16"):
        return np.asarray(im), None
    if mode == "P":
        if labels:
            return np.asarray(im), None
        if "transparency" in im.info:
            return np.asarray(im.convert("RGBA")), RGBA_NAMES
        return palette_rgb_to_gray(np.asarray(im.convert("RGB")))
    if mode == "RGB":
        return np.asarray(im), RGB_NAMES
    if mode == "RGBA":
        return np.asarray(im), RGBA_NAMES
    if mode == "LA":
        return np.asarray(im), LA_NAMES
    if mode == "La":
        return np.asarray(im.convert("LA")), LA_NAMES
    if mode in ("PA", "RGBa"):
        return np.asarray(im.convert("RGBA")), RGBA_NAMES
    # CMYK, YCbCr, LAB, HSV, RGBX, ...: colour; convert to RGB.
    return np.asarray(im.convert("RGB")), RGB_NAMES


def _common_rgb(array: np.ndarray, names) -> tuple[np.ndarray, tuple[str, ...]]:
    """Bring a GIF frame (gray, RGB or RGBA uint8) to RGB or RGBA."""
    if names is None:
        return np.repeat(array[..., None], 3, axis=-1), RGB_NAMES
    return array, names


def _add_alpha(rgb: np.ndarray) -> np.ndarray:
    alpha = np.full(rgb.shape[:-1] + (1,), 255, dtype=rgb.dtype)
    return np.concatenate([rgb, alpha], axis=-1)


def _palette_array(im) -> np.ndarray | None:
    palette = im.getpalette("RGB")
    if not palette:
        return None
    return np.asarray(palette, dtype=np.int64).reshape(-1, 3)


def _gif_label_frame(im, palette: np.ndarray | None, path: str, index: int) -> np.ndarray:
    """Palette indices of one GIF frame.

    Pillow decodes frames after the first to RGB(A); their colours are mapped
    back to indices of the first frame's palette (lowest index for repeated
    colours), which is exact when the frames share the palette.
    """
    if im.mode in ("P", "L"):
        return np.asarray(im)
    if palette is None or im.mode not in ("RGB", "RGBA"):
        raise InputFileError(path, "this GIF has no palette, so its frames carry no label values; save the labels as TIFF")
    rgb = np.asarray(im)[..., :3].astype(np.int64)
    codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    pal_codes = (palette[:, 0] << 16) | (palette[:, 1] << 8) | palette[:, 2]
    unique_pal, first_index = np.unique(pal_codes, return_index=True)
    pos = np.searchsorted(unique_pal, codes)
    pos = np.clip(pos, 0, len(unique_pal) - 1)
    if not np.array_equal(unique_pal[pos], codes):
        raise InputFileError(
            path,
            f"frame {index} of this GIF uses colours that are not in the palette of the first "
            "frame, so its label values cannot be recovered; save the label stack as TIFF",
        )
    return first_index[pos].astype(np.uint8)
