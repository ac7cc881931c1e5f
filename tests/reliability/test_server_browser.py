"""The server's safety points in a real page (Chromium): the CSP the app works under, a stale tab after a
restart (9.6), labels up to 2**64 - 1 (9.8) and a refused request shown in the page (9.2 / 9.11)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "browser"))
from regionscope.app.registry import DatasetRegistry  # noqa: E402
from regionscope.app.server import BackgroundServer, create_app, open_default  # noqa: E402

import pagetools  # noqa: E402
from server_support import serve, two_boxes  # noqa: E402

pytestmark = pytest.mark.browser

CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture
def open_page(browser):
    contexts, errors = [], []

    def open_(url, *, ready=True):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_init_script(CSP_WATCH)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.goto(url)
        if ready:
            wait_until_ready(page)
        return page

    open_.errors = errors
    yield open_
    for context in contexts:
        context.close()


def wait_until_ready(page, timeout=20_000):
    page.wait_for_function(
        """() => {
            const gd = document.querySelector('#rs-graph .js-plotly-plot');
            const rows = document.querySelectorAll('#rs-grid .ag-center-cols-container .ag-row');
            return gd && gd.layout && gd.layout.images && gd.layout.images[0].source.length > 50
                && gd.data && gd.data[0].source && gd.data[0].source.length > 50 && rows.length > 0;
        }""",
        timeout=timeout,
    )


def test_the_app_works_under_its_content_security_policy(open_page):
    with serve() as served:
        page = open_page(served.url)
        # Hover (clientside decoding of the label map), the feature plot (WebGL), a query (server round trip).
        pagetools.hover_until(page, 10, 12, "label 1")
        page.wait_for_function(
            "() => document.querySelector('#rs-plot .js-plotly-plot') && document.querySelector('#rs-plot .js-plotly-plot').data"
        )
        pagetools.type_query(page, "intensity_mean > 150")
        pagetools.wait_text(page, "#rs-count", "1 of 2 regions shown")
        violations = page.evaluate("() => window.__csp")
        page.goto("about:blank")
    assert violations == []
    assert [e for e in open_page.errors if "Content Security Policy" in e or "Refused" in e] == []
    assert open_page.errors == []


def test_a_refused_request_is_said_in_the_page(open_page):
    with serve() as served:
        page = open_page(served.url)
        page.evaluate(
            "() => { fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: 'x'.repeat(90 * 1024 * 1024)}).catch(() => null); }"
        )
        pagetools.wait_text(page, "#rs-notice", "larger than this server accepts", timeout=30_000)
        page.goto("about:blank")


def _serve_on(port, image, labels, workspace, name):
    registry = DatasetRegistry()
    dataset = open_default(registry, image, labels, name=name)
    app = create_app(dataset, registry, workspace=workspace)
    for _ in range(50):
        try:
            return BackgroundServer(app, port=port).start(), dataset
        except OSError:
            time.sleep(0.2)  # the port of the server just stopped
    raise AssertionError(f"port {port} stayed busy")


def test_a_stale_tab_after_a_restart_says_the_dataset_is_gone_and_writes_nothing(open_page, tmp_path):
    first_image, first_labels = two_boxes(offset=0)
    server, first = _serve_on(0, first_image, first_labels, tmp_path, "first")
    port = server.port
    page = open_page(server.url)
    server.stop()
    # The restarted server holds other data; the tab still holds the first id (sessionStorage).
    second_image, second_labels = two_boxes(offset=7)
    server, second = _serve_on(port, second_image, second_labels, tmp_path, "second")
    try:
        page.reload()
        pagetools.wait_text(page, "#rs-notice", "no longer on the server", timeout=20_000)
        assert page.evaluate("() => JSON.parse(sessionStorage.getItem('rs-dataset')).id") == first.id
        assert page.locator("#rs-grid .ag-center-cols-container .ag-row").count() == 0
        assert "second" not in page.inner_text("#rs-dataset-name")
        page.click("#rs-exclude")
        time.sleep(0.5)
        from regionscope.annotations import AnnotationStore

        store = AnnotationStore(tmp_path)
        assert store.excluded(second.id) == [] and store.excluded(first.id) == []
        store.close()
        # Only on request: the default dataset of this server.
        page.get_by_role("button", name="open the default dataset").click()
        wait_until_ready(page)
        pagetools.wait_text(page, "#rs-dataset-name", "second")
        page.goto("about:blank")
    finally:
        server.stop()
    # The page's own failed requests while the server was down are not the point here.
    open_page.errors.clear()


HUGE = (7, 2**40, 2**40 + 1, 2**63, 2**64 - 1)


def _huge_labels():
    labels = np.zeros((60, 110), dtype=np.uint64)
    centres = []
    for k, value in enumerate(HUGE):
        labels[10:30, 4 + 21 * k : 20 + 21 * k] = value
        centres.append((20, 12 + 21 * k))
    image = np.where(labels > 0, 180, 20).astype(np.uint8)
    return image, labels, centres


def test_labels_up_to_2_64_are_drawn_hovered_clicked_filtered_and_exported(open_page, tmp_path):
    import tifffile

    image, labels, centres = _huge_labels()
    with serve(image, labels, name="huge") as served:
        page = open_page(served.url)
        pagetools.wait_text(page, "#rs-count", "5 of 5 regions shown")
        # Drawn: every region has outline pixels (the audit: one of three).
        assert pagetools.wait_overlay_labels(page, labels, HUGE) == sorted(HUGE)
        for value, (row, col) in zip(HUGE, centres, strict=True):
            pagetools.hover_until(page, row, col, f"label {value}")
            pagetools.click_pixel(page, row, col)
            page.wait_for_function(
                "(want) => { const api = window.dash_ag_grid.getApi('rs-grid'); const s = api && api.getSelectedRows();"
                " return s && s.length === 1 && String(s[0].label) === want; }",
                arg=str(value),
            )
        # Labels >= 2**63 (the last one clicked, 2**64 - 1): the annotation store keeps every uint64 label.
        page.click("#rs-exclude")
        pagetools.wait_text(page, "#rs-count", "4 of 4 regions shown · 1 excluded")
        assert served.annotations.excluded(served.dataset.id) == [2**64 - 1]
        # 2**40 + 1 (the int32 cast lost it before): excluded exactly.
        row, col = centres[2]
        pagetools.click_pixel(page, row, col)
        page.wait_for_function(
            "(want) => { const s = window.dash_ag_grid.getApi('rs-grid').getSelectedRows(); return s.length === 1 && String(s[0].label) === want; }",
            arg=str(2**40 + 1),
        )
        page.click("#rs-exclude")
        pagetools.wait_text(page, "#rs-count", "3 of 3 regions shown · 2 excluded")
        assert served.annotations.excluded(served.dataset.id) == [2**40 + 1, 2**64 - 1]
        kept = [v for v in HUGE if v not in (2**40 + 1, 2**64 - 1)]
        assert pagetools.wait_overlay_labels(page, labels, kept) == sorted(kept)
        # Filter by label in the grid (a text filter on exact decimal strings).
        page.evaluate(
            "() => window.dash_ag_grid.getApi('rs-grid').setFilterModel({label: {filterType: 'text', type: 'equals', filter: '9223372036854775808'}})"
        )
        pagetools.wait_text(page, "#rs-count", "1 of 3 regions shown")
        assert pagetools.wait_overlay_labels(page, labels, [2**63]) == [2**63]
        # Export the shown regions' label image (the default scope): the exact value.
        if not page.locator("#rs-export-labels").is_visible():
            page.locator("summary:has-text('Export')").click()
        with page.expect_download() as download:
            page.click("#rs-export-labels")
        path = tmp_path / "labels.tif"
        download.value.save_as(path)
        exported = tifffile.imread(path)
        assert exported.dtype == np.uint64
        assert sorted(int(v) for v in np.unique(exported) if v) == [2**63]
        page.goto("about:blank")
    assert open_page.errors == []
