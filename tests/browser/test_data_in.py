"""Data in: uploads, 3D stacks, multichannel images, and one dataset per browser session."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from conftest import DISC_LABELS, discs, park, serve, wait_until_ready
from pagetools import choose_option, labels_drawn, row_selector, wait_overlay_labels, wait_text

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def coins_app():
    """The explorer on its default data: the coins sample."""
    served = serve()
    yield served
    served.server.stop()


@pytest.fixture
def disc_files(tmp_path):
    image, labels = discs()
    image_path = tmp_path / "discs.png"
    mask_path = tmp_path / "discs_mask.png"
    Image.fromarray(image).save(image_path)
    Image.fromarray(labels.astype(np.uint8)).save(mask_path)
    return image_path, mask_path


def upload(page, which, path):
    if not page.locator("#rs-upload-image").is_visible():
        page.locator("details.rs-details summary").first.click()
    page.set_input_files(f"#rs-upload-{which} input[type=file]", str(path))


def test_coins_sample_is_the_default(coins_app, new_page):
    page = new_page(coins_app.url)
    wait_text(page, "#rs-dataset-name", "coins")
    wait_text(page, "#rs-count", f"{len(coins_app.dataset.table)} of {len(coins_app.dataset.table)} regions shown")


def test_upload_image_then_mask(coins_app, new_page, disc_files):
    image_path, mask_path = disc_files
    page = new_page(coins_app.url)
    upload(page, "image", image_path)
    wait_text(page, "#rs-dataset-name", "discs.png")
    wait_text(page, "#rs-notice", "Opened discs.png")
    # Segmented here: five discs on a dark background.
    wait_text(page, "#rs-count", "5 of 5 regions shown")
    upload(page, "labels", mask_path)
    wait_text(page, "#rs-notice", "Opened discs_mask.png as the labels")
    for label in DISC_LABELS:
        page.wait_for_selector(row_selector(label))
    assert wait_overlay_labels(page, discs()[1], DISC_LABELS) == list(DISC_LABELS)


@pytest.mark.parametrize(
    ("which", "make_file", "message"),
    [
        ("image", lambda tmp: _write(tmp / "broken.png", b"this is not a png"), "broken.png"),
        ("labels", lambda tmp: _save_png(tmp / "small_mask.png", np.ones((10, 12), np.uint8)), "shape"),
        ("labels", lambda tmp: _save_npy(tmp / "float_mask.npy", np.full((303, 384), 1.5)), "whole numbers"),
    ],
    ids=["unreadable-image", "mask-of-another-shape", "non-integer-mask"],
)
def test_bad_upload_shows_a_message_and_keeps_the_dataset(coins_app, new_page, tmp_path, which, make_file, message):
    page = new_page(coins_app.url)
    before = page.locator("#rs-count").inner_text()
    upload(page, which, make_file(tmp_path))
    wait_text(page, "#rs-notice", "Could not")
    assert message in page.locator("#rs-notice").inner_text()
    assert page.locator("#rs-count").inner_text() == before
    wait_text(page, "#rs-dataset-name", "coins")


def _write(path, payload):
    path.write_bytes(payload)
    return path


def _save_png(path, array):
    Image.fromarray(array).save(path)
    return path


def _save_npy(path, array):
    np.save(path, array)
    return path


def test_two_sessions_keep_their_own_datasets(coins_app, browser, new_page, disc_files):
    image_path, _ = disc_files
    first = new_page(coins_app.url)
    second = new_page(coins_app.url)
    upload(first, "image", image_path)
    wait_text(first, "#rs-dataset-name", "discs.png")
    second.reload()
    wait_until_ready(second)
    wait_text(second, "#rs-dataset-name", "coins")
    # A reload keeps the tab's own dataset.
    first.reload()
    wait_until_ready(first)
    wait_text(first, "#rs-dataset-name", "discs.png")


def spheres():
    """A 3D stack (7, 40, 50): three short cylinders, labels 2 (z 0-2), 5 (z 2-4), 9 (z 4-6)."""
    _, y, x = np.indices((7, 40, 50))
    labels = np.zeros((7, 40, 50), np.int32)
    for label, (z0, z1, cy, cx, r) in {2: (0, 3, 10, 12, 4), 5: (2, 5, 25, 30, 6), 9: (4, 7, 12, 40, 4)}.items():
        disc = (y[0] - cy) ** 2 + (x[0] - cx) ** 2 <= r * r
        labels[z0:z1][:, disc] = label
    image = np.where(labels > 0, 100 + 10 * labels, 10).astype(np.uint16)
    return image, labels


@pytest.fixture(scope="module")
def stack_app():
    image, labels = spheres()
    served = serve(image, labels, name="balls")
    yield served
    served.server.stop()


def plane_value(page):
    return int(page.locator("#rs-plane [role=slider]").get_attribute("aria-valuenow"))


def test_stack_has_a_z_slider_and_the_overlay_follows_the_plane(stack_app, new_page):
    _, labels = spheres()
    page = new_page(stack_app.url)
    assert page.locator("#rs-plane-row").is_visible()
    assert plane_value(page) == 3
    assert wait_overlay_labels(page, labels[3], [5]) == [5]
    wait_text(page, "#rs-count", "3 of 3 regions shown")  # one row per 3D region
    slider = page.locator("#rs-plane [role=slider]")
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#rs-plane [role=slider]').getAttribute('aria-valuenow') === '5'")
    assert wait_overlay_labels(page, labels[5], [9]) == [9]
    assert np.unique(labels[5]).tolist() == [0, 9]


def test_clicking_a_row_jumps_to_the_plane_through_the_region(stack_app, new_page):
    _, labels = spheres()
    page = new_page(stack_app.url)
    page.locator(row_selector(2) + " [col-id='area']").click()
    page.wait_for_function("() => document.querySelector('#rs-plane [role=slider]').getAttribute('aria-valuenow') === '1'")
    assert wait_overlay_labels(page, labels[1], [2]) == [2]
    assert np.unique(labels[1]).tolist() == [0, 2]
    page.wait_for_function("() => (document.querySelector('#rs-graph .js-plotly-plot').layout.shapes || []).length > 0")


@pytest.fixture(scope="module")
def channels_app():
    image, labels = discs()
    rng = np.random.default_rng(0)
    stack = np.stack([image.astype(np.float32), rng.random(image.shape, dtype=np.float32) * 50], axis=-1)
    served = serve(stack, labels, channel_names=["DAPI", "GFP"], name="two channels")
    yield served
    served.server.stop()


def test_multichannel_image_has_a_channel_choice_and_per_channel_columns(channels_app, new_page):
    page = new_page(channels_app.url)
    assert page.locator("#rs-channel-row").is_visible()
    columns = page.evaluate("() => dash_ag_grid.getApi('rs-grid').getColumns().map(c => c.getColId())")
    assert {"intensity_mean-DAPI", "intensity_mean-GFP"} <= set(columns)
    before = page.evaluate("() => document.querySelector('#rs-graph .js-plotly-plot').data[0].source")
    choose_option(page, "rs-channel", "GFP")
    page.wait_for_function(
        "(before) => document.querySelector('#rs-graph .js-plotly-plot').data[0].source !== before", arg=before
    )
    assert labels_drawn(page, discs()[1]) == list(DISC_LABELS)


def test_segment_again_with_other_settings(coins_app, new_page):
    page = new_page(coins_app.url)
    total = len(coins_app.dataset.table)
    if not page.locator("#rs-segment").is_visible():
        page.locator("details.rs-details summary").first.click()
    page.locator("#rs-min-size").fill("2000")
    page.locator("#rs-segment").click()
    wait_text(page, "#rs-notice", "Segmented with otsu")
    page.wait_for_function("(total) => !document.querySelector('#rs-count').innerText.startsWith(total + ' of')", arg=total)
    shown = int(page.locator("#rs-count").inner_text().split()[0])
    assert 0 < shown < total


def test_hover_in_a_stack_follows_the_plane(stack_app, new_page):
    from pagetools import hover_until

    page = new_page(stack_app.url)  # plane 3: only label 5 (centre row 25, col 30)
    hover_until(page, 25, 30, "label 5")
    hover_until(page, 10, 12, "Hover over a region")  # label 2 is not on plane 3


def test_large_planes_are_sent_at_a_stride_and_hover_still_finds_regions(monkeypatch, new_page):
    from regionscope.app import display

    from pagetools import hover_until, overlay_picture

    monkeypatch.setattr(display, "MAX_DISPLAY_SIDE", 64)  # the 96 x 128 discs are sent every 2nd pixel
    image, labels = discs()
    served = serve(image, labels, name="discs at stride 2")
    try:
        page = new_page(served.url)
        assert overlay_picture(page).shape[:2] == (48, 64)
        hover_until(page, 64, 40, "label 12")  # the centre of label 12, in full-resolution coordinates
    finally:
        park(page)
        served.server.stop()


def test_zooming_into_a_large_plane_shows_full_resolution_pixels(monkeypatch, new_page):
    import base64
    import io

    from regionscope.app import display

    from pagetools import screen_point

    monkeypatch.setattr(display, "MAX_DISPLAY_SIDE", 64)  # the 96 x 128 discs: sent every 2nd pixel
    image, labels = discs()
    image = (image.astype(np.int32) + (np.indices(image.shape).sum(axis=0) % 2) * 30).astype(np.uint8)  # a 1-px checker
    served = serve(image, labels, name="fine detail")
    try:
        page = new_page(served.url)
        graph = "document.querySelector('#rs-graph .js-plotly-plot')"
        assert page.evaluate(f"() => {graph}.data.length") == 2
        # Zoom in with the mouse wheel, as a user does (a GUI zoom survives redraws).
        x, y = screen_point(page, 40, 50)
        page.mouse.move(x, y)
        for _ in range(12):  # until the window is under 64 px wide
            page.mouse.wheel(0, -60)
            page.wait_for_timeout(150)
            x_range = page.evaluate(f"() => {graph}._fullLayout.xaxis.range")
            if x_range[1] - x_range[0] < 50:
                break
        page.wait_for_function(f"() => {graph}.data.length === 3", timeout=10_000)
        detail = page.evaluate(f"() => {{ const d = {graph}.data[2]; return [d.source, d.x0, d.y0]; }}")
        picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(detail[0].split(",", 1)[1]))).convert("L"))
        row0, col0 = detail[2], detail[1]
        limits = display.image_limits(served.dataset.image)
        expected = display.display_plane(served.dataset.image, limits)[
            row0 : row0 + picture.shape[0], col0 : col0 + picture.shape[1]
        ]
        assert picture.shape[0] >= 10 and picture.shape[1] >= 10
        assert np.array_equal(picture, expected)  # every pixel, not every 2nd
        # Back to the whole view (double-click): the strided picture alone again.
        page.mouse.dblclick(x, y)
        page.wait_for_function(f"() => {graph}.data.length === 2", timeout=10_000)
    finally:
        park(page)
        served.server.stop()


@pytest.fixture(scope="module")
def rgb_app():
    """An RGB image, segmented here: a red square (100 px), two touching blue discs, a green speck."""
    rgb = np.zeros((60, 80, 3), np.uint8)
    rgb[4:14, 4:14, 0] = 220
    rows, cols = np.indices(rgb.shape[:2])
    touching = ((rows - 36) ** 2 + (cols - 30) ** 2 <= 81) | ((rows - 36) ** 2 + (cols - 44) ** 2 <= 81)
    rgb[touching, 2] = 230
    rgb[50, 70, 1] = 255
    served = serve(rgb, None, channel_names=["red", "green", "blue"], name="rgb")
    yield served
    served.server.stop()


def test_data_panel_segments_the_chosen_channel_and_says_so(rgb_app, new_page):
    """Issue 8, points 4 and 7: the default min size is shown; segment channel and split touching apply."""
    from regionscope import segment

    page = new_page(rgb_app.url)
    wait_text(page, "#rs-dataset-name", "segmented here on luminance")
    if not page.locator("#rs-segment").is_visible():
        page.locator("details.rs-details summary").first.click()
    assert page.locator("#rs-min-size").input_value() == "64"
    assert "Min size, px (default 64)" in page.locator(".rs-data").inner_text()
    assert page.locator("#rs-segment-channel-row").is_visible()
    choose_option(page, "rs-segment-channel", "blue")
    page.locator("#rs-segment").click()
    wait_text(page, "#rs-notice", "segmented here on blue")
    wait_text(page, "#rs-dataset-name", "1 region (segmented here on blue)")  # the two discs touch
    page.locator("#rs-split-touching input").check()
    page.locator("#rs-segment").click()
    expected = segment(rgb_app.dataset.image.data, channel=2, split_touching=True).max()
    assert expected == 2
    wait_text(page, "#rs-dataset-name", "2 regions (segmented here on blue)")
