"""A project in the explorer: the gallery opens images, counts follow the query, classes reach the summary."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import park
from pagetools import choose_option, type_query, wait_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from project_support import write_plate  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def served_project(tmp_path):
    from regionscope import measure_many
    from regionscope.app.server import BackgroundServer, project_app

    plate = write_plate(tmp_path / "plate")
    manifest = tmp_path / "plate.csv"
    pd.DataFrame(
        {
            "image": ["plate/A01.tif", "plate/A02.tif", "plate/B01.tif"],
            "labels": ["plate/A01_mask.tif", "plate/A02_mask.tif", ""],
            "condition": ["control", "drug", "drug"],
            "well": ["A01", "A02", "B01"],
        }
    ).to_csv(manifest, index=False)
    del plate
    folder = tmp_path / "project"
    measure_many([], manifest=manifest, project=folder, workers=1)
    app, _ = project_app(folder)
    server = BackgroundServer(app).start()
    yield server, folder
    server.stop()


def card_texts(page):
    return page.evaluate("() => [...document.querySelectorAll('#rs-gallery .rs-card')].map((c) => c.innerText)")


def test_gallery_query_classes_and_summary(served_project, new_page):
    from regionscope import Project

    server, folder = served_project
    project = Project.open(folder)
    page = new_page(server.url, viewport=(1600, 1000))
    try:
        wait_text(page, "#rs-gallery", "B01")
        cards = card_texts(page)
        assert [c.splitlines()[0] for c in cards] == ["A01", "A02", "B01"]
        assert all("4 of 4 shown" in c for c in cards) and "condition drug" in cards[1]
        # The query counts over every image, without opening them.
        regions = project.regions
        wanted = regions[regions["area"] > 120].groupby("image").size().reindex(["A01", "A02", "B01"], fill_value=0)
        type_query(page, "{area} > 120")
        for count in wanted:
            wait_text(page, "#rs-gallery", f"{count} of 4 shown")
        cards = card_texts(page)
        assert [int(c.split(" of ")[0].splitlines()[-1]) for c in cards] == wanted.tolist()
        type_query(page, "")
        # A card opens its image in the explorer.
        page.locator("#rs-gallery .rs-card:has-text('A02')").click()
        wait_text(page, "#rs-dataset-name", "A02")
        page.wait_for_function("() => dash_ag_grid.getApi('rs-grid').getDisplayedRowCount() === 4")
        # A class given in A02 is the project's, keyed by (image, label), and shows in the summary.
        page.locator("#rs-class-name").fill("dead")
        page.locator("#rs-class-add").click()
        page.wait_for_selector("#rs-class-bar .rs-class-button:has-text('dead')")
        page.evaluate("() => dash_ag_grid.getApi('rs-grid').getRowNode('2').setSelected(true)")
        page.locator("#rs-class-bar .rs-class-button:has-text('dead')").click()
        wait_text(page, "#rs-gallery", "dead 1")
        assert Project.open(folder).classes() == {("A02", 2): "dead"}
        summary = page.evaluate(
            "() => { const out = []; dash_ag_grid.getApi('rs-summary-table').forEachNode((n) => out.push(n.data)); return out; }"
        )
        assert [(row["image"], row["n dead"]) for row in summary] == [("A01", 0), ("A02", 1), ("B01", 0)]
        assert "rs-current" in page.locator("#rs-gallery .rs-card:has-text('A02')").get_attribute("class")
        # The summary by a metadata column.
        choose_option(page, "rs-summary-by", "condition")
        page.wait_for_function("() => dash_ag_grid.getApi('rs-summary-table').getDisplayedRowCount() === 2")
        summary = page.evaluate(
            "() => { const out = []; dash_ag_grid.getApi('rs-summary-table').forEachNode((n) => out.push(n.data)); return out; }"
        )
        assert [(row["condition"], row["regions"], row["n dead"]) for row in summary] == [("control", 4, 0), ("drug", 8, 1)]

        # The plate: one cell per well; a click on B1 opens B01.
        page.wait_for_selector("#rs-plate .heatmaplayer")
        z = page.evaluate(
            "() => document.querySelector('#rs-plate .js-plotly-plot').data[0].z.slice(0, 2).map((r) => r.slice(0, 3))"
        )
        assert z == [[1, 1, None], [1, None, None]]  # shown fractions; empty wells are blank
        # The click as Plotly reports it (its heatmap hit-testing is Plotly's own; the cell's value was checked above).
        page.evaluate("() => window.dash_clientside.set_props('rs-plate', {clickData: {points: [{x: '1', y: 'B', z: 1}]}})")
        wait_text(page, "#rs-dataset-name", "B01")
        wait_text(page, "#rs-notice", "well B1")
    finally:
        park(page)
