"""Lazy image sources: windowed reads equal full reads, for every source and level."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import tifffile
import zarr

from regionscope.sources import ArraySource, BioioSource, OmeZarrSource, SourceError, TiffSource, open_source

RNG = np.random.default_rng(7)
#: Windows inside, on the edges and across chunk borders of a (60, 70) level.
WINDOWS = [
    (slice(0, 60), slice(0, 70)),
    (slice(5, 37), slice(11, 64)),
    (slice(15, 17), slice(0, 70)),
    (slice(59, 60), slice(69, 70)),
    (slice(30, None),),
]


def pyramid(base, n_levels):
    """Levels by taking every second pixel (any pyramid will do for reads)."""
    levels = [base]
    for _ in range(n_levels - 1):
        levels.append(levels[-1][..., ::2, ::2] if base.ndim == 2 else levels[-1][:, ::2, ::2])
    return levels


def write_ome_zarr(path, levels, axes, *, zarr_format, scale, channel_names=None, chunks=16):
    """A tiny OME-Zarr (NGFF 0.4 on zarr v2, 0.5 on zarr v3) written with plain zarr."""
    root = zarr.open_group(str(path), mode="w", zarr_format=zarr_format)
    datasets = []
    for i, level in enumerate(levels):
        root.create_array(str(i), data=level, chunks=tuple(min(chunks, n) if a in "yx" else n for a, n in zip(axes, level.shape)))
        factor = [1.0 if a not in "yx" else 2.0**i for a in axes]
        datasets.append(
            {"path": str(i), "coordinateTransformations": [{"type": "scale", "scale": [s * f for s, f in zip(scale, factor)]}]}
        )
    kinds = {"c": "channel", "t": "time", "z": "space", "y": "space", "x": "space"}
    multiscales = [
        {"version": "0.4", "name": "test", "axes": [{"name": a, "type": kinds[a]} for a in axes], "datasets": datasets}
    ]
    omero = {"channels": [{"label": name} for name in channel_names]} if channel_names else None
    if zarr_format == 2:
        root.attrs["multiscales"] = multiscales
        if omero:
            root.attrs["omero"] = omero
    else:
        meta = {"version": "0.5", "multiscales": multiscales}
        if omero:
            meta["omero"] = omero
        root.attrs["ome"] = meta
    return path


def check_windows(source, levels):
    """Every window of every level equals the same slice of the full level, and to_dask equals it too."""
    assert len(source.levels) == len(levels)
    for level, full in enumerate(levels):
        assert source.levels[level] == full.shape
        np.testing.assert_array_equal(source.read(None, level), full)
        np.testing.assert_array_equal(source.to_dask(level).compute(), full)
        for window in WINDOWS:
            window = tuple(slice(s.start, s.stop) for s in window)
            expected = full[window]
            got = source.read(window, level)
            assert got.dtype == full.dtype
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_ome_zarr_yx_pyramid(tmp_path, zarr_format):
    base = RNG.integers(0, 60000, (60, 70), dtype=np.uint16)
    levels = pyramid(base, 3)
    path = write_ome_zarr(tmp_path / "img.zarr", levels, "yx", zarr_format=zarr_format, scale=[0.25, 0.5])
    source = open_source(path)
    assert isinstance(source, OmeZarrSource)
    assert source.axes == "YX" and source.dtype == np.uint16 and source.channel_names is None
    assert source.spacing == (0.25, 0.5)
    assert source.chunks(0) == (16, 16)
    assert source.level_scale(1) == (60 / 30, 70 / 35)
    check_windows(source, levels)


def test_ome_zarr_channels_first_become_channels_last(tmp_path):
    base = RNG.integers(0, 255, (1, 2, 60, 70), dtype=np.uint8)  # t, c, y, x
    path = write_ome_zarr(
        tmp_path / "img.zarr", [base], "tcyx", zarr_format=3, scale=[1, 1, 0.5, 0.5], channel_names=["DAPI", "GFP"]
    )
    source = open_source(path)
    assert source.axes == "YXC" and source.channel_names == ("DAPI", "GFP")
    assert source.shape == (60, 70, 2)
    full = np.moveaxis(base[0], 0, -1)
    np.testing.assert_array_equal(source.read(None), full)
    np.testing.assert_array_equal(source.read((slice(5, 37), slice(11, 64))), full[5:37, 11:64])
    np.testing.assert_array_equal(source.read((slice(5, 37), slice(11, 64), slice(1, 2))), full[5:37, 11:64, 1:2])


def test_ome_zarr_3d(tmp_path):
    base = RNG.integers(0, 1000, (5, 60, 70), dtype=np.int32)
    path = write_ome_zarr(tmp_path / "vol.zarr", [base], "zyx", zarr_format=2, scale=[2.0, 0.5, 0.5])
    source = open_source(path)
    assert source.axes == "ZYX" and source.spacing == (2.0, 0.5, 0.5)
    window = (slice(1, 4), slice(10, 50), slice(3, 70))
    np.testing.assert_array_equal(source.read(window), base[window])


def test_ome_zarr_fsspec_url(tmp_path):
    base = RNG.integers(0, 255, (60, 70), dtype=np.uint8)
    path = write_ome_zarr(tmp_path / "img.zarr", pyramid(base, 2), "yx", zarr_format=3, scale=[1, 1])
    source = open_source(f"file://{path}")
    assert source.levels == [(60, 70), (30, 35)]
    np.testing.assert_array_equal(source.read((slice(5, 37), slice(11, 64))), base[5:37, 11:64])


def test_ome_zarr_time_axis_must_be_chosen(tmp_path):
    base = RNG.integers(0, 255, (3, 60, 70), dtype=np.uint8)
    path = write_ome_zarr(tmp_path / "t.zarr", [base], "tyx", zarr_format=3, scale=[1, 1, 1])
    with pytest.raises(SourceError, match=r"3 entries along axis 'T'.*select"):
        open_source(path)
    source = open_source(path, select={"T": 2})
    np.testing.assert_array_equal(source.read((slice(0, 9),)), base[2, :9])


def test_zarr_group_without_multiscales_is_a_clear_error(tmp_path):
    zarr.open_group(str(tmp_path / "plain.zarr"), mode="w")
    with pytest.raises(SourceError, match="without OME-NGFF 'multiscales'"):
        open_source(tmp_path / "plain.zarr")


def write_pyramidal_ome_tiff(path, levels, **metadata):
    with tifffile.TiffWriter(path) as tif:
        tif.write(levels[0], subifds=len(levels) - 1, tile=(16, 16), metadata={"axes": "YX", **metadata})
        for level in levels[1:]:
            tif.write(level, subfiletype=1, tile=(16, 16))


def test_pyramidal_ome_tiff_every_level(tmp_path):
    base = RNG.integers(0, 60000, (60, 70), dtype=np.uint16)
    levels = [base, base[::2, ::2].copy(), base[::4, ::4].copy()]
    path = tmp_path / "slide.ome.tif"
    write_pyramidal_ome_tiff(path, levels, PhysicalSizeX=0.5, PhysicalSizeY=0.25)
    source = open_source(path)
    assert isinstance(source, TiffSource)
    assert source.axes == "YX" and source.spacing == (0.25, 0.5)
    assert source.chunks(0) == (16, 16)
    check_windows(source, levels)


def test_plain_tiled_tiff(tmp_path):
    base = RNG.integers(0, 2**31, (60, 70), dtype=np.int32)
    tifffile.imwrite(tmp_path / "big.tif", base, tile=(32, 32))
    source = open_source(tmp_path / "big.tif")
    assert source.spacing is None and source.chunks(0) == (32, 32)
    check_windows(source, [base])


def test_rgb_and_multichannel_ome_tiff(tmp_path):
    rgb = RNG.integers(0, 255, (60, 70, 3), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb)
    source = open_source(tmp_path / "rgb.tif")
    assert source.axes == "YXC" and source.channel_names == ("red", "green", "blue")
    np.testing.assert_array_equal(source.read((slice(3, 50), slice(4, 9))), rgb[3:50, 4:9])

    stack = RNG.integers(0, 255, (2, 5, 40, 50), dtype=np.uint16)
    tifffile.imwrite(
        tmp_path / "czyx.ome.tif",
        stack,
        metadata={
            "axes": "CZYX",
            "Channel": {"Name": ["DAPI", "GFP"]},
            "PhysicalSizeX": 0.3,
            "PhysicalSizeY": 0.3,
            "PhysicalSizeZ": 2.0,
        },
    )
    source = open_source(tmp_path / "czyx.ome.tif")
    assert source.axes == "ZYXC" and source.channel_names == ("DAPI", "GFP") and source.spacing == (2.0, 0.3, 0.3)
    window = (slice(1, 3), slice(3, 20), slice(4, 9))
    np.testing.assert_array_equal(source.read(window), np.moveaxis(stack, 0, -1)[window])


def test_array_and_npy_sources(tmp_path):
    base = RNG.integers(0, 9, (60, 70), dtype=np.int64)
    check_windows(ArraySource(base), [base])
    np.save(tmp_path / "labels.npy", base)
    source = open_source(tmp_path / "labels.npy")
    assert isinstance(source, ArraySource)
    check_windows(source, [base])
    channels_first = RNG.integers(0, 9, (2, 60, 70), dtype=np.uint8)
    source = ArraySource(channels_first, axes="CYX")
    np.testing.assert_array_equal(source.read((slice(5, 37), slice(11, 64))), np.moveaxis(channels_first, 0, -1)[5:37, 11:64])


def test_bioio_reads_czi(tmp_path):
    """A CZI written with pylibCZIrw (installed with bioio-czi), read through bioio's CZI plugin."""
    from pylibCZIrw import czi as pyczi

    base = RNG.integers(0, 60000, (60, 70), dtype=np.uint16)
    path = str(tmp_path / "plane.czi")
    with pyczi.create_czi(path, exist_ok=True) as writer:
        writer.write(data=base, plane={"C": 0, "T": 0, "Z": 0})
    source = open_source(path)
    assert isinstance(source, BioioSource)
    assert source.axes == "YX" and source.spacing is None  # the writer stores no pixel size
    check_windows(source, [base])


def test_bioio_reads_tiff_through_bioio_tifffile(tmp_path):
    """ND2 files cannot be made here (no writer): the bioio path is also checked on a TIFF."""
    base = RNG.integers(0, 255, (2, 60, 70), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "two.tif", base, metadata={"axes": "CYX"})
    source = open_source(tmp_path / "two.tif", reader="bioio")
    assert isinstance(source, BioioSource) and source.axes == "YXC"
    full = np.moveaxis(base, 0, -1)
    np.testing.assert_array_equal(source.read(None), full)
    np.testing.assert_array_equal(source.read((slice(5, 37), slice(11, 64))), full[5:37, 11:64])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(source)).read((slice(0, 4),)), full[:4])


def test_sources_pickle_as_their_location(tmp_path):
    base = RNG.integers(0, 255, (60, 70), dtype=np.uint8)
    write_pyramidal_ome_tiff(tmp_path / "s.ome.tif", [base, base[::2, ::2].copy()])
    source = open_source(tmp_path / "s.ome.tif")
    source.read((slice(0, 2),))  # opens the file
    payload = pickle.dumps(source)
    assert len(payload) < 4096  # no pixels inside
    np.testing.assert_array_equal(pickle.loads(payload).read((slice(5, 9), slice(1, 3)), level=1), base[::2, ::2][5:9, 1:3])


def test_whole_reads_respect_the_budget(tmp_path):
    source = ArraySource(np.zeros((100, 100), dtype=np.uint16))
    assert source.to_numpy(budget=20_000).shape == (100, 100)
    with pytest.raises(SourceError, match="larger than the memory budget"):
        source.to_numpy(budget=19_999)


def test_errors_name_the_file_and_pickle(tmp_path):
    with pytest.raises(SourceError, match="no such file") as info:
        open_source(tmp_path / "missing.tif")
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value) and again.path == str(tmp_path / "missing.tif")
    source = ArraySource(np.zeros((4, 4)))
    with pytest.raises(SourceError, match="level 3 does not exist"):
        source.read(None, level=3)
    with pytest.raises(SourceError, match="without step"):
        source.read((slice(0, 4, 2),))


def test_identity_is_stable_and_sees_changes(tmp_path):
    base = RNG.integers(0, 255, (60, 70), dtype=np.uint8)
    path = write_ome_zarr(tmp_path / "img.zarr", [base], "yx", zarr_format=3, scale=[1, 1])
    first = open_source(path).identity()
    assert open_source(path).identity() == first
    changed = base.copy()
    changed[0, 0] += 1  # in the first chunk, which is always sampled
    write_ome_zarr(tmp_path / "img.zarr", [changed], "yx", zarr_format=3, scale=[1, 1])
    assert open_source(path).identity() != first
    tifffile.imwrite(tmp_path / "a.tif", base)
    tifffile.imwrite(tmp_path / "b.tif", base[:, ::-1])
    assert open_source(tmp_path / "a.tif").identity() != open_source(tmp_path / "b.tif").identity()
