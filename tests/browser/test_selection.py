"""Selection in the image and in the feature plot, and gates (issue: beyond the table).

The five discs (labels 3, 7, 12, 20, 41) have known centroids; selections are by centroid.
"""

from __future__ import annotations

import pytest

from conftest import DISC_CENTERS, DISC_LABELS
from pagetools import overlay_picture, row_selector, screen_point, wait_text

pytestmark = pytest.mark.browser

CENTER = dict(zip(DISC_LABELS, DISC_CENTERS, strict=True))
PLOT = "document.querySelector('#rs-plot .js-plotly-plot')"


def selected_labels(page):
    return sorted(page.evaluate("() => dash_ag_grid.getApi('rs-grid').getSelectedRows().map(r => r.label)"))


def wait_selected(page, expected, timeout=10_000):
    page.wait_for_function(
        "(expected) => JSON.stringify(dash_ag_grid.getApi('rs-grid').getSelectedRows().map(r => r.label).sort((a, b) => a - b)) === JSON.stringify(expected)",
        arg=sorted(expected),
        timeout=timeout,
    )


def drag(page, start, end):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=10)
    page.mouse.up()


def lasso(page, points):
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:] + points[:1]:
        page.mouse.move(*point, steps=4)
    page.mouse.up()


def image_dragmode(page, mode):
    """Choose box ("select") or lasso in the image's mode bar, as a user does."""
    page.locator("#rs-graph").hover()
    page.locator(f"#rs-graph .modebar-btn[data-attr='dragmode'][data-val='{mode}']").click()


def plot_point(page, x, y):
    return page.evaluate(
        f"""([x, y]) => {{
            const gd = {PLOT};
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(xa.d2l(x)), box.top + ya._offset + ya.l2p(ya.d2l(y))];
        }}""",
        [float(x), float(y)],
    )


def test_box_in_the_image_selects_regions_by_centroid(disc_app, new_page):
    page = new_page(disc_app.url)
    image_dragmode(page, "select")
    drag(page, screen_point(page, 10, 10), screen_point(page, 50, 90))  # centroids of 3 and 7 inside
    wait_selected(page, [3, 7])
    # Selected regions are highlighted in the image: white outlines.
    row, col = CENTER[7]
    for _ in range(50):
        if tuple(overlay_picture(page)[row, col - 14][:3]) == (255, 255, 255):
            break
        page.wait_for_timeout(100)
    assert tuple(overlay_picture(page)[row, col - 14][:3]) == (255, 255, 255)


def test_lasso_in_the_image_and_shift_adds(disc_app, new_page):
    page = new_page(disc_app.url)
    image_dragmode(page, "lasso")
    # A triangle around the centroid of 12 (64, 40) only.
    lasso(page, [screen_point(page, 50, 25), screen_point(page, 80, 30), screen_point(page, 70, 60)])
    wait_selected(page, [12])
    page.keyboard.down("Shift")
    lasso(page, [screen_point(page, 55, 90), screen_point(page, 85, 95), screen_point(page, 80, 115)])  # 20 at (70, 100)
    page.keyboard.up("Shift")
    wait_selected(page, [12, 20])


def test_plot_selection_selects_rows_and_becomes_a_gate(disc_app, new_page):
    page = new_page(disc_app.url)
    table = disc_app.dataset.table.set_index("label")
    page.wait_for_function(f"() => {PLOT} && {PLOT}.data && {PLOT}.data.length === 1")
    wait_text(page, "#rs-plot .xtitle", "area")
    # A box around the two largest discs in (area, intensity_mean).
    expected = sorted(table.index[table.area > 400].tolist())
    chosen = table[table.area > 400]
    drag(
        page,
        plot_point(page, chosen.area.min() - 10, chosen.intensity_mean.max() + 5),
        plot_point(page, chosen.area.max() + 5, chosen.intensity_mean.min() - 3),
    )
    wait_selected(page, expected)
    # Selected rows stand out in the plot.
    page.wait_for_function(f"() => ({PLOT}.data[0].selectedpoints || []).length === {len(expected)}")
    page.locator("#rs-keep-gate").click()
    wait_text(page, "#rs-count", f"{len(expected)} of 5 regions shown")
    wait_text(page, "#rs-active-filters", "gate: area in")
    # The gate combines with the query (AND).
    page.locator("#rs-query").fill(f"label != {expected[0]}")
    page.locator("#rs-query").press("Enter")
    wait_text(page, "#rs-count", f"{len(expected) - 1} of 5 regions shown")
    page.locator("#rs-active-filters .rs-gate button").click()
    wait_text(page, "#rs-count", "4 of 5 regions shown")
    assert "gate" not in page.locator("#rs-active-filters").inner_text()


def test_table_selection_is_highlighted_in_the_plot(disc_app, new_page):
    page = new_page(disc_app.url)
    page.locator(row_selector(41) + " .ag-selection-checkbox input").check()
    page.wait_for_function(f"() => {PLOT}.data[0].selectedpoints && {PLOT}.data[0].selectedpoints.length === 1")
    index = page.evaluate(f"() => {PLOT}.data[0].selectedpoints[0]")
    assert page.evaluate(f"(k) => {PLOT}.data[0].customdata[k]", index) == 41


def test_lasso_in_the_plot_selects_the_rows_inside(disc_app, new_page):
    page = new_page(disc_app.url)
    table = disc_app.dataset.table.set_index("label")
    page.wait_for_function(f"() => {PLOT} && {PLOT}.data && {PLOT}.data.length === 1")
    page.locator("#rs-plot").hover()
    page.locator("#rs-plot .modebar-btn[data-attr='dragmode'][data-val='lasso']").click()
    # A polygon around the points of labels 3 (317, 200) and 12 (197, 250) only, inside the axes.
    assert tuple(table.loc[3, ["area", "intensity_mean"]].round()) == (317, 200)
    assert tuple(table.loc[12, ["area", "intensity_mean"]].round()) == (197, 250)
    corners = [(170, 254), (230, 254), (360, 210), (360, 185), (280, 185), (170, 235)]
    lasso(page, [plot_point(page, x, y) for x, y in corners])
    wait_selected(page, [3, 12])
