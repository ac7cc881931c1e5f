"""Tests of the ``regionscope`` command: outputs, options, usage errors and bad input."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
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
    assert err.strip() == f"7 regions written to {out}"
    table = read(out)
    pd.testing.assert_frame_equal(table, reference, check_exact=suffix == ".parquet", rtol=1e-12)


def test_measure_prints_table_without_output(capsys, coins_png, reference):
    code, out, err = run(["measure", coins_png, "--properties", "label,area,perimeter"], capsys)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["label", "area", "perimeter"]
    assert len(lines) == 1 + 7
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
    assert result["label"].tolist() == [1, 3, 5, 6]
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
    ids=["unknown-option", "xlsx", "xlsx-before-reading", "bad-threshold", "negative-min-size",
         "min-size-not-int", "no-image", "no-command", "unknown-command"],
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
    _garbage_png, _missing_file, _labels_of_another_shape, _fractional_float_labels, _empty_file,
    _four_dimensional_npy, _bad_filter_expression, _filter_on_unknown_column, _unknown_property,
    _planar_property_on_3d, _threshold_that_fails, _unwritable_output,
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
        ["measure", str(tmp_path / "image.npy"), "--labels", str(tmp_path / "labels.npy"), "--filter", "area > 10", "--export-labels", str(out), "-o", str(tmp_path / "t.csv")]
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
