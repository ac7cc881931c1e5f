"""What the browser tests read from and do to the explorer page."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
from PIL import Image

GRAPH_DIV = "document.querySelector('#rs-graph .js-plotly-plot')"


def overlay_picture(page):
    """The overlay picture on screen, as an RGBA array (rows, cols, 4)."""
    source = page.evaluate(f"() => {GRAPH_DIV}.layout.images[0].source")
    payload = base64.b64decode(source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(payload)).convert("RGBA"))


def labels_drawn(page, labels):
    """Label values that have opaque overlay pixels on screen.

    Parameters
    ----------
    labels : ndarray of int, shape (rows, cols)
        The dataset's label image (the overlay has the same shape).
    """
    picture = overlay_picture(page)
    assert picture.shape[:2] == labels.shape
    drawn = labels[picture[..., 3] > 0]
    return sorted(int(v) for v in np.unique(drawn) if v != 0)


def screen_point(page, row, col):
    """Page coordinates of an image pixel (row, col)."""
    return page.evaluate(
        f"""([row, col]) => {{
            const gd = {GRAPH_DIV};
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(col), box.top + ya._offset + ya.l2p(row)];
        }}""",
        [row, col],
    )


def hover_pixel(page, row, col):
    """Move the mouse onto an image pixel the way a hand does: in a few steps."""
    x, y = screen_point(page, row, col)
    page.mouse.move(x - 6, y - 6)
    page.mouse.move(x, y, steps=4)


def hover_until(page, row, col, text, attempts=20):
    """Hover a pixel until the hover strip says ``text``.

    A hand keeps moving; a test moves once. A single move can land while the
    figure is being redrawn (Plotly drops that hover), so move again until it
    shows, as a person would.
    """
    for _ in range(attempts):
        hover_pixel(page, row, col)
        try:
            wait_text(page, "#rs-hover-info", text, timeout=500)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: try again
            continue
    wait_text(page, "#rs-hover-info", text, timeout=1_000)


def click_pixel(page, row, col):
    x, y = screen_point(page, row, col)
    page.mouse.click(x, y)


def axis_ranges(page):
    """Current ``(x_range, y_range)`` of the image axes."""
    return page.evaluate(f"() => [{GRAPH_DIV}._fullLayout.xaxis.range, {GRAPH_DIV}._fullLayout.yaxis.range]")


def highlight_paths(page):
    """SVG paths of the outline shapes in the figure's layout."""
    return page.evaluate(f"() => ({GRAPH_DIV}.layout.shapes || []).map(s => s.path)")


def row_selector(label):
    return f"#rs-grid .ag-center-cols-container .ag-row[row-id='{label}']"


def wait_text(page, selector, text, timeout=10_000):
    """Wait until the element's text contains ``text``."""
    page.wait_for_function(
        "([sel, text]) => { const e = document.querySelector(sel); return e && (e.innerText ?? e.textContent ?? '').includes(text); }",
        arg=[selector, text],
        timeout=timeout,
    )


def wait_overlay_labels(page, labels, expected, timeout=10.0):
    """Wait until exactly ``expected`` labels are drawn in the overlay; return what is drawn."""
    import time

    deadline = time.monotonic() + timeout
    drawn = None
    while time.monotonic() < deadline:
        drawn = labels_drawn(page, labels)
        if drawn == sorted(expected):
            return drawn
        time.sleep(0.1)
    return drawn


def type_query(page, text):
    box = page.locator("#rs-query")
    box.fill(text)
    box.press("Enter")


def choose_option(page, dropdown_id, option):
    """Pick ``option`` (exact text) in a dcc.Dropdown."""
    page.locator(f"#{dropdown_id}").click()
    text = page.locator(".dash-options-list-option-text", has_text=re.compile(f"^{re.escape(option)}$"))
    page.locator(".dash-dropdown-option", has=text).first.click()
    page.keyboard.press("Escape")
