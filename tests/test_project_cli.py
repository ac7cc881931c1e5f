"""``regionscope measure`` on many images: one table, ``--project``, failures with exit code 1, a real cluster."""

from __future__ import annotations

import pandas as pd
import pytest

import regionscope as rs
from regionscope.cli import main

from dask_cluster import scheduler_address  # noqa: F401 - a fixture
from project_support import write_plate

PATTERN = "{stem}_mask.tif"


@pytest.fixture
def plate(tmp_path):
    return write_plate(tmp_path / "plate")


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_several_images_give_one_table_with_an_image_column(plate, tmp_path, capsys):
    out = tmp_path / "all.csv"
    code, stdout, err = run(
        ["measure", plate / "A01.tif", plate / "B01.tif", "--properties", "label,area", "-o", out, "--workers", "1"], capsys
    )
    assert code == 0 and stdout == ""
    table = pd.read_csv(out)
    assert list(table.columns) == ["image", "label", "area"]
    for name in ("A01", "B01"):  # each image's rows are what measuring it alone gives
        single = tmp_path / f"{name}.csv"
        assert run(["measure", plate / f"{name}.tif", "--properties", "label,area", "-o", single], capsys)[0] == 0
        mine = table[table["image"] == name].drop(columns="image").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, pd.read_csv(single), check_exact=True)
    assert err.strip().splitlines()[-1] == f"2 images: 2 measured, 0 failed; {len(table)} regions written to {out}"


def test_a_broken_image_is_named_and_the_run_ends_with_exit_code_1(plate, tmp_path, capsys):
    data = (plate / "A02.tif").read_bytes()
    (plate / "A02.tif").write_bytes(data[: len(data) // 2])  # truncated
    project = tmp_path / "project"
    code, stdout, err = run(["measure", plate, "--labels-pattern", PATTERN, "--project", project, "--workers", "1"], capsys)
    assert code == 1 and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in err
    assert lines[0].startswith("regionscope: error: image A02 failed: ") and "A02.tif" in lines[0]
    opened = rs.Project.open(project)
    assert (
        lines[1]
        == f"3 images: 2 measured, 0 unchanged since the last run, 1 failed; {len(opened.regions)} regions in project {project}"
    )
    assert opened.images["status"].tolist() == ["ok", "failed", "ok"] and set(opened.regions["image"]) == {"A01", "B01"}


def test_a_manifest_project_is_resumed(plate, tmp_path, capsys):
    manifest = tmp_path / "screen.csv"
    manifest.write_text("image,well,condition\nplate/A01.tif,A01,control\nplate/A02.tif,A02,drug\nplate/B01.tif,B01,drug\n")
    project, out = tmp_path / "project", tmp_path / "big.parquet"
    argv = ["measure", "--manifest", manifest, "--labels-pattern", PATTERN, "--project", project, "--workers", "1"]
    code, _, err = run([*argv, "--filter", "area > 150", "-o", out], capsys)
    assert code == 0
    regions = rs.Project.open(project).regions
    written = pd.read_parquet(out)
    assert list(written.columns[-2:]) == ["well", "condition"] and (written["area"] > 150).all()
    pd.testing.assert_frame_equal(written.reset_index(drop=True), regions[regions["area"] > 150].reset_index(drop=True))
    assert err.strip().endswith(f"{len(regions)} regions in project {project}, {len(written)} after --filter written to {out}")
    code, _, err = run(argv, capsys)
    assert code == 0
    assert (
        err.strip()
        == f"3 images: 0 measured, 3 unchanged since the last run, 0 failed; {len(regions)} regions in project {project}"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--labels", "{plate}/A01_mask.tif"], "--labels gives the mask of one image; for several images pair them"),
        (["--store", "{tmp}/store"], "--store measures one image; it cannot be combined with several images"),
        (["--export-labels", "{tmp}/x.tif"], "--export-labels measures one image"),
        (["--chunks", "64"], "--chunks measures one image"),
        (["-o", "{tmp}/out.xlsx"], "the output must end in .csv, .tsv, .parquet"),
    ],
    ids=["labels", "store", "export-labels", "chunks", "xlsx"],
)
def test_options_of_one_image_are_usage_errors_with_many(plate, tmp_path, capsys, extra, message):
    extra = [e.format(plate=plate, tmp=tmp_path) for e in extra]
    with pytest.raises(SystemExit) as info:
        main(["measure", str(plate), *extra])
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_bad_inputs_are_one_line_errors(tmp_path, plate, capsys):
    code, _, err = run(["measure", plate, tmp_path / "nowhere"], capsys)
    assert (
        code == 1
        and err
        == f"regionscope: error: {tmp_path / 'nowhere'}: no such file or folder; check the path (a glob needs *, ? or [ in it)\n"
    )
    code, _, err = run(["measure", plate, "--labels-pattern", "{bad}.tif"], capsys)
    assert code == 1 and "unknown placeholder {bad}" in err


def test_a_project_measured_on_a_running_cluster_equals_the_local_run(plate, tmp_path, scheduler_address, capsys):  # noqa: F811
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert run(["measure", plate, "--labels-pattern", PATTERN, "--project", local], capsys)[0] == 0
    code, _, err = run(
        ["measure", plate, "--labels-pattern", PATTERN, "--project", remote, "--scheduler", scheduler_address], capsys
    )
    assert code == 0, err
    expected, got = rs.Project.open(local), rs.Project.open(remote)
    assert len(got.regions) > 8
    pd.testing.assert_frame_equal(got.regions, expected.regions, check_exact=True)
    timing = ["measured_at", "seconds"]
    pd.testing.assert_frame_equal(got.images.drop(columns=timing), expected.images.drop(columns=timing))
