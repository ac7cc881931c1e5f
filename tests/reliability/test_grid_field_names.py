"""Issue 9.12: a channel named ``GFP.v2`` showed an empty grid column.

AG Grid reads a dot in a column's ``field`` as a path into nested objects
(``data["intensity_mean-GFP"]["v2"]``). The grid is told to take fields as
flat keys (``suppressFieldDotNotation``), so any column name works.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionscope.app.grid import GRID_FIELD_OPTIONS, column_defs, row_data
from regionscope.app.layout import build_layout

NAMES = ["label", "intensity_mean-GFP.v2", "a.b.c", "x[0]", "with space", "ünï.cødé"]


def _table():
    return pd.DataFrame({name: np.array([1, 2], dtype=np.int64) if name == "label" else [0.5, 1.5] for name in NAMES})


def test_column_fields_are_the_column_names_and_the_row_keys():
    table = _table()
    definitions = column_defs(table)
    records = row_data(table)
    assert [d["field"] for d in definitions] == NAMES
    for definition in definitions:
        assert definition["field"] in records[0]
    assert records[1]["intensity_mean-GFP.v2"] == 1.5


def _find_grid(component):
    if getattr(component, "id", None) == "rs-grid":
        return component
    children = getattr(component, "children", None)
    if children is None:
        return None
    for child in children if isinstance(children, (list, tuple)) else [children]:
        found = _find_grid(child)
        if found is not None:
            return found
    return None


def test_the_grid_reads_fields_as_flat_keys():
    assert GRID_FIELD_OPTIONS == {"suppressFieldDotNotation": True}
    grid = _find_grid(build_layout("some-dataset", None))
    assert grid is not None
    for key, value in GRID_FIELD_OPTIONS.items():
        assert grid.dashGridOptions[key] == value
