"""The region table as Dash AG Grid column definitions and row data.

Rows are keyed by the region's label (``getRowId``), never by position.
"""

from __future__ import annotations

import numpy as np

#: How floats are shown: 4 significant digits, no trailing zeros.
FLOAT_FORMAT = {"function": "params.value == null ? '' : d3.format('.4~g')(params.value)"}
#: Row id of a region: its label as a string (String() is unavailable in the grid's evaluator).
ROW_ID = "params.data.label + ''"
#: Labels above this are sent as decimal strings (a browser's numbers are exact up to 2**53 - 1).
MAX_SAFE_INTEGER = 2**53 - 1
#: Sort order of labels sent as decimal strings: by length, then by digits (numeric order).
STRING_LABEL_ORDER = {"function": "(valueA.length - valueB.length) || (valueA < valueB ? -1 : valueA > valueB ? 1 : 0)"}


def labels_as_strings(table):
    """Whether the table's labels go to the browser as strings (some are above 2**53 - 1)."""
    return "label" in table.columns and len(table) > 0 and table["label"].dtype.kind in "iu" and int(table["label"].max()) > MAX_SAFE_INTEGER


def column_defs(table):
    """AG Grid column definitions for a region table.

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
    string_labels = labels_as_strings(table)
    for column in table.columns:
        kind = table[column].dtype.kind
        if column == "label" and string_labels:
            kind = "O"
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
            if string_labels:
                definition.update({"comparator": STRING_LABEL_ORDER, "type": "rightAligned", "width": 190})
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
    if labels_as_strings(table):
        for record, label in zip(records, table["label"].tolist(), strict=True):
            record["label"] = str(label)
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
