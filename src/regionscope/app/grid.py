"""The region table as Dash AG Grid column definitions and row data.

Rows are keyed by the region's label (``getRowId``), never by position.
"""

from __future__ import annotations

import numpy as np

#: How floats are shown: 4 significant digits, no trailing zeros.
FLOAT_FORMAT = {"function": "params.value == null ? '' : d3.format('.4~g')(params.value)"}
#: Row id of a region: its label as a string (String() is unavailable in the grid's evaluator).
ROW_ID = "params.data.label + ''"
#: Grid options the column definitions rely on: a ``field`` is a flat key of the
#: row, never a path. AG Grid otherwise reads ``intensity_mean-GFP.v2`` as
#: ``row["intensity_mean-GFP"]["v2"]`` and shows an empty column. (A
#: ``valueGetter`` per column would need the name inside JavaScript text.)
GRID_FIELD_OPTIONS = {"suppressFieldDotNotation": True}


def column_defs(table):
    """AG Grid column definitions for a region table.

    Every ``field`` is the column name as is (dots included): the grid must
    be created with :data:`GRID_FIELD_OPTIONS`.

    Parameters
    ----------
    table : pandas.DataFrame

    Returns
    -------
    list of dict
        ``label`` pinned left; numeric columns right-aligned with number
        filters; floats with 4 significant digits; text and bool columns with
        text filters.
    """
    definitions = []
    for column in table.columns:
        kind = table[column].dtype.kind
        definition = {"field": column, "headerName": column, "headerTooltip": column}
        if kind in "iuf":
            definition["filter"] = "agNumberColumnFilter"
            definition["type"] = "rightAligned"
            if kind == "f":
                definition["valueFormatter"] = FLOAT_FORMAT
        else:
            definition["filter"] = "agTextColumnFilter"
        if column == "label":
            definition.update({"pinned": "left", "width": 110, "sort": "asc"})
        definitions.append(definition)
    return definitions


def row_data(table):
    """The table as JSON-ready records (NaN and infinities become null).

    Parameters
    ----------
    table : pandas.DataFrame

    Returns
    -------
    list of dict
    """
    frame = table.astype(object).where(table.notna(), None)
    records = frame.to_dict("records")
    for column in table.columns:
        if table[column].dtype.kind == "f":
            values = table[column].to_numpy()
            bad = ~np.isfinite(values)
            for position in np.flatnonzero(bad):
                records[position][column] = None
    return records


def default_hover_columns(table, limit=5):
    """Columns shown on hover until the user chooses: label and the first few measures."""
    preferred = ["label", "area", "intensity_mean", "eccentricity", "solidity", "perimeter"]
    chosen = [c for c in preferred if c in table.columns]
    return chosen[:limit]
