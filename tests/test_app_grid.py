"""The region table as AG Grid column definitions and JSON-ready rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from regionscope.app.grid import FLOAT_FORMAT, column_defs, default_hover_columns, row_data


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "label": np.array([1, 2, 7], dtype=np.int64),
            "area": np.array([4, 6, 1], dtype=np.uint32),
            "solidity": np.array([1.0, np.nan, 0.25]),
            "ratio": np.array([np.inf, -np.inf, 2.5], dtype=np.float32),
            "touches_border": [False, True, True],
            "name": ["a", "b", None],
        }
    )


def _by_field(definitions):
    return {d["field"]: d for d in definitions}


# --- column_defs --------------------------------------------------------------


def test_column_defs_one_per_column_in_order(table):
    definitions = column_defs(table)
    assert [d["field"] for d in definitions] == list(table.columns)
    for d in definitions:
        assert d["headerName"] == d["field"] == d["headerTooltip"]


def test_column_defs_label_pinned_left(table):
    label = _by_field(column_defs(table))["label"]
    assert label["pinned"] == "left"
    assert label["sort"] == "asc"
    assert label["filter"] == "agNumberColumnFilter"
    assert "valueFormatter" not in label


def test_column_defs_only_label_is_pinned(table):
    pinned = [d["field"] for d in column_defs(table) if "pinned" in d]
    assert pinned == ["label"]


def test_column_defs_float_has_formatter(table):
    defs = _by_field(column_defs(table))
    for field in ("solidity", "ratio"):
        assert defs[field]["valueFormatter"] == FLOAT_FORMAT
        assert defs[field]["filter"] == "agNumberColumnFilter"
        assert defs[field]["type"] == "rightAligned"


def test_column_defs_int_without_formatter(table):
    area = _by_field(column_defs(table))["area"]
    assert "valueFormatter" not in area
    assert area["filter"] == "agNumberColumnFilter"
    assert area["type"] == "rightAligned"


def test_column_defs_text_filter_for_strings_and_bools(table):
    defs = _by_field(column_defs(table))
    for field in ("touches_border", "name"):
        assert defs[field]["filter"] == "agTextColumnFilter"
        assert "type" not in defs[field]
        assert "valueFormatter" not in defs[field]


def test_column_defs_json_serialisable(table):
    json.dumps(column_defs(table))


# --- row_data -----------------------------------------------------------------


def test_row_data_values(table):
    rows = row_data(table)
    assert rows == [
        {"label": 1, "area": 4, "solidity": 1.0, "ratio": None, "touches_border": False, "name": "a"},
        {"label": 2, "area": 6, "solidity": None, "ratio": None, "touches_border": True, "name": "b"},
        {"label": 7, "area": 1, "solidity": 0.25, "ratio": 2.5, "touches_border": True, "name": None},
    ]


def test_row_data_python_types(table):
    row = row_data(table)[0]
    assert type(row["label"]) is int
    assert type(row["area"]) is int
    assert type(row["solidity"]) is float
    assert type(row["touches_border"]) is bool


def test_row_data_strict_json(table):
    # allow_nan=False: NaN or Infinity would be invalid JSON in the browser.
    text = json.dumps(row_data(table), allow_nan=False)
    assert json.loads(text)[1]["solidity"] is None


def test_row_data_positional_with_non_default_index(table):
    subset = table.iloc[[2, 1]]
    rows = row_data(subset)
    assert [r["label"] for r in rows] == [7, 2]
    assert rows[1]["solidity"] is None
    assert rows[0]["ratio"] == 2.5


def test_row_data_empty_table(table):
    assert row_data(table.iloc[:0]) == []


def test_row_data_does_not_modify_table(table):
    before = table.copy()
    row_data(table)
    pd.testing.assert_frame_equal(table, before)


# --- default_hover_columns ----------------------------------------------------


def test_default_hover_columns_preferred_order():
    table = pd.DataFrame(columns=["perimeter", "solidity", "area", "label", "other"])
    assert default_hover_columns(table) == ["label", "area", "solidity", "perimeter"]


def test_default_hover_columns_limit():
    columns = ["label", "area", "intensity_mean", "eccentricity", "solidity", "perimeter"]
    table = pd.DataFrame(columns=columns)
    assert default_hover_columns(table) == columns[:5]
    assert default_hover_columns(table, limit=2) == ["label", "area"]


def test_default_hover_columns_none_preferred():
    assert default_hover_columns(pd.DataFrame(columns=["x", "y"])) == []
