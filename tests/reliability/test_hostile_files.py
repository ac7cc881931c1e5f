"""Hostile files through the command line: what held in the audit stays held.

Truncated, renamed, 5D, pickled ``.npy`` (``allow_pickle`` stays False: the
pickle below would create a file if it were ever loaded), absurd TIFF
headers and decompression bombs: each ends in one line on stderr naming the
file, exit code 1, no traceback. More cases of the readers themselves are in
``tests/test_io.py`` and ``tests/test_cli.py`` (``BAD_INPUTS``).
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from PIL import Image

from bombs import patched_header, tiff_bomb
from cli_support import run


class _CreatesAFile:
    """Unpickling this opens (creates) ``marker`` for writing."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _png(tmp_path, name="image.png"):
    path = tmp_path / name
    Image.fromarray((np.arange(48 * 64) % 251).astype(np.uint8).reshape(48, 64)).save(path)
    return path


def truncated_png(tmp_path):
    content = _png(tmp_path).read_bytes()
    (tmp_path / "cut.png").write_bytes(content[: len(content) // 2])
    return "cut.png", "cannot be read as PNG"


def truncated_tiff(tmp_path):
    import tifffile

    tifffile.imwrite(tmp_path / "full.tif", np.ones((300, 300), np.uint16))
    (tmp_path / "cut.tif").write_bytes((tmp_path / "full.tif").read_bytes()[:5000])
    return "cut.tif", "cut.tif"


def truncated_npy(tmp_path):
    np.save(tmp_path / "full.npy", np.ones((100, 100)))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "full.npy").read_bytes()[:2000])
    return "cut.npy", "shorter than its header says"


def png_renamed_tif(tmp_path):
    (tmp_path / "renamed.tif").write_bytes(_png(tmp_path).read_bytes())
    return "renamed.tif", "cannot be read as TIFF"


def text_renamed_png(tmp_path):
    (tmp_path / "notes.png").write_text("not an image\n" * 10)
    return "notes.png", "cannot be read as PNG"


def five_dimensional_npy(tmp_path):
    np.save(tmp_path / "five.npy", np.zeros((2, 3, 4, 5, 6), np.uint8))
    return "five.npy", "5D array"


def pickled_npy(tmp_path):
    np.save(tmp_path / "pickled.npy", np.array([_CreatesAFile(tmp_path / "PWNED")], dtype=object), allow_pickle=True)
    return "pickled.npy", "Python objects"


def tiff_ifd_beyond_the_end(tmp_path):
    import tifffile

    tifffile.imwrite(tmp_path / "ok.tif", np.ones((20, 20), np.uint8))
    patched_header(tmp_path / "lost.tif", tmp_path / "ok.tif", {4: struct.pack("<I", 0xFFFFFFF0)})
    return "lost.tif", "lost.tif"


def tiff_of_absurd_size(tmp_path):
    tiff_bomb(tmp_path / "absurd.tif", 200_000, 200_000, np.uint8, tile=4096)  # 40 GB
    return "absurd.tif", "is too large to open"


def tiff_of_zero_width(tmp_path):
    tiff_bomb(tmp_path / "source.tif", 1024, 1024, np.uint8)
    patched_header(tmp_path / "zero.tif", tmp_path / "source.tif", {18: struct.pack("<I", 0)})
    return "zero.tif", "zero.tif"


def tiff_with_7_bit_samples(tmp_path):
    pytest.importorskip("tifffile")
    try:
        import imagecodecs  # noqa: F401

        # With imagecodecs (the [formats] extra brings it) tifffile decodes
        # packed 7-bit samples: the file is then valid, not hostile.
        pytest.skip("imagecodecs reads 7-bit samples")
    except ImportError:
        pass
    tiff_bomb(tmp_path / "source.tif", 1024, 1024, np.uint8)
    patched_header(tmp_path / "odd.tif", tmp_path / "source.tif", {10 + 2 * 12 + 8: struct.pack("<H", 7)})
    return "odd.tif", "odd.tif"


CASES = [
    truncated_png,
    truncated_tiff,
    truncated_npy,
    png_renamed_tif,
    text_renamed_png,
    five_dimensional_npy,
    pickled_npy,
    tiff_ifd_beyond_the_end,
    tiff_of_absurd_size,
    tiff_of_zero_width,
    tiff_with_7_bit_samples,
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
@pytest.mark.parametrize("role", ["image", "labels"])
def test_hostile_file_is_one_line_naming_it(tmp_path, capsys, monkeypatch, case, role):
    monkeypatch.chdir(tmp_path)
    name, named = case(tmp_path)
    argv = ["measure", name] if role == "image" else ["measure", _png(tmp_path, "good.png").name, "--labels", name]
    code, out, err = run(argv, capsys)
    assert code == 1, err
    assert out == "" and "Traceback" not in err
    assert err.startswith(f"regionscope: error: {name}: ") and err.count("\n") == 1, err
    assert named in err
    assert str(tmp_path) not in err  # the name as given, never a resolved path
    assert not (tmp_path / "PWNED").exists()  # nothing was unpickled
