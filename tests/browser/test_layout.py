"""The page never overlaps itself: every viewport of the first-hour issue, every panel combination.

Boxes are read from the page (``getBoundingClientRect``) and compared: the
header, the Data/Export strip and the two working panels are disjoint and
inside the window; what a panel holds stays inside it; the "How to use"
dialog opens over the page without moving the views and closes again, with
its Close button and with Esc.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from conftest import SCREENSHOTS, serve
from pagetools import wait_text

pytestmark = pytest.mark.browser

VIEWPORTS = ((1280, 720), (1600, 1000), (1920, 1080))
PANELS = ("Data", "Classifier", "Export")

BOXES_JS = """(selectors) => Object.fromEntries(selectors.map((sel) => {
    const e = document.querySelector(sel);
    if (!e) return [sel, null];
    const r = e.getBoundingClientRect();
    return [sel, [r.left, r.top, r.right, r.bottom]];
}))"""


def overlap(a, b, tolerance=0.5):
    """Whether two boxes ``[left, top, right, bottom]`` share more than a hairline."""
    return min(a[2], b[2]) - max(a[0], b[0]) > tolerance and min(a[3], b[3]) - max(a[1], b[1]) > tolerance


def inside(inner, outer, tolerance=1.0):
    return (
        inner[0] >= outer[0] - tolerance
        and inner[1] >= outer[1] - tolerance
        and inner[2] <= outer[2] + tolerance
        and inner[3] <= outer[3] + tolerance
    )


def boxes(page, selectors):
    return page.evaluate(BOXES_JS, list(selectors))


def set_panel(page, name, open_):
    page.evaluate(
        """([name, open]) => {
            for (const d of document.querySelectorAll('.rs-tools details')) {
                if (d.querySelector('summary').innerText.trim() === name) d.open = open;
            }
        }""",
        [name, open_],
    )


@pytest.fixture(scope="module")
def stack_app():
    """A 3D stack of 31 planes: the z slider is shown."""
    rng = np.random.default_rng(3)
    image = (rng.random((31, 64, 80)) * 50).astype(np.uint8)
    labels = np.zeros((31, 64, 80), dtype=np.int32)
    labels[5:25, 10:30, 10:30] = 1
    labels[2:12, 35:55, 40:70] = 2
    image[labels > 0] += 150
    served = serve(image, labels, name="stack")
    yield served
    served.server.stop()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_no_overlap_with_any_panel_open(stack_app, new_page, viewport):
    page = new_page(stack_app.url, viewport=viewport)
    width, height = viewport
    window = [0, 0, width, height]
    top_level = [".rs-header", ".rs-tools", ".rs-image-panel", ".rs-table-panel"]
    for combination in itertools.product([False, True], repeat=len(PANELS)):
        for name, open_ in zip(PANELS, combination, strict=True):
            set_panel(page, name, open_)
        page.wait_for_timeout(250)  # the grid and the graphs resize
        found = boxes(
            page,
            top_level
            + [
                ".rs-tools details:nth-child(1)",
                ".rs-tools details:nth-child(2)",
                ".rs-tools details:nth-child(3)",
                "#rs-graph",
                ".rs-hover-info",
                ".rs-grid-box",
                "#rs-plot",
                ".rs-image-panel .rs-toolbar",
            ],
        )
        what = f"{viewport} with {dict(zip(PANELS, combination, strict=True))}"
        for a, b in itertools.combinations(top_level, 2):
            assert not overlap(found[a], found[b]), f"{a} overlaps {b} at {what}: {found[a]} {found[b]}"
        for name in top_level:
            assert inside(found[name], window), f"{name} leaves the window at {what}: {found[name]}"
        panels = [f".rs-tools details:nth-child({k})" for k in (1, 2, 3)]
        for a, b in itertools.combinations(panels, 2):
            assert not overlap(found[a], found[b]), f"{a} overlaps {b} at {what}"
        for part in ("#rs-graph", ".rs-hover-info", ".rs-image-panel .rs-toolbar"):
            assert inside(found[part], found[".rs-image-panel"]), f"{part} spills out of the image panel at {what}"
        assert not overlap(found["#rs-graph"], found[".rs-hover-info"])
        # The table panel scrolls inside itself: its parts stay within its scroll area.
        scroll_box = page.evaluate(
            """() => { const p = document.querySelector('.rs-table-panel');
                       const r = p.getBoundingClientRect();
                       return [r.left, r.top - p.scrollTop, r.right, r.top - p.scrollTop + p.scrollHeight]; }"""
        )
        for part in (".rs-grid-box", "#rs-plot"):
            assert inside(found[part], scroll_box), f"{part} spills out of the table panel at {what}"
        assert found["#rs-graph"][3] - found["#rs-graph"][1] >= 200, f"the image is squeezed to nothing at {what}"
        suffix = "-".join(n.lower() for n, o in zip(PANELS, combination, strict=True) if o) or "closed"
        page.screenshot(path=str(SCREENSHOTS / f"layout-{width}x{height}-{suffix}.png"))


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_help_opens_over_the_page_and_closes(stack_app, new_page, viewport):
    page = new_page(stack_app.url, viewport=viewport)
    views = [".rs-image-panel", ".rs-table-panel", "#rs-grid"]
    before = boxes(page, views)
    opener = page.locator("#rs-help-open")
    assert opener.is_visible()
    # Nothing covers the button: a click lands on it.
    x0, y0, x1, y1 = boxes(page, ["#rs-help-open"])["#rs-help-open"]
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).id", [(x0 + x1) / 2, (y0 + y1) / 2]) == "rs-help-open"
    opener.click()
    page.wait_for_selector("#rs-help:not([hidden])")
    wait_text(page, "#rs-help", "Hover")
    assert boxes(page, views) == before, "opening the help moved the working views"
    page.screenshot(path=str(SCREENSHOTS / f"layout-{viewport[0]}x{viewport[1]}-help.png"))
    close = page.locator("#rs-help-close")
    x0, y0, x1, y1 = boxes(page, ["#rs-help-close"])["#rs-help-close"]
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).id", [(x0 + x1) / 2, (y0 + y1) / 2]) == "rs-help-close"
    close.click()
    page.wait_for_selector("#rs-help", state="hidden")
    # Again, closed with Esc this time.
    opener.click()
    page.wait_for_selector("#rs-help:not([hidden])")
    page.keyboard.press("Escape")
    page.wait_for_selector("#rs-help", state="hidden")
    assert boxes(page, views) == before


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_z_slider_names_the_plane(stack_app, new_page, viewport):
    page = new_page(stack_app.url, viewport=viewport)
    # 31 planes open in the middle one (index 15), counted from 1.
    wait_text(page, "#rs-plane-label", "z 16 / 31")
    label = boxes(page, ["#rs-plane-label", "#rs-graph"])
    box = label["#rs-plane-label"]
    assert box[2] - box[0] > 30 and box[3] - box[1] > 8, f"the plane label is not visible: {box}"
    assert not overlap(box, label["#rs-graph"])
    page.locator("#rs-plane .dash-slider-root [role=slider]").focus()
    page.keyboard.press("ArrowRight")
    wait_text(page, "#rs-plane-label", "z 17 / 31")
