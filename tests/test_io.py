"""Tests of regionscope.io: reading images and label images from files."""

from __future__ import annotations

import ast
import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

import regionscope.io as rsio
from regionscope.errors import InputFileError
from regionscope.io import (
    SUPPORTED_EXTENSIONS,
    ImageData,
    check_same_shape,
    has_channel_axis,
    load_image,
    load_labels,
    read_image,
    read_labels,
)

RNG = np.random.default_rng(0)


def _tif(path, data, **kwargs):
    kwargs.setdefault("photometric", "minisblack")
    tifffile.imwrite(path, data, **kwargs)
    return path


def _raises(path, *words, func=load_image, **kwargs) -> InputFileError:
    """Call func(path) expecting an InputFileError naming the file and the words."""
    with pytest.raises(InputFileError) as info:
        func(path, **kwargs)
    message = str(info.value)
    assert os.path.basename(str(path)) in message
    for word in words:
        assert word.lower() in message.lower(), (word, message)
    return info.value


def _palette_image(indices: np.ndarray, gray: bool = False) -> Image.Image:
    im = Image.fromarray(indices.astype(np.uint8), mode="P")
    if gray:
        palette = [v for i in range(256) for v in (i, i, i)]
    else:
        palette = [v for i in range(256) for v in ((i * 37) % 256, (i * 91) % 256, (i * 13 + 5) % 256)]
    im.putpalette(palette)
    return im


def _palette_rgb(indices: np.ndarray) -> np.ndarray:
    table = np.array([((i * 37) % 256, (i * 91) % 256, (i * 13 + 5) % 256) for i in range(256)], np.uint8)
    return table[indices]


# --------------------------------------------------------------------------
# has_channel_axis and ImageData
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((10, 12), False),
        ((10, 12, 3), True),
        ((10, 12, 4), True),
        ((10, 12, 1), True),
        ((10, 12, 5), False),
        ((3, 10, 12), False),
        ((4, 4, 4), False),
        ((3, 10, 2), True),
        ((2, 10, 3), False),
        ((5, 10, 12, 3), True),
        ((5, 10, 12, 40), False),
        ((10,), False),
        ((2, 3, 4, 5, 2), False),
    ],
)
def test_has_channel_axis(shape, expected):
    assert has_channel_axis(shape) is expected


def test_image_data_properties():
    gray = ImageData(np.zeros((4, 5, 6), np.uint8), None, (2.0, 0.5, 0.5), "a.tif")
    assert not gray.has_channels
    assert gray.spatial_shape == (4, 5, 6)
    assert gray.spatial_ndim == 3
    assert gray.n_channels == 1
    rgb = ImageData(np.zeros((5, 6, 3), np.uint8), ("red", "green", "blue"))
    assert rgb.has_channels
    assert rgb.spatial_shape == (5, 6)
    assert rgb.spatial_ndim == 2
    assert rgb.n_channels == 3
    assert "shape=(5, 6, 3)" in repr(rgb)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rgb.source = "b.png"  # type: ignore[misc]
    with pytest.raises(ValueError):
        ImageData(np.zeros((5, 6, 3)), ("a", "b"))
    with pytest.raises(ValueError):
        ImageData(np.zeros((5, 6)), None, (1.0, 1.0, 1.0))


@pytest.mark.parametrize("module", sorted(Path(rsio.__file__).parent.glob("*.py")), ids=lambda path: path.name)
def test_module_does_not_import_the_view(module):
    source = module.read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"dash", "plotly", "dash_ag_grid"}


# --------------------------------------------------------------------------
# TIFF / OME-TIFF
# --------------------------------------------------------------------------


def test_tiff_2d(tmp_path):
    data = RNG.integers(0, 60000, (20, 30), dtype=np.uint16)
    path = _tif(tmp_path / "plane.tif", data)
    image = load_image(path)
    assert image.data.dtype == np.uint16
    assert image.data.shape == (20, 30)
    np.testing.assert_array_equal(image.data, data)
    assert image.channel_names is None
    assert image.spacing is None
    assert image.source == str(path)
    np.testing.assert_array_equal(read_image(str(path)), data)


def test_tiff_zyx_from_axes_metadata(tmp_path):
    data = RNG.integers(0, 255, (3, 20, 30), dtype=np.uint8)
    image = load_image(_tif(tmp_path / "stack.tiff", data, metadata={"axes": "ZYX"}))
    assert image.data.shape == (3, 20, 30)
    assert image.channel_names is None
    np.testing.assert_array_equal(image.data, data)


def test_tiff_generic_page_axis_becomes_z(tmp_path):
    data = RNG.random((4, 20, 30), dtype=np.float32)
    path = _tif(tmp_path / "pages.tif", data)  # tifffile "shaped" metadata: axes 'QYX'
    image = load_image(path)
    assert image.data.shape == (4, 20, 30)
    assert image.data.dtype == np.float32
    np.testing.assert_array_equal(image.data, data)


def test_tiff_channels_first_moved_last(tmp_path):
    data = RNG.integers(0, 1000, (2, 20, 30), dtype=np.uint16)
    image = load_image(_tif(tmp_path / "cyx.tif", data, metadata={"axes": "CYX"}))
    assert image.data.shape == (20, 30, 2)
    assert image.channel_names == ("ch0", "ch1")
    np.testing.assert_array_equal(image.data, np.moveaxis(data, 0, -1))
    assert image.data.flags.c_contiguous


def test_tiff_rgb(tmp_path):
    data = RNG.integers(0, 255, (20, 30, 3), dtype=np.uint8)
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, data, photometric="rgb")
    image = load_image(path)
    assert image.data.shape == (20, 30, 3)
    assert image.channel_names == ("red", "green", "blue")
    np.testing.assert_array_equal(image.data, data)


def test_ome_tiff_channel_names_and_spacing(tmp_path):
    data = RNG.integers(0, 4000, (2, 20, 30), dtype=np.uint16)
    path = tmp_path / "cells.ome.tif"
    tifffile.imwrite(
        path,
        data,
        ome=True,
        photometric="minisblack",
        metadata={
            "axes": "CYX",
            "Channel": {"Name": ["DAPI", "GFP"]},
            "PhysicalSizeX": 0.5,
            "PhysicalSizeY": 0.25,
        },
    )
    image = load_image(path)
    assert image.data.shape == (20, 30, 2)
    assert image.channel_names == ("DAPI", "GFP")
    assert image.spacing == (0.25, 0.5)
    np.testing.assert_array_equal(image.data[..., 1], data[1])


def test_ome_tiff_zcyx_with_units(tmp_path):
    data = RNG.integers(0, 255, (3, 2, 10, 12), dtype=np.uint8)
    path = tmp_path / "STACK.OME.TIFF"
    tifffile.imwrite(
        path,
        data,
        ome=True,
        photometric="minisblack",
        metadata={
            "axes": "ZCYX",
            "Channel": {"Name": ["a", "a"]},
            "PhysicalSizeZ": 2.0,
            "PhysicalSizeY": 100.0,
            "PhysicalSizeYUnit": "nm",
            "PhysicalSizeX": 100.0,
            "PhysicalSizeXUnit": "nm",
        },
    )
    image = load_image(path)
    assert image.data.shape == (3, 10, 12, 2)
    assert image.channel_names == ("a", "a_2")  # made unique
    assert image.spacing == pytest.approx((2.0, 0.1, 0.1))
    np.testing.assert_array_equal(image.data, np.moveaxis(data, 1, -1))


def test_imagej_hyperstack(tmp_path):
    data = RNG.integers(0, 255, (4, 2, 10, 12), dtype=np.uint8)
    path = tmp_path / "ij.tif"
    tifffile.imwrite(
        path,
        data,
        imagej=True,
        resolution=(2.0, 4.0),  # pixels per unit, X then Y
        metadata={"axes": "ZCYX", "spacing": 3.0, "unit": "um", "Labels": ["nuclei", "membrane"] * 4},
    )
    image = load_image(path)
    assert image.data.shape == (4, 10, 12, 2)
    assert image.channel_names == ("nuclei", "membrane")
    assert image.spacing == pytest.approx((3.0, 0.25, 0.5))


def test_tiff_resolution_units(tmp_path):
    data = np.zeros((10, 12), np.uint8)
    cm = _tif(tmp_path / "cm.tif", data, resolution=(100, 50), resolutionunit="CENTIMETER")
    assert load_image(cm).spacing == pytest.approx((200.0, 100.0))
    inch = _tif(tmp_path / "inch.tif", data, resolution=(72, 72), resolutionunit="INCH")
    assert load_image(inch).spacing is None  # dpi is a printing setting


def test_tiff_singleton_axes_dropped(tmp_path):
    data = RNG.integers(0, 255, (1, 1, 10, 12), dtype=np.uint8)
    image = load_image(_tif(tmp_path / "single.tif", data, metadata={"axes": "TZYX"}))
    assert image.data.shape == (10, 12)
    np.testing.assert_array_equal(image.data, data[0, 0])


def test_tiff_time_series_is_an_error(tmp_path):
    path = _tif(tmp_path / "movie.tif", np.zeros((5, 10, 12), np.uint16), metadata={"axes": "TYX"})
    _raises(path, "time series are not supported", "length 5", "save one time point")


def test_tiff_other_axis_is_an_error(tmp_path):
    path = _tif(tmp_path / "spectral.tif", np.zeros((3, 10, 12), np.uint16), metadata={"axes": "EYX"})
    _raises(path, "axis 'E'", "length 3", "(3, 10, 12)", "not Z, Y, X or channels")


def test_tiff_palette(tmp_path):
    indices = np.zeros((10, 12), np.uint8)
    indices[2:5, 3:7] = 1
    indices[6:9, 1:4] = 2
    colormap = np.zeros((3, 256), np.uint16)
    colormap[:, 1] = (65535, 0, 0)
    colormap[:, 2] = (0, 0, 65535)
    path = tmp_path / "palette.tif"
    tifffile.imwrite(path, indices, photometric="palette", colormap=colormap)
    image = load_image(path)
    assert image.data.shape == (10, 12, 3)
    assert image.data.dtype == np.uint8
    assert image.channel_names == ("red", "green", "blue")
    assert tuple(image.data[3, 4]) == (255, 0, 0)
    assert tuple(image.data[7, 2]) == (0, 0, 255)
    np.testing.assert_array_equal(read_labels(path), indices)


def test_tiff_axes_override(tmp_path):
    data = RNG.integers(0, 255, (3, 10, 12), dtype=np.uint8)
    path = _tif(tmp_path / "stack.tif", data, metadata={"axes": "ZYX"})
    image = load_image(path, axes="CYX")
    assert image.data.shape == (10, 12, 3)
    # Three unnamed uint8 channels: io.default_channel_names calls them red, green, blue.
    assert image.channel_names == ("red", "green", "blue")


# --------------------------------------------------------------------------
# Pillow formats
# --------------------------------------------------------------------------


def test_png_grayscale_and_16bit(tmp_path):
    gray = RNG.integers(0, 255, (10, 12), dtype=np.uint8)
    Image.fromarray(gray).save(tmp_path / "gray.png")
    image = load_image(tmp_path / "gray.png")
    assert image.data.dtype == np.uint8 and image.data.shape == (10, 12)
    np.testing.assert_array_equal(image.data, gray)
    assert image.spacing is None and image.channel_names is None

    deep = RNG.integers(0, 65535, (10, 12), dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    read = read_image(tmp_path / "deep.png")
    assert read.dtype == np.uint16
    np.testing.assert_array_equal(read, deep)


def test_png_rgb_rgba_la_and_bilevel(tmp_path):
    rgb = RNG.integers(0, 255, (10, 12, 3), dtype=np.uint8)
    Image.fromarray(rgb, "RGB").save(tmp_path / "rgb.png")
    image = load_image(tmp_path / "rgb.png")
    assert image.data.shape == (10, 12, 3)
    assert image.channel_names == ("red", "green", "blue")
    np.testing.assert_array_equal(image.data, rgb)

    rgba = RNG.integers(0, 255, (10, 12, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    image = load_image(tmp_path / "rgba.png")
    assert image.channel_names == ("red", "green", "blue", "alpha")
    np.testing.assert_array_equal(image.data, rgba)

    la = RNG.integers(0, 255, (10, 12, 2), dtype=np.uint8)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    image = load_image(tmp_path / "la.png")
    assert image.channel_names == ("gray", "alpha")
    np.testing.assert_array_equal(image.data, la)

    mask = np.zeros((10, 12), bool)
    mask[2:4, 2:4] = True
    Image.fromarray(mask).save(tmp_path / "mask.png")
    image = load_image(tmp_path / "mask.png")
    assert image.data.dtype == bool
    np.testing.assert_array_equal(image.data, mask)


def test_jpeg_and_bmp(tmp_path):
    rgb = np.full((16, 16, 3), (200, 100, 50), np.uint8)
    Image.fromarray(rgb).save(tmp_path / "photo.JPG", quality=95)
    image = load_image(tmp_path / "photo.JPG")
    assert image.data.shape == (16, 16, 3) and image.data.dtype == np.uint8
    assert image.channel_names == ("red", "green", "blue")
    assert np.abs(image.data.astype(int) - rgb).max() <= 3

    Image.fromarray(rgb[..., 0]).save(tmp_path / "gray.jpeg")
    assert read_image(tmp_path / "gray.jpeg").shape == (16, 16)

    Image.fromarray(rgb).save(tmp_path / "picture.bmp")
    np.testing.assert_array_equal(read_image(tmp_path / "picture.bmp"), rgb)


def test_palette_png_image_and_labels(tmp_path):
    indices = np.zeros((10, 12), np.uint8)
    indices[1:4, 1:4] = 1
    indices[5:9, 6:11] = 7
    _palette_image(indices).save(tmp_path / "labels.png")
    labels = load_labels(tmp_path / "labels.png")
    assert labels.data.dtype == np.uint8
    assert labels.channel_names is None
    np.testing.assert_array_equal(labels.data, indices)

    image = load_image(tmp_path / "labels.png")
    assert image.data.shape == (10, 12, 3)
    np.testing.assert_array_equal(image.data, _palette_rgb(indices))

    _palette_image(indices * 20, gray=True).save(tmp_path / "graypal.png")
    gray = read_image(tmp_path / "graypal.png")
    assert gray.shape == (10, 12)
    np.testing.assert_array_equal(gray, indices * 20)


def test_gif_single_and_multi_frame(tmp_path):
    base = np.zeros((10, 12), np.uint8)
    base[2:5, 3:6] = 7
    base[6:8, 1:3] = 200
    _palette_image(base).save(tmp_path / "one.gif", optimize=False)  # keep the palette order
    np.testing.assert_array_equal(read_labels(tmp_path / "one.gif"), base)
    np.testing.assert_array_equal(read_image(tmp_path / "one.gif"), _palette_rgb(base))

    frames = [base, base + 1, np.roll(base, 2, axis=1)]
    ims = [_palette_image(f) for f in frames]
    ims[0].save(tmp_path / "stack.gif", save_all=True, append_images=ims[1:], optimize=False)
    labels = load_labels(tmp_path / "stack.gif")
    assert labels.data.shape == (3, 10, 12)
    np.testing.assert_array_equal(labels.data, np.stack(frames))
    image = load_image(tmp_path / "stack.gif")
    assert image.data.shape == (3, 10, 12, 3)
    np.testing.assert_array_equal(image.data, _palette_rgb(np.stack(frames)))


# --------------------------------------------------------------------------
# NPY
# --------------------------------------------------------------------------


def test_npy_axis_guess(tmp_path):
    cases = {
        "yx": ((10, 12), (10, 12), None),
        "yxc": ((10, 12, 3), (10, 12, 3), ("ch0", "ch1", "ch2")),
        "zyx": ((3, 10, 12), (3, 10, 12), None),
        "zyxc": ((5, 10, 12, 2), (5, 10, 12, 2), ("ch0", "ch1")),
        "yx1": ((10, 12, 1), (10, 12), None),
        "1yx": ((1, 10, 12), (10, 12), None),
    }
    for name, (shape, expected_shape, names) in cases.items():
        data = RNG.random(shape)
        np.save(tmp_path / f"{name}.npy", data)
        image = load_image(tmp_path / f"{name}.npy")
        assert image.data.shape == expected_shape, name
        assert image.channel_names == names, name
        assert image.data.dtype == np.float64
        np.testing.assert_array_equal(image.data.reshape(shape), data)


def test_npy_axes_override_and_byte_order(tmp_path):
    data = np.arange(2 * 3 * 10 * 12, dtype=">u2").reshape(2, 3, 10, 12)
    np.save(tmp_path / "czyx.npy", data)
    image = load_image(tmp_path / "czyx.npy", axes="czyx")
    assert image.data.shape == (3, 10, 12, 2)
    assert image.data.dtype == np.uint16 and image.data.dtype.isnative
    np.testing.assert_array_equal(image.data, np.moveaxis(data, 0, -1))

    np.save(tmp_path / "xy.npy", data[0, 0])
    np.testing.assert_array_equal(read_image(tmp_path / "xy.npy", axes="XY"), data[0, 0].T)

    np.save(tmp_path / "squeeze.npy", data[:1, :1])
    assert read_image(tmp_path / "squeeze.npy", axes="YX").shape == (10, 12)


def test_axes_argument_errors(tmp_path):
    np.save(tmp_path / "plane.npy", np.zeros((10, 12)))
    _raises(tmp_path / "plane.npy", "axes='QYX'", "not valid", axes="QYX")
    _raises(tmp_path / "plane.npy", "axes='YYX'", axes="YYX")
    _raises(tmp_path / "plane.npy", "names 3 axes", "(10, 12)", axes="ZYX")
    (tmp_path / "broken.png").write_bytes(b"not a png")  # the argument is checked first
    _raises(tmp_path / "broken.png", "axes='ZZ'", "not valid", axes="ZZ")


# --------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------


def test_labels_integer_dtypes_kept(tmp_path):
    data = np.zeros((10, 12), np.uint16)
    data[1:3, 1:3] = 1000
    path = _tif(tmp_path / "labels.tif", data)
    labels = load_labels(path)
    assert labels.data.dtype == np.uint16
    assert labels.channel_names is None
    np.testing.assert_array_equal(labels.data, data)

    signed = data.astype(np.int32)
    np.save(tmp_path / "signed.npy", signed)
    read = read_labels(tmp_path / "signed.npy")
    assert read.dtype == np.int32
    np.testing.assert_array_equal(read, signed)

    ones = (data > 0).astype(np.uint8)  # 0/1 integers: one label, not relabelled
    np.save(tmp_path / "ones.npy", ones)
    np.testing.assert_array_equal(read_labels(tmp_path / "ones.npy"), ones)


def test_labels_3d_tiff(tmp_path):
    data = np.zeros((3, 10, 12), np.uint8)
    data[:, 2:4, 2:4] = 5
    labels = load_labels(_tif(tmp_path / "labels3d.tif", data, metadata={"axes": "ZYX"}))
    assert labels.data.shape == (3, 10, 12)
    assert labels.spatial_ndim == 3


def test_labels_bool_labelled_with_full_connectivity(tmp_path):
    mask = np.zeros((8, 8), bool)
    mask[1, 1] = mask[2, 2] = True  # diagonal neighbours: one region
    mask[5:7, 5:7] = True
    np.save(tmp_path / "mask.npy", mask)
    labels = read_labels(tmp_path / "mask.npy")
    assert labels.dtype == np.uint8
    assert labels[1, 1] == labels[2, 2] != 0
    assert len(np.unique(labels)) == 3

    Image.fromarray(mask).save(tmp_path / "mask.png")  # 1-bit PNG
    np.testing.assert_array_equal(read_labels(tmp_path / "mask.png"), labels)


def test_labels_float_whole_numbers_cast(tmp_path):
    data = np.zeros((10, 12), np.float32)
    data[1:3, 1:3] = 300
    _tif(tmp_path / "float.tif", data)
    labels = read_labels(tmp_path / "float.tif")
    assert labels.dtype == np.uint16
    np.testing.assert_array_equal(labels, data.astype(np.uint16))


def test_labels_float_fractions_error(tmp_path):
    data = np.zeros((10, 12), np.float64)
    data[0, :3] = 0.5
    np.save(tmp_path / "probabilities.npy", data)
    _raises(tmp_path / "probabilities.npy", "3 pixels are not whole numbers", "integer image", func=load_labels)

    data[0, :3] = np.nan
    np.save(tmp_path / "nan.npy", data)
    _raises(tmp_path / "nan.npy", "3 pixels are NaN", func=load_labels)


def test_labels_negative_error(tmp_path):
    data = np.zeros((10, 12), np.int16)
    data[0, 0] = -1
    np.save(tmp_path / "negative.npy", data)
    _raises(tmp_path / "negative.npy", "1 pixels have negative values", "minimum -1", func=load_labels)
    np.save(tmp_path / "negative_float.npy", data.astype(np.float32))
    _raises(tmp_path / "negative_float.npy", "negative", func=load_labels)


def test_labels_rgb_error(tmp_path):
    rgb = RNG.integers(0, 255, (10, 12, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "coloured.png")
    _raises(tmp_path / "coloured.png", "must have one channel", "(10, 12, 3)", func=load_labels)

    gray_as_rgb = np.repeat(rgb[..., :1], 3, axis=-1)
    Image.fromarray(gray_as_rgb).save(tmp_path / "grayrgb.png")
    _raises(tmp_path / "grayrgb.png", "one channel", "grayscale", func=load_labels)

    np.save(tmp_path / "guessed.npy", rgb)
    _raises(tmp_path / "guessed.npy", "one channel", "axes='ZYX'", func=load_labels)
    assert read_labels(tmp_path / "guessed.npy", axes="ZYX").shape == (10, 12, 3)


def test_labels_jpeg_refused(tmp_path):
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "labels.jpg")
    _raises(tmp_path / "labels.jpg", "JPEG", "lossy", "PNG or TIFF", func=load_labels)


# --------------------------------------------------------------------------
# File errors
# --------------------------------------------------------------------------


def test_missing_file(tmp_path):
    _raises(tmp_path / "nothere.tif", "file not found")
    _raises(tmp_path / "nothere.png", "file not found", func=load_labels)


def test_directory(tmp_path):
    folder = tmp_path / "images.tif"
    folder.mkdir()
    _raises(folder, "is a directory")


def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    _raises(tmp_path / "empty.png", "file is empty")


def test_unknown_extension(tmp_path):
    (tmp_path / "image.czi").write_bytes(b"data")
    error = _raises(tmp_path / "image.czi", "unsupported file type '.czi'", ".ome.tiff", ".npy")
    for ext in SUPPORTED_EXTENSIONS:
        assert ext in str(error)
    (tmp_path / "noext").write_bytes(b"data")
    _raises(tmp_path / "noext", "without extension")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("broken.png", "PNG"),
        ("broken.tif", "TIFF"),
        ("broken.ome.tif", "OME-TIFF"),
        ("broken.gif", "GIF"),
        ("broken.jpg", "JPEG"),
        ("broken.bmp", "BMP"),
        ("broken.npy", "NPY"),
    ],
)
def test_corrupt_bytes(tmp_path, name, fmt):
    (tmp_path / name).write_bytes(b"this is not an image at all" * 4)
    error = _raises(tmp_path / name, f"cannot be read as {fmt}")
    assert isinstance(error, ValueError)


def test_truncated_files(tmp_path):
    Image.fromarray(RNG.integers(0, 255, (64, 64), dtype=np.uint8)).save(tmp_path / "full.png")
    content = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(content[: len(content) // 2])
    error = _raises(tmp_path / "cut.png", "cannot be read as PNG")
    assert error.__cause__ is not None

    np.save(tmp_path / "full.npy", np.zeros((64, 64)))
    content = (tmp_path / "full.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(content[: len(content) // 2])
    _raises(tmp_path / "cut.npy", "cannot be read as NPY")

    _tif(tmp_path / "full.tif", np.zeros((64, 64), np.uint16))
    content = (tmp_path / "full.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(content[:100])
    _raises(tmp_path / "cut.tif", "cannot be read as TIFF")


def test_object_npy(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    _raises(tmp_path / "objects.npy", "python objects", "numeric array")


def test_non_numeric_npy(tmp_path):
    np.save(tmp_path / "complex.npy", np.zeros((4, 4), complex))
    _raises(tmp_path / "complex.npy", "complex")
    np.save(tmp_path / "text.npy", np.array([["a", "b"], ["c", "d"]]))
    _raises(tmp_path / "text.npy", "non-numeric")


def test_unsupported_dimensions(tmp_path):
    np.save(tmp_path / "four.npy", np.zeros((2, 3, 40, 50)))
    _raises(
        tmp_path / "four.npy",
        "4D array of shape (2, 3, 40, 50) without channel axis is not supported",
        "2D (Y, X) and 3D (Z, Y, X)",
    )
    np.save(tmp_path / "five.npy", np.zeros((2, 3, 4, 5, 2)))
    _raises(tmp_path / "five.npy", "5D array of shape (2, 3, 4, 5, 2)")
    np.save(tmp_path / "line.npy", np.zeros(5))
    _raises(tmp_path / "line.npy", "1D array of shape (5,)")


def test_zero_length_axis(tmp_path):
    np.save(tmp_path / "void.npy", np.zeros((0, 12)))
    _raises(tmp_path / "void.npy", "no pixels", "(0, 12)")


# --------------------------------------------------------------------------
# check_same_shape
# --------------------------------------------------------------------------


def test_check_same_shape(tmp_path):
    image = ImageData(np.zeros((100, 121, 3), np.uint8), ("red", "green", "blue"), None, "/a/i.tif")
    good = ImageData(np.zeros((100, 121), np.uint16), None, None, "/a/good.png")
    check_same_shape(image, good)

    bad = ImageData(np.zeros((100, 120), np.uint16), None, None, "/a/m.png")
    with pytest.raises(InputFileError) as info:
        check_same_shape(image, bad)
    message = str(info.value)
    assert "labels /a/m.png have shape (100, 120)" in message
    assert "image /a/i.tif has spatial shape (100, 121)" in message
    assert "the mask must be made from this image" in message

    swapped = ImageData(np.zeros((121, 100), np.uint16), None, None, "/a/t.png")
    with pytest.raises(InputFileError, match="different order"):
        check_same_shape(image, swapped)


def test_check_same_shape_with_files(tmp_path):
    image = load_image(_tif(tmp_path / "img.tif", np.zeros((3, 10, 12), np.uint8), metadata={"axes": "ZYX"}))
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(tmp_path / "mask.png")
    labels = load_labels(tmp_path / "mask.png")
    with pytest.raises(InputFileError) as info:
        check_same_shape(image, labels)
    assert "mask.png" in str(info.value) and "img.tif" in str(info.value)
    assert "(3, 10, 12)" in str(info.value) and "(10, 12)" in str(info.value)


def test_load_labels_for_reads_and_checks_the_shape(tmp_path):
    from regionscope.io import InputFileError, load_image, load_labels_for

    np.save(tmp_path / "image.npy", np.zeros((6, 7), np.uint8))
    np.save(tmp_path / "fits.npy", np.ones((6, 7), np.int32))
    np.save(tmp_path / "other.npy", np.ones((6, 8), np.int32))
    image = load_image(tmp_path / "image.npy")
    assert load_labels_for(image, tmp_path / "fits.npy").data.shape == (6, 7)
    with pytest.raises(InputFileError, match="other.npy"):
        load_labels_for(image, tmp_path / "other.npy")
