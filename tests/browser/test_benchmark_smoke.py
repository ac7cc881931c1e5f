"""Smoke test of the performance benchmark (``benchmarks/``) on a tiny dataset.

The same code paths as ``make bench``, end to end: synthetic data, preparation
timed in a server process that serves the app on 127.0.0.1 (and is stopped
again), a cold page load with byte counting, one run of every interaction in
headless Chromium, the old design built and rendered, and the report. Times are
not asserted (this machine's speed is not under test), only that every
measurement produced a number.
"""

from __future__ import annotations

import math
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium (make browsers)"),
]

INTERACTIONS = ("filter", "query", "hover", "sort", "click_row", "zoom", "pan")


def is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and math.isfinite(value)


def test_synthetic_data_is_deterministic_and_complete():
    from benchmarks.synthetic import cheap_table, make_synthetic

    image, labels = make_synthetic(128, 40, seed=3)
    again, labels_again = make_synthetic(128, 40, seed=3)
    assert image.dtype == np.uint16 and labels.dtype == np.int32
    assert np.array_equal(image, again) and np.array_equal(labels, labels_again)
    assert set(np.unique(labels)) == set(range(41))
    table = cheap_table(image, labels)
    assert len(table["label"]) == 40 and (table["area"] > 0).all()


def test_benchmark_end_to_end(browser, tmp_path):
    # `browser`: the browser suite's Chromium (one Playwright per test process).
    from benchmarks import harness, old_design
    from benchmarks.server_worker import ENCODE_PARTS, PREPARE_PARTS
    from benchmarks.synthetic import make_synthetic

    messages = []
    size = harness.bench_size(
        "a", 512, 300, browser=browser, workdir=tmp_path, reps=1, load_reps=1, prep_reps=1, say=messages.append
    )
    image, labels = make_synthetic(256, 30, seed=1)
    old = old_design.bench(browser, image, labels, reps=1, folder=tmp_path / "old-site")
    meta = harness.machine_info(browser)

    # The server ran on loopback in its own process and is gone now.
    address = urlsplit(size["url"])
    assert address.hostname == "127.0.0.1"
    with pytest.raises(OSError):
        socket.create_connection((address.hostname, address.port), timeout=2).close()

    # Server-side preparation: every part timed, sizes known.
    parts = size["server"]["parts"]["median"]
    for part in (*PREPARE_PARTS, *ENCODE_PARTS, "prepare_total", "encode_total"):
        assert is_number(parts[part]), part
    assert size["server"]["parts"]["sizes"]["n_regions"] == 300
    assert is_number(size["prepare_seconds"])
    assert is_number(size["server"]["open_files_seconds"])

    # Page load and bytes of the first view.
    assert is_number(size["load_seconds"])
    assert size["bytes"]["data"] > 0 and size["bytes"]["total"] > size["bytes"]["data"]
    assert is_number(size["bytes"]["ratio_data"])
    assert {"callbacks", "layout", "libraries"} <= set(size["bytes"]["by_category"])

    # One run of every interaction, each with a time.
    interactions = size["interactions"]
    for kind in INTERACTIONS:
        samples = interactions[kind]
        assert samples, kind
        assert all(is_number(sample["ms"]) for sample in samples), (kind, samples)
    assert interactions["box_select_available"] in (True, False)
    if interactions["box_select_available"]:  # box and lasso selection exist: measured too
        for kind in ("box_select", "lasso_select"):
            assert interactions[kind] and all(is_number(sample["ms"]) for sample in interactions[kind]), (kind, interactions)

    # Memory of the server process.
    memory = size["server_memory"]
    assert memory["peak_rss"] > 0 and memory["prepare_peak_rss"] > 0

    # The old design, built and rendered.
    assert is_number(old["prepare"]["total"]) and old["prepare"]["contours"] >= 0
    assert is_number(old["render"]["load_ms"]) and is_number(old["render"]["render_ms"])
    assert old["render"]["traces"] == 31  # the image + one trace per region

    # Evaluation and report.
    results = {"meta": dict(meta, quick=True), "sizes": {"a": size}, "old_design": [], "memory_sweep": []}
    results["evaluation"] = harness.evaluate(results)
    for row in results["evaluation"]:
        cell = row["sizes"]["a"]
        assert is_number(cell["value"]) or cell["value"] == harness.NOT_IMPLEMENTED, row
    report = "\n".join(harness.format_report(results))
    assert "table filter -> overlay updated" in report
    assert ("PASS" in report) or ("FAIL" in report)
    path = harness.write_results(results, tmp_path / "results")
    assert path.exists() and (tmp_path / "results" / "latest.json").exists()
