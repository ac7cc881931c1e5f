"""Callbacks that follow the focused region: its outline, the zoom to it, the plane through it.

Registered by :class:`regionscope.app.explorer.Explorer` (the callback graph is drawn there).
"""

from __future__ import annotations

import numpy as np
from dash import Input, Output, State, ctx, no_update

from regionscope.app.display import label_value
from regionscope.app.figure import highlight_shapes, zoom_ranges
from regionscope.app.stores import Highlight


def nearest_plane(view, label, target):
    """The plane nearest ``target`` on which region ``label`` has pixels (the centroid of a curved region can miss it)."""
    planes = view.planes_of(label)
    if len(planes) and target not in planes:
        return int(planes[np.argmin(np.abs(planes - target))])
    return target


def focus_zoom(dataset, row, focus):
    """The zoom request to a row's bounding box in the shown plane, or None without a bounding box."""
    ndim = dataset.labels.ndim
    if "bbox-0" not in row:
        return None
    bbox = [int(row[f"bbox-{i}"]) for i in range(2 * ndim)]
    plane_bbox = bbox[ndim - 2 : ndim] + bbox[2 * ndim - 2 :]
    x_range, y_range = zoom_ranges(plane_bbox, dataset.shape[-2:])
    # A new id per request: the browser zooms even to the same region twice.
    return {"id": f"{focus['label']}-{focus.get('time')}", "x": x_range, "y": y_range}


def register(explorer):
    """Attach the focus callbacks of ``explorer``."""
    ids, dataset_of = explorer.ids, explorer.dataset_of

    @explorer.callback(
        Output(ids.PLANE, "value", allow_duplicate=True),
        Input(ids.FOCUS, "data"),
        State(ids.DATASET, "data"),
        State(ids.PLANE, "value"),
        prevent_initial_call=True,
    )
    def jump_to_plane(focus, store, plane):
        if not focus or focus.get("source") != "table":
            return no_update
        dataset = dataset_of(store)
        label = label_value(focus.get("label"))
        row = dataset.row_of(label) if label is not None else None
        if dataset.labels.ndim != 3 or row is None:
            return no_update
        target = int(round(row["centroid-0"])) if "centroid-0" in row else plane
        target = nearest_plane(explorer.view_of(dataset), label, target)
        return target if target != plane else no_update

    @explorer.callback(
        Output(ids.HIGHLIGHT, "data"),
        Input(ids.FOCUS, "data"),
        Input(ids.PLANE, "value"),
        State(ids.ZOOM_TO_ROW, "value"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    def outline_focus(focus, plane, zoom, store):
        dataset = dataset_of(store)
        label = label_value(focus.get("label")) if focus else None
        highlight = Highlight(dataset=dataset.id, label=focus.get("label") if focus else None, shapes=[], zoom=None)
        row = dataset.row_of(label) if label is not None else None
        if row is None:
            return highlight
        plane_index = int(plane or 0) if dataset.labels.ndim == 3 else None
        highlight["shapes"] = highlight_shapes(explorer.view_of(dataset).rings(label, plane_index))
        if ctx.triggered_id == ids.FOCUS and focus.get("source") == "table" and zoom:
            highlight["zoom"] = focus_zoom(dataset, row, focus)
        return highlight
