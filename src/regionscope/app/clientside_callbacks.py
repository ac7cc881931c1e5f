"""The callbacks that run in the browser (``assets/regionscope.js``), registered for one explorer.

Each function gets the explorer's ``rs-explorer`` store as its last argument
(:meth:`Explorer.clientside <regionscope.app.explorer.Explorer.clientside>`), so
the page's scripts know whose components and whose browser-side state they
use. The callback graph is drawn in :mod:`regionscope.app.explorer`.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State


def register(explorer):
    """Attach the clientside callbacks of ``explorer``."""
    ids = explorer.ids

    explorer.clientside(
        "renderOverlay",
        Output(ids.OVERLAY, "data"),
        Input(ids.LABEL_MAP, "data"),
        Input(ids.OVERLAY_COLORS, "data"),
        Input(ids.GRID, "virtualRowData"),
        Input(ids.OVERLAY_MODE, "value"),
        Input(ids.GRID, "selectedRows"),
        State(ids.OVERLAY, "data"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "composeFigure",
        Output(ids.GRAPH, "figure"),
        Input(ids.SKELETON, "data"),
        Input(ids.PICTURE, "data"),
        Input(ids.OVERLAY_COLORS, "data"),
        Input(ids.OVERLAY, "data"),
        Input(ids.HIGHLIGHT, "data"),
        Input(ids.OPACITY, "value"),
        Input(ids.DETAIL, "data"),
        State(ids.PLANE, "value"),
        State(ids.CHANNEL, "value"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "showHover",
        Output(ids.HOVER_INFO, "children"),
        Input(ids.GRAPH, "hoverData"),
        State(ids.HOVER_COLUMNS, "value"),
        State(ids.OVERLAY, "data"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "clickImage",
        Output(ids.FOCUS, "data", allow_duplicate=True),
        Output(ids.GRID, "selectedRows"),
        Output(ids.GRID, "scrollTo"),
        Input(ids.GRAPH, "clickData"),
        State(ids.OVERLAY, "data"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "selectInImage",
        Output(ids.GRID, "selectedRows", allow_duplicate=True),
        Input(ids.GRAPH, "selectedData"),
        State(ids.GRID, "virtualRowData"),
        State(ids.GRID, "selectedRows"),
        State(ids.OVERLAY, "data"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "clickRow",
        Output(ids.FOCUS, "data", allow_duplicate=True),
        Input(ids.GRID, "cellClicked"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "showFocus",
        Output(ids.FOCUS_SHOWN, "data"),
        Input(ids.FOCUS, "data"),
    )
    explorer.clientside(
        "applyExternalFilter",
        Output(ids.FILTER_APPLIED, "data"),
        Input(ids.QUERY_RESULT, "data"),
        Input(ids.EXCLUDED, "data"),
        Input(ids.DATASET, "data"),
        Input(ids.GRID, "rowData"),
        Input(ids.GATES, "data"),
    )
    explorer.clientside(
        "showCount",
        Output(ids.COUNT, "children"),
        Input(ids.GRID, "virtualRowData"),
        Input(ids.FILTER_APPLIED, "data"),
        State(ids.GRID, "rowData"),
    )
    explorer.clientside(
        "exportScope",
        Output(ids.SCOPE, "data"),
        Input(ids.GRID, "virtualRowData"),
        Input(ids.GRID, "selectedRows"),
    )
    explorer.clientside(
        "exportClassOptions",
        Output(ids.EXPORT_CLASS, "options"),
        Input(ids.CLASSES, "data"),
    )
    explorer.clientside(
        "applySession",
        Output(ids.GATES, "data", allow_duplicate=True),
        Input(ids.SESSION, "data"),
        State(ids.GATES, "data"),
        prevent_initial_call="initial_duplicate",
    )
    explorer.clientside("nextClassColor", Output(ids.CLASS_COLOR, "value"), Input(ids.CLASSES, "data"), prevent_initial_call=True)
    explorer.clientside(
        "showClasses",
        Output(ids.CLASS_BAR, "children"),
        Input(ids.CLASSES, "data"),
    )
    explorer.clientside(
        "classColumn",
        Output(ids.GRID, "rowTransaction"),
        Input(ids.CLASSES, "data"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "clearFilters",
        Output(ids.GRID, "filterModel"),
        Output(ids.QUERY, "value"),
        Output(ids.GATES, "data", allow_duplicate=True),
        Input(ids.CLEAR_FILTERS, "n_clicks"),
        State(ids.GATES, "data"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "composePlot",
        Output(ids.PLOT, "figure"),
        Input(ids.GRID, "virtualRowData"),
        Input(ids.PLOT_X, "value"),
        Input(ids.PLOT_Y, "value"),
        Input(ids.PLOT_LOG, "value"),
        Input(ids.OVERLAY_COLORS, "data"),
        Input(ids.GRID, "selectedRows"),
        Input(ids.PLOT_BOX, "open"),
        State(ids.DATASET, "data"),
    )
    explorer.clientside(
        "selectInPlot",
        Output(ids.GRID, "selectedRows", allow_duplicate=True),
        Input(ids.PLOT, "selectedData"),
        State(ids.GRID, "virtualRowData"),
        State(ids.GRID, "selectedRows"),
        State(ids.PLOT_X, "value"),
        State(ids.PLOT_Y, "value"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "keepGate",
        Output(ids.GATES, "data", allow_duplicate=True),
        Input(ids.KEEP_GATE, "n_clicks"),
        State(ids.GATES, "data"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "removeGate",
        Output(ids.GATES, "data", allow_duplicate=True),
        Input({"type": ids.GATE_REMOVE, "index": ALL}, "n_clicks"),
        State(ids.GATES, "data"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    explorer.clientside("planeLabel", Output(ids.PLANE_LABEL, "children"), Input(ids.PLANE, "value"), Input(ids.PLANE, "max"))
    explorer.clientside(
        "toggleHelp",
        Output(ids.HELP, "hidden"),
        Input(ids.HELP_OPEN, "n_clicks"),
        Input(ids.HELP_CLOSE, "n_clicks"),
        prevent_initial_call=True,
    )
    explorer.clientside(
        "listFilters",
        Output(ids.ACTIVE_FILTERS, "children"),
        Input(ids.QUERY_RESULT, "data"),
        Input(ids.GRID, "filterModel"),
        Input(ids.GATES, "data"),
        Input(ids.EXCLUDED, "data"),
        Input(ids.DATASET, "data"),
    )
