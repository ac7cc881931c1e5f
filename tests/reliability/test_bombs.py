"""Issue 9.1: decompression bombs are refused from the header, before decoding.

A 942 KB zlib TIFF of 30720² zeros took the server from 2.6 to 7.1 GB and
ended in a MemoryError. Every reader (TIFF, PNG, JPEG, BMP, GIF, NPY) now
checks the decoded size against a byte budget first; the message names the
file, the size, the limit and how to raise it. The bombs are made without
allocating their pixels (``bombs.py``), and tracemalloc shows that reading
them allocates nothing like their size.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from regionscope import load_image, load_labels, read_image, read_labels
from regionscope.errors import InputFileError
from regionscope.io import load_labels_for
from regionscope.limits import DEFAULT_MAX_IMAGE_BYTES, MAX_IMAGE_BYTES_ENV, image_byte_budget, parse_byte_size

from bombs import npy_header_only, patched_header, png_bomb, tiff_bomb
from cli_support import run

#: Reading a refused bomb may allocate at most this much (its pixels would be gigabytes).
SMALL = 20 * 1024**2


def refused_cheaply(read, path, **options):
    """Read ``path`` expecting the budget error; return it and the peak traced allocation."""
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError) as info:
            read(path, **options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < SMALL, f"reading {path.name} allocated {peak / 1e6:.0f} MB before refusing it"
    return info.value


def check_message(error, name, size_text, limit_text):
    message = str(error)
    assert message.startswith(f"{name}: is too large to open"), message
    assert size_text in message and limit_text in message
    assert "--max-image-bytes" in message and "max_bytes=" in message and MAX_IMAGE_BYTES_ENV in message


# --------------------------------------------------------------------------
# The bomb makers make real files
# --------------------------------------------------------------------------


def test_small_bombs_decode_to_zeros(tmp_path):
    import tifffile

    png = png_bomb(tmp_path / "small.png", 300, 500)
    np.testing.assert_array_equal(np.asarray(Image.open(png)), np.zeros((300, 500), np.uint8))
    tif = tiff_bomb(tmp_path / "small.tif", 2500, 3000, np.uint16, tile=1024)
    np.testing.assert_array_equal(tifffile.imread(tif), np.zeros((2500, 3000), np.uint16))
    assert read_image(tif).shape == (2500, 3000)


# --------------------------------------------------------------------------
# One bomb per reader, refused with the default budget
# --------------------------------------------------------------------------


def test_zlib_tiff_bomb(tmp_path, monkeypatch):
    monkeypatch.delenv(MAX_IMAGE_BYTES_ENV, raising=False)
    path = tiff_bomb(tmp_path / "zeros.tif", 30720, 30720, np.uint32)
    assert path.stat().st_size < 100_000  # 3.8 GB of pixels
    for read in (load_image, load_labels, read_image, read_labels):
        error = refused_cheaply(read, path)
    check_message(error, str(path), "3.77 GB", "2.15 GB")
    assert "30720 x 30720" in str(error)


def test_png_bomb(tmp_path, monkeypatch):
    monkeypatch.delenv(MAX_IMAGE_BYTES_ENV, raising=False)
    path = png_bomb(tmp_path / "zeros.png", 50000, 50000)  # 2.5 GB gray, beyond Pillow's own pixel limit
    assert path.stat().st_size < 5_000_000
    error = refused_cheaply(load_image, path)
    check_message(error, str(path), "2.5 GB", "2.15 GB")


def test_png_below_pillows_limit_but_above_the_budget(tmp_path):
    path = png_bomb(tmp_path / "zeros.png", 13000, 13000)  # the audit's 13000² PNG, 169 MB
    error = refused_cheaply(load_image, path, max_bytes="100M")
    check_message(error, str(path), "169 MB", "105 MB")
    assert load_image(path, max_bytes="200M").data.shape == (13000, 13000)


def test_png_above_pillows_limit_reads_when_the_budget_allows(tmp_path):
    # Pillow alone refuses more than 2 x 89 million pixels; the budget decides instead.
    path = png_bomb(tmp_path / "wide.png", 2, 100_000_000)
    assert load_image(path, max_bytes="1G").data.shape == (2, 100_000_000)


def _small_file(tmp_path, fmt):
    path = tmp_path / f"small.{fmt.lower()}"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(path, format=fmt)
    return path


def test_jpeg_bomb(tmp_path):
    source = _small_file(tmp_path, "JPEG")
    content = source.read_bytes()
    sof = content.index(b"\xff\xc0")  # baseline start of frame: length, precision, height, width
    path = patched_header(tmp_path / "huge.jpg", source, {sof + 5: struct.pack(">HH", 65000, 65000)})
    error = refused_cheaply(load_image, path)
    check_message(error, str(path), "12.7 GB", "2.15 GB")


def test_bmp_bomb(tmp_path):
    source = _small_file(tmp_path, "BMP")
    path = patched_header(tmp_path / "huge.bmp", source, {18: struct.pack("<ii", 40000, 40000)})
    error = refused_cheaply(load_image, path)
    check_message(error, str(path), "4.8 GB", "2.15 GB")


def test_gif_bomb(tmp_path):
    source = tmp_path / "small.gif"
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(source)
    content = source.read_bytes()
    descriptor = content.index(b"\x2c")  # image descriptor: left, top, width, height
    path = patched_header(
        tmp_path / "huge.gif",
        source,
        {6: struct.pack("<HH", 65535, 65535), descriptor + 5: struct.pack("<HH", 65535, 65535)},
    )
    error = refused_cheaply(load_image, path)
    check_message(error, str(path), "17.2 GB", "2.15 GB")
    error = refused_cheaply(load_labels, path)  # palette indices: 1 byte a pixel
    check_message(error, str(path), "4.29 GB", "2.15 GB")


def test_npy_header_promising_gigabytes(tmp_path):
    path = npy_header_only(tmp_path / "promise.npy", (30000, 30000), np.float64)
    error = refused_cheaply(load_image, path)
    check_message(error, str(path), "7.2 GB", "2.15 GB")
    small = npy_header_only(tmp_path / "short.npy", (300, 300), np.float64)
    error = refused_cheaply(load_image, small)
    assert "shorter than its header says" in str(error)


def test_labels_for_an_image_use_the_budget_too(tmp_path):
    image = load_image(png_bomb(tmp_path / "image.png", 100, 100))
    labels = tiff_bomb(tmp_path / "labels.tif", 20000, 20000, np.uint16)
    error = refused_cheaply(lambda path, **options: load_labels_for(image, path, **options), labels, max_bytes="100M")
    check_message(error, str(labels), "800 MB", "105 MB")


# --------------------------------------------------------------------------
# The budget: argument, environment, default
# --------------------------------------------------------------------------


def test_the_budget_can_be_raised_and_lowered(tmp_path, monkeypatch):
    path = tiff_bomb(tmp_path / "medium.tif", 4096, 4096, np.uint16)  # 33.6 MB decoded
    monkeypatch.delenv(MAX_IMAGE_BYTES_ENV, raising=False)
    assert image_byte_budget() == DEFAULT_MAX_IMAGE_BYTES == 2 * 1024**3
    assert read_image(path).shape == (4096, 4096)
    check_message(refused_cheaply(read_image, path, max_bytes=10_000_000), str(path), "33.6 MB", "10 MB")
    monkeypatch.setenv(MAX_IMAGE_BYTES_ENV, "16M")
    check_message(refused_cheaply(read_image, path), str(path), "33.6 MB", "16.8 MB")
    assert read_image(path, max_bytes="64M").shape == (4096, 4096)  # the argument wins
    monkeypatch.setenv(MAX_IMAGE_BYTES_ENV, "lots")
    with pytest.raises(InputFileError, match="memory limit is not valid.*lots"):
        read_image(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4G", 4 * 1024**3), ("512M", 512 * 1024**2), ("1.5GiB", 3 * 1024**3 // 2), ("100 kb", 102400), ("123", 123), (7, 7)],
)
def test_sizes(text, expected):
    assert parse_byte_size(text) == expected


@pytest.mark.parametrize("text", ["", "G", "-1G", "0", "4X", "1e9", True, "٣G"])
def test_bad_sizes(text):
    with pytest.raises(ValueError):
        parse_byte_size(text)


# --------------------------------------------------------------------------
# Through the command line
# --------------------------------------------------------------------------


def test_cli_measure_refuses_a_bomb_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tiff_bomb(tmp_path / "zeros.tif", 30720, 30720, np.uint32)
    code, out, err = run(["measure", "zeros.tif"], capsys)
    assert code == 1 and out == ""
    assert err.startswith("regionscope: error: zeros.tif: is too large to open") and err.count("\n") == 1
    assert "--max-image-bytes" in err and str(tmp_path) not in err  # the name as given, no server path


def test_cli_max_image_bytes_option(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.fromarray((np.arange(64 * 64).reshape(64, 64) % 200).astype(np.uint8)).save(tmp_path / "small.png")
    code, _, err = run(["measure", "small.png", "--max-image-bytes", "1K"], capsys)
    assert code == 1 and "small.png: is too large to open" in err and "1.02 kB" in err
    code, out, err = run(["measure", "small.png", "--max-image-bytes", "1M"], capsys)
    assert code == 0, err
    code, _, err = run(["measure", "small.png", "--max-image-bytes", "lots"], capsys)
    assert code == 2 and "--max-image-bytes" in err


def test_cli_bomb_in_a_real_process_stays_small(tmp_path):
    """The real command in its own process: refused at once, its peak memory far below the pixels."""
    path = tiff_bomb(tmp_path / "zeros.tif", 30720, 30720, np.uint32)
    # VmHWM is this process's own peak (ru_maxrss would include the forked pytest's memory).
    script = (
        "import sys\n"
        "from regionscope.cli import main\n"
        "code = main(['measure', sys.argv[1]])\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "print(status, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"regionscope: error: {path}: is too large to open")
    peak_kib = int(lines[-1])
    assert peak_kib < 600 * 1024, f"peak RSS {peak_kib / 1024:.0f} MB"  # the bomb is 3,775 MB


def test_cli_view_refuses_a_bomb_before_serving(tmp_path, capsys, monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(MAX_IMAGE_BYTES_ENV, raising=False)
    tiff_bomb(tmp_path / "zeros.tif", 30720, 30720, np.uint32)
    code, out, err = run(["view", "zeros.tif", "--port", "1"], capsys)
    assert code == 1 and err.startswith("regionscope: error: zeros.tif: is too large to open")
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "small.png")
    code, out, err = run(["view", "small.png", "--max-image-bytes", "1K", "--port", "1"], capsys)
    assert code == 1 and "small.png: is too large to open" in err and "1.02 kB" in err
    assert MAX_IMAGE_BYTES_ENV not in os.environ  # the server's budget ends with the server
