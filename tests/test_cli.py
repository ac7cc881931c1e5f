"""Tests of the ``regionscope`` command: outputs, options, usage errors and bad input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tifffile
from PIL import Image

from regionscope import InputFileError, __version__, measure, segment
from regionscope.cli import main


def run(argv, capsys):
    """Run ``regionscope argv`` in-process: (exit code, stdout, stderr)."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def command():
    """How to start the real command in a subprocess."""
    script = Path(sys.executable).with_name("regionscope")
    return [str(script)] if script.exists() else [sys.executable, "-m", "regionscope.cli"]


@pytest.fixture(scope="module")
def reference(coins_crop):
    """What the Python API gives for the coins crop with default properties."""
    return measure(coins_crop)


# --------------------------------------------------------------------------
# Help and version
# --------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["--help"], ["measure", "--help"], ["view", "--help"]])
def test_help_has_examples(capsys, argv):
    code, out, err = run(argv, capsys)
    assert code == 0
    assert "usage: regionscope" in out
    assert "examples:" in out
    assert err == ""


def test_measure_help_lists_the_options(capsys):
    _, out, _ = run(["measure", "--help"], capsys)
    for option in ("--labels", "--properties", "--filter", "--threshold", "--dark-objects", "--min-size", "--output"):
        assert option in out


def test_version(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"regionscope {__version__}"


# --------------------------------------------------------------------------
# measure: outputs
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "read"),
    [
        (".csv", pd.read_csv),
        (".tsv", lambda path: pd.read_csv(path, sep="\t")),
        (".parquet", pd.read_parquet),
        (".CSV", pd.read_csv),
    ],
)
def test_measure_writes_tables_that_read_back_equal(capsys, tmp_path, coins_png, reference, suffix, read):
    out = tmp_path / f"table{suffix}"
    code, stdout, err = run(["measure", coins_png, "-o", out], capsys)
    assert code == 0
    assert stdout == ""
    assert err.strip() == f"6 regions written to {out}"  # the 2-pixel speck is below --min-size 64
    table = read(out)
    pd.testing.assert_frame_equal(table, reference, check_exact=suffix == ".parquet", rtol=1e-12)


def test_measure_prints_table_without_output(capsys, coins_png, reference):
    code, out, err = run(["measure", coins_png, "--properties", "label,area,perimeter"], capsys)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["label", "area", "perimeter"]
    assert len(lines) == 1 + 6
    printed = pd.read_csv(io.StringIO(out), sep=r"\s+")
    assert printed["label"].tolist() == reference["label"].tolist()
    assert printed["area"].tolist() == reference["area"].tolist()
    np.testing.assert_allclose(printed["perimeter"], reference["perimeter"], atol=1e-6)


def test_measure_no_regions(capsys, tmp_path, coins_png, coins_crop):
    labels = tmp_path / "empty_labels.npy"
    np.save(labels, np.zeros(coins_crop.shape, dtype=np.uint16))
    code, out, _ = run(["measure", coins_png, "--labels", labels, "--properties", "area"], capsys)
    assert code == 0
    assert out.strip() == "no regions (columns: label, area)"


def test_measure_with_label_file(capsys, tmp_path, coins_png, coins_crop, save_png):
    labels = segment(coins_crop, min_size=100).astype(np.uint8)
    labels[labels == 3] = 42  # non-sequential values survive the file round trip
    path = save_png(tmp_path / "mask.png", labels)
    out = tmp_path / "out.csv"
    code, _, _ = run(["measure", coins_png, "--labels", path, "-o", out], capsys)
    assert code == 0
    pd.testing.assert_frame_equal(pd.read_csv(out), measure(coins_crop, labels), rtol=1e-12)
    assert 42 in pd.read_csv(out)["label"].tolist()


@pytest.mark.parametrize("expression", ["{area} > 500 && {perimeter} < 200", "area > 500 and perimeter < 200"])
def test_measure_filter_equals_pandas_comparison(capsys, tmp_path, coins_png, expression):
    everything, filtered = tmp_path / "all.parquet", tmp_path / "filtered.parquet"
    assert run(["measure", coins_png, "-o", everything], capsys)[0] == 0
    code, _, err = run(["measure", coins_png, "--filter", expression, "-o", filtered], capsys)
    assert code == 0
    table = pd.read_parquet(everything)
    expected = table[(table["area"] > 500) & (table["perimeter"] < 200)].reset_index(drop=True)
    result = pd.read_parquet(filtered).reset_index(drop=True)
    assert 0 < len(expected) < len(table)
    assert result["label"].tolist() == [1, 3, 4, 5]
    pd.testing.assert_frame_equal(result, expected)
    assert err.strip() == f"4 regions written to {filtered}"


@pytest.mark.parametrize(
    ("options", "segment_kwargs"),
    [
        (["--threshold", "li"], {"method": "li"}),
        (["--dark-objects"], {"objects": "dark"}),
        (["--min-size", "100"], {"min_size": 100}),
        (["--threshold", "yen", "--min-size", "50", "--dark-objects"], {"method": "yen", "min_size": 50, "objects": "dark"}),
    ],
    ids=["li", "dark", "min-size", "combined"],
)
def test_segmentation_options(capsys, tmp_path, coins_png, coins_crop, options, segment_kwargs):
    out = tmp_path / "out.parquet"
    code, _, _ = run(["measure", coins_png, *options, "--properties", "area,intensity_mean", "-o", out], capsys)
    assert code == 0
    expected = measure(coins_crop, segment(coins_crop, **segment_kwargs), ["area", "intensity_mean"])
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected)


def test_min_size_drops_small_regions_and_relabels(capsys, tmp_path, coins_png):
    out = tmp_path / "out.csv"
    assert run(["measure", coins_png, "--min-size", "100", "--properties", "area", "-o", out], capsys)[0] == 0
    table = pd.read_csv(out)
    assert table["area"].min() >= 100
    assert table["label"].tolist() == list(range(1, 7))  # the 2-pixel region 4 is gone


def test_min_size_0_keeps_every_region(capsys, tmp_path, coins_png):
    out = tmp_path / "out.csv"
    assert run(["measure", coins_png, "--min-size", "0", "--properties", "area", "-o", out], capsys)[0] == 0
    assert pd.read_csv(out)["area"].tolist() == [545, 1289, 1088, 2, 1286, 1092, 392]


def test_rgb_png_gets_colour_columns(capsys, tmp_path, save_png):
    rgb = np.zeros((30, 40, 3), dtype=np.uint8)
    rgb[5:15, 5:15] = (200, 220, 40)
    rgb[18:26, 20:36] = (250, 250, 250)
    path = save_png(tmp_path / "rgb.png", rgb)
    out = tmp_path / "out.csv"
    assert run(["measure", path, "--properties", "area,mean_intensity", "-o", out], capsys)[0] == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["label", "area", "intensity_mean-red", "intensity_mean-green", "intensity_mean-blue"]
    assert table.values.tolist() == [[1, 100, 200.0, 220.0, 40.0], [2, 128, 250.0, 250.0, 250.0]]


def test_3d_npy(capsys, tmp_path):
    volume = np.zeros((5, 20, 20), dtype=np.uint8)
    volume[1:4, 2:8, 2:8] = 200
    path = tmp_path / "stack.npy"
    np.save(path, volume)
    out = tmp_path / "out.csv"
    assert run(["measure", path, "-o", out], capsys)[0] == 0
    table = pd.read_csv(out)
    assert table["area"].tolist() == [108]
    assert "perimeter" not in table.columns and "centroid-2" in table.columns


# --------------------------------------------------------------------------
# Usage errors: exit 2
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["measure", "{image}", "--no-such-option"], "unrecognized arguments: --no-such-option"),
        (["measure", "{image}", "-o", "{tmp}/out.xlsx"], "the output must end in .csv, .tsv, .parquet"),
        (["measure", "{tmp}/missing.png", "-o", "{tmp}/out.xlsx"], "out.xlsx"),  # checked before reading
        (["measure", "{image}", "--threshold", "bogus"], "invalid choice: 'bogus'"),
        (["measure", "{image}", "--min-size", "-3"], "--min-size must be >= 0, not -3"),
        (["measure", "{image}", "--min-size", "ten"], "invalid int value: 'ten'"),
        (["measure"], "required: IMAGE"),
        ([], "required: COMMAND"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
    ids=[
        "unknown-option",
        "xlsx",
        "xlsx-before-reading",
        "bad-threshold",
        "negative-min-size",
        "min-size-not-int",
        "no-image",
        "no-command",
        "unknown-command",
    ],
)
def test_usage_errors_exit_2(capsys, tmp_path, coins_png, argv, message):
    argv = [arg.format(image=coins_png, tmp=tmp_path) for arg in argv]
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("out.*"))


# --------------------------------------------------------------------------
# BAD INPUT (acceptance): exit 1, one line naming the file or field, no traceback
# --------------------------------------------------------------------------


def _garbage_png(tmp_path):
    path = tmp_path / "garbage.png"
    path.write_bytes(b"\x00\x01 definitely not a PNG \xff\xfe" * 20)
    return ["measure", path], "garbage.png"


def _missing_file(tmp_path):
    return ["measure", tmp_path / "no_such_image.png"], "no_such_image.png"


def _labels_of_another_shape(tmp_path):
    labels = tmp_path / "small_labels.npy"
    np.save(labels, np.ones((10, 10), dtype=np.uint8))
    return ["measure", tmp_path / "crop.png", "--labels", labels], "small_labels.npy"


def _fractional_float_labels(tmp_path):
    labels = tmp_path / "probabilities.npy"
    np.save(labels, np.full((140, 140), 0.5))
    return ["measure", tmp_path / "crop.png", "--labels", labels], "probabilities.npy"


def _empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    return ["measure", path], "empty.png"


def _four_dimensional_npy(tmp_path):
    path = tmp_path / "hyperstack.npy"
    np.save(path, np.zeros((2, 3, 20, 20), dtype=np.uint8))
    return ["measure", path], "hyperstack.npy"


def _bad_filter_expression(tmp_path):
    return ["measure", tmp_path / "crop.png", "--filter", "{area} >"], "--filter '{area} >'"


def _filter_on_unknown_column(tmp_path):
    return ["measure", tmp_path / "crop.png", "--filter", "{areaa} > 3"], "'areaa'"


def _unknown_property(tmp_path):
    return ["measure", tmp_path / "crop.png", "--properties", "area,perimetr"], "'perimetr'"


def _planar_property_on_3d(tmp_path):
    path = tmp_path / "stack.npy"
    np.save(path, np.zeros((5, 20, 20), dtype=np.uint8))
    return ["measure", path, "--properties", "perimeter"], "'perimeter'"


def _threshold_that_fails(tmp_path):
    path = tmp_path / "ramp.png"
    Image.fromarray(np.arange(256, dtype=np.uint8).reshape(16, 16)).save(path)  # flat histogram
    return ["measure", path, "--threshold", "minimum"], "ramp.png: threshold method 'minimum' failed"


def _unwritable_output(tmp_path):
    return ["measure", tmp_path / "crop.png", "-o", tmp_path / "no_dir" / "out.csv"], "out.csv"


BAD_INPUTS = [
    _garbage_png,
    _missing_file,
    _labels_of_another_shape,
    _fractional_float_labels,
    _empty_file,
    _four_dimensional_npy,
    _bad_filter_expression,
    _filter_on_unknown_column,
    _unknown_property,
    _planar_property_on_3d,
    _threshold_that_fails,
    _unwritable_output,
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda case: case.__name__.strip("_"))
def test_bad_input_exits_1_with_one_line(capsys, coins_png, tmp_path, case):
    argv, named = case(tmp_path)
    code, out, err = run(argv, capsys)
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("regionscope: error: ")
    assert named in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("case", [_missing_file, _unknown_property, _bad_filter_expression], ids=lambda c: c.__name__)
def test_debug_lets_the_exception_through(capsys, coins_png, tmp_path, case):
    argv, _ = case(tmp_path)
    with pytest.raises(Exception) as info:
        main([str(arg) for arg in argv] + ["--debug"])
    assert type(info.value).__module__ == "regionscope.errors"
    if case is _missing_file:
        assert isinstance(info.value, InputFileError)


def test_exit_codes_of_the_real_command(tmp_path, coins_png):
    """One look at the process itself: exit status, stderr, and --debug's traceback."""
    missing = tmp_path / "no_such_image.png"
    bad = subprocess.run([*command(), "measure", str(missing)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.splitlines() == [bad.stderr.strip()]
    assert bad.stderr.startswith("regionscope: error: ") and "no_such_image.png" in bad.stderr
    assert "Traceback" not in bad.stderr

    usage = subprocess.run([*command(), "measure", str(coins_png), "-o", "x.xlsx"], capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2
    assert "regionscope: error: cannot write x.xlsx" in usage.stderr

    debug = subprocess.run([*command(), "measure", str(missing), "--debug"], capture_output=True, text=True, timeout=120)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "InputFileError" in debug.stderr and "no_such_image.png" in debug.stderr


def test_measure_export_labels_keeps_only_the_filtered_regions(tmp_path):
    from regionscope.cli import main
    from regionscope.io import read_labels

    image, labels = np.zeros((20, 30), np.uint8), np.zeros((20, 30), np.int32)
    labels[2:6, 2:6], labels[10:18, 10:20], labels[3:5, 25:28] = 4, 9, 13
    image[labels > 0] = 200
    np.save(tmp_path / "image.npy", image)
    np.save(tmp_path / "labels.npy", labels)
    out = tmp_path / "big.tif"
    code = main(
        [
            "measure",
            str(tmp_path / "image.npy"),
            "--labels",
            str(tmp_path / "labels.npy"),
            "--filter",
            "area > 10",
            "--export-labels",
            str(out),
            "-o",
            str(tmp_path / "t.csv"),
        ]
    )
    assert code == 0
    written = read_labels(out)
    assert sorted(np.unique(written).tolist()) == [0, 4, 9]
    assert np.array_equal(written == 9, labels == 9)


def test_measure_export_labels_needs_a_tiff_name(tmp_path, capsys):
    from regionscope.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["measure", "x.png", "--export-labels", str(tmp_path / "out.png")])
    assert exit_info.value.code == 2
    assert "--export-labels must end in .tif" in capsys.readouterr().err


def test_view_with_a_broken_session_file_is_a_one_line_error(tmp_path, capsys):
    from regionscope.cli import main

    broken = tmp_path / "session.json"
    broken.write_text("{not json")
    assert main(["view", "--session", str(broken), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("regionscope: error:") and "session.json" in err


# --------------------------------------------------------------------------
# Issue 8: a new user's first hour
# --------------------------------------------------------------------------


@pytest.fixture
def full_coins_png(tmp_path, coins, save_png):
    return save_png(tmp_path / "coins.png", coins)


@pytest.mark.parametrize(
    ("cli_options", "panel_values", "expected"),
    [
        ([], (None, None, None, None), 24),  # the defaults everywhere
        (["--min-size", "0"], ("otsu", "bright", 0, []), 96),
        (["--threshold", "li", "--fill-holes", "--min-size", "100"], ("li", "bright", 100, ["fill"]), None),
        (["--split-touching"], ("otsu", "bright", 64, [], ["split"]), None),
    ],
    ids=["defaults", "min-size-0", "li-filled", "split"],
)
def test_same_settings_give_the_same_regions_in_cli_api_and_app(
    capsys, tmp_path, coins, full_coins_png, cli_options, panel_values, expected
):
    """Point 4: `regionscope measure`, rs.segment and the app (Data panel, `view`, rs.explore) agree."""
    from regionscope.app.data_callbacks import segmentation_options
    from regionscope.app.registry import DatasetRegistry
    from regionscope.app.server import open_default

    out = tmp_path / "out.csv"
    assert run(["measure", full_coins_png, *cli_options, "--properties", "area", "-o", out], capsys)[0] == 0
    cli_areas = pd.read_csv(out)["area"].tolist()

    settings = segmentation_options(*panel_values)
    api = segment(coins, **{key: value for key, value in settings.items() if key != "channel"})
    api_areas = np.bincount(api.ravel())[1:].tolist()

    registry = DatasetRegistry()
    panel = registry.open_files(full_coins_png, segmentation=settings)  # the Data panel
    view = open_default(registry, str(full_coins_png), segmentation=None if not cli_options else settings)  # regionscope view
    explore = open_default(registry, np.asarray(coins), segmentation=None if not cli_options else settings)  # rs.explore
    assert cli_areas == api_areas == panel.table["area"].tolist() == view.table["area"].tolist() == explore.table["area"].tolist()
    if expected is not None:
        assert len(cli_areas) == expected
    assert panel.id == view.id  # same image, same settings: one dataset


def test_the_built_in_sample_uses_the_defaults_too(coins):
    from regionscope.app.registry import DatasetRegistry
    from regionscope.app.server import open_default

    sample = open_default(DatasetRegistry())
    assert len(sample.table) == 24 == segment(coins).max()


def test_help_states_the_default_min_size(capsys):
    _, out, _ = run(["measure", "--help"], capsys)
    assert "default 64" in " ".join(out.split())
    _, out, _ = run(["view", "--help"], capsys)
    for option in ("--min-size", "--channel", "--split-touching", "--fill-holes", "--force-session"):
        assert option in out


def test_3d_stack_is_not_mostly_single_voxels(capsys, tmp_path):
    rng = np.random.default_rng(8)
    stack = rng.normal(40, 12, (12, 48, 48)).clip(0, 255)
    stack[rng.random(stack.shape) < 0.005] = 220  # hot voxels, as on a real camera
    z, y, x = np.indices(stack.shape)
    for cz, cy, cx in [(5, 12, 12), (6, 30, 34), (4, 36, 10)]:
        stack[(z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= 16] = 200  # 257-voxel balls
    path = tmp_path / "stack.npy"
    np.save(path, stack.astype(np.uint8))
    out, everything = tmp_path / "out.csv", tmp_path / "all.csv"
    assert run(["measure", path, "--properties", "area", "-o", out], capsys)[0] == 0
    assert run(["measure", path, "--min-size", "0", "--properties", "area", "-o", everything], capsys)[0] == 0
    areas = pd.read_csv(out)["area"]
    assert len(areas) == 3 and areas.between(257, 280).all()  # the balls (plus a hot voxel or two)
    specks = pd.read_csv(everything)["area"]
    assert (specks == 1).mean() > 0.5  # without a minimum size: mostly single voxels


@pytest.fixture
def rgb_png(tmp_path, save_png):
    """Red square (100 px) top left, blue rectangle (160 px) bottom right, a green speck."""
    rgb = np.zeros((40, 50, 3), dtype=np.uint8)
    rgb[2:12, 2:12, 0] = 220
    rgb[24:34, 30:46, 2] = 230
    rgb[20, 20, 1] = 255
    return save_png(tmp_path / "rgb.png", rgb)


@pytest.mark.parametrize(("channel", "area"), [("red", 100), ("RED", 100), ("0", 100), ("blue", 160), ("2", 160), ("-1", 160)])
def test_channel_segments_that_channel(capsys, tmp_path, rgb_png, channel, area):
    out = tmp_path / "out.csv"
    code, _, err = run(["measure", rgb_png, "--channel", channel, "--properties", "area,intensity_mean", "-o", out], capsys)
    assert code == 0, err
    table = pd.read_csv(out)
    assert table["area"].tolist() == [area]
    assert err.strip() == f"1 region written to {out}"  # singular


def test_channel_default_is_the_luminance(capsys, tmp_path, rgb_png):
    out = tmp_path / "out.csv"
    assert run(["measure", rgb_png, "--properties", "area", "--min-size", "0", "-o", out], capsys)[0] == 0
    image = np.asarray(Image.open(rgb_png))
    assert pd.read_csv(out)["area"].tolist() == np.bincount(segment(image, min_size=0).ravel())[1:].tolist()


@pytest.mark.parametrize(
    ("image", "channel", "message"),
    [
        ("rgb.png", "gren", "rgb.png: channel 'gren' does not exist; the image's channels are red, green, blue (or 0 to 2)"),
        ("rgb.png", "3", "rgb.png: channel 3 does not exist; the image's channels are red, green, blue (or 0 to 2)"),
        ("crop.png", "1", "crop.png: channel 1 does not exist; the image has a single channel"),
    ],
)
def test_unknown_channel_is_a_one_line_error(capsys, tmp_path, rgb_png, coins_png, image, channel, message):
    code, out, err = run(["measure", tmp_path / image, "--channel", channel], capsys)
    assert code == 1 and out == ""
    assert err.splitlines() == [f"regionscope: error: {tmp_path}/{message}"]


def test_split_touching_matches_the_api(capsys, tmp_path, save_png):
    rows, cols = np.indices((40, 60))
    image = np.where(((rows - 20) ** 2 + (cols - 20) ** 2 <= 100) | ((rows - 20) ** 2 + (cols - 36) ** 2 <= 100), 200, 10).astype(
        np.uint8
    )
    path = save_png(tmp_path / "pair.png", image)
    out = tmp_path / "out.csv"
    assert run(["measure", path, "--properties", "area", "-o", out], capsys)[0] == 0
    assert len(pd.read_csv(out)) == 1
    assert run(["measure", path, "--split-touching", "--properties", "area", "-o", out], capsys)[0] == 0
    assert pd.read_csv(out)["area"].tolist() == np.bincount(segment(image, split_touching=True).ravel())[1:].tolist()
    assert len(pd.read_csv(out)) == 2


def test_segmentation_options_with_labels_are_named_as_unused(capsys, tmp_path, coins_png, coins_crop, save_png):
    mask = save_png(tmp_path / "mask.png", segment(coins_crop).astype(np.uint8))
    code, _, err = run(
        ["measure", coins_png, "--labels", mask, "--channel", "1", "--split-touching", "-o", tmp_path / "t.csv"], capsys
    )
    assert code == 0
    assert (
        err.splitlines()[0]
        == "regionscope: warning: --split-touching, --channel are not used with --labels (the labels are used as given)"
    )


def test_an_intensity_image_given_as_labels_is_warned_about(capsys, tmp_path, coins_png, coins_crop, save_png):
    out = tmp_path / "t.csv"
    code, _, err = run(["measure", coins_png, "--labels", coins_png, "--properties", "area", "-o", out], capsys)
    assert code == 0
    warning, written = err.splitlines()
    assert warning.startswith("regionscope: warning: crop.png looks like an intensity image, not a label image: its ")
    assert "give it as IMAGE without --labels" in warning
    assert written == f"{len(pd.read_csv(out))} regions written to {out}"

    mask = save_png(tmp_path / "mask.png", segment(coins_crop).astype(np.uint8))
    code, _, err = run(["measure", coins_png, "--labels", mask, "-o", out], capsys)
    assert code == 0 and err.splitlines() == [f"6 regions written to {out}"]


def test_many_touching_labels_are_not_taken_for_an_intensity_image(capsys, tmp_path):
    """A dense tissue mask: 400 cells, every one touching its neighbours (no background)."""
    rows, cols = np.indices((200, 200))
    labels = (rows // 10) * 20 + cols // 10 + 1
    np.save(tmp_path / "cells.npy", labels.astype(np.uint16))
    np.save(tmp_path / "image.npy", (labels % 7 * 30).astype(np.uint8))
    code, _, err = run(["measure", tmp_path / "image.npy", "--labels", tmp_path / "cells.npy", "-o", tmp_path / "t.csv"], capsys)
    assert code == 0 and "warning" not in err


def test_singular_for_one_region(capsys, tmp_path):
    image = np.zeros((20, 20), np.uint8)
    image[5:15, 5:15] = 200
    np.save(tmp_path / "one.npy", image)
    code, out, err = run(
        ["measure", tmp_path / "one.npy", "--export-labels", tmp_path / "one.tif", "-o", tmp_path / "one.csv"], capsys
    )
    assert code == 0
    assert err.splitlines() == [f"1 region written to {tmp_path / 'one.tif'}", f"1 region written to {tmp_path / 'one.csv'}"]


def test_progress_is_hidden_when_stderr_is_not_a_terminal(tmp_path, coins_png):
    out = tmp_path / "out.csv"
    env = {**os.environ, "REGIONSCOPE_PROGRESS": ""}
    done = subprocess.run(
        [*command(), "measure", str(coins_png), "-o", str(out)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0
    assert done.stderr == f"6 regions written to {out}\n"


@pytest.mark.parametrize("how", ["terminal", "environment"])
def test_progress_names_each_step(tmp_path, coins_png, how):
    """A pseudo-terminal as stderr (what a user sees), or REGIONSCOPE_PROGRESS=1 with a pipe."""
    import pty

    out = tmp_path / "out.csv"
    argv = [*command(), "measure", str(coins_png), "-o", str(out)]
    if how == "environment":
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env={**os.environ, "REGIONSCOPE_PROGRESS": "1"})
        shown = done.stderr
    else:
        import fcntl
        import struct
        import termios

        controller, terminal = pty.openpty()
        # A new pseudo-terminal is 0 columns wide; tqdm would cut its line to nothing.
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        try:
            process = subprocess.Popen(
                argv, stdout=subprocess.DEVNULL, stderr=terminal, env={**os.environ, "REGIONSCOPE_PROGRESS": ""}
            )
            os.close(terminal)
            chunks = []
            while True:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # the terminal closed: the process ended
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            assert process.wait(timeout=120) == 0
        finally:
            os.close(controller)
        shown = b"".join(chunks).decode()
    for step in ("reading image", "segmenting", "measuring", "writing out.csv"):
        assert f"regionscope: {step} (" in shown, shown
    assert f"6 regions written to {out}" in shown


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`regionscope measure ... | head -1`: no BrokenPipeError traceback."""
    labels = np.zeros((300, 300), np.int32)
    labels[1::3, 1::3] = np.arange(1, 10_001).reshape(100, 100)  # 10,000 one-pixel regions: a long table
    np.save(tmp_path / "labels.npy", labels)
    np.save(tmp_path / "image.npy", (labels % 200).astype(np.uint8))
    process = subprocess.Popen(
        [*command(), "measure", str(tmp_path / "image.npy"), "--labels", str(tmp_path / "labels.npy")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = process.stdout.readline()
    process.stdout.close()  # as head does after its lines
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert first.split()[:2] == [b"label", b"area"]
    assert "Traceback" not in err and "BrokenPipe" not in err, err


# --- view: refused sessions and a taken port ----------------------------------------------


def _foreign_session(tmp_path):
    from regionscope.export import session_dict, write_session

    path = tmp_path / "other-session.json"
    session = session_dict(
        dataset_id="0123456789abcdef",
        dataset_name="other.tif",
        excluded=[2],
        classes=[{"name": "debris", "color": "#ff0000"}],
        assignments={1: "debris"},
    )
    write_session(path, session)
    return path


def test_view_refuses_a_session_saved_for_other_data(capsys, tmp_path, coins_png):
    workspace = tmp_path / "workspace"
    session = _foreign_session(tmp_path)
    code, out, err = run(["view", coins_png, "--session", session, "--workspace", workspace, "--port", "0"], capsys)
    assert code == 1
    assert "Open http" not in out
    assert err.splitlines() == [
        "regionscope: error: other-session.json was saved for other data (other.tif), not for crop.png; "
        "open the data it was saved for, or add --force-session to apply its classes and exclusions to these labels"
    ]
    assert not (workspace / "annotations.sqlite3").exists()  # nothing written


def test_view_force_session_applies_it_with_a_warning(tmp_path, coins_png):
    from regionscope.annotations import AnnotationStore

    workspace = tmp_path / "workspace"
    session = _foreign_session(tmp_path)
    process = subprocess.Popen(
        [
            *command(),
            "view",
            str(coins_png),
            "--session",
            str(session),
            "--force-session",
            "--workspace",
            str(workspace),
            "--port",
            str(_free_port()),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "REGIONSCOPE_PROGRESS": "1"},
    )
    try:
        line = process.stdout.readline()
        assert "Open http://127.0.0.1:" in line, process.stderr.read()
    finally:
        process.terminate()
        process.wait(timeout=30)
    err = process.stderr.read()
    assert (
        "regionscope: warning: other-session.json was saved for other data (other.tif); its classes and exclusions are applied to crop.png"
        in err
    )
    for step in ("reading", "segmenting", "measuring", "outlining regions"):  # view's progress bar
        assert f"regionscope: {step} (" in err
    from regionscope.app.registry import DatasetRegistry

    dataset = DatasetRegistry().open_files(coins_png)
    with AnnotationStore(workspace) as store:
        assert store.excluded(dataset.id) == [2]
        assert store.assignments(dataset.id) == {1: "debris"}


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_view_on_a_taken_port_says_so_before_any_url(capsys):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code, out, err = run(["view", "--port", port], capsys)
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"regionscope: error: port {port} on 127.0.0.1 is already in use by another program; choose another with --port"
    ]


@pytest.mark.parametrize(
    ("image", "message"),
    [("rgb.png", "{tmp}/rgb.png: channel 'gren' does not exist"), (None, "the coins sample: channel 'gren' does not exist")],
)
def test_view_with_an_unknown_channel_names_the_image(capsys, tmp_path, rgb_png, image, message):
    argv = ["view", *([tmp_path / image] if image else []), "--channel", "gren", "--port", "0"]
    code, out, err = run(argv, capsys)
    assert code == 1 and "Open http" not in out
    assert err.startswith("regionscope: error: " + message.format(tmp=tmp_path)) and len(err.splitlines()) == 1


def test_view_store_usage_errors(tmp_path, capsys):
    image = tmp_path / "image.tif"
    tifffile.imwrite(image, np.zeros((8, 8), np.uint8))
    code, _, err = run(["view", image, "--store", tmp_path / "store", "--fill-holes"], capsys)
    assert code == 2 and "--fill-holes cannot be combined with --store without --labels" in err
    code, _, err = run(["view", image, "--labels", image, "--store", tmp_path / "store", "--pixel-size", "0.5"], capsys)
    assert code == 2 and "--pixel-size cannot be combined with --store" in err
