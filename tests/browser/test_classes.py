"""Region classes: defined, assigned, shown, filtered, and never lost (reload, restart)."""

from __future__ import annotations

import pytest

from conftest import DISC_CENTERS, DISC_LABELS, discs, park, serve, wait_until_ready
from pagetools import choose_option, overlay_picture, row_selector, type_query, wait_overlay_labels, wait_text

pytestmark = pytest.mark.browser

CENTER = dict(zip(DISC_LABELS, DISC_CENTERS, strict=True))
RADIUS = dict(zip(DISC_LABELS, (10, 14, 8, 12, 6), strict=True))


def add_class(page, name, color):
    page.locator("#rs-class-name").fill(name)
    page.locator("#rs-class-color").evaluate(
        "(input, color) => { const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
        " setter.call(input, color); input.dispatchEvent(new Event('input', {bubbles: true})); }",
        color,
    )
    page.locator("#rs-class-add").click()
    page.wait_for_selector(f"#rs-class-bar .rs-class-button:has-text('{name}')")


def select_rows(page, labels):
    for label in labels:
        page.locator(row_selector(label) + " .ag-selection-checkbox input").check()


def class_cell(page, label):
    return page.evaluate(f"() => dash_ag_grid.getApi('rs-grid').getRowNode('{label}').data.class")


def test_assign_classes_by_button_and_key_then_filter_and_colour(new_page):
    image, labels = discs()
    served = serve(image, labels, name="discs")
    try:
        page = new_page(served.url)
        add_class(page, "good", "#00ff00")
        add_class(page, "debris", "#ff0000")
        select_rows(page, [3, 7])
        page.locator("#rs-class-bar .rs-class-button:has-text('good')").click()
        page.wait_for_function("() => dash_ag_grid.getApi('rs-grid').getRowNode('3').data.class === 'good'")
        assert class_cell(page, 7) == "good"
        wait_text(page, "#rs-class-bar", "good (2)")
        # Number key 2 = the second class.
        page.evaluate("() => dash_ag_grid.getApi('rs-grid').deselectAll()")
        select_rows(page, [41])
        page.locator("#rs-graph").hover()
        page.keyboard.press("2")
        page.wait_for_function("() => dash_ag_grid.getApi('rs-grid').getRowNode('41').data.class === 'debris'")
        # The class column can be queried.
        type_query(page, 'class == "good"')
        wait_text(page, "#rs-count", "2 of 5 regions shown")
        assert wait_overlay_labels(page, labels, [3, 7]) == [3, 7]
        type_query(page, "")
        wait_text(page, "#rs-count", "5 of 5 regions shown")
        # Colour by class: good is green, debris red, the rest grey (selected regions are white).
        page.evaluate("() => dash_ag_grid.getApi('rs-grid').deselectAll()")
        choose_option(page, "rs-color-by", "class")
        expected = {3: (0, 255, 0), 7: (0, 255, 0), 41: (255, 0, 0), 12: (150, 150, 150)}
        for _ in range(50):
            picture = overlay_picture(page)
            got = {label: tuple(picture[CENTER[label][0], CENTER[label][1] - RADIUS[label]][:3]) for label in expected}
            if got == expected:
                break
            page.wait_for_timeout(100)
        assert got == expected
    finally:
        park(page)
        served.server.stop()


def test_classes_survive_reload_and_server_restart(new_page):
    image, labels = discs()
    served = serve(image, labels, name="discs")
    page = new_page(served.url)
    add_class(page, "dividing", "#aa00ff")
    select_rows(page, [12])
    page.locator("#rs-class-bar .rs-class-button:has-text('dividing')").click()
    page.wait_for_function("() => dash_ag_grid.getApi('rs-grid').getRowNode('12').data.class === 'dividing'")
    page.reload()
    wait_until_ready(page)
    assert class_cell(page, 12) == "dividing"
    park(page)
    served.server.stop()
    # A new server on the same workspace and the same data (same content hash).
    restarted = serve(image, labels, name="discs", workspace=served.workspace)
    try:
        second = new_page(restarted.url)
        assert class_cell(second, 12) == "dividing"
        wait_text(second, "#rs-class-bar", "dividing (1)")
    finally:
        park(second)
        restarted.server.stop()


def test_a_second_tab_sees_the_same_annotations(disc_app, new_page):
    first = new_page(disc_app.url)
    select_rows(first, [20])
    first.locator("#rs-exclude").click()
    wait_text(first, "#rs-count", "1 excluded")
    second = new_page(disc_app.url)
    wait_text(second, "#rs-count", "4 of 4 regions shown · 1 excluded")
    second.locator("#rs-restore").click()
    wait_text(second, "#rs-count", "5 of 5 regions shown")


def test_a_failed_write_is_shown_and_nothing_changes(disc_app, new_page, monkeypatch):
    from regionscope.annotations import AnnotationStore, AnnotationWriteError

    def broken_exclude(self, dataset, labels, **options):
        raise AnnotationWriteError(self.path, "save the change", "disk I/O error")

    monkeypatch.setattr(AnnotationStore, "exclude", broken_exclude)
    page = new_page(disc_app.url)
    select_rows(page, [3])
    page.locator("#rs-exclude").click()
    wait_text(page, "#rs-notice", "NOT saved")
    assert page.locator("#rs-count").inner_text() == "5 of 5 regions shown"
