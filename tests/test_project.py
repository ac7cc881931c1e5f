"""Projects in Python: many images into one table, the folder on disk, resuming, failures, annotations per image."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
import tifffile
from PIL import Image

import regionscope as rs
from regionscope.chunked import dask_client
from regionscope.pipeline import measure_files
from regionscope.project import ProjectError, find_inputs, image_stem

from project_support import blobs, write_plate

PROPERTIES = ["label", "area", "centroid", "perimeter", "intensity_mean", "touches_border"]


@pytest.fixture(scope="module")
def client():
    """One in-process cluster for the module: the tasks are the same as on worker processes."""
    with dask_client(n_workers=2, threads_per_worker=1, processes=False) as client:
        yield client


@pytest.fixture
def plate(tmp_path):
    return write_plate(tmp_path / "plate")


def expected_table(name, image, labels=None, properties=PROPERTIES):
    table = measure_files(image, labels, properties=properties)
    table.insert(0, "image", pd.Series([name] * len(table), dtype=str))
    return table


# ------------------------------------------------------------------ inputs


def test_the_labels_pattern_pairs_masks_and_keeps_them_out_of_the_images(plate):
    (plate / "orphan_mask.tif").write_bytes((plate / "A01_mask.tif").read_bytes())  # a mask without its image
    (plate / "notes.txt").write_text("not an image")
    found = find_inputs(plate, labels_pattern="{stem}_mask.tif")
    assert [(i.name, os.path.basename(i.path)) for i in found] == [("A01", "A01.tif"), ("A02", "A02.tif"), ("B01", "B01.tif")]
    assert [i.labels and os.path.basename(i.labels) for i in found] == ["A01_mask.tif", "A02_mask.tif", None]
    # Without the pattern every TIFF is an image, masks included.
    assert [i.name for i in find_inputs(plate)] == ["A01", "A01_mask", "A02", "A02_mask", "B01", "orphan_mask"]
    # A glob, and shell-expanded files, are paired the same way.
    assert [i.name for i in find_inputs(str(plate / "*.tif"), labels_pattern="{stem}_mask.tif")] == ["A01", "A02", "B01"]
    files = sorted(str(p) for p in plate.glob("*.tif"))
    assert [i.name for i in find_inputs(files, labels_pattern="{stem}_mask{ext}")] == ["A01", "A02", "B01"]


def test_masks_in_a_subfolder(tmp_path):
    (tmp_path / "masks").mkdir()
    image, labels = blobs(0)
    tifffile.imwrite(tmp_path / "a.tif", image)
    tifffile.imwrite(tmp_path / "masks" / "a.tif", labels)
    (found,) = find_inputs(str(tmp_path / "**" / "*.tif"), labels_pattern="masks/{stem}.tif")
    assert found.name == "a" and found.labels == str(tmp_path / "masks" / "a.tif")


def test_names_are_stems_told_apart_by_their_folders(tmp_path):
    for folder in ("plate1", "plate2"):
        (tmp_path / folder).mkdir()
        tifffile.imwrite(tmp_path / folder / "A01.ome.tif", np.zeros((4, 4), np.uint8))
    tifffile.imwrite(tmp_path / "plate1" / "A02.tif", np.zeros((4, 4), np.uint8))
    found = find_inputs([tmp_path / "plate1", tmp_path / "plate2"])
    assert [i.name for i in found] == ["plate1/A01", "A02", "plate2/A01"]
    assert image_stem("x/A01_f1.ome.tiff") == "A01_f1" and image_stem("x.y.png") == "x.y"


def test_input_errors_name_what_is_wrong(tmp_path, plate):
    with pytest.raises(ProjectError, match="no_such_folder: no such file or folder"):
        find_inputs(tmp_path / "no_such_folder")
    with pytest.raises(ProjectError, match=r"\*\.png: no image file matches"):
        find_inputs(str(plate / "*.png"))
    with pytest.raises(ProjectError, match=r"unknown placeholder \{base\}"):
        find_inputs(plate, labels_pattern="{base}_mask.tif")
    with pytest.raises(ProjectError, match="names the same mask for every image"):
        find_inputs(plate, labels_pattern="mask.tif")
    with pytest.raises(ProjectError, match=r"no images found .*\(5 files matched the labels pattern"):
        find_inputs(plate, labels_pattern="{name}")
    (tmp_path / "bad.csv").write_text("file,well\na.tif,A01\n")
    with pytest.raises(ProjectError, match="bad.csv: no 'image' column \\(columns: file, well\\)"):
        find_inputs(tmp_path / "bad.csv")
    (tmp_path / "empty_cell.csv").write_text("image,well\nA01.tif,A01\n,A02\n")
    with pytest.raises(ProjectError, match="empty_cell.csv, row 3: the 'image' cell is empty"):
        find_inputs(tmp_path / "empty_cell.csv")


def test_the_manifest_pairs_masks_and_brings_metadata(plate, client):
    manifest = plate.parent / "screen.csv"
    manifest.write_text(
        "image,labels,well,field,condition\n"
        "plate/A01.tif,plate/A01_mask.tif,A01,1,control\n"
        "plate/A02.tif,,A02,2,drug\n"  # no labels cell: the pattern, when given, else segmented
        "plate/B01.tif,,B01,1,drug\n"
    )
    found = find_inputs(manifest)
    assert [(i.name, i.labels is not None, i.metadata) for i in found] == [
        ("A01", True, {"well": "A01", "field": 1, "condition": "control"}),
        ("A02", False, {"well": "A02", "field": 2, "condition": "drug"}),
        ("B01", False, {"well": "B01", "field": 1, "condition": "drug"}),
    ]
    assert find_inputs(manifest, labels_pattern="{stem}_mask.tif")[1].labels == str(plate / "A02_mask.tif")

    regions, images = rs.measure_many(manifest, properties=PROPERTIES, client=client, return_images=True)
    assert list(regions.columns) == ["image", *expected_table("A01", plate / "A01.tif", plate / "A01_mask.tif").columns[1:]] + [
        "well",
        "field",
        "condition",
    ]
    assert list(images.columns[:6]) == ["name", "path", "labels", "well", "field", "condition"]
    a02 = regions[regions["image"] == "A02"]
    assert set(a02["well"]) == {"A02"} and set(a02["field"]) == {2} and set(a02["condition"]) == {"drug"}
    assert regions["field"].dtype == np.int64
    # A02 has no mask in the manifest: segmented, the same regions as segmenting it alone.
    pd.testing.assert_frame_equal(
        a02.drop(columns=["well", "field", "condition"]).reset_index(drop=True),
        expected_table("A02", plate / "A02.tif"),
        check_exact=True,
    )
    assert images["segmented"].tolist() == [False, True, True]


def test_a_metadata_column_cannot_take_a_measured_name(tmp_path, plate):
    (tmp_path / "m.csv").write_text("image,area\nplate/A01.tif,3\n")
    with pytest.raises(ProjectError, match="the manifest column 'area' has the name of a column regionscope writes"):
        rs.measure_many(tmp_path / "m.csv")


# ---------------------------------------------------------------- measuring


def test_the_project_table_equals_measure_image_by_image(plate, client, tmp_path):
    regions, images = rs.measure_many(
        plate,
        labels_pattern="{stem}_mask.tif",
        project=tmp_path / "project",
        client=client,
        return_images=True,
    )
    expected = pd.concat(
        [
            expected_table("A01", plate / "A01.tif", plate / "A01_mask.tif", properties=None),  # the default properties
            expected_table("A02", plate / "A02.tif", plate / "A02_mask.tif", properties=None),
            expected_table("B01", plate / "B01.tif", properties=None),  # segmented with the defaults
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(regions, expected, check_exact=True)
    assert images["name"].tolist() == ["A01", "A02", "B01"]
    assert images["status"].tolist() == ["ok"] * 3 and images["error"].isna().all()
    assert images["regions"].tolist() == [4, 4, 4]
    assert images[["size_y", "size_x", "channels"]].values.tolist() == [[48, 64, 1]] * 3
    assert images["size_z"].isna().all() and images["pixel_size_x"].isna().all()

    project = rs.Project.open(tmp_path / "project")
    pd.testing.assert_frame_equal(project.regions, expected, check_exact=True)
    pd.testing.assert_frame_equal(project.images, images)
    pd.testing.assert_frame_equal(project.image_regions("A02"), expected[expected["image"] == "A02"].reset_index(drop=True))
    assert repr(project) == f"Project({str(tmp_path / 'project')!r}: 3 images, 0 failed, 12 regions)"
    # Other tools read the region table as plain Parquet, every image's file at once.
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "project" / "regions").sort_values(["image", "label"]).reset_index(drop=True),
        expected,
        check_exact=True,
    )
    manifest = json.loads((tmp_path / "project" / "project.json").read_text())
    assert manifest["format"] == "regionscope project" and manifest["format_version"] == 1
    assert manifest["regionscope_version"] == rs.__version__ and manifest["properties"] is None
    assert manifest["labels_pattern"] == "{stem}_mask.tif" and manifest["images"] == 3 and manifest["regions"] == 12
    with Image.open(project.thumbnail("B01")) as thumbnail:
        assert thumbnail.size == (64, 48) and thumbnail.mode == "L"


def test_without_a_project_nothing_is_written(plate, client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    regions = rs.measure_many([plate / "A01.tif", plate / "B01.tif"], properties=["label", "area"], client=client)
    expected = pd.concat([expected_table(n, plate / f"{n}.tif", properties=["label", "area"]) for n in ("A01", "B01")])
    pd.testing.assert_frame_equal(regions, expected.reset_index(drop=True), check_exact=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plate"]


def test_thumbnails_are_small(tmp_path, client):
    image, labels = blobs(1, shape=(600, 300))
    tifffile.imwrite(tmp_path / "big.tif", image)
    tifffile.imwrite(tmp_path / "big_mask.tif", labels)
    rs.measure_many(tmp_path / "big.tif", labels_pattern="{stem}_mask.tif", project=tmp_path / "p", client=client)
    with Image.open(rs.Project.open(tmp_path / "p").thumbnail("big")) as thumbnail:
        assert thumbnail.size == (100, 200)  # 600 x 300 shrunk by 3 to at most 256 a side


# ---------------------------------------------------------------- resuming


def region_file_times(folder):
    return {p.name: p.stat().st_mtime_ns for p in (folder / "regions").iterdir()}


def test_a_second_run_skips_done_images_and_measures_a_changed_one(plate, client, tmp_path):
    project = tmp_path / "project"
    options = {"labels_pattern": "{stem}_mask.tif", "properties": PROPERTIES, "project": project, "client": client}
    first, first_images = rs.measure_many(plate, **options, return_images=True)
    written = region_file_times(project)

    again, images = rs.measure_many(plate, **options, return_images=True)
    assert images["reused"].tolist() == [True, True, True]
    assert region_file_times(project) == written  # nothing written again
    assert images["measured_at"].tolist() == first_images["measured_at"].tolist()
    pd.testing.assert_frame_equal(again, first, check_exact=True)

    # A02 changes: only it is measured again.
    image, labels = blobs(7)
    tifffile.imwrite(plate / "A02.tif", image)
    tifffile.imwrite(plate / "A02_mask.tif", labels)
    os.utime(plate / "A02.tif", ns=(1, 1))  # a modification time surely different from the first run's
    changed, images = rs.measure_many(plate, **options, return_images=True)
    assert images["reused"].tolist() == [True, False, True]
    now = region_file_times(project)
    assert now["A01.parquet"] == written["A01.parquet"] and now["B01.parquet"] == written["B01.parquet"]
    assert now["A02.parquet"] != written["A02.parquet"]
    pd.testing.assert_frame_equal(
        changed[changed["image"] == "A02"].reset_index(drop=True),
        expected_table("A02", plate / "A02.tif", plate / "A02_mask.tif"),
        check_exact=True,
    )

    # Other settings: every image again; other segmentation settings: only the segmented one.
    _, images = rs.measure_many(plate, **{**options, "properties": ["label", "area"]}, return_images=True)
    assert images["reused"].tolist() == [False, False, False]
    _, images = rs.measure_many(
        plate, **{**options, "properties": ["label", "area"]}, segmentation={"min_size": 10}, return_images=True
    )
    assert images["reused"].tolist() == [True, True, False]


def test_images_left_out_leave_the_project(plate, client, tmp_path):
    project = tmp_path / "project"
    rs.measure_many(plate, labels_pattern="{stem}_mask.tif", project=project, client=client)
    rs.measure_many([plate / "A01.tif"], labels_pattern="{stem}_mask.tif", project=project, client=client)
    opened = rs.Project.open(project)
    assert opened.names == ["A01"] and set(opened.regions["image"]) == {"A01"}
    assert sorted(p.name for p in (project / "regions").iterdir()) == ["A01.parquet"]
    assert sorted(p.name for p in (project / "thumbnails").iterdir()) == ["A01.png"]


# ---------------------------------------------------------------- failures


def test_a_broken_image_is_recorded_and_the_others_are_measured(plate, client, tmp_path):
    data = (plate / "A02.tif").read_bytes()
    (plate / "A02.tif").write_bytes(data[: len(data) // 2])  # truncated
    regions, images = rs.measure_many(
        plate, labels_pattern="{stem}_mask.tif", properties=PROPERTIES, project=tmp_path / "p", client=client, return_images=True
    )
    assert images["status"].tolist() == ["ok", "failed", "ok"]
    error = images.loc[1, "error"]
    assert "A02.tif" in error and "Traceback" not in error and "\n" not in error
    assert set(regions["image"]) == {"A01", "B01"}
    assert pd.isna(images.loc[1, "regions"]) and pd.isna(images.loc[1, "regions_file"])
    project = rs.Project.open(tmp_path / "p")
    assert repr(project).endswith("3 images, 1 failed, 8 regions)")
    with pytest.raises(ProjectError, match="the image 'A02' has no regions: it failed"):
        project.image_regions("A02")
    # Repaired, it is measured on the next run; the others are not.
    tifffile.imwrite(plate / "A02.tif", blobs(1)[0])
    _, images = rs.measure_many(
        plate, labels_pattern="{stem}_mask.tif", properties=PROPERTIES, project=tmp_path / "p", client=client, return_images=True
    )
    assert images["status"].tolist() == ["ok"] * 3 and images["reused"].tolist() == [True, False, True]


def test_an_image_that_breaks_loses_its_old_regions(plate, client, tmp_path):
    project = tmp_path / "p"
    rs.measure_many(plate, labels_pattern="{stem}_mask.tif", project=project, client=client)
    (plate / "B01.tif").write_bytes(b"II*\x00garbage")
    regions = rs.measure_many(plate, labels_pattern="{stem}_mask.tif", project=project, client=client)
    assert "B01" not in set(regions["image"]) and not (project / "regions" / "B01.parquet").exists()
    assert "B01" not in set(rs.Project.open(project).regions["image"])


def test_project_folders_are_checked(tmp_path, plate):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.docx").write_text("precious")
    with pytest.raises(ProjectError, match="busy: a folder that is not empty and not a regionscope project"):
        rs.measure_many(plate, project=tmp_path / "busy")
    with pytest.raises(ProjectError, match="busy: not a regionscope project \\(no project.json\\)"):
        rs.Project.open(tmp_path / "busy")


# --------------------------------------------------------------- annotations


def test_annotations_are_kept_per_image(plate, client, tmp_path):
    rs.measure_many(plate, labels_pattern="{stem}_mask.tif", project=tmp_path / "p", client=client)
    project = rs.Project.open(tmp_path / "p")
    a01, a02 = project.annotation_key("A01"), project.annotation_key("A02")
    assert a01 != a02
    regions = project.regions
    assert 1 in set(regions.loc[regions["image"] == "A01", "label"]) and 1 in set(regions.loc[regions["image"] == "A02", "label"])
    with project.annotations() as store:
        for key in (a01, a02):
            store.define_class(key, "dead", "#d62728")
            store.define_class(key, "alive", "#2ca02c")
        store.assign(a01, [1], "dead")  # label 1 in both images, two different regions
        store.assign(a02, [1, 2], "alive")
        store.exclude(a02, [3])
    with rs.Project.open(tmp_path / "p").annotations() as store:  # from the folder again: saved with the project
        assert store.assignments(a01) == {1: "dead"}
        assert store.assignments(a02) == {1: "alive", 2: "alive"}
        assert store.excluded(a01) == [] and store.excluded(a02) == [3]
        assert store.assignments(project.annotation_key("B01")) == {}
    assert (tmp_path / "p" / "annotations.sqlite3").exists()
    with pytest.raises(ProjectError, match="no image named 'C07'"):
        project.annotation_key("C07")


def test_an_interrupted_run_keeps_the_images_it_finished(plate, client, tmp_path, monkeypatch):
    from regionscope import project as project_module

    def first_then_interrupted(client, tasks, record, bar):
        record(project_module._measure_task(tasks[0]))  # the first image really measured ...
        raise KeyboardInterrupt  # ... then Ctrl-C

    project = tmp_path / "p"
    with monkeypatch.context() as patch:
        patch.setattr(project_module, "_gather", first_then_interrupted)
        with pytest.raises(KeyboardInterrupt):
            rs.measure_many(plate, labels_pattern="{stem}_mask.tif", project=project, client=client)
    assert rs.Project.open(project).names == ["A01"]
    _, images = rs.measure_many(plate, labels_pattern="{stem}_mask.tif", project=project, client=client, return_images=True)
    assert images["reused"].tolist() == [True, False, False]


def test_a_mask_that_looks_like_an_intensity_image_is_warned_about(tmp_path, client):
    rng = np.random.default_rng(0)
    tifffile.imwrite(tmp_path / "cells.tif", rng.integers(0, 1000, (300, 300)).astype(np.uint16))
    (tmp_path / "m.csv").write_text("image,labels\ncells.tif,cells.tif\n")  # the image given as its own mask
    _, images = rs.measure_many(tmp_path / "m.csv", properties=["label", "area"], client=client, return_images=True)
    assert images["status"].tolist() == ["ok"]
    assert images.loc[0, "warning"].startswith("cells.tif looks like an intensity image, not a label image: at its centre its ")


def test_images_are_measured_several_per_task_and_a_failure_stays_one_image(tmp_path):
    from regionscope.project import _batches

    assert [len(b) for b in _batches(list(range(200)), 2)] == [4] * 50
    assert [len(b) for b in _batches(list(range(20)), 1)] == [2] * 10
    assert [len(b) for b in _batches(list(range(3)), 2)] == [1, 1, 1]
    for k in range(16):
        tifffile.imwrite(tmp_path / f"im{k:02d}.tif", blobs(k % 3)[0])
    (tmp_path / "im05.tif").write_bytes(b"II*\x00broken")  # shares its task with im04
    with dask_client(n_workers=1, threads_per_worker=1, processes=False) as one:
        regions, images = rs.measure_many(tmp_path, properties=["label", "area"], client=one, return_images=True)
    assert images["status"].tolist() == ["ok"] * 5 + ["failed"] + ["ok"] * 10
    assert set(regions["image"]) == {f"im{k:02d}" for k in range(16)} - {"im05"}
