"""The old design, measured for comparison: one filled ``go.Scatter`` per region.

As in the tutorial regionscope started from: for every region,
``skimage.measure.find_contours(labels == label, 0.5)`` on the whole (padded)
label image, its first contour drawn as a ``go.Scatter`` with ``fill="toself"``
and hover text listing the region's properties, added to the figure one trace
at a time. The figure (image included, encoded as regionscope encodes it) is
built in Python, written as JSON and rendered by plotly.js (from the installed
``plotly`` package) on a static page served on 127.0.0.1.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

PLOT_SIZE = (860, 760)  # about the size of regionscope's graph in the 1600 x 1000 viewport

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>old design</title><script src="plotly.min.js"></script></head>
<body style="margin:0">
<div id="plot" style="width:%(width)dpx;height:%(height)dpx"></div>
<script>
window.__old = (async () => {
  const fetchStart = performance.now();
  const figure = await (await fetch('figure.json')).json();
  const t0 = performance.now();
  await Plotly.newPlot('plot', figure.data, figure.layout, {scrollZoom: true, displaylogo: false});
  const t1 = performance.now();
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return {fetch_ms: t0 - fetchStart, render_ms: t1 - t0, render_frame_ms: performance.now() - t0,
          load_ms: t1, load_frame_ms: performance.now(), traces: figure.data.length};
})();
</script></body></html>
"""


def old_contours(labels, label_values):
    """First contour of each region from the whole padded label image (the old way)."""
    from skimage.measure import find_contours

    padded = np.pad(labels, 1)
    contours = []
    for label in label_values:
        found = find_contours(padded == label, 0.5)
        contours.append(found[0] - 1 if found else np.empty((0, 2)))
    return contours


def old_figure(picture_url, table, contours, hover_columns=None):
    """The figure: the image plus one filled, hoverable scatter trace per region."""
    import plotly.graph_objects as go

    columns = hover_columns or [
        c for c in ("area", "perimeter", "eccentricity", "solidity", "intensity_mean") if c in table.columns
    ]
    figure = go.Figure(go.Image(source=picture_url, hoverinfo="skip"))
    for position, contour in enumerate(contours):
        row = table.iloc[position]
        hover = "".join(f"<b>{name}: {float(row[name]):.2f}</b><br>" for name in columns)
        y, x = contour.T
        figure.add_trace(
            go.Scatter(
                x=x,
                y=y,
                name=str(int(row["label"])),
                mode="lines",
                fill="toself",
                showlegend=False,
                hovertemplate=hover,
                hoveron="points+fills",
                customdata=[int(row["label"])] * len(x),
            )
        )
    figure.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0}, dragmode="pan", hovermode="closest")
    return figure


def build(image, labels):
    """Prepare the old design's figure JSON from arrays, timing each step (seconds).

    Returns
    -------
    timings : dict
        ``measure``, ``contours``, ``figure``, ``to_json``, ``encode_picture`` and ``total``.
    figure_json : str
    """
    from regionscope.app import display
    from regionscope.io import ImageData
    from regionscope.measurement import measure

    timings = {}
    start = time.perf_counter()
    table = measure(image, labels)
    timings["measure"] = time.perf_counter() - start

    start = time.perf_counter()
    contours = old_contours(labels, table["label"].to_numpy())
    timings["contours"] = time.perf_counter() - start

    start = time.perf_counter()
    data = ImageData(data=image)
    picture_url = display.encode_picture(display.display_plane(data, display.image_limits(data)))
    timings["encode_picture"] = time.perf_counter() - start

    start = time.perf_counter()
    figure = old_figure(picture_url, table, contours)
    timings["figure"] = time.perf_counter() - start

    start = time.perf_counter()
    figure_json = figure.to_json()
    timings["to_json"] = time.perf_counter() - start
    timings["total"] = sum(timings.values())
    return timings, figure_json


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102 - silence the request log
        pass


class StaticSite:
    """A folder served on 127.0.0.1 from a thread (``with StaticSite(folder) as site: site.url``)."""

    def __init__(self, folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, name="old-design-site", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def plotly_js():
    """Path of plotly.min.js in the installed plotly package."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def make_site(figure_json, folder=None):
    """A folder with the page, plotly.min.js and the figure JSON."""
    folder = Path(folder or tempfile.mkdtemp(prefix="rs-old-design-"))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plotly_js(), folder / "plotly.min.js")
    (folder / "figure.json").write_text(figure_json)
    (folder / "index.html").write_text(PAGE % {"width": PLOT_SIZE[0], "height": PLOT_SIZE[1]})
    return folder


def render(browser, url, *, reps=3, interactions=True, timeout_ms=600000):
    """Render the old figure in fresh contexts; times in ms.

    Returns
    -------
    dict
        ``runs``: per load ``load_ms`` (navigation start to plotted), ``render_ms``
        (``Plotly.newPlot`` alone), ``fetch_ms``; with ``interactions``, on the
        last page: ``zoom_ms`` (relayout to half the range and back) and
        ``filter_ms`` (restyle hiding every other region), and ``js_heap_mb``.
    """
    from benchmarks.browser import VIEWPORT

    runs = []
    extra = {}
    for rep in range(reps):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        page.wait_for_function("() => window.__old !== undefined", timeout=timeout_ms)
        runs.append(page.evaluate("() => window.__old"))
        if interactions and rep == reps - 1:
            extra["zoom_ms"] = page.evaluate(
                """async () => {
                    const gd = document.getElementById('plot');
                    const xr = gd._fullLayout.xaxis.range.slice(), yr = gd._fullLayout.yaxis.range.slice();
                    const times = [];
                    for (let i = 0; i < 2; i++) {
                        const cx = (xr[0] + xr[1]) / 2, cy = (yr[0] + yr[1]) / 2, hx = (xr[1] - xr[0]) / 4, hy = (yr[1] - yr[0]) / 4;
                        let t0 = performance.now();
                        await Plotly.relayout(gd, {'xaxis.range': [cx - hx, cx + hx], 'yaxis.range': [cy - hy, cy + hy]});
                        times.push(performance.now() - t0);
                        t0 = performance.now();
                        await Plotly.relayout(gd, {'xaxis.range': xr, 'yaxis.range': yr});
                        times.push(performance.now() - t0);
                    }
                    return times;
                }"""
            )
            extra["filter_ms"] = page.evaluate(
                """async () => {
                    const gd = document.getElementById('plot');
                    const n = gd.data.length;
                    const times = [];
                    for (let k = 0; k < 2; k++) {
                        const visible = gd.data.map((_, i) => i === 0 || (i + k) % 2 === 0);
                        const t0 = performance.now();
                        await Plotly.restyle(gd, {visible});
                        times.push(performance.now() - t0);
                    }
                    return times;
                }"""
            )
            try:
                cdp = context.new_cdp_session(page)
                cdp.send("Performance.enable")
                metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
                extra["js_heap_mb"] = metrics.get("JSHeapUsedSize", 0) / 2**20
            except Exception:  # noqa: BLE001 - optional extra
                extra["js_heap_mb"] = None
        context.close()
    result = {"runs": runs}
    for key in ("load_ms", "render_ms", "fetch_ms"):
        values = sorted(run[key] for run in runs)
        result[key] = (
            values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
        )
    result.update(extra)
    result["figure_json_bytes"] = None
    return result


def bench(browser, image, labels, *, reps=3, interactions=True, folder=None):
    """Build (once) and render (``reps`` times) the old design for these arrays."""
    timings, figure_json = build(image, labels)
    folder = make_site(figure_json, folder)
    try:
        with StaticSite(folder) as site:
            rendered = render(browser, site.url, reps=reps, interactions=interactions)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rendered["figure_json_bytes"] = len(figure_json)
    rendered["traces"] = rendered["runs"][0]["traces"] if rendered["runs"] else None
    return {"prepare": timings, "render": rendered}


def to_json_safe(value):
    """json.dumps default for numpy scalars."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(type(value))


if __name__ == "__main__":  # a quick look: python benchmarks/old_design.py
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from playwright.sync_api import sync_playwright

    from benchmarks.browser import launch
    from benchmarks.synthetic import make_synthetic

    image, labels = make_synthetic(512, 100)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        print(json.dumps(bench(browser, image, labels, reps=1), default=to_json_safe, indent=1))
        browser.close()
