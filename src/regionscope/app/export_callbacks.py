"""Callbacks that take results away: table, label image, view and session files.

Registered by :class:`regionscope.app.explorer.Explorer` (the callback graph is drawn there). Which
regions are meant ("all", "shown" = passing every filter, "selected", and
optionally one class) is resolved here from the browser's ``rs-scope`` store
and the server's annotations; the files are made by :mod:`regionscope.export`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from dash import Input, Output, State, ctx, dcc, no_update

from regionscope.app import display
from regionscope.app.display import label_value
from regionscope.app.notices import notice
from regionscope.app.view_callbacks import shown_coloring
from regionscope.app.view_picture import view_png
from regionscope.errors import RegionscopeError
from regionscope.export import export_labels, export_table, select_rows, session_dict, write_session


def export_labels_of(dataset, scope, rows, class_name, assignments):
    """The labels an export is about.

    Parameters
    ----------
    dataset : Dataset
    scope : dict or None
        ``{"visible": [...], "selected": [...]}`` from the browser.
    rows : {"all", "visible", "selected"}
    class_name : str or None
        Keep only regions of this class ("" or None: any).
    assignments : dict of int to str

    Returns
    -------
    list of int
        In table order.
    """
    scope = scope if isinstance(scope, dict) else {}
    wanted = None
    if rows != "all":
        wanted = [label_value(value) for value in scope.get(rows) or []]
        if any(value is None for value in wanted):
            raise RegionscopeError("the page sent region labels that are not integers; reload the page")
    table = select_rows(
        dataset.table,
        labels=wanted,
        classes=assignments if class_name else None,
        class_name=class_name or None,
    )
    return table["label"].tolist()


def nothing_to_export(rows, class_name):
    """What to tell a user whose export would be an empty file."""
    of_class = f" of class '{class_name}'" if class_name else ""
    if rows == "selected":
        return f"No region{of_class} is selected: select regions (tick rows, or box/lasso), or export the shown ones."
    if rows == "visible":
        return f"No shown region{of_class}: every region is filtered out; clear or loosen the filters first."
    return f"No region{of_class} to export."


def file_stem(dataset):
    """A file-name stem for a dataset's exports."""
    stem = Path(dataset.name.split(" ")[0]).stem or "regions"
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)


def register(explorer):
    """Attach the export callbacks."""
    ids, annotations, dataset_of = explorer.ids, explorer.annotations, explorer.dataset_of

    @explorer.callback(
        Output(ids.DOWNLOAD, "data"),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input(ids.EXPORT_CSV, "n_clicks"),
        Input(ids.EXPORT_PARQUET, "n_clicks"),
        Input(ids.EXPORT_LABELS, "n_clicks"),
        State(ids.EXPORT_ROWS, "value"),
        State(ids.EXPORT_CLASS, "value"),
        State(ids.SCOPE, "data"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    def export_regions(_csv, _parquet, _labels, rows, class_name, scope, store):
        dataset = dataset_of(store)
        try:
            assignments = annotations.assignments(dataset.id)
            labels = export_labels_of(dataset, scope, rows or "visible", class_name, assignments)
            if not labels:
                return no_update, notice(nothing_to_export(rows or "visible", class_name))
            # The file is read into the response, then its folder goes: nothing stays behind.
            with tempfile.TemporaryDirectory(prefix="regionscope-export-") as folder:
                if ctx.triggered_id == ids.EXPORT_LABELS:
                    path = Path(folder) / f"{file_stem(dataset)}-labels.tif"
                    export_labels(dataset.labels, path, labels)
                else:
                    suffix = ".csv" if ctx.triggered_id == ids.EXPORT_CSV else ".parquet"
                    path = Path(folder) / f"{file_stem(dataset)}-regions{suffix}"
                    table = select_rows(explorer.table_of(dataset), labels=labels)  # with predictions, if any
                    export_table(table, path, classes=assignments)
                download = dcc.send_file(str(path))
        except RegionscopeError as exc:
            return no_update, notice(f"Export failed: {exc}")
        return download, notice(f"Exported {len(labels)} regions to {path.name}.", error=False)

    @explorer.callback(
        Output(ids.DOWNLOAD, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input(ids.EXPORT_VIEW, "n_clicks"),
        State(ids.DATASET, "data"),
        State(ids.PLANE, "value"),
        State(ids.CHANNEL, "value"),
        State(ids.COLOR_BY, "value"),
        State(ids.COLORMAP, "value"),
        State(ids.COLOR_MIN, "value"),
        State(ids.COLOR_MAX, "value"),
        State(ids.OVERLAY_MODE, "value"),
        State(ids.OPACITY, "value"),
        State(ids.SCOPE, "data"),
        State(ids.CLASSES, "data"),
        prevent_initial_call=True,
    )
    def export_view(_clicks, store, plane, channel, color_by, colormap, low, high, mode, opacity, scope, classes):
        dataset = dataset_of(store)
        plane = int(np.clip(plane or 0, 0, dataset.n_planes - 1))
        step = display.display_step(dataset.shape)
        picture = display.display_plane(
            dataset.image, display.image_limits(dataset.image), plane, display.COMPOSITE if channel is None else channel
        )
        colors, colorbar, legend = shown_coloring(explorer, dataset, color_by, colormap, (low, high), classes)
        shown = (scope or {}).get("visible")
        if shown is None:
            visible_rows = np.ones(len(dataset.table), dtype=bool)
        else:  # labels above 2**53 arrive as decimal strings
            wanted = [label for label in map(label_value, shown) if label is not None]
            visible_rows = np.isin(dataset.label_values, np.asarray(wanted, dtype=dataset.label_values.dtype))
        png = view_png(
            picture[::step, ::step],
            explorer.view_of(dataset).index_plane(plane)[::step, ::step],
            colors,
            visible_rows,
            mode=mode or "outline",
            opacity=0.8 if opacity is None else opacity,
            colorbar=colorbar,
            colormap=colormap or "Viridis",
            legend=legend,
        )
        name = f"{file_stem(dataset)}-view" + (f"-z{plane}" if dataset.n_planes > 1 else "") + ".png"
        return dcc.send_bytes(png, name), notice(f"Saved the view as {name}.", error=False)

    @explorer.callback(
        Output(ids.DOWNLOAD, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input(ids.EXPORT_SESSION, "n_clicks"),
        State(ids.DATASET, "data"),
        State(ids.QUERY, "value"),
        State(ids.GRID, "filterModel"),
        State(ids.GATES, "data"),
        State(ids.COLOR_BY, "value"),
        State(ids.COLORMAP, "value"),
        State(ids.OVERLAY_MODE, "value"),
        State(ids.OPACITY, "value"),
        State(ids.HOVER_COLUMNS, "value"),
        prevent_initial_call=True,
    )
    def export_session(_clicks, store, query, filter_model, gates, color_by, colormap, mode, opacity, hover_columns):
        dataset = dataset_of(store)
        try:
            snapshot = annotations.snapshot(dataset.id)
            session = session_dict(
                dataset_id=dataset.id,
                dataset_name=dataset.name,
                filters={
                    "query": query or "",
                    "filter_model": filter_model or {},
                    "gates": (gates or {}).get(dataset.id, []),
                },
                excluded=snapshot["excluded"],
                classes=snapshot["classes"],
                assignments=snapshot["assignments"],
                view={
                    "color_by": color_by,
                    "colormap": colormap,
                    "overlay_mode": mode,
                    "opacity": opacity,
                    "hover_columns": hover_columns or [],
                },
            )
            with tempfile.TemporaryDirectory(prefix="regionscope-export-") as folder:
                path = Path(folder) / f"{file_stem(dataset)}-session.json"
                write_session(path, session)
                download = dcc.send_file(str(path))
        except RegionscopeError as exc:
            return no_update, notice(f"Saving the session failed: {exc}")
        return download, notice(f"Session saved as {path.name}.", error=False)
