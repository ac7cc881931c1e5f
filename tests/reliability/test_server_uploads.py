"""Issue 9.3: uploads live in one bounded folder, deleted with their dataset, at once on failure and at exit;
exports leave nothing behind. Every test counts files."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regionscope.app.registry import DatasetGoneError, DatasetRegistry  # noqa: E402
from regionscope.app.uploads import UploadFolder  # noqa: E402

from server_support import REPO, png_bytes, serve, show_dataset, two_boxes, upload_image  # noqa: E402


def files_in(folder):
    folder = Path(folder)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_failed_upload_is_deleted_at_once():
    with serve() as served:
        reply = upload_image(served.client(), b"this is not a PNG at all", "cells.png")
        assert reply.status == 200
        assert "Could not open the image" in reply.text
        assert files_in(served.uploads.path) == []


def test_an_upload_is_kept_while_its_dataset_is_known_and_deleted_with_it():
    with serve() as served:
        client = served.client()
        upload_image(client, png_bytes(two_boxes(offset=2)[0]))
        assert len(files_in(served.uploads.path)) == 1
        dataset_id = next(i for i in served.registry._recipes if i != served.dataset.id)
        served.registry.forget(dataset_id)
        assert files_in(served.uploads.path) == []
        assert "no longer on the server" in show_dataset(client, dataset_id).text


def test_the_upload_folder_is_bounded_and_forgets_the_oldest_upload(tmp_path):
    payloads = [png_bytes(two_boxes(offset=k)[0]) for k in range(1, 6)]
    cap = int(max(map(len, payloads)) * 2.5)  # room for two uploads
    with serve(upload_folder=UploadFolder(tmp_path / "uploads", max_bytes=cap)) as served:
        client = served.client()
        for payload in payloads:
            assert "Opened" in upload_image(client, payload).text
            assert served.uploads.used_bytes() <= cap
            assert len(files_in(served.uploads.path)) <= 2
        assert len(files_in(served.uploads.path)) == 2
        # The datasets whose uploads were deleted are gone, honestly.
        uploaded = [i for i in served.registry._recipes if i != served.dataset.id]
        assert len(uploaded) == 2
        assert served.registry.stats["forgotten"] == 3


def test_one_upload_larger_than_the_folder_is_refused_with_a_message(tmp_path):
    with serve(upload_folder=UploadFolder(tmp_path / "uploads", max_bytes=100)) as served:
        reply = upload_image(served.client(), png_bytes(two_boxes()[0]))
        assert "more than this server keeps for uploads" in reply.text
        assert files_in(served.uploads.path) == []


def test_uploads_are_deleted_when_the_server_stops():
    served = serve()
    upload_image(served.client(), png_bytes(two_boxes(offset=4)[0]))
    folder = served.uploads.path
    assert len(files_in(folder)) == 1
    served.stop()
    assert not folder.exists()


def test_uploads_are_deleted_when_the_process_exits(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
        from server_support import png_bytes, serve, two_boxes, upload_image
        served = serve(workspace={str(tmp_path)!r})
        upload_image(served.client(), png_bytes(two_boxes(offset=5)[0]))
        print(served.uploads.path, flush=True)
        # exits without stopping anything: atexit cleans up
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    folder = Path(result.stdout.strip().splitlines()[-1])
    assert folder.name.startswith("regionscope-uploads-")
    assert not folder.exists()


def test_forgetting_a_dataset_forgets_those_built_on_it(tmp_path):
    deleted = []
    registry = DatasetRegistry(on_forget=lambda recipe: deleted.extend(recipe.files))
    image, labels = two_boxes()
    from PIL import Image

    Image.fromarray(image).save(tmp_path / "i.png")
    Image.fromarray(labels.astype(np.uint8)).save(tmp_path / "m.png")
    base = registry.open_files(tmp_path / "i.png", uploaded=[tmp_path / "i.png"])
    derived = registry.open_derived(base.id, labels_path=tmp_path / "m.png", uploaded=[tmp_path / "m.png"])
    registry.forget(base.id)
    assert sorted(p.name for p in deleted) == ["i.png", "m.png"]
    with pytest.raises(DatasetGoneError):
        registry.get(derived.id)


# --- exports ------------------------------------------------------------------


def _export(client, button, rows="all"):
    dependency = client.callback_with_input("rs-download.data", f"{button}.n_clicks")
    values = {
        f"{button}.n_clicks": 1,
        "rs-export-rows.value": rows,
        "rs-export-class.value": "",
        "rs-scope.data": {"visible": [1, 2], "selected": [2]},
        "rs-dataset.data": None,
        "rs-query.value": "",
        "rs-grid.filterModel": {},
        "rs-gates.data": {},
    }
    return client.call(dependency, values, f"{button}.n_clicks")


@pytest.mark.parametrize("button", ["rs-export-csv", "rs-export-parquet", "rs-export-labels", "rs-export-session"])
def test_exports_leave_no_temporary_folder(button, monkeypatch, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with serve() as served:
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        reply = _export(served.client(), button)
        assert reply.status == 200
        assert '"filename"' in reply.text  # a download was sent
        assert files_in(scratch) == []
