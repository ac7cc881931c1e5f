"""Exports from the page, read back and checked; a saved session reopens the same state."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from test_classes import add_class, select_rows

from regionscope.app.server import BackgroundServer, create_app
from regionscope.app.view_picture import LEGEND_WIDTH, legend_scale, view_scale
from regionscope.export import read_session
from regionscope.io import read_labels

from conftest import discs, park, serve
from pagetools import type_query, wait_overlay_labels, wait_text

pytestmark = pytest.mark.browser


def open_export(page):
    if not page.locator("#rs-export-csv").is_visible():
        page.locator("summary:has-text('Export')").click()


def download(page, button, folder):
    with page.expect_download() as info:
        page.locator(button).click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_exports_are_read_back(new_page, tmp_path):
    image, labels = discs()
    served = serve(image, labels, name="discs.png")
    try:
        page = new_page(served.url)
        add_class(page, "good", "#00ff00")
        select_rows(page, [7, 20])
        page.locator("#rs-class-bar .rs-class-button:has-text('good')").click()
        page.wait_for_function("() => dash_ag_grid.getApi('rs-grid').getRowNode('20').data.class === 'good'")
        type_query(page, "label != 3")
        wait_text(page, "#rs-count", "4 of 5 regions shown")
        open_export(page)
        # Shown rows as CSV, with the class column.
        csv = pd.read_csv(download(page, "#rs-export-csv", tmp_path))
        assert sorted(csv.label) == [7, 12, 20, 41]
        assert list(csv.columns[:2]) == ["label", "class"]
        assert csv.set_index("label").loc[[7, 20], "class"].tolist() == ["good", "good"]
        # Selected rows as Parquet.
        page.locator("#rs-export-rows input[value='selected']").check()
        parquet = pd.read_parquet(download(page, "#rs-export-parquet", tmp_path))
        assert sorted(parquet.label) == [7, 20]
        # All regions of class "good" as a label image, original values kept.
        page.locator("#rs-export-rows input[value='all']").check()
        page.locator("#rs-export-class").click()
        page.locator(".dash-dropdown-option", has=page.locator(".dash-options-list-option-text", has_text="good")).first.click()
        page.keyboard.press("Escape")
        written = read_labels(download(page, "#rs-export-labels", tmp_path))
        assert written.shape == labels.shape
        assert sorted(np.unique(written).tolist()) == [0, 7, 20]
        assert np.array_equal(written == 7, labels == 7)
        # The view as PNG: at the image's resolution (enlarged by a whole factor), the colour bar
        # beside it, and only the shown regions (label 3 is filtered out by the query).
        png = download(page, "#rs-export-view", tmp_path)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        picture = np.asarray(Image.open(png).convert("RGB"))
        scale = view_scale(labels.shape)
        assert picture.shape[0] == labels.shape[0] * scale
        assert picture.shape[1] == labels.shape[1] * scale + LEGEND_WIDTH * legend_scale(picture.shape[0])
        strip = picture[:, labels.shape[1] * scale :]
        assert len(np.unique(strip.reshape(-1, 3), axis=0)) > 20, "the colour bar is drawn"
        enlarged = np.repeat(np.repeat(labels, scale, axis=0), scale, axis=1)
        shown_image = picture[:, : labels.shape[1] * scale].astype(int)
        gray = (shown_image.max(axis=2) - shown_image.min(axis=2)) < 3
        assert gray[enlarged == 3].all(), "a filtered-out region has no outline"
        assert not gray[enlarged == 7].all(), "a shown region has its outline"
    finally:
        park(page)
        served.server.stop()


def test_a_saved_session_reopens_the_same_state(new_page, tmp_path):
    image, labels = discs()
    served = serve(image, labels, name="discs.png")
    try:
        page = new_page(served.url)
        add_class(page, "debris", "#ff0000")
        select_rows(page, [41])
        page.locator("#rs-class-bar .rs-class-button:has-text('debris')").click()
        page.wait_for_function("() => dash_ag_grid.getApi('rs-grid').getRowNode('41').data.class === 'debris'")
        page.evaluate("() => dash_ag_grid.getApi('rs-grid').deselectAll()")
        select_rows(page, [3])
        page.locator("#rs-exclude").click()
        wait_text(page, "#rs-count", "1 excluded")
        type_query(page, "area > 150")
        wait_text(page, "#rs-count", "3 of 4 regions shown")
        open_export(page)
        session_file = download(page, "#rs-export-session", tmp_path)
    finally:
        park(page)
        served.server.stop()
    session = read_session(session_file)
    assert session["excluded"] == [3]
    assert session["assignments"] == {"41": "debris"}
    assert session["filters"]["query"] == "area > 150"
    # A new server on a new workspace, started with the session.
    from regionscope.app.registry import DatasetRegistry
    from regionscope.app.server import open_default

    registry = DatasetRegistry()
    dataset = open_default(registry, image, labels, name="discs.png")
    app = create_app(dataset, registry, workspace=tmp_path / "fresh-workspace", session=session)
    with BackgroundServer(app) as server:
        reopened = new_page(server.url)
        wait_text(reopened, "#rs-count", "3 of 4 regions shown · 1 excluded")
        assert reopened.locator("#rs-query").input_value() == "area > 150"
        assert reopened.evaluate("() => dash_ag_grid.getApi('rs-grid').getRowNode('41').data.class") == "debris"
        expected = sorted(int(v) for v in dataset.table.query("area > 150 and label != 3").label)
        assert wait_overlay_labels(reopened, labels, expected) == expected
        park(reopened)
    assert json.loads(session_file.read_text())["regionscope_session"] == 1
