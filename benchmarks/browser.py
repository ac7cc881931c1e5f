"""Drive the explorer in headless Chromium and time what a user sees.

Every interaction is timed inside the page: ``t0`` is ``performance.now()``
just before the action is dispatched in page JavaScript (or the
``event.timeStamp`` of the trusted input event Playwright sends, caught by a
capturing listener), and the end is the first moment the visible result is in
the DOM, caught by a ``MutationObserver`` (plus a 4 ms poll for state that is
not in the DOM). ``frame`` is the time of the next animation frame after that
(the browser has painted it). Times are milliseconds.
"""

from __future__ import annotations

import math
import statistics
import time

import numpy as np

from regionscope.app.headless import CHROMIUM, CHROMIUM_ARGS, launch  # noqa: F401  (re-exported)

VIEWPORT = {"width": 1600, "height": 1000}

#: Installed in every page before its own scripts (``add_init_script``).
PAGE_HELPERS = r"""
(() => {
  const rs = {
    armed: null,      // event type whose next occurrence sets t0
    t0: null,
    pending: null,
    gd() { return document.querySelector('#rs-graph .js-plotly-plot'); },
    traceImage() { return document.querySelector('#rs-graph .imagelayer.mlayer .im image'); },
    overlayImage() { return document.querySelector('#rs-graph .layer-above .imagelayer image'); },
    href(el) { return el ? (el.getAttribute('href') || el.getAttribute('xlink:href') || '') : ''; },
    overlayHref() { return rs.href(rs.overlayImage()); },
    placement() {
      const parts = [];
      for (const el of [rs.traceImage(), rs.overlayImage()]) {
        if (!el) { parts.push('-'); continue; }
        parts.push(['x', 'y', 'width', 'height'].map((a) => el.getAttribute(a)).join(','));
      }
      return parts.join('|');
    },
    tracePlacement() {
      const el = rs.traceImage();
      return el ? ['x', 'y', 'width', 'height'].map((a) => el.getAttribute(a)).join(',') : '-';
    },
    relayouts: 0,
    /* Count plotly_relayout events (emitted once a relayout has redrawn everything). */
    watchRelayout() {
      const gd = rs.gd();
      if (gd && !gd.__rsWatched && gd.on) {
        gd.on('plotly_relayout', () => { rs.relayouts++; });
        gd.__rsWatched = true;
      }
      return rs.relayouts;
    },
    /* A full redraw after a zoom or pan: the trace image is placed anew (the overlay,
       a layout image, already follows during the gesture) and plotly_relayout fired. */
    redrawnSince() {
      const placement = rs.tracePlacement(), count = rs.watchRelayout();
      return () => rs.tracePlacement() !== placement && rs.relayouts > count;
    },
    range() {
      const gd = rs.gd();
      if (!gd || !gd._fullLayout || !gd._fullLayout.xaxis) return '';
      return JSON.stringify([gd._fullLayout.xaxis.range, gd._fullLayout.yaxis.range]);
    },
    shapePath() {
      const el = document.querySelector('#rs-graph .shapelayer path');
      return el ? (el.getAttribute('d') || '') : '';
    },
    firstRowId() {
      const el = document.querySelector('#rs-grid .ag-center-cols-container .ag-row[row-index="0"]');
      return el ? el.getAttribute('row-id') : null;
    },
    ready() {
      const image = rs.href(rs.traceImage());
      const overlay = rs.overlayHref();
      if (image.length < 1000 || overlay.length < 1000) return false;
      if (!document.querySelector('#rs-grid .ag-center-cols-container .ag-row')) return false;
      const count = document.querySelector('#rs-count');
      if (!count || !/regions shown/.test(count.textContent)) return false;
      try { return Boolean(window.dash_ag_grid.getApi('rs-grid')); } catch (e) { return false; }
    },
    /* Resolve {ok, t, frame} when cond() first holds (t: performance.now()). */
    waitFor(cond, timeout = 60000) {
      return new Promise((resolve) => {
        let done = false;
        let observer = null;
        let poll = null;
        let timer = null;
        const finish = (ok) => {
          if (done) return;
          done = true;
          const t = performance.now();
          if (observer) observer.disconnect();
          clearInterval(poll);
          clearTimeout(timer);
          requestAnimationFrame(() => setTimeout(() => resolve({ok, t, frame: performance.now()}), 0));
        };
        const check = () => {
          if (done) return;
          let result = false;
          try { result = cond(); } catch (e) { result = false; }
          if (result) finish(true);
        };
        const start = () => {
          observer = new MutationObserver(check);
          observer.observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
          poll = setInterval(check, 4);
          timer = setTimeout(() => finish(false), timeout);
          check();
        };
        if (document.documentElement) start();
        else document.addEventListener('readystatechange', start, {once: true});
      });
    },
    /* Arm: the next trusted `type` event sets t0; result awaited with collect(). */
    arm(type, cond, timeout) {
      rs.t0 = null;
      rs.armed = type;
      rs.pending = rs.waitFor(cond, timeout);
    },
    async collect() {
      const result = await rs.pending;
      return Object.assign({t0: rs.t0}, result);
    },
    toScreen(col, row) {
      const gd = rs.gd();
      const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
      const rect = gd.getBoundingClientRect();
      return [rect.left + xa._offset + xa.l2p(col), rect.top + ya._offset + ya.l2p(row)];
    },
    toData(x, y) {
      const gd = rs.gd();
      const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
      const rect = gd.getBoundingClientRect();
      return [xa.p2l(x - rect.left - xa._offset), ya.p2l(y - rect.top - ya._offset)];
    },
  };
  for (const type of ['mousemove', 'click', 'wheel', 'mouseup', 'keydown', 'input']) {
    window.addEventListener(type, (event) => {
      if (rs.armed === type && event.isTrusted) {
        rs.t0 = event.timeStamp;
        rs.armed = null;
      }
    }, true);
  }
  window.__rs = rs;
})();
"""


def chromium_version(browser):
    return browser.version


def median(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(values) if values else None


def summary(samples, key="ms"):
    """Median, min, max and count of a list of sample dicts (or numbers)."""
    values = [s[key] if isinstance(s, dict) else s for s in samples]
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def _elapsed(result):
    """(ms until the DOM showed it, ms until the next frame), or (None, None) on timeout."""
    if not result or not result.get("ok") or result.get("t0") is None:
        return None, None
    return result["t"] - result["t0"], result["frame"] - result["t0"]


def new_page(browser):
    """A page in a fresh context (cold HTTP cache) with the timing helpers."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(PAGE_HELPERS)
    page = context.new_page()
    return context, page


# ---------------------------------------------------------------------------
# Page load and bytes
# ---------------------------------------------------------------------------

RESOURCES_JS = """() => {
  const rows = [];
  const nav = performance.getEntriesByType('navigation')[0];
  if (nav) rows.push({name: nav.name, type: 'navigation', transfer: nav.transferSize, body: nav.encodedBodySize, decoded: nav.decodedBodySize});
  for (const e of performance.getEntriesByType('resource')) {
    rows.push({name: e.name, type: e.initiatorType, transfer: e.transferSize, body: e.encodedBodySize, decoded: e.decodedBodySize});
  }
  return rows;
}"""


def categorize(url):
    """Which part of the first view a response belongs to."""
    path = url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url
    path = "/" + path.split("?", 1)[0]
    if path.startswith("/_dash-component-suites/") or path.startswith("/_favicon"):
        return "libraries"
    if path.startswith("/assets/"):
        return "app_assets"
    if path.startswith("/_dash-layout") or path.startswith("/_dash-dependencies"):
        return "layout"
    if path.startswith("/_dash-update-component"):
        return "callbacks"
    if path == "/":
        return "document"
    return "other"


def wait_network_quiet(page, quiet_ms=800, timeout_ms=30000):
    """Wait until no new resource entries appear for ``quiet_ms``."""
    deadline = time.monotonic() + timeout_ms / 1000
    count = -1
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        now_count = page.evaluate("() => performance.getEntriesByType('resource').length")
        if now_count != count:
            count = now_count
            stable_since = time.monotonic()
        elif time.monotonic() - stable_since >= quiet_ms / 1000:
            return
        page.wait_for_timeout(100)


def load_page(browser, url, *, timeout_ms=120000, keep=False):
    """Open the app in a fresh context and time it until image, overlay and grid are usable.

    Returns
    -------
    result : dict
        ``ms`` (navigation start to usable), ``frame``, ``bytes`` per category,
        ``responses`` and ``js_heap_mb``.
    context, page : only when ``keep`` (the caller closes the context).
    """
    context, page = new_page(browser)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    outcome = page.evaluate("(timeout) => __rs.waitFor(() => __rs.ready(), timeout)", timeout_ms)
    result = {"ms": outcome["t"] if outcome["ok"] else None, "frame": outcome["frame"] if outcome["ok"] else None}
    wait_network_quiet(page)
    rows = page.evaluate(RESOURCES_JS)
    by_category = {}
    for row in rows:
        category = categorize(row["name"])
        by_category[category] = by_category.get(category, 0) + (row["body"] or 0)
    result["bytes"] = by_category
    result["bytes_total"] = sum(by_category.values())
    result["bytes_data"] = sum(v for k, v in by_category.items() if k != "libraries")
    result["responses"] = [
        {"url": row["name"].split("/", 3)[-1][:80], "category": categorize(row["name"]), "body": row["body"]} for row in rows
    ]
    result["page_errors"] = errors
    try:
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        result["js_heap_mb"] = metrics.get("JSHeapUsedSize", 0) / 2**20
        cdp.detach()
    except Exception:  # noqa: BLE001 - optional extra
        result["js_heap_mb"] = None
    if keep:
        return result, context, page
    context.close()
    return result


# ---------------------------------------------------------------------------
# Interactions (the page is loaded and ready)
# ---------------------------------------------------------------------------


def _count_shown(page):
    text = page.evaluate("() => document.querySelector('#rs-count').textContent")
    return int(text.split(" ", 1)[0]), text


def filter_thresholds(areas, reps):
    """Area thresholds that each change the set of regions shown (quantiles 15%..85%)."""
    quantiles = np.linspace(0.15, 0.85, max(reps, 2))
    order = np.argsort([abs(q - 0.5) for q in quantiles])[::-1]  # alternate far-apart cut-offs
    values = []
    for q in quantiles[order]:
        value = float(np.quantile(areas, q)) + 0.5
        if not values or value != values[-1]:
            values.append(value)
    return values[:reps]


def measure_filter(page, areas, reps, *, timeout_ms=60000):
    """Column filter ``area > T`` through the grid API -> overlay picture replaced.

    The check after each run: the count line says as many regions as ``areas > T``.
    """
    samples = []
    for threshold in filter_thresholds(areas, reps):
        result = page.evaluate(
            """async ([threshold, timeout]) => {
                const api = dash_ag_grid.getApi('rs-grid');
                const before = __rs.overlayHref();
                const pending = __rs.waitFor(() => __rs.overlayHref() !== before, timeout);
                const t0 = performance.now();
                api.setFilterModel({area: {filterType: 'number', type: 'greaterThan', filter: threshold}});
                return Object.assign({t0}, await pending);
            }""",
            [threshold, timeout_ms],
        )
        expected = int((areas > threshold).sum())
        page.wait_for_function(
            "(n) => document.querySelector('#rs-count').textContent.startsWith(n + ' of')", arg=expected, timeout=timeout_ms
        )
        ms, frame = _elapsed(result)
        samples.append({"ms": ms, "frame": frame, "threshold": threshold, "shown": expected})
        page.wait_for_timeout(150)
    # Back to no filter (untimed), overlay with every region.
    page.evaluate("() => dash_ag_grid.getApi('rs-grid').setFilterModel(null)")
    page.wait_for_function("() => /^(\\d+) of \\1 /.test(document.querySelector('#rs-count').textContent)", timeout=timeout_ms)
    page.wait_for_timeout(300)
    return samples


def measure_query(page, areas, reps, *, timeout_ms=60000):
    """Type a query in ``#rs-query`` and press Enter -> overlay replaced, from the Enter key.

    The text arrives in one trusted ``input`` event (as a paste would), then
    Enter. With ``dcc.Input(debounce=True)`` Enter sends the query at once;
    with a numeric debounce Enter does not shorten it, and the time includes
    the rest of the delay.
    """
    samples = []
    query = page.locator("#rs-query")
    for threshold in filter_thresholds(areas, reps):
        text = f"area > {threshold:g}"
        expected = int((areas > threshold).sum())
        query.fill(text)
        page.evaluate(
            "(timeout) => { const before = __rs.overlayHref(); __rs.arm('keydown', () => __rs.overlayHref() !== before, timeout); }",
            timeout_ms,
        )
        query.press("Enter")
        result = page.evaluate("() => __rs.collect()")
        page.wait_for_function(
            "(n) => document.querySelector('#rs-count').textContent.startsWith(n + ' of')", arg=expected, timeout=timeout_ms
        )
        ms, frame = _elapsed(result)
        samples.append({"ms": ms, "frame": frame, "query": text, "shown": expected})
        page.wait_for_timeout(150)
    query.fill("")
    query.press("Enter")
    page.wait_for_function("() => /^(\\d+) of \\1 /.test(document.querySelector('#rs-count').textContent)", timeout=timeout_ms)
    page.wait_for_timeout(300)
    return samples


def hover_targets(page, labels, reps, *, margin=3, seed=1):
    """Screen points over the interior of different regions, and the label under each.

    Returns a list of ``(x, y, label)``: the image pixel under ``(x, y)``
    (Plotly's hover rounds to the nearest pixel) has ``label`` and so has the
    ``(2 margin + 1)``-square around it, so rounding cannot change the answer.
    """
    height, width = labels.shape
    rng = np.random.default_rng(seed)
    box = page.evaluate("() => { const r = __rs.gd().getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }")
    targets, seen = [], set()
    for _ in range(400):
        if len(targets) >= reps:
            break
        x = float(round(box[0] + box[2] * rng.uniform(0.15, 0.8)))
        y = float(round(box[1] + box[3] * rng.uniform(0.15, 0.85)))
        col, row = page.evaluate("([x, y]) => __rs.toData(x, y)", [x, y])
        c, r = int(round(col)), int(round(row))
        if not (margin <= r < height - margin and margin <= c < width - margin):
            continue
        window = labels[r - margin : r + margin + 1, c - margin : c + margin + 1]
        label = int(labels[r, c])
        if label == 0 or label in seen or not (window == label).all():
            continue
        seen.add(label)
        targets.append((x, y, label))
    return targets


def measure_hover(page, labels, reps, *, timeout_ms=30000):
    """Mouse over a region (a trusted mousemove) -> ``.ag-row.rs-hovered`` with its row id."""
    samples = []
    for x, y, label in hover_targets(page, labels, reps):
        page.evaluate(
            """([label, timeout]) => __rs.arm('mousemove',
                () => Boolean(document.querySelector(`#rs-grid .ag-row.rs-hovered[row-id="${label}"]`)), timeout)""",
            [label, timeout_ms],
        )
        page.mouse.move(x, y)
        result = page.evaluate("() => __rs.collect()")
        ms, frame = _elapsed(result)
        samples.append({"ms": ms, "frame": frame, "label": label})
        page.wait_for_timeout(200)  # beyond Plotly's 50 ms hover throttle
    return samples


def measure_sort(page, table, reps, *, column="intensity_mean", timeout_ms=60000):
    """Sort the grid by ``column`` (alternately descending, ascending) -> the right first row."""
    samples = []
    order = np.argsort(table[column], kind="stable")
    first = {"asc": int(table["label"][order[0]]), "desc": int(table["label"][order[-1]])}
    page.evaluate("() => dash_ag_grid.getApi('rs-grid').ensureIndexVisible(0, 'top')")
    page.wait_for_timeout(300)
    for rep in range(reps):
        direction = "desc" if rep % 2 == 0 else "asc"
        result = page.evaluate(
            """async ([column, direction, expected, timeout]) => {
                const api = dash_ag_grid.getApi('rs-grid');
                const pending = __rs.waitFor(() => __rs.firstRowId() === expected, timeout);
                const t0 = performance.now();
                api.applyColumnState({state: [{colId: column, sort: direction}], defaultState: {sort: null}});
                return Object.assign({t0}, await pending);
            }""",
            [column, direction, str(first[direction]), timeout_ms],
        )
        ms, frame = _elapsed(result)
        samples.append({"ms": ms, "frame": frame, "direction": direction, "first": first[direction]})
        page.wait_for_timeout(150)
    page.evaluate(
        "() => dash_ag_grid.getApi('rs-grid').applyColumnState({state: [{colId: 'label', sort: 'asc'}], defaultState: {sort: null}})"
    )
    page.evaluate("() => dash_ag_grid.getApi('rs-grid').ensureIndexVisible(0, 'top')")
    page.wait_for_timeout(300)
    return samples


def _visible_row_cells(page, column="area"):
    """Centres of ``column`` cells of the grid rows fully in view: ``[(x, y, row_id)]``."""
    return page.evaluate(
        """(column) => {
            const body = document.querySelector('#rs-grid .ag-body-viewport').getBoundingClientRect();
            const out = [];
            for (const cell of document.querySelectorAll(`#rs-grid .ag-center-cols-container .ag-row .ag-cell[col-id="${column}"]`)) {
                const r = cell.getBoundingClientRect();
                if (r.top >= body.top + 2 && r.bottom <= body.bottom - 2 && r.width > 4 && r.left >= body.left && r.right <= body.right) {
                    out.push([r.left + r.width / 2, r.top + r.height / 2, cell.parentElement.getAttribute('row-id')]);
                }
            }
            return out.sort((a, b) => a[1] - b[1]);
        }""",
        column,
    )


def measure_click_row(page, reps, *, timeout_ms=60000):
    """Click a grid row (trusted click) -> the outline path drawn and the axes zoomed."""
    samples = []
    cells = _visible_row_cells(page)
    if not cells:
        cells = _visible_row_cells(page, "label")
    for rep in range(reps):
        x, y, row_id = cells[(rep * 3) % len(cells)] if len(cells) > reps else cells[rep % len(cells)]
        page.evaluate(
            """(timeout) => {
                const path = __rs.shapePath(), range = __rs.range();
                __rs.arm('click', () => { const p = __rs.shapePath(); return p !== '' && p !== path && __rs.range() !== range; }, timeout);
            }""",
            timeout_ms,
        )
        page.mouse.click(x, y)
        result = page.evaluate("() => __rs.collect()")
        ms, frame = _elapsed(result)
        samples.append({"ms": ms, "frame": frame, "row_id": row_id})
        page.wait_for_timeout(250)
    return samples


def reset_view(page, timeout_ms=60000):
    """Back to the whole image (what double-click does), waiting for the redraw."""
    page.evaluate(
        """async () => {
            const gd = __rs.gd();
            await Plotly.relayout(gd, {'xaxis.autorange': true, 'yaxis.autorange': true, shapes: []});
        }"""
    )
    page.wait_for_timeout(300)


def _plot_centre(page):
    return page.evaluate(
        """() => { const gd = __rs.gd(); const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
                  const r = gd.getBoundingClientRect();
                  return [r.left + xa._offset + xa._length / 2, r.top + ya._offset + ya._length / 2, xa._length, ya._length]; }"""
    )


def measure_zoom(page, reps, *, timeout_ms=60000):
    """Mouse wheel over the image (alternately in and out) -> both images redrawn at the new range.

    Plotly shows a scaled preview at once and redraws 50 ms (its REDRAWDELAY)
    after the last wheel event; this times the redraw.
    """
    samples = []
    cx, cy, _, _ = _plot_centre(page)
    page.mouse.move(cx, cy)
    page.wait_for_timeout(200)
    for rep in range(reps):
        delta = -240 if rep % 2 == 0 else 240
        page.evaluate(
            "(timeout) => __rs.arm('wheel', __rs.redrawnSince(), timeout)",
            timeout_ms,
        )
        page.mouse.wheel(0, delta)
        result = page.evaluate("() => __rs.collect()")
        ms, frame = _elapsed(result)
        samples.append({"ms": ms, "frame": frame, "direction": "in" if delta < 0 else "out"})
        page.wait_for_timeout(300)
    return samples


def measure_pan(page, reps, *, timeout_ms=60000):
    """Drag the image (alternately left and right) -> both images redrawn, from the mouse-up."""
    samples = []
    cx, cy, width, _ = _plot_centre(page)
    step = min(120.0, width / 5)
    for rep in range(reps):
        sign = 1 if rep % 2 == 0 else -1
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + sign * step / 2, cy + 10, steps=3)
        page.mouse.move(cx + sign * step, cy + 20, steps=3)
        page.evaluate(
            "(timeout) => __rs.arm('mouseup', __rs.redrawnSince(), timeout)",
            timeout_ms,
        )
        page.mouse.up()
        result = page.evaluate("() => __rs.collect()")
        ms, frame = _elapsed(result)
        samples.append({"ms": ms, "frame": frame, "direction": "right" if sign > 0 else "left"})
        page.wait_for_timeout(300)
    return samples


def box_select_available(page):
    """Whether the figure offers box or lasso selection (the modebar buttons)."""
    return page.evaluate(
        '() => Boolean(document.querySelector(\'#rs-graph .modebar-btn[data-val="select"], #rs-graph .modebar-btn[data-val="lasso"]\'))'
    )


def _set_dragmode(page, mode):
    """Choose a drag mode in the image's mode bar, as a user does."""
    page.locator("#rs-graph").hover()
    page.locator(f"#rs-graph .modebar-btn[data-attr='dragmode'][data-val='{mode}']").click()
    page.wait_for_function("(mode) => __rs.gd()._fullLayout.dragmode === mode", arg=mode)


def _selected_count(page):
    return page.evaluate("() => dash_ag_grid.getApi('rs-grid').getSelectedRows().length")


def _clear_selection(page):
    page.evaluate("() => dash_ag_grid.getApi('rs-grid').deselectAll()")
    page.wait_for_function("() => dash_ag_grid.getApi('rs-grid').getSelectedRows().length === 0")
    page.wait_for_timeout(300)


def points_in_polygon(x, y, polygon):
    """Even-odd test of points ``(x, y)`` against a polygon ``(n, 2)`` (vectorised ray casting)."""
    inside = np.zeros(len(x), dtype=bool)
    xs, ys = polygon[:, 0], polygon[:, 1]
    for i in range(len(polygon)):
        j = i - 1
        crosses = (ys[i] > y) != (ys[j] > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = (xs[j] - xs[i]) * (y - ys[i]) / (ys[j] - ys[i]) + xs[i]
        inside ^= crosses & (x < at)
    return inside


def measure_select(page, table, reps, *, mode="select", timeout_ms=15000, seed=2):
    """Box (``mode="select"``) or lasso over the image -> grid rows selected, from the mouse-up.

    The shape covers about an eighth of the plot's width at a random place;
    ``expected`` counts the regions whose centroid is inside (how the app
    selects) for a sanity check, ``got`` what the grid selected.
    """
    rng = np.random.default_rng(seed)
    cx, cy, width, height = _plot_centre(page)
    left, top = cx - width / 2, cy - height / 2
    rows, cols = np.asarray(table["centroid-0"]), np.asarray(table["centroid-1"])
    samples = []
    _set_dragmode(page, mode)
    try:
        for _ in range(reps):
            _clear_selection(page)
            reset_view(page)  # the whole image (a selection can move the view, e.g. to a focused row)
            side = width / 8 if mode == "select" else width / 6
            for _attempt in range(50):  # a place with at least one centroid inside
                x0 = left + rng.uniform(0.1, 0.75) * width
                y0 = top + rng.uniform(0.1, 0.75) * height
                if mode == "select":
                    path = [(x0, y0), (x0 + side / 2, y0 + side / 2), (x0 + side, y0 + side)]
                    corners = [(x0, y0), (x0 + side, y0 + side)]
                else:  # a diamond
                    path = [
                        (x0 + side / 2, y0),
                        (x0 + side, y0 + side / 2),
                        (x0 + side / 2, y0 + side),
                        (x0, y0 + side / 2),
                        (x0 + side / 2, y0 + 1),
                    ]
                    corners = path[:4]
                data = [page.evaluate("([x, y]) => __rs.toData(x, y)", list(point)) for point in corners]
                if mode == "select":
                    (c0, r0), (c1, r1) = data
                    inside = (cols >= min(c0, c1)) & (cols <= max(c0, c1)) & (rows >= min(r0, r1)) & (rows <= max(r0, r1))
                else:
                    inside = points_in_polygon(cols, rows, np.asarray(data))
                if inside.any():
                    break
            expected = int(np.count_nonzero(inside))
            page.mouse.move(*path[0])
            page.mouse.down()
            for point in path[1:]:
                page.mouse.move(*point, steps=4)
            page.evaluate(
                "(timeout) => __rs.arm('mouseup', () => dash_ag_grid.getApi('rs-grid').getSelectedRows().length > 0, timeout)",
                timeout_ms,
            )
            page.mouse.up()
            result = page.evaluate("() => __rs.collect()")
            ms, frame = _elapsed(result)
            page.wait_for_timeout(200)
            samples.append({"ms": ms, "frame": frame, "expected": expected, "got": _selected_count(page)})
    finally:
        _clear_selection(page)
        _set_dragmode(page, "pan")
    return samples


def run_interactions(page, labels, table, reps, *, sort=True, say=print):
    """Every timed interaction on a loaded page, in an order that keeps them independent.

    Parameters
    ----------
    page : playwright Page, loaded (``__rs.ready()``)
    labels : ndarray, the label image (to aim the mouse)
    table : dict of ndarray, ``label``, ``area``, ``intensity_mean`` (expected answers)
    reps : int

    Returns
    -------
    dict
        interaction name -> list of samples (``ms`` None when it timed out).
    """
    results = {}
    areas = np.asarray(table["area"])
    say("    filter (grid column filter) ...")
    results["filter"] = measure_filter(page, areas, reps)
    say("    query box ...")
    results["query"] = measure_query(page, areas, reps if reps < 3 else max(3, reps // 2))
    say("    hover ...")
    results["hover"] = measure_hover(page, labels, reps)
    if sort:
        say("    sort ...")
        results["sort"] = measure_sort(page, table, reps)
    say("    click row ...")
    results["click_row"] = measure_click_row(page, reps)
    reset_view(page)
    say("    zoom, pan ...")
    results["zoom"] = measure_zoom(page, reps)
    reset_view(page)
    results["pan"] = measure_pan(page, reps)
    results["box_select_available"] = box_select_available(page)
    if results["box_select_available"]:
        reset_view(page)
        for mode, key in (("select", "box_select"), ("lasso", "lasso_select")):
            say(f"    {key} ...")
            try:
                results[key] = measure_select(page, table, reps, mode=mode)
            except Exception as exc:  # noqa: BLE001 - a feature in progress must not sink the run
                results[key] = []
                results[key + "_error"] = f"{type(exc).__name__}: {exc}"[:500]
    return results
