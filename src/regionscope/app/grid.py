"""The region table as Dash AG Grid column definitions and row data.

Rows are keyed by the region's label (``getRowId``), never by position.
"""

from __future__ import annotations

import numpy as np

from regionscope.app.colors import numeric_columns
from regionscope.export import with_class_column

#: How floats are shown: 4 significant digits, no trailing zeros.
FLOAT_FORMAT = {"function": "params.value == null ? '' : d3.format('.4~g')(params.value)"}
#: Row id of a region: its label as a string (String() is unavailable in the grid's evaluator).
ROW_ID = "params.data.label + ''"
#: Grid options the column definitions rely on: a ``field`` is a flat key of the
#: row, never a path. AG Grid otherwise reads ``intensity_mean-GFP.v2`` as
#: ``row["intensity_mean-GFP"]["v2"]`` and shows an empty column. (A
#: ``valueGetter`` per column would need the name inside JavaScript text.)
GRID_FIELD_OPTIONS = {"suppressFieldDotNotation": True}
#: Labels above this are sent as decimal strings (a browser's numbers are exact up to 2**53 - 1).
MAX_SAFE_INTEGER = 2**53 - 1
#: Sort order of labels sent as decimal strings: by length, then by digits (numeric order).
STRING_LABEL_ORDER = {"function": "(valueA.length - valueB.length) || (valueA < valueB ? -1 : valueA > valueB ? 1 : 0)"}


def labels_as_strings(table):
    """Whether the table's labels go to the browser as strings (some are above 2**53 - 1)."""
    return (
        "label" in table.columns
        and len(table) > 0
        and table["label"].dtype.kind in "iu"
        and int(table["label"].max()) > MAX_SAFE_INTEGER
    )


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
    string_labels = labels_as_strings(table)
    for column in table.columns:
        kind = table[column].dtype.kind
        if column == "label" and string_labels:
            kind = "O"
        definition = {"field": column, "headerName": column, "headerTooltip": column}
        if kind in "iuf":
            definition["filter"] = "agNumberColumnFilter"
            definition["filterParams"] = NUMBER_FILTER
            definition["type"] = "rightAligned"
            if kind == "f":
                definition["valueFormatter"] = FLOAT_FORMAT
        else:
            definition["filter"] = "agTextColumnFilter"
        definition["width"] = column_width(column, table[column])
        if column == "label":
            definition.update({"pinned": "left", "sort": "asc"})
            if string_labels:
                definition.update({"comparator": STRING_LABEL_ORDER, "type": "rightAligned", "width": 190})
        definitions.append(definition)
    return definitions


#: Number filters start at "≥": typing 500 under ``area`` keeps regions of
#: area 500 and more (AG Grid's default, "equals", almost always shows none).
NUMBER_FILTER = {
    "defaultOption": "greaterThanOrEqual",
    "filterOptions": [
        "greaterThanOrEqual",
        "lessThanOrEqual",
        "greaterThan",
        "lessThan",
        "equals",
        "notEqual",
        "inRange",
        "blank",
        "notBlank",
    ],
    "maxNumConditions": 2,
}
#: Pixels per character of the grid's font, and room for the header's sort and
#: menu icons and the cell padding.
CHAR_WIDTH = 7.5
HEADER_EXTRA = 48
CELL_EXTRA = 34
#: Column widths in pixels: wide enough for a typed filter value, narrow enough
#: that several columns fit; longer header names wrap (``wrapHeaderText``).
MIN_WIDTH, MAX_WIDTH = 104, 190


def column_width(name, values):
    """A column's width in pixels, from its header and its longest shown value.

    Computed here rather than by the grid's ``autoSize``: that measures only
    the rows rendered at the moment it runs, so widths differed between loads
    (every column 200 px when it ran before the rows arrived).

    Parameters
    ----------
    name : str
    values : pandas.Series

    Returns
    -------
    int
    """
    sample = values.dropna()
    if len(sample) > 2000:
        sample = sample.iloc[:: len(sample) // 2000]
    if values.dtype.kind == "f":
        finite = sample[np.isfinite(sample.to_numpy(dtype=float))]
        longest = max((len(f"{v:.4g}") for v in finite), default=1)
    else:
        longest = max((len(str(v)) for v in sample), default=1)
    header = min(len(name), 18)  # longer names wrap onto a second header line
    width = max(header * CHAR_WIDTH + HEADER_EXTRA, longest * CHAR_WIDTH + CELL_EXTRA)
    return int(np.clip(np.ceil(width), MIN_WIDTH, MAX_WIDTH))


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


def grid_of(dataset, assignments, cache, added=None):
    """The grid's rows and column definitions for a dataset with its classes (``class`` after ``label``).

    The rows and columns of the table itself are made once per dataset (``cache``): on a
    10,000-region table they cost 120 ms, for every page that opens it. Only the class
    column and the added columns (predictions, embedding axes) are made per request; rows
    without a class have no ``class`` field (the grid shows it blank, as it shows null).

    Parameters
    ----------
    dataset : Dataset
    assignments : dict of str to str
        ``{label (as text): class name}`` (the ``rs-classes`` store's).
    cache : SmallCache
    added : pandas.DataFrame or None
        More columns by table row, placed after ``class`` (:meth:`Explorer.added_columns`).

    Returns
    -------
    rows : list of dict
    column_defs : list of dict
    """
    rows, definitions = cache.get(dataset.id, lambda: (row_data(dataset.table), column_defs(dataset.table)))
    classes = with_class_column(dataset.table[["label"]], assignments)
    more = classes[["class"]]
    if added is not None:
        more = more.assign(**{name: added[name].to_numpy() for name in added.columns})
    at = next((k + 1 for k, d in enumerate(definitions) if d["field"] == "label"), 0)
    definitions = [*definitions[:at], *column_defs(more), *definitions[at:]]
    if assignments:
        names = classes["class"].astype(object).where(classes["class"].notna(), None).tolist()
        rows = [row if name is None else {**row, "class": name} for row, name in zip(rows, names, strict=True)]
    if added is not None and len(added.columns):
        # Floats to 4 decimals: what the grid shows, at a third of the JSON.
        columns = {
            name: (np.round(added[name].to_numpy(), 4) if added[name].dtype.kind == "f" else added[name].to_numpy()).tolist()
            for name in added.columns
        }
        values = list(zip(*columns.values(), strict=True))
        names = list(columns)
        rows = [{**row, **dict(zip(names, value, strict=True))} for row, value in zip(rows, values, strict=True)]
    return rows, definitions


def color_options(table):
    """What can colour the regions: numeric columns, the class and, with a classifier, the predicted class."""
    return numeric_columns(table) + ["class"] + (["predicted_class"] if "predicted_class" in table.columns else [])
