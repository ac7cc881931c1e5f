"""Decompression bombs, made in milliseconds without ever holding their pixels.

Each maker writes a small but valid file that decodes to a huge array of
zeros. They are checked on small sizes (``tests/reliability/test_bombs.py``
decodes those and compares with zeros), so the large ones are real bombs.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np


def _zlib_zeros(n_bytes, chunk=1 << 24):
    """A zlib stream of ``n_bytes`` zero bytes, built from one compressed chunk repeated.

    After a full flush deflate starts afresh, so the compressed chunk can be
    repeated; the stream ends with an empty final block and the Adler-32 of
    the zeros (for zeros: a = 1, b = n mod 65521).
    """
    chunk = min(chunk, n_bytes)
    compressor = zlib.compressobj(9)
    first = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    n_chunks, rest = divmod(n_bytes, chunk)
    parts = [first] + [repeat] * (n_chunks - 1)
    if rest:
        parts.append(compressor.compress(bytes(rest)) + compressor.flush(zlib.Z_FULL_FLUSH))
    parts.append(b"\x03\x00")  # an empty final block (fixed Huffman)
    parts.append(struct.pack(">I", ((n_bytes % 65521) << 16) | 1))
    return b"".join(parts)


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(path, height, width):
    """A grayscale 8-bit PNG of zeros; every row is filter byte 0 and ``width`` zeros."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = _zlib_zeros(height * (width + 1))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b""))
    return path


def tiff_bomb(path, height, width, dtype=np.uint32, tile=1024):
    """A tiled, deflate-compressed TIFF of zeros whose tiles all share one compressed tile."""
    dtype = np.dtype(dtype)
    tile_data = zlib.compress(bytes(tile * tile * dtype.itemsize), 9)
    n_tiles = -(-height // tile) * -(-width // tile)
    n_entries = 11
    ifd_offset = 8
    ifd_size = 2 + n_entries * 12 + 4
    offsets_at = ifd_offset + ifd_size
    counts_at = offsets_at + 4 * n_tiles
    tile_at = counts_at + 4 * n_tiles
    sample_format = {"u": 1, "i": 2, "f": 3}[dtype.kind]

    def entry(tag, kind, count, value):
        # kind 3 = SHORT, 4 = LONG; a single SHORT is stored left-aligned in the 4 value bytes.
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 and count == 1 else struct.pack("<I", value)
        return struct.pack("<HHI", tag, kind, count) + packed

    entries = [
        entry(256, 4, 1, width),
        entry(257, 4, 1, height),
        entry(258, 3, 1, dtype.itemsize * 8),
        entry(259, 3, 1, 8),  # Adobe deflate
        entry(262, 3, 1, 1),  # min-is-black
        entry(277, 3, 1, 1),
        entry(322, 3, 1, tile),
        entry(323, 3, 1, tile),
        entry(324, 4, n_tiles, offsets_at) if n_tiles > 1 else entry(324, 4, 1, tile_at),
        entry(325, 4, n_tiles, counts_at) if n_tiles > 1 else entry(325, 4, 1, len(tile_data)),
        entry(339, 3, 1, sample_format),
    ]
    assert len(entries) == n_entries
    ifd = struct.pack("<H", n_entries) + b"".join(entries) + struct.pack("<I", 0)
    offsets = struct.pack(f"<{n_tiles}I", *([tile_at] * n_tiles))
    counts = struct.pack(f"<{n_tiles}I", *([len(tile_data)] * n_tiles))
    path.write_bytes(b"II*\x00" + struct.pack("<I", ifd_offset) + ifd + offsets + counts + tile_data)
    return path


def npy_header_only(path, shape, dtype=np.float64):
    """An NPY file whose header promises ``shape`` but which holds no data."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": tuple(shape)}
    )
    path.write_bytes(buffer.getvalue())
    return path


def patched_header(path, source, patches):
    """``source``'s bytes with ``{offset: bytes}`` written over them, saved at ``path``."""
    content = bytearray(source.read_bytes())
    for offset, value in patches.items():
        content[offset : offset + len(value)] = value
    path.write_bytes(bytes(content))
    return path
