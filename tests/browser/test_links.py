"""The seven links between image and table, each driven in Chromium.

The dataset: five discs with labels 3, 7, 12, 20, 41 (see ``conftest.discs``).
"""

from __future__ import annotations

import pytest

from conftest import DISC_CENTERS, DISC_LABELS, DISC_RADII, discs, wait_until_ready
from pagetools import (
    axis_ranges,
    choose_option,
    click_pixel,
    highlight_paths,
    hover_until,
    labels_drawn,
    overlay_picture,
    row_selector,
    type_query,
    wait_overlay_labels,
    wait_text,
)

pytestmark = pytest.mark.browser

LABELS = discs()[1]
CENTER = dict(zip(DISC_LABELS, DISC_CENTERS, strict=True))
RADIUS = dict(zip(DISC_LABELS, DISC_RADII, strict=True))


def test_first_view_shows_every_region_and_row(disc_app, new_page):
    page = new_page(disc_app.url)
    assert wait_overlay_labels(page, LABELS, DISC_LABELS) == list(DISC_LABELS)
    wait_text(page, "#rs-count", "5 of 5 regions shown")
    for label in DISC_LABELS:
        assert page.locator(row_selector(label)).count() == 1


def test_query_filters_the_overlay_and_clearing_restores_it(disc_app, new_page):
    page = new_page(disc_app.url)
    table = disc_app.dataset.table
    expected = sorted(table.loc[(table.area < 400) & (table.intensity_mean > 100), "label"].tolist())
    assert 0 < len(expected) < 5
    type_query(page, "{area} < 400 && {intensity_mean} > 100")
    wait_text(page, "#rs-count", f"{len(expected)} of 5 regions shown")
    assert wait_overlay_labels(page, LABELS, expected) == expected
    page.locator("#rs-clear-filters").click()
    wait_text(page, "#rs-count", "5 of 5 regions shown")
    assert wait_overlay_labels(page, LABELS, DISC_LABELS) == list(DISC_LABELS)


def test_plain_query_syntax_and_parse_error_next_to_the_box(disc_app, new_page):
    page = new_page(disc_app.url)
    type_query(page, "label in [3, 41]")
    wait_text(page, "#rs-count", "2 of 5 regions shown")
    assert wait_overlay_labels(page, LABELS, [3, 41]) == [3, 41]
    type_query(page, "{aera} > 5")
    wait_text(page, "#rs-query-error", "Unknown column 'aera'")
    assert "area" in page.locator("#rs-query-error").inner_text()


def test_column_filter_filters_the_overlay(disc_app, new_page):
    page = new_page(disc_app.url)
    page.evaluate(
        "() => dash_ag_grid.getApi('rs-grid').setFilterModel({area: {filterType: 'number', type: 'greaterThan', filter: 300}})"
    )
    expected = sorted(disc_app.dataset.table.query("area > 300").label.tolist())
    wait_text(page, "#rs-count", f"{len(expected)} of 5 regions shown")
    assert wait_overlay_labels(page, LABELS, expected) == expected


@pytest.mark.parametrize("label", [7, 41])
def test_hover_inside_a_region_shows_it_and_lights_its_row(disc_app, new_page, label):
    page = new_page(disc_app.url)
    row, col = CENTER[label]
    # Off-centre, far from the outline: hover must work anywhere inside.
    hover_until(page, row + RADIUS[label] // 3, col - RADIUS[label] // 3, f"label {label}")
    page.wait_for_selector(row_selector(label) + ".rs-hovered", timeout=5_000)
    assert page.locator("#rs-grid .ag-row.rs-hovered").count() >= 1
    hovered = page.locator("#rs-grid .ag-center-cols-container .ag-row.rs-hovered").first.get_attribute("row-id")
    assert hovered == str(label)


def test_click_row_outlines_and_zooms_then_moves(disc_app, new_page):
    page = new_page(disc_app.url)
    full_x, _ = axis_ranges(page)
    page.locator(row_selector(7) + " [col-id='area']").click()
    page.wait_for_function("() => (document.querySelector('#rs-graph .js-plotly-plot').layout.shapes || []).length > 0")
    page.wait_for_function(
        "() => { const r = document.querySelector('#rs-graph .js-plotly-plot')._fullLayout.xaxis.range; return r[1] - r[0] < 100; }"
    )
    x_range, y_range = axis_ranges(page)
    row, col = CENTER[7]
    assert abs((x_range[0] + x_range[1]) / 2 - col) < 1.0
    assert abs((y_range[0] + y_range[1]) / 2 - row) < 1.0
    assert x_range[1] - x_range[0] < full_x[1] - full_x[0]
    path = highlight_paths(page)[0]
    xs = [float(p.split(",")[0].lstrip("ML ")) for p in path.replace(" Z", "").split(" L")]
    assert min(xs) == pytest.approx(col - RADIUS[7] - 0.5, abs=0.6)
    # Another row moves the highlight.
    page.locator(row_selector(20) + " [col-id='area']").click()
    page.wait_for_function(
        "() => { const r = document.querySelector('#rs-graph .js-plotly-plot')._fullLayout.xaxis.range; return Math.abs((r[0] + r[1]) / 2 - 100) < 1; }"
    )
    path = highlight_paths(page)[0]
    xs = [float(p.split(",")[0].lstrip("ML ")) for p in path.replace(" Z", "").split(" L")]
    assert min(xs) == pytest.approx(CENTER[20][1] - RADIUS[20] - 0.5, abs=0.6)
    page.wait_for_selector(row_selector(20) + ".rs-focused")


def test_click_row_without_zoom_keeps_the_view(disc_app, new_page):
    page = new_page(disc_app.url)
    page.locator("#rs-zoom-to-row input").uncheck()
    before = axis_ranges(page)
    page.locator(row_selector(12) + " [col-id='area']").click()
    page.wait_for_function("() => (document.querySelector('#rs-graph .js-plotly-plot').layout.shapes || []).length > 0")
    assert axis_ranges(page) == before


def test_click_region_in_image_selects_and_shows_its_row(disc_app, new_page):
    page = new_page(disc_app.url, viewport=(1400, 560))
    row, col = CENTER[41]
    click_pixel(page, row, col)
    page.wait_for_selector(row_selector(41) + ".ag-row-selected", timeout=5_000)
    assert page.locator(row_selector(41)).is_visible()
    page.wait_for_function("() => (document.querySelector('#rs-graph .js-plotly-plot').layout.shapes || []).length > 0")


def test_choose_hover_columns(disc_app, new_page):
    page = new_page(disc_app.url)
    choose_option(page, "rs-hover-columns", "perimeter")
    row, col = CENTER[12]
    hover_until(page, row, col, "perimeter")
    perimeter = disc_app.dataset.table.set_index("label").loc[12, "perimeter"]
    assert f"{perimeter:.4g}" in page.locator("#rs-hover-info").inner_text()


def test_exclude_rows_and_restore(disc_app, new_page):
    page = new_page(disc_app.url)
    page.locator(row_selector(7) + " .ag-selection-checkbox input").check()
    page.locator(row_selector(20) + " .ag-selection-checkbox input").check()
    page.locator("#rs-exclude").click()
    wait_text(page, "#rs-count", "3 of 3 regions shown · 2 excluded")
    assert wait_overlay_labels(page, LABELS, [3, 12, 41]) == [3, 12, 41]
    # Exclusions survive a reload of the page.
    page.reload()
    wait_until_ready(page)
    wait_text(page, "#rs-count", "3 of 3 regions shown · 2 excluded")
    assert wait_overlay_labels(page, LABELS, [3, 12, 41]) == [3, 12, 41]
    page.locator("#rs-restore").click()
    wait_text(page, "#rs-count", "5 of 5 regions shown")
    assert wait_overlay_labels(page, LABELS, DISC_LABELS) == list(DISC_LABELS)


def test_colour_by_changes_overlay_and_colorbar(disc_app, new_page):
    from regionscope.app.colors import numeric_colors

    page = new_page(disc_app.url)
    choose_option(page, "rs-color-by", "intensity_mean")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#rs-graph .cbtitle text')].some(t => t.textContent === 'intensity_mean')"
    )
    table = disc_app.dataset.table
    expected = numeric_colors(table.intensity_mean.to_numpy(), "Viridis")
    for position, label in enumerate(table.label):
        row, col = CENTER[label]
        edge = (row, col - RADIUS[label])  # the leftmost pixel of the disc is on its outline
        for _ in range(50):
            picture = overlay_picture(page)
            if tuple(picture[edge][:3]) == tuple(expected[position]):
                break
            page.wait_for_timeout(100)
        assert tuple(picture[edge][:3]) == tuple(expected[position]), f"label {label}"
    assert labels_drawn(page, LABELS) == list(DISC_LABELS)


def test_filled_regions_and_opacity(disc_app, new_page):
    page = new_page(disc_app.url)
    row, col = CENTER[7]
    assert overlay_picture(page)[row, col, 3] == 0  # outlines only: the inside is clear
    page.locator("#rs-overlay-mode input[value='filled']").check()
    page.wait_for_function("() => document.querySelector('#rs-graph .js-plotly-plot').layout.images[0].source.length > 0")
    for _ in range(50):
        if overlay_picture(page)[row, col, 3] > 0:
            break
        page.wait_for_timeout(100)
    assert 0 < overlay_picture(page)[row, col, 3] < 255  # the inside is tinted, the outline opaque
    slider = page.locator("#rs-opacity [role=slider]")
    slider.focus()
    for _ in range(6):
        slider.press("ArrowLeft")
    page.wait_for_function(
        "() => Math.abs(document.querySelector('#rs-graph .js-plotly-plot').layout.images[0].opacity - 0.5) < 1e-6"
    )


def test_the_users_zoom_survives_filtering_and_recolouring(disc_app, new_page):
    from pagetools import screen_point

    page = new_page(disc_app.url)
    x, y = screen_point(page, 40, 50)
    page.mouse.move(x, y)
    page.mouse.wheel(0, -60)
    page.wait_for_timeout(1_000)  # Plotly commits a scroll zoom after a short pause
    zoomed = axis_ranges(page)
    assert zoomed[0][1] - zoomed[0][0] < 127
    type_query(page, "area > 150")
    wait_text(page, "#rs-count", "4 of 5 regions shown")
    choose_option(page, "rs-colormap", "Plasma")
    page.wait_for_timeout(500)
    assert axis_ranges(page) == zoomed
