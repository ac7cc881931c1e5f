"""Issue 9.8 without a browser: labels up to 2**64 - 1 travel exactly (the browser test drives the page)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regionscope.app.annotation_callbacks import selected_labels  # noqa: E402
from regionscope.app.display import json_labels, label_value  # noqa: E402
from regionscope.app.grid import column_defs, row_data  # noqa: E402
from regionscope.contours import region_contours  # noqa: E402
from regionscope.measurement import measure  # noqa: E402

from server_support import response_values, serve  # noqa: E402

HUGE = [7, 2**40, 2**40 + 1, 2**63, 2**64 - 1]


def huge_mask():
    labels = np.zeros((12, 30), dtype=np.uint64)
    for k, value in enumerate(HUGE):
        labels[2:6, 1 + 6 * k : 5 + 6 * k] = value
    return labels


def test_measure_and_contours_keep_uint64_labels():
    labels = huge_mask()
    table = measure(None, labels, ["label", "area"])
    assert table["label"].dtype == np.uint64
    assert [int(v) for v in table["label"]] == HUGE
    assert table["area"].tolist() == [16] * 5
    contours = region_contours(labels)
    assert sorted(int(v) for v in contours.labels()) == HUGE
    assert len(contours.rings(2**64 - 1)) == 1


def test_labels_for_the_browser_are_exact():
    assert json_labels(np.array([1, 2, 3])) == [1, 2, 3]  # numbers while they are exact in JavaScript
    assert json_labels(np.array(HUGE, dtype=np.uint64)) == [str(v) for v in HUGE]
    assert json_labels(np.array([2**53 - 1])) == [2**53 - 1] and json_labels(np.array([2**53])) == ["9007199254740992"]
    assert [label_value(v) for v in ("18446744073709551615", 7, 7.0, "٣", "1e3", True, None)] == [
        2**64 - 1,
        7,
        7,
        None,
        None,
        None,
        None,
    ]
    assert selected_labels({"ids": ["18446744073709551615", "7"]}) == [2**64 - 1, 7]
    assert selected_labels([{"label": "9223372036854775808"}]) == [2**63]


def test_the_grid_gets_string_labels_and_a_numeric_order():
    table = measure(None, huge_mask(), ["label", "area"])
    assert [row["label"] for row in row_data(table)] == [str(v) for v in HUGE]
    label_column = column_defs(table)[0]
    assert label_column["filter"] == "agTextColumnFilter" and "comparator" in label_column


def test_the_overlay_payload_has_every_label_exactly():
    labels = huge_mask()
    image = np.where(labels > 0, 200, 0).astype(np.uint8)
    with serve(image, labels, name="huge") as served:
        client = served.client()
        dependency = client.callback_of("rs-overlay-colors.data")
        reply = client.call(
            dependency,
            {"rs-color-by.value": "area", "rs-colormap.value": "Viridis", "rs-dataset.data": {"id": served.dataset.id}},
            "rs-color-by.value",
        )
        assert reply.status == 200
        assert response_values(reply)["rs-overlay-colors.data"]["labels"] == [str(v) for v in HUGE]
        query = client.call(
            client.callback_of("rs-query-result.data"),
            {"rs-query.value": "area > 0", "rs-dataset.data": {"id": served.dataset.id}},
            "rs-query.value",
        )
        assert response_values(query)["rs-query-result.data"]["labels"] == [str(v) for v in HUGE]


def test_json_labels_of_a_python_list_mixing_small_and_huge_labels_is_exact():
    # The annotation store returns Python ints; NumPy would make this mix float64.
    assert json_labels([2**40 + 1, 2**64 - 1]) == ["1099511627777", "18446744073709551615"]
    assert json_labels([3, 7]) == [3, 7] and json_labels([]) == []
