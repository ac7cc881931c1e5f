"""The store of prepared data: label pyramids keep label identity; entries are reused or rebuilt."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import tifffile
import zarr

from regionscope import store as store_module
from regionscope.chunked import dask_client
from regionscope.measurement import measure
from regionscope.sources import open_source
from regionscope.store import StoreError, downsample_labels, prepare


@pytest.fixture(scope="module")
def client():
    with dask_client(n_workers=1, threads_per_worker=2, processes=False) as client:
        yield client


def test_mode_downsampling_by_hand():
    labels = np.array(
        [
            [1, 1, 2, 0, 5],
            [1, 3, 2, 2, 5],
            [0, 0, 4, 0, 6],
        ]
    )
    # Blocks: [[1,1],[1,3]] -> 1; [[2,0],[2,2]] -> 2; [[5],[5]] padded -> 5;
    # [[0,0]] padded [[0,0],[0,0]] -> 0; [[4,0]] padded -> tie 4/0, first -> 4; [[6]] -> 6.
    assert downsample_labels(labels, "mode").tolist() == [[1, 2, 5], [0, 4, 6]]
    assert downsample_labels(labels, "nearest").tolist() == [[1, 2, 5], [0, 4, 6]]
    with pytest.raises(StoreError, match="unknown label downsampling"):
        downsample_labels(labels, "mean")


@pytest.mark.parametrize("method", ["mode", "nearest"])
def test_pyramids_never_invent_labels(method):
    rng = np.random.default_rng(3)
    labels = rng.choice(np.array([0, 7, 11, 2**40 + 1, 2**40 + 9], dtype=np.uint64), size=(2, 53, 37))
    present = set(np.unique(labels).tolist())
    level = labels
    while level.shape[-1] > 1:
        level = downsample_labels(level, method)
        assert set(np.unique(level).tolist()) <= present
        assert level.dtype == labels.dtype


@pytest.fixture
def slide(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "SMALLEST_LEVEL", 32)  # a few levels on a tiny image
    rng = np.random.default_rng(0)
    labels = np.zeros((150, 130), dtype=np.uint32)
    for k in range(40):
        r, c = rng.integers(0, 140, 2)
        labels[r : r + rng.integers(3, 12), c : c + rng.integers(3, 12)] = 1000 + 13 * k
    image = rng.integers(0, 4000, labels.shape).astype(np.uint16)
    tifffile.imwrite(tmp_path / "image.tif", image, tile=(32, 32), metadata={"axes": "YX"})
    tifffile.imwrite(tmp_path / "labels.tif", labels, tile=(32, 32))
    return tmp_path, image, labels


def test_prepare_writes_ome_zarr_pyramids_and_parquet(slide, client):
    folder, image, labels = slide
    entry = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client, chunks=64)
    assert not entry.reused
    pd.testing.assert_frame_equal(entry.read_table(), measure(image, labels), check_exact=False, rtol=1e-9)
    image_levels = open_source(entry.image_zarr)
    label_levels = open_source(entry.labels_zarr)
    assert image_levels.levels == [(150, 130), (75, 65), (38, 33), (19, 17)]
    assert label_levels.levels == image_levels.levels
    np.testing.assert_array_equal(image_levels.read(None), image)
    np.testing.assert_array_equal(label_levels.read(None), labels)
    present = set(np.unique(labels).tolist())
    finer = labels
    for level in range(1, len(label_levels.levels)):
        coarse = label_levels.read(None, level)
        assert set(np.unique(coarse).tolist()) <= present
        np.testing.assert_array_equal(coarse, downsample_labels(finer, "mode"))
        finer = coarse
    assert image_levels.read(None, 1)[0, 0] == round(image[:2, :2].mean())
    group = zarr.open_group(str(entry.labels_zarr), mode="r")
    assert group.attrs["image-label"]["method"] == "mode"
    manifest = json.loads((entry.folder / "manifest.json").read_text())
    assert manifest["regions"] == len(np.unique(labels)) - 1 and manifest["complete"]


def test_prepare_reuses_unchanged_inputs_and_rebuilds_changed_ones(slide, client):
    folder, image, labels = slide
    first = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client, chunks=64)
    again = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client, chunks=64)
    assert again.reused and again.folder == first.folder
    changed = labels.copy()
    changed[:5, :5] = 99  # a new region in the first tile, which the identity always samples
    tifffile.imwrite(folder / "labels.tif", changed, tile=(32, 32))
    rebuilt = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client, chunks=64)
    assert not rebuilt.reused and rebuilt.folder == first.folder
    assert 99 in rebuilt.read_table()["label"].tolist()
    other = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", properties=["label", "area"], client=client)
    assert not other.reused and list(other.read_table().columns) == ["label", "area"]


def test_one_store_holds_many_images(slide, client):
    folder, image, labels = slide
    tifffile.imwrite(folder / "image2.tif", image[:, ::-1].copy())
    tifffile.imwrite(folder / "labels2.tif", labels[:, ::-1].copy())
    a = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client)
    b = prepare(folder / "store", folder / "image2.tif", folder / "labels2.tif", client=client)
    assert a.folder != b.folder
    assert sorted(p.name for p in (folder / "store" / "images").iterdir()) == sorted([a.folder.name, b.folder.name])
    assert prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client).reused


# ------------------------------------------------ regionscope measure --store


def run_cli(argv, capsys):
    """``regionscope argv`` in-process: (exit code, stdout, stderr)."""
    from regionscope.cli import main

    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:  # argparse: usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.setenv("REGIONSCOPE_PROGRESS", "0")  # exact stderr: no bar, whatever the terminal


def test_measure_store_writes_the_table_and_the_pyramids(slide, client, capsys, quiet):
    folder, image, labels = slide
    out = folder / "filtered.csv"
    code, stdout, stderr = run_cli(
        [
            "measure",
            folder / "image.tif",
            "--labels",
            folder / "labels.tif",
            "--store",
            folder / "store",
            "--scheduler",
            client.scheduler.address,
            "--chunks",
            "64",
            "--filter",
            "{area} > 40",
            "-o",
            out,
        ],
        capsys,
    )
    assert code == 0, stderr
    assert stdout == ""  # the table is in the store (and in -o), not printed
    (entry,) = (folder / "store" / "images").iterdir()
    n_regions = len(np.unique(labels)) - 1
    expected = measure(image, labels)
    filtered = expected[expected["area"] > 40]
    first, second = stderr.splitlines()
    assert re.fullmatch(
        rf"{n_regions} regions and image and label pyramids of 4 levels written to {re.escape(str(entry))} \(\d+\.\d s\)", first
    ), first
    assert second == f"{len(filtered)} regions written to {out}"

    # The store holds every region, --filter applies to -o only.
    pd.testing.assert_frame_equal(pd.read_parquet(entry / "regions.parquet"), expected, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(
        pd.read_csv(out), filtered.reset_index(drop=True), check_exact=False, rtol=1e-9, check_dtype=False
    )
    root = zarr.open_group(str(entry / "image.zarr"), mode="r")
    shapes = [(150, 130), (75, 65), (38, 33), (19, 17)]
    assert [d["path"] for d in root.attrs["multiscales"][0]["datasets"]] == ["0", "1", "2", "3"]
    assert [root[str(i)].shape for i in range(4)] == shapes
    label_group = root["labels"]["labels"]
    assert [label_group[str(i)].shape for i in range(4)] == shapes
    np.testing.assert_array_equal(root["0"][:], image)
    np.testing.assert_array_equal(label_group["0"][:], labels)
    np.testing.assert_array_equal(label_group["1"][:], downsample_labels(labels, "mode"))
    assert root["1"][0, 0] == round(image[:2, :2].mean())


def test_measure_store_reuses_unchanged_inputs_without_computing(slide, client, capsys, quiet, monkeypatch):
    folder, image, labels = slide
    argv = [
        "measure",
        folder / "image.tif",
        "--labels",
        folder / "labels.tif",
        "--store",
        folder / "store",
        "--properties",
        "label,area",
    ]
    from regionscope import chunked

    # The local cluster's options reach dask_client; the work runs on the test's cluster (faster to start).
    asked = []
    real_dask_client = chunked.dask_client

    def on_the_test_cluster(scheduler=None, **options):
        asked.append((scheduler, options))
        return real_dask_client(client.scheduler.address)

    with monkeypatch.context() as patched:
        patched.setattr(chunked, "dask_client", on_the_test_cluster)
        code, _, stderr = run_cli([*argv, "--workers", "1", "--memory-limit", "1GB", "--chunks", "64"], capsys)
    assert code == 0, stderr
    assert asked == [(None, {"n_workers": 1, "memory_limit": "1GB"})]
    (entry,) = (folder / "store" / "images").iterdir()
    written = (entry / "manifest.json").read_text()

    def must_not_run(*args, **kwargs):
        raise AssertionError("an unchanged store entry was computed again")

    with monkeypatch.context() as patched:
        patched.setattr(store_module, "_build", must_not_run)
        patched.setattr(chunked, "dask_client", must_not_run)  # not even a cluster is started
        code, stdout, stderr = run_cli([*argv, "--workers", "1", "-o", folder / "again.parquet"], capsys)
    assert code == 0, stderr
    assert stderr.splitlines() == [
        f"{entry} reused: the image and labels are unchanged since it was written ({len(np.unique(labels)) - 1} "
        "regions); nothing was recomputed",
        f"{len(np.unique(labels)) - 1} regions written to {folder / 'again.parquet'}",
    ]
    assert (entry / "manifest.json").read_text() == written
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "again.parquet"), measure(image, labels, ["label", "area"]))

    changed = labels.copy()
    changed[:5, :5] = 99  # in the first tile, which the identity always samples
    tifffile.imwrite(folder / "labels.tif", changed, tile=(32, 32))
    code, _, stderr = run_cli([*argv, "--scheduler", client.scheduler.address], capsys)
    assert code == 0 and " written to " in stderr, stderr
    assert 99 in pd.read_parquet(entry / "regions.parquet")["label"].tolist()


def test_measure_store_shows_its_stages(slide, client, capsys, monkeypatch):
    folder, _, _ = slide
    monkeypatch.setenv("REGIONSCOPE_PROGRESS", "1")
    code, _, stderr = run_cli(
        [
            "measure",
            folder / "image.tif",
            "--labels",
            folder / "labels.tif",
            "--store",
            folder / "store",
            "--scheduler",
            client.scheduler.address,
            "-o",
            folder / "t.csv",
        ],
        capsys,
    )
    assert code == 0
    for step in (
        "checking the store",
        "measuring regions",
        "writing the image pyramid",
        "writing the label pyramid",
        "writing t.csv",
    ):
        assert f"regionscope: {step} (" in stderr, stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--export-labels", "x.tif"], "--export-labels cannot be combined with --store"),
        (["--pixel-size", "0.5"], "--pixel-size cannot be combined with --store"),
        (["--chunks", "0"], "--chunks must be a positive number of pixels, not '0'"),
    ],
    ids=["export-labels", "pixel-size", "chunks"],
)
def test_measure_store_usage_errors_exit_2_before_any_work(slide, capsys, extra, message):
    folder, _, _ = slide
    argv = ["measure", folder / "image.tif", "--labels", folder / "labels.tif", "--store", folder / "store", *extra]
    code, out, err = run_cli(argv, capsys)
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err
    assert not (folder / "store").exists()


def test_measure_store_bad_input_is_one_line(slide, capsys, quiet):
    folder, _, _ = slide
    tifffile.imwrite(folder / "small.tif", np.ones((10, 10), np.uint8))
    (folder / "a_file").write_text("not a folder")
    code, out, err = run_cli(
        ["measure", folder / "image.tif", "--labels", folder / "small.tif", "--store", folder / "store"], capsys
    )
    assert (code, out) == (1, "")
    assert err == (
        f"regionscope: error: {folder / 'small.tif'}: the labels (shape (10, 10)) do not fit the image "
        f"{folder / 'image.tif'} (spatial shape (150, 130)); the labels must be made from this image\n"
    )
    assert not (folder / "store").exists()
    code, out, err = run_cli(
        ["measure", folder / "image.tif", "--labels", folder / "labels.tif", "--store", folder / "a_file"], capsys
    )
    assert (code, out) == (1, "")
    assert err == (
        f"regionscope: error: {folder / 'a_file'}: cannot create the store's folders there (Not a directory); "
        "give a folder that can be created and written\n"
    )


# --- view from the store -------------------------------------------------------------------


def test_a_store_entry_opens_as_a_dataset_without_measuring_again(slide, client, monkeypatch):
    pytest.importorskip("dash")
    from regionscope.app.registry import DatasetRegistry
    from regionscope.app.server import open_from_store

    folder, image, labels = slide
    entry = prepare(folder / "store", folder / "image.tif", folder / "labels.tif", client=client, chunks=64)
    dataset = DatasetRegistry().open_prepared(entry, name="image.tif")
    assert dataset.name == "image.tif" and dataset.labels_given
    np.testing.assert_array_equal(dataset.image.data, image)
    np.testing.assert_array_equal(dataset.labels, labels)
    pd.testing.assert_frame_equal(dataset.table, measure(image, labels), check_exact=False, rtol=1e-9)
    assert not dataset.labels.flags.writeable and not dataset.image.data.flags.writeable

    # `regionscope view --store` the second time: the entry is reused, nothing is measured or hashed again.
    def never(*args, **kwargs):
        raise AssertionError("measured again")

    monkeypatch.setattr("regionscope.chunked.measure_chunked", never)
    again = open_from_store(DatasetRegistry(), folder / "store", folder / "image.tif", folder / "labels.tif")
    assert again.id == dataset.id
    pd.testing.assert_frame_equal(again.table, dataset.table)
