"""A new user's first hour: messages and state (issue "first hour", points 8 and 10-13).

Each test reproduces what a newcomer ran into: a notice nobody asked for, a
server path in an error, an upload that did nothing, a broken query listed as
active, selection edge cases, a focus outline left behind.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from test_classes import add_class, select_rows
from test_data_in import upload
from test_page_exports import open_export
from test_selection import drag, image_dragmode, wait_selected

from conftest import DISC_CENTERS, DISC_LABELS, discs, serve
from pagetools import highlight_paths, row_selector, screen_point, type_query, wait_text

pytestmark = pytest.mark.browser

CENTER = dict(zip(DISC_LABELS, DISC_CENTERS, strict=True))


@pytest.fixture
def disc_page(new_page):
    image, labels = discs()
    served = serve(image, labels, name="discs")
    yield served, new_page(served.url)
    served.server.stop()


def notice_text(page):
    return page.locator("#rs-notice").inner_text()


def test_no_notice_that_nobody_asked_for_after_an_upload(disc_page, tmp_path):
    served, page = disc_page
    add_class(page, "debris", "#ff0000")
    select_rows(page, [7])
    image, _ = discs()
    path = tmp_path / "other.png"
    Image.fromarray(image[::-1]).save(path)
    upload(page, "image", path)
    wait_text(page, "#rs-notice", "Opened other.png")
    page.wait_for_timeout(1_000)  # the class bar is redrawn for the new dataset meanwhile
    assert "Opened other.png" in notice_text(page)
    assert page.locator("#rs-notice .rs-error").count() == 0


def test_upload_errors_name_the_users_file_and_the_same_file_is_taken_again(disc_page, tmp_path):
    served, page = disc_page
    fake = tmp_path / "fake.tif"
    fake.write_bytes(b"this is not a TIFF file at all" * 10)
    upload(page, "labels", fake)
    wait_text(page, "#rs-notice", "Could not use the label mask")
    text = notice_text(page)
    assert "fake.tif" in text
    assert "/tmp" not in text and "regionscope-uploads" not in text and str(tmp_path) not in text
    # Something else is said in between; then the same file again is answered again.
    page.locator("#rs-exclude").click()
    wait_text(page, "#rs-notice", "Select rows to exclude first")
    upload(page, "labels", fake)
    wait_text(page, "#rs-notice", "Could not use the label mask")


def test_only_an_applied_query_is_listed_as_active(disc_page):
    served, page = disc_page
    type_query(page, "area > 300")
    wait_text(page, "#rs-active-filters", "query: area > 300")
    type_query(page, "area >")
    wait_text(page, "#rs-query-error", "")
    page.wait_for_function("() => document.querySelector('#rs-query-error').innerText.length > 0")
    page.wait_for_function("() => !document.querySelector('#rs-active-filters').innerText.includes('query')")
    wait_text(page, "#rs-count", "5 of 5 regions shown")


def test_column_filter_chip_says_operator_and_value(disc_page):
    served, page = disc_page
    # The area column's floating filter (label, class, area...): found by its header.
    area_index = page.evaluate(
        "() => [...document.querySelectorAll('.ag-header-row-column .ag-header-cell')].find(e => e.getAttribute('col-id') === 'area').getAttribute('aria-colindex')"
    )
    floating = page.locator(f".ag-header-row-filter .ag-floating-filter[aria-colindex='{area_index}'] input:visible")
    box = floating.bounding_box()
    assert box["width"] >= 40, f"the area filter box is too narrow to read a typed value: {box}"
    floating.fill("400")
    # "≥" by default: the discs of area 400 px and more stay (7: 613 px, 20: 441 px).
    wait_text(page, "#rs-active-filters", "area ≥ 400")
    wait_text(page, "#rs-count", "2 of 5 regions shown")


def test_excluding_clears_the_selection_and_the_focus_outline(disc_page):
    served, page = disc_page
    page.locator(row_selector(20) + " .ag-cell[col-id='area']").click()  # focus: outline + zoom
    page.wait_for_function("() => (document.querySelector('#rs-graph .js-plotly-plot').layout.shapes || []).length > 0")
    select_rows(page, [20, 41])
    wait_selected(page, [20, 41])
    page.locator("#rs-exclude").click()
    wait_text(page, "#rs-notice", "Excluded 2 regions")
    wait_selected(page, [])
    # The plot no longer dims the other points; the focus outline left with its region.
    page.wait_for_function(
        "() => { const gd = document.querySelector('#rs-plot .js-plotly-plot');"
        " return gd && gd.data && gd.data[0] && !(gd.data[0].selectedpoints && gd.data[0].selectedpoints.length); }"
    )
    page.wait_for_function("() => (document.querySelector('#rs-graph .js-plotly-plot').layout.shapes || []).length === 0")
    assert highlight_paths(page) == []


def test_focus_outline_leaves_when_its_region_is_filtered_out(disc_page):
    served, page = disc_page
    page.locator(row_selector(3) + " .ag-cell[col-id='area']").click()
    page.wait_for_function("() => (document.querySelector('#rs-graph .js-plotly-plot').layout.shapes || []).length > 0")
    type_query(page, "label != 3")
    wait_text(page, "#rs-count", "4 of 5 regions shown")
    page.wait_for_function("() => (document.querySelector('#rs-graph .js-plotly-plot').layout.shapes || []).length === 0")
    type_query(page, "")
    page.locator("#rs-query").press("Enter")
    wait_text(page, "#rs-count", "5 of 5 regions shown")
    page.wait_for_function("() => (document.querySelector('#rs-graph .js-plotly-plot').layout.shapes || []).length > 0")


def test_keep_gate_and_export_with_nothing_selected_say_so(disc_page, tmp_path):
    served, page = disc_page
    page.locator("#rs-keep-gate").click()
    wait_text(page, "#rs-notice", "Draw a box or lasso in the feature plot first")
    open_export(page)
    page.locator("#rs-export-rows label:has-text('selected') input").check()
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.locator("#rs-export-csv").click()
    wait_text(page, "#rs-notice", "No region is selected")
    page.wait_for_timeout(500)
    assert downloads == []


@pytest.fixture
def stack_app():
    """Two regions in different planes of a 3D stack, one above the other in (row, col)."""
    image = np.random.default_rng(0).integers(0, 60, (9, 40, 40), dtype=np.uint8)
    labels = np.zeros((9, 40, 40), dtype=np.int32)
    labels[2:6, 10:20, 10:20] = 1  # planes 2-5
    labels[5:9, 12:22, 12:22] = 2  # planes 5-8, same place seen from above
    image[labels > 0] = 200
    served = serve(image, labels, name="stack")
    yield served
    served.server.stop()


def test_box_in_a_stack_selects_only_regions_of_the_shown_plane(stack_app, new_page):
    page = new_page(stack_app.url)
    wait_text(page, "#rs-plane-label", "z 5 / 9")  # index 4 of 9 planes: region 1 only
    page.locator("#rs-plane .dash-slider-root [role=slider]").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # index 6: region 2 only
    wait_text(page, "#rs-plane-label", "z 7 / 9")
    image_dragmode(page, "select")
    drag(page, screen_point(page, 5, 5), screen_point(page, 30, 30))  # both centroids inside, seen from above
    wait_selected(page, [2])
