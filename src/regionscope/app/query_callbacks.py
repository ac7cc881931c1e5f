"""The query box: its text parsed on the server (never evaluated), its matching labels sent to the grid.

Registered by :class:`regionscope.app.explorer.Explorer` (the callback graph is drawn there).
"""

from __future__ import annotations

from dash import Input, Output

from regionscope.app.display import json_labels
from regionscope.app.stores import QueryResult
from regionscope.errors import RegionscopeError
from regionscope.export import with_class_column
from regionscope.query import filter_mask, parse_filter

VALID, INVALID = "rs-query", "rs-query rs-invalid"


def query_result(dataset, text, assignments, table=None):
    """The ``rs-query-result`` of ``text`` on a dataset, and the error text ("" when it parses).

    Parameters
    ----------
    dataset : Dataset
    text : str or None
    assignments : callable
        ``assignments() -> {label: class}``, called only for a query about classes.
    table : pandas.DataFrame, optional
        The table as the page shows it (with predictions); default the dataset's.

    Returns
    -------
    (QueryResult or None, str, str)
        The result (None without a query or with a mistake), the error text and the box's class name.
    """
    if text is not None and not isinstance(text, str):
        return None, "The query must be text.", INVALID
    if not text or not text.strip():
        return None, "", VALID
    try:
        expression = parse_filter(text)
        # The class column costs a copy of the table and a database read: only for queries about classes.
        table = dataset.table if table is None else table
        table = with_class_column(table, assignments()) if "class" in text else table
        mask = filter_mask(table, expression)
    except RegionscopeError as exc:
        return None, str(exc), INVALID
    labels = dataset.label_values[mask]
    return QueryResult(dataset=dataset.id, labels=json_labels(labels), text=text.strip()), "", VALID


def register(explorer):
    """Attach the query callback of ``explorer``."""
    ids = explorer.ids

    @explorer.callback(
        Output(ids.QUERY_RESULT, "data"),
        Output(ids.QUERY_ERROR, "children"),
        Output(ids.QUERY, "className"),
        Input(ids.QUERY, "value"),
        Input(ids.DATASET, "data"),
        Input(ids.CLASSES, "data"),
        Input(ids.MODEL, "data"),
    )
    def run_query(text, store, _classes, _model):
        if not isinstance(text, str) or not text.strip():
            return query_result(None, text, None)
        # Run again whatever fired (new classes or predictions too): Dash drops an answer whose
        # inputs changed on its way and asks again with only the newest trigger, so a skip here
        # could leave the query unapplied. A query costs milliseconds.
        dataset = explorer.dataset_of(store)
        table = explorer.table_of(dataset) if "predicted_" in text else dataset.table
        return query_result(dataset, text, lambda: explorer.annotations.assignments(dataset.id), table)
