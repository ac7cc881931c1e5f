"""Shared helpers of the server reliability tests (``test_server_*.py``): a served app and HTTP calls.

Servers listen on 127.0.0.1 only (waitress from a thread, as in production)
and are stopped by the test that started them.
"""

from __future__ import annotations

import base64
import io
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.dash_client import DashClient, response_values, text_of  # noqa: E402
from regionscope.app.registry import DatasetRegistry  # noqa: E402
from regionscope.app.server import BackgroundServer, create_app, open_default  # noqa: E402

__all__ = ["DashClient", "response_values", "text_of", "Served", "serve", "png_bytes", "data_url", "two_boxes", "rss_bytes"]


def two_boxes(offset=0, side=40):
    """A uint8 image with two bright boxes (segmentation finds 2 regions) and its labels."""
    image = np.zeros((side, side + 10), dtype=np.uint8)
    labels = np.zeros(image.shape, dtype=np.int32)
    image[5:15, 5 + offset : 20 + offset] = 200
    labels[5:15, 5 + offset : 20 + offset] = 1
    image[25:35, 30:45] = 120
    labels[25:35, 30:45] = 2
    return image, labels


def png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(payload, mime="image/png"):
    return f"data:{mime};base64," + base64.b64encode(payload).decode("ascii")


class Served:
    """A running app: its server, registry, default dataset, upload folder and annotations."""

    def __init__(self, server, app, registry, dataset, workspace):
        self.server = server
        self.app = app
        self.registry = registry
        self.dataset = dataset
        self.workspace = workspace
        self.url = server.url
        parts = app.server.extensions["regionscope"]
        self.uploads = parts["uploads"]
        self.annotations = parts["annotations"]

    def client(self, **options):
        return DashClient(self.url, **options)

    def stop(self):
        self.server.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def serve(
    image=None, labels=None, *, access=None, workspace=None, server="waitress", registry=None, name="boxes", **create_options
):
    """Serve the explorer on 127.0.0.1 from a thread (two boxes by default)."""
    if image is None:
        image, labels = two_boxes()
    registry = registry or DatasetRegistry()
    dataset = open_default(registry, image, labels, name=name)
    workspace = workspace or tempfile.mkdtemp(prefix="regionscope-test-workspace-")
    app = create_app(dataset, registry, workspace=workspace, access=access, **create_options)
    background = BackgroundServer(app, server=server).start()
    return Served(background, app, registry, dataset, workspace)


def upload_image(client, payload, filename="cells.png"):
    """Post the image-upload callback as the page does; its reply."""
    dependency = client.callback_with_input("rs-dataset.data", "rs-upload-image.contents")
    return client.call(
        dependency,
        {
            "rs-upload-image.contents": data_url(payload),
            "rs-upload-image.filename": filename,
            "rs-method.value": "otsu",
            "rs-objects.value": "bright",
            "rs-min-size.value": 0,
            "rs-fill-holes.value": [],
        },
        "rs-upload-image.contents",
    )


def show_dataset(client, dataset_id):
    """Post the callback that fills the page for a dataset id; its reply."""
    dependency = client.callback_of("rs-grid.rowData")
    return client.call(dependency, {"rs-dataset.data": {"id": dataset_id}}, "rs-dataset.data")


def notice_text(reply):
    return text_of(response_values(reply).get("rs-notice.children"))


def rss_bytes():
    """This process's resident memory (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
