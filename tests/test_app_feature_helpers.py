"""Plain helpers of the feature callbacks, without a browser: the grid payload, the query, focus geometry."""

from __future__ import annotations

import numpy as np
import pytest

from regionscope.app.focus_callbacks import focus_zoom, nearest_plane
from regionscope.app.grid import grid_of
from regionscope.app.query_callbacks import INVALID, VALID, query_result
from regionscope.app.view_cache import SmallCache
from regionscope.app.view_callbacks import dataset_title
from regionscope.app.view_data import view_data
from regionscope.dataset import prepare_dataset
from regionscope.io import ImageData


@pytest.fixture
def three():
    labels = np.zeros((6, 8), dtype=np.int32)
    labels[0:2, 0:2] = 3
    labels[3:6, 2:5] = 7
    labels[1, 6] = 9
    return prepare_dataset(ImageData(labels.astype(float)), labels, name="three.tif")


def test_grid_of_puts_the_class_after_label_and_only_in_classified_rows(three):
    cache = SmallCache()
    rows, columns = grid_of(three, {"7": "nucleus"}, cache)
    fields = [c["field"] for c in columns]
    assert fields[:2] == ["label", "class"] and len(fields) == len(three.table.columns) + 1
    assert [row.get("class") for row in rows] == [None, "nucleus", None]
    assert "class" not in rows[0]  # no class: no field (shown blank, as null)
    # The table's own rows are made once per dataset and never changed by a request.
    again, _ = grid_of(three, {}, cache)
    assert all("class" not in row for row in again)
    assert again[1]["label"] == 7


def test_query_result_parses_and_filters_and_says_mistakes(three):
    result, error, css = query_result(three, "area > 1", lambda: {})
    assert (result["labels"], result["text"], error, css) == ([3, 7], "area > 1", "", VALID)
    assert query_result(three, "  ", lambda: {}) == (None, "", VALID)
    result, error, css = query_result(three, "area >", lambda: {})
    assert result is None and css == INVALID and error
    asked = []
    query_result(three, "class == 'x'", lambda: asked.append(1) or {})
    query_result(three, "area > 0", lambda: asked.append(2) or {})
    assert asked == [1]  # the classes are read only for a query about them
    assert query_result(three, 5, lambda: {}) == (None, "The query must be text.", INVALID)


def test_focus_geometry_and_title(three):
    row = three.row_of(7)
    zoom = focus_zoom(three, row, {"label": 7, "time": 12})
    assert zoom["id"] == "7-12" and zoom["x"][0] < 2 and zoom["x"][1] > 5
    assert nearest_plane(view_data(three), 7, 0) == 0
    assert dataset_title(three, 3) == "three.tif · 8×6 · 3 regions"
