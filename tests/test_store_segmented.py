"""`regionscope measure IMAGE --store DIR` without --labels: segmented chunk by chunk into the store, reused by settings."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import tifffile

pytest.importorskip("dask_image")

from skimage.filters import threshold_otsu  # noqa: E402

from regionscope import store as store_module  # noqa: E402
from regionscope.chunked import dask_client  # noqa: E402
from regionscope.cli import main  # noqa: E402
from regionscope.dataset import dataset_from_store  # noqa: E402
from regionscope.segmentation import segment  # noqa: E402
from regionscope.store import SEGMENTED, open_entry, prepare, store_key  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with dask_client(n_workers=1, threads_per_worker=2, processes=False) as client:
        yield client


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.setenv("REGIONSCOPE_PROGRESS", "0")


@pytest.fixture
def blobs(tmp_path, monkeypatch):
    """256² bright rectangles on a noisy background, many across the 64-pixel chunk borders (and corners)."""
    monkeypatch.setattr(store_module, "SMALLEST_LEVEL", 64)  # levels 256, 128, 64
    rng = np.random.default_rng(11)
    image = rng.integers(0, 40, (256, 256)).astype(np.uint8)
    for _ in range(60):
        r, c = rng.integers(0, 246, 2)
        h, w = rng.integers(4, 14, 2)
        image[r : r + h, c : c + w] = rng.integers(150, 255)
    for border in (64, 128, 192):
        image[border - 6 : border + 5, border - 4 : border + 7] = 230  # on a chunk corner: four chunks
        image[border + 20 : border + 24, border - 30 : border + 30] = 200  # a bar across a vertical border
        image[border - 30 : border + 30, border + 30 : border + 33] = 210  # and one across a horizontal border
    tifffile.imwrite(tmp_path / "blobs.tif", image, tile=(32, 32), metadata={"axes": "YX"})
    return tmp_path, image


def run_cli(argv, capsys):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def regions_as_multiset(table):
    """The table without its label column, rows in an order that does not depend on label numbers."""
    keys = ["bbox-0", "bbox-1", "bbox-2", "bbox-3", "area"]
    return table.drop(columns="label").sort_values(keys, kind="stable").reset_index(drop=True)


def same_regions(a, b):
    """Whether two label images hold the same regions (the numbering may differ)."""
    if not np.array_equal(a > 0, b > 0):
        return False
    pairs = np.unique(np.stack([a[a > 0], b[b > 0]]), axis=1)
    return pairs.shape[1] == len(np.unique(a[a > 0])) == len(np.unique(b[b > 0]))


def test_measure_store_without_labels_segments_chunk_by_chunk_as_in_memory(blobs, client, capsys, quiet):
    folder, image = blobs
    options = ["--min-size", "20"]
    code, _, stderr = run_cli(["measure", folder / "blobs.tif", *options, "-o", folder / "memory.parquet"], capsys)
    assert code == 0, stderr
    in_memory = pd.read_parquet(folder / "memory.parquet")
    argv = ["measure", folder / "blobs.tif", *options, "--store", folder / "store", "--chunks", "64"]
    code, stdout, stderr = run_cli([*argv, "--scheduler", client.scheduler.address], capsys)
    assert code == 0, stderr
    assert stdout == ""
    entry = folder / "store" / "images" / store_key(folder / "blobs.tif", SEGMENTED)
    assert [p.name for p in (folder / "store" / "images").iterdir()] == [entry.name]
    assert re.fullmatch(
        rf"{len(in_memory)} regions segmented and image and label pyramids of 3 levels written to "
        rf"{re.escape(str(entry))} \(\d+\.\d s\)\n",
        stderr,
    ), stderr

    # The same regions as `regionscope measure IMAGE` in memory; only the label numbers may differ.
    stored = pd.read_parquet(entry / "regions.parquet")
    assert len(stored) == len(in_memory) > 40
    assert sorted(stored["label"]) == list(range(1, len(stored) + 1))
    pd.testing.assert_frame_equal(
        regions_as_multiset(stored), regions_as_multiset(in_memory), check_exact=False, rtol=1e-9, check_dtype=False
    )
    # Several regions cross the 64-pixel chunk borders, each still one region.
    crossing = (stored["bbox-0"] // 64 != (stored["bbox-2"] - 1) // 64) | (stored["bbox-1"] // 64 != (stored["bbox-3"] - 1) // 64)
    assert crossing.sum() >= 6

    manifest = json.loads((entry / "manifest.json").read_text())
    assert manifest["labels"] == {
        "segmented": {
            "method": "otsu",
            "objects": "bright",
            "min_size": 20,
            "fill_holes": False,
            "clear_border": False,
            "split_touching": False,
            "channel": None,
        }
    }
    assert manifest["segmentation"] == {"regions": len(stored), "threshold": float(threshold_otsu(image)), "sample_step": 1}

    # Opened as `view --store` opens it: the table equals, the labels are the in-memory segmentation's regions.
    dataset = dataset_from_store(open_entry(entry))
    pd.testing.assert_frame_equal(dataset.table, stored.sort_values("label").reset_index(drop=True))
    np.testing.assert_array_equal(dataset.image.data, image)
    assert same_regions(dataset.labels, segment(image, min_size=20))


def test_a_segmented_entry_is_reused_with_the_same_settings_and_rebuilt_with_others(blobs, client, capsys, quiet, monkeypatch):
    folder, image = blobs
    # 4 chunks, not 16: dask-image's labelling graph grows fast with the chunk count (20 s a build at 64).
    argv = ["measure", folder / "blobs.tif", "--store", folder / "store", "--chunks", "128", "--properties", "label,area"]
    argv += ["--scheduler", client.scheduler.address]
    code, _, stderr = run_cli([*argv, "--min-size", "20"], capsys)
    assert code == 0, stderr
    (entry,) = (folder / "store" / "images").iterdir()
    written = (entry / "manifest.json").read_text()
    n_regions = json.loads(written)["regions"]

    def must_not_run(*args, **kwargs):
        raise AssertionError("an unchanged store entry was computed again")

    with monkeypatch.context() as patched:
        patched.setattr(store_module, "_build", must_not_run)
        code, _, stderr = run_cli([*argv, "--min-size", "20"], capsys)
    assert code == 0, stderr
    assert stderr == (
        f"{entry} reused: the image and the segmentation settings are unchanged since it was written "
        f"({n_regions} regions); nothing was recomputed\n"
    )
    assert (entry / "manifest.json").read_text() == written

    # Another minimum size: the same entry, rebuilt, with the regions segment() keeps.
    code, _, stderr = run_cli([*argv, "--min-size", "150"], capsys)
    assert code == 0 and " written to " in stderr, stderr
    assert [p.name for p in (folder / "store" / "images").iterdir()] == [entry.name]
    rebuilt = json.loads((entry / "manifest.json").read_text())
    assert rebuilt["labels"]["segmented"]["min_size"] == 150
    expected = segment(image, min_size=150)
    assert rebuilt["regions"] == expected.max() < n_regions
    assert sorted(pd.read_parquet(entry / "regions.parquet")["area"]) == sorted(np.bincount(expected.ravel())[1:])

    # Dark objects: rebuilt again (the background's noise, minus the specks).
    code, _, stderr = run_cli([*argv, "--min-size", "150", "--dark-objects"], capsys)
    assert code == 0, stderr
    assert json.loads((entry / "manifest.json").read_text())["labels"]["segmented"]["objects"] == "dark"
    assert json.loads((entry / "manifest.json").read_text())["regions"] == segment(image, min_size=150, objects="dark").max()

    # A labels entry of the same image is another entry.
    tifffile.imwrite(folder / "mask.tif", expected.astype(np.uint16))
    prepare(folder / "store", folder / "blobs.tif", folder / "mask.tif", client=client, properties=["label", "area"])
    assert len(list((folder / "store" / "images").iterdir())) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fill-holes"], "--fill-holes cannot be combined with --store without --labels"),
        (["--threshold", "local", "--split-touching"], "--threshold local, --split-touching cannot be combined with --store"),
    ],
    ids=["fill-holes", "local-split"],
)
def test_options_the_chunked_segmentation_cannot_do_are_usage_errors(blobs, capsys, extra, message):
    folder, _ = blobs
    code, out, err = run_cli(["measure", folder / "blobs.tif", "--store", folder / "store", *extra], capsys)
    assert (code, out) == (2, "")
    assert message in err and "give the label image (--labels MASK)" in err and "Traceback" not in err
    assert not (folder / "store").exists()


def test_prepare_refuses_what_cannot_be_segmented_chunk_by_chunk_naming_the_image(blobs, client):
    folder, _ = blobs
    from regionscope.segmentation import SegmentationError

    with pytest.raises(SegmentationError, match=r"blobs\.tif: filling holes cannot be done chunk by chunk"):
        prepare(folder / "store", folder / "blobs.tif", segmentation={"fill_holes": True}, client=client)
    with pytest.raises(SegmentationError, match=r"blobs\.tif: channel 'green' does not exist"):
        prepare(folder / "store", folder / "blobs.tif", segmentation={"channel": "green"}, client=client)
    assert not (folder / "store" / "images").exists()


def test_view_store_without_labels_opens_the_segmented_entry_and_reuses_it(blobs, client, capsys, monkeypatch):
    pytest.importorskip("dash")
    from regionscope import chunked
    from regionscope.app.registry import DatasetRegistry
    from regionscope.app.server import open_from_store

    folder, image = blobs
    real_dask_client = chunked.dask_client
    monkeypatch.setattr(chunked, "dask_client", lambda scheduler=None, **options: real_dask_client(client.scheduler.address))
    segmentation = {"method": "otsu", "min_size": 20}
    dataset = open_from_store(DatasetRegistry(), folder / "store", folder / "blobs.tif", None, segmentation=segmentation)
    assert same_regions(dataset.labels, segment(image, min_size=20))
    capsys.readouterr()
    again = open_from_store(DatasetRegistry(), folder / "store", folder / "blobs.tif", None, segmentation=segmentation)
    assert again.id == dataset.id
    assert "reused: the image and the segmentation settings are unchanged" in capsys.readouterr().err


# --- view IMAGE of a large image: the workspace's store ------------------------------------------


def view_args(*argv):
    from regionscope.cli import build_parser

    return build_parser().parse_args(["view", *map(str, argv)])


def test_view_of_a_large_image_prepares_it_into_the_workspace_store(blobs, capsys, monkeypatch):
    from regionscope import cli

    folder, _ = blobs
    workspace = folder / "ws"
    monkeypatch.setenv("REGIONSCOPE_AUTO_STORE_PIXELS", str(256 * 256 - 1))
    assert cli.automatic_store(view_args(folder / "blobs.tif", "--workspace", workspace)) == workspace / "store"
    assert capsys.readouterr().err == (
        f"regionscope: {folder / 'blobs.tif'} has 65,536 pixels: preparing it into the store {workspace / 'store'} "
        "(reused while unchanged) instead of reading it whole\n"
    )
    # At the threshold, and for files read whole anyway (PNG), nothing changes.
    monkeypatch.setenv("REGIONSCOPE_AUTO_STORE_PIXELS", str(256 * 256))
    assert cli.automatic_store(view_args(folder / "blobs.tif", "--workspace", workspace)) is None
    monkeypatch.setenv("REGIONSCOPE_AUTO_STORE_PIXELS", "1")
    (folder / "blobs.png").write_bytes(b"not read")
    assert cli.automatic_store(view_args(folder / "blobs.png")) is None
    # Options a store cannot take: read whole, with a warning.
    assert cli.automatic_store(view_args(folder / "blobs.tif", "--fill-holes")) is None
    assert "read whole: --fill-holes cannot be used with a store" in capsys.readouterr().err

    # `regionscope view IMAGE` hands the store to the server (which prepares it, as tested above).
    pytest.importorskip("dash")
    served = {}
    monkeypatch.setattr("regionscope.app.server.serve_files", lambda *args, **kwargs: served.update(kwargs))
    monkeypatch.setattr(cli, "check_port_free", lambda host, port: None)
    assert cli.main(["view", str(folder / "blobs.tif"), "--workspace", str(workspace)]) == 0
    assert served["store"] == workspace / "store"
    monkeypatch.setenv("REGIONSCOPE_AUTO_STORE_PIXELS", "bad")
    assert cli.main(["view", str(folder / "blobs.tif")]) == 1
    assert "$REGIONSCOPE_AUTO_STORE_PIXELS must be a number of pixels, not 'bad'" in capsys.readouterr().err
