"""Fixtures for the browser tests: the app served from a thread, driven in Chromium.

Every test gets a fresh page; when it ends, its screenshot is saved under
``test-artifacts/screenshots/`` and the browser console must hold no errors.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pytest

from regionscope.app.registry import DatasetRegistry
from regionscope.app.server import BackgroundServer, create_app, open_default

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

#: Label values of the synthetic discs: non-sequential on purpose.
DISC_LABELS = (3, 7, 12, 20, 41)
DISC_CENTERS = ((24, 24), (24, 72), (64, 40), (70, 100), (40, 110))
DISC_RADII = (10, 14, 8, 12, 6)
DISC_INTENSITIES = (200, 120, 250, 90, 160)


def discs():
    """The synthetic 2D dataset: five discs of known geometry, labels 3..41.

    Returns
    -------
    image : ndarray of uint8, shape (96, 128)
    labels : ndarray of int32, shape (96, 128)
    """
    from regionscope.samples import blobs_2d

    image, sequential = blobs_2d(centers=DISC_CENTERS, radii=DISC_RADII, intensities=DISC_INTENSITIES)
    lookup = np.array((0, *DISC_LABELS), dtype=np.int32)
    return image, lookup[sequential]


class Served:
    """A running app and what it serves."""

    def __init__(self, server, dataset, registry):
        self.server = server
        self.url = server.url
        self.dataset = dataset
        self.registry = registry


def serve(image=None, labels=None, *, workspace=None, **options):
    """Serve the explorer from a thread; exclusions and classes go to ``workspace`` (default: a new folder)."""
    registry = DatasetRegistry()
    dataset = open_default(registry, image, labels, **options)
    workspace = workspace or tempfile.mkdtemp(prefix="regionscope-test-workspace-")
    server = BackgroundServer(create_app(dataset, registry, workspace=workspace)).start()
    served = Served(server, dataset, registry)
    served.workspace = workspace
    return served


@pytest.fixture(scope="module")
def disc_app():
    """The explorer serving the five-disc dataset (one server per test module)."""
    image, labels = discs()
    served = serve(image, labels, name="discs")
    yield served
    served.server.stop()


@pytest.fixture
def console_errors():
    return []


@pytest.fixture
def new_page(browser, request, console_errors):
    """Open pages in a fresh browser context; screenshot and console check at the end."""
    contexts = []

    def open_page(url, *, context=None, viewport=(1400, 900), ready=None):
        if context is None:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
            contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
        page.on("pageerror", lambda error: console_errors.append(f"page error: {error}"))
        page.goto(url)
        (ready or wait_until_ready)(page)
        return page

    yield open_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    for index, context in enumerate(contexts):
        for number, page in enumerate(context.pages):
            suffix = "" if index == number == 0 else f"-{index}-{number}"
            try:
                page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"))
            except Exception:  # noqa: BLE001 - a screenshot must not hide the test's own failure
                pass
        context.close()
    assert console_errors == [], f"errors in the browser console: {console_errors}"


def park(*pages):
    """Screenshot pages and leave them before their server stops.

    A page left open on a stopped server logs failed callbacks (any relayout or
    hover calls the server), which the console check would report.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for page in pages:
        if page.url.startswith("http"):
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"parked-{page.url}")
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
            page.goto("about:blank")


def wait_until_ready(page, timeout=20_000):
    """Wait until the image, the overlay and the grid rows are on the page."""
    page.wait_for_function(
        """() => {
            const gd = document.querySelector('#rs-graph .js-plotly-plot');
            const rows = document.querySelectorAll('#rs-grid .ag-center-cols-container .ag-row');
            return gd && gd.layout && gd.layout.images && gd.layout.images[0].source.length > 200
                && gd.data && gd.data[0].source && gd.data[0].source.length > 200 && rows.length > 0;
        }""",
        timeout=timeout,
    )
