"""Two explorers in one Dash app: their ids never collide and each responds on its own.

The app is built as an embedding user would build it: a Dash app of their own,
two :class:`~regionscope.app.explorer.Explorer` instances named ``left`` and
``right`` over one registry, placed in their own layout.
"""

from __future__ import annotations

import dash
import pytest
from dash import html

from regionscope.annotations import AnnotationStore
from regionscope.app import Explorer
from regionscope.app.registry import DatasetRegistry
from regionscope.app.server import ASSETS, BackgroundServer, open_default
from regionscope.app.uploads import UploadFolder

from conftest import discs
from pagetools import wait_text

pytestmark = pytest.mark.browser


def component_ids(component):
    """Every id in a component tree (dict ids by their ``type``)."""
    found = []
    own = getattr(component, "id", None)
    if own:
        found.append(own["type"] if isinstance(own, dict) else own)
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "to_plotly_json"):
            found.extend(component_ids(child))
    return found


@pytest.fixture(scope="module")
def two_explorers(tmp_path_factory):
    registry = DatasetRegistry()
    image, labels = discs()
    left_data = open_default(registry, image, labels, name="discs")
    right_data = open_default(registry)  # the coins sample
    app = dash.Dash(__name__, assets_folder=str(ASSETS), update_title=None)
    uploads = UploadFolder(tmp_path_factory.mktemp("uploads"))
    store = AnnotationStore(tmp_path_factory.mktemp("workspace"))
    common = dict(upload_folder=uploads, annotations=store)
    left = Explorer(app, registry, default_dataset_id=left_data.id, name="left", **common)
    right = Explorer(app, registry, default_dataset_id=right_data.id, name="right", **common)
    app.layout = lambda: html.Div([left.layout(), right.layout()])
    server = BackgroundServer(app).start()
    yield server, left, right
    server.stop()
    uploads.close()
    store.close()


def test_the_ids_of_two_explorers_do_not_collide(two_explorers):
    _server, left, right = two_explorers
    left_ids, right_ids = component_ids(left.layout()), component_ids(right.layout())
    assert len(left_ids) == len(set(left_ids)) == 91  # no two components share an id
    assert set(left_ids) <= set(left.ids) and set(right_ids) <= set(right.ids)  # each only its own
    assert all(i.startswith("left-rs-") for i in left_ids) and all(i.startswith("right-rs-") for i in right_ids)
    assert not set(left_ids) & set(right_ids)
    # Every callback of each explorer reads and writes only its own components.
    for explorer, other in ((left, right), (right, left)):
        for callback in explorer.app.callback_map.values():
            names = [str(dep["id"]) for dep in callback["inputs"] + callback.get("state", [])]
            if any(name.startswith(f"{explorer.ids.prefix}-") or f"'{explorer.ids.prefix}-" in name for name in names):
                assert not any(name.startswith(f"{other.ids.prefix}-") for name in names)


def test_both_explorers_respond_each_on_its_own(two_explorers, new_page):
    server, _left, _right = two_explorers
    page = new_page(server.url, viewport=(1400, 900), ready=lambda page: None)
    wait_text(page, "#left-rs-count", "5 of 5 regions shown", timeout=30_000)
    wait_text(page, "#right-rs-count", "24 of 24 regions shown", timeout=30_000)
    wait_text(page, "#left-rs-dataset-name", "discs")
    wait_text(page, "#right-rs-dataset-name", "coins")

    # A query in the left explorer filters the left grid only.
    box = page.locator("#left-rs-query")
    box.fill("area > 300")
    box.press("Enter")
    wait_text(page, "#left-rs-count", "3 of 5 regions shown")
    wait_text(page, "#left-rs-active-filters", "query: area > 300")
    assert page.inner_text("#right-rs-count") == "24 of 24 regions shown"
    assert page.inner_text("#right-rs-active-filters") == ""

    # An exclusion in the right explorer is said in its own header and counted in its own grid.
    page.locator("#right-rs-grid .ag-center-cols-container .ag-row").first.locator("input[type=checkbox]").check()
    page.locator("#right-rs-exclude").click()
    wait_text(page, "#right-rs-notice", "Excluded 1 region.")
    wait_text(page, "#right-rs-count", "23 of 23 regions shown · 1 excluded")
    assert page.inner_text("#left-rs-count") == "3 of 5 regions shown"
    assert page.inner_text("#left-rs-notice") == ""

    # Hovering disc 7 of the left image names it in the left hover strip; the right strip stays as it was.
    page.evaluate("() => window.scrollTo(0, 0)")
    right_hover = page.inner_text("#right-rs-hover-info")
    hover_until_named(page, "left-rs-graph", row=24, col=72, text="label 7", strip="#left-rs-hover-info")
    assert page.inner_text("#right-rs-hover-info") == right_hover


def hover_until_named(page, graph_id, *, row, col, text, strip, attempts=20):
    """Move over image pixel (row, col) of a graph until its hover strip says ``text`` (Plotly may drop a move)."""
    import time

    for _ in range(attempts):
        x, y = page.evaluate(
            """([id, row, col]) => {
                const gd = document.querySelector('#' + id + ' .js-plotly-plot');
                const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;  // test-side geometry only
                const box = gd.getBoundingClientRect();
                return [box.left + xa._offset + xa.l2p(col), box.top + ya._offset + ya.l2p(row)];
            }""",
            [graph_id, row, col],
        )
        page.mouse.move(x - 6, y - 6)
        page.mouse.move(x, y, steps=4)
        if text in page.inner_text(strip):
            return
        time.sleep(0.25)
    raise AssertionError(f"{strip} never said {text!r}: {page.inner_text(strip)!r}")
