"""Take the README's screenshot: the explorer on the coins sample, one row focused.

Run: .venv/bin/python docs/take_screenshot.py  (needs /usr/bin/chromium)
"""

import re
from pathlib import Path

from playwright.sync_api import sync_playwright

from regionscope.app.headless import launch
from regionscope.app.registry import DatasetRegistry
from regionscope.app.server import BackgroundServer, create_app, open_default

OUT = Path(__file__).parent / "images" / "explorer.png"


def choose(page, dropdown, option):
    page.locator(f"#{dropdown}").click()
    text = page.locator(".dash-options-list-option-text", has_text=re.compile(f"^{option}$"))
    page.locator(".dash-dropdown-option", has=text).first.click()
    page.keyboard.press("Escape")


def main():
    registry = DatasetRegistry()
    dataset = open_default(registry)
    with BackgroundServer(create_app(dataset, registry)) as server, sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 820})
        page.goto(server.url)
        page.wait_for_function(
            "() => { const g = document.querySelector('#rs-graph .js-plotly-plot');"
            " return g && g.layout.images && g.layout.images[0].source.length > 200; }"
        )
        choose(page, "rs-color-by", "intensity_mean")
        choose(page, "rs-colormap", "Turbo")
        page.locator("#rs-query").fill("{area} < 2500 && {solidity} > 0.9")
        page.locator("#rs-query").press("Enter")
        page.wait_for_timeout(1500)
        page.locator("#rs-zoom-to-row input").uncheck()
        page.locator("#rs-grid .ag-center-cols-container .ag-row").nth(2).locator("[col-id='area']").click()
        page.wait_for_timeout(800)
        gd = page.locator("#rs-graph .nsewdrag").first.bounding_box()
        page.mouse.move(gd["x"] + gd["width"] * 0.54, gd["y"] + gd["height"] * 0.60)
        page.mouse.move(gd["x"] + gd["width"] * 0.56, gd["y"] + gd["height"] * 0.63, steps=6)
        page.wait_for_timeout(800)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT))
        browser.close()
    print(OUT)


if __name__ == "__main__":
    main()
