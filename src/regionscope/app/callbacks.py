"""Every callback of the explorer, registered in one place.

Developer notes: the callback graph
-----------------------------------
State lives in the browser: the dataset id (``rs-dataset``), the exclusions
per dataset (``rs-excluded``, localStorage), the focused region (``rs-focus``)
and the query's matching labels (``rs-query-result``). The server only looks
datasets up by id in the app's :class:`DatasetRegistry`; nothing here mutates
shared state.

Server callbacks (Python, below)::

    rs-dataset ──> show_dataset ──> rs-skeleton, grid rows/columns, control options,
                                    plane/channel choices (which trigger show_plane)
    rs-dataset, plane, channel ──> show_plane ──> rs-picture (the image), rs-label-map
    colour-by, colormap ──> color_regions ──> rs-overlay-colors (+ colour bar)
    query box ──> run_query ──> rs-query-result, query error text
    rs-focus, plane ──> outline_focus ──> rs-highlight (outline, + zoom on row click)
    rs-focus ──> jump_to_plane ──> plane (3D: the slice through the centroid)
    uploads, "Segment image" ──> open_* ──> rs-dataset (or a notice; the dataset stays)

Clientside callbacks (``assets/regionscope.js``), where the browser is faster
than a round trip::

    rs-label-map, rs-overlay-colors, grid virtualRowData + selectedRows, mode ──> rs-overlay (drawn here)
    rs-skeleton, rs-picture, rs-overlay-colors, rs-overlay, rs-highlight, opacity
        ──> composeFigure ──> the figure (its only writer)
    hoverData ──> hover strip + grid row highlight/scroll
    clickData ──> rs-focus, grid selectedRows/scrollTo;  cellClicked ──> rs-focus
    rs-query-result, rs-excluded ──> grid external filter ──> virtualRowData ──> overlay, count

Why one writer: Dash 4 applies a ``Patch`` to the value it sees when the
callback *returns*, so two callbacks patching one figure at about the same
time can undo each other (seen: the overlay vanishing at page load). Stores
that each hold one part, composed by one synchronous function, cannot race.
The image is sent only by show_plane; overlay, colours, highlight and zoom
changes never resend it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, html, no_update

from regionscope.app import display
from regionscope.app.colors import encode_bytes, numeric_columns, overlay_coloring
from regionscope.app.display import json_labels, label_value
from regionscope.app.figure import base_figure, colorbar_marker, highlight_shapes, zoom_ranges
from regionscope.app.grid import column_defs, default_hover_columns, row_data
from regionscope.app.annotating import classes_state, excluded_state, notice, register_annotation_callbacks
from regionscope.app.exporting import register_export_callbacks
from regionscope.app.ids import ID
from regionscope.app.layout import HISTOGRAM
from regionscope.app.security import current_user
from regionscope.errors import FilterError, RegionscopeError
from regionscope.export import with_class_column
from regionscope.pipeline import regions_text
from regionscope.query import filter_mask, parse_filter
from regionscope.segmentation import AUTO_CHANNEL, DEFAULTS, segmented_channel_name, uses_luminance

HIDDEN = {"display": "none"}
SHOWN = {}


class SmallCache:
    """A thread-safe LRU cache of computed values, owned by one app.

    Parameters
    ----------
    size : int
    """

    def __init__(self, size=32):
        self.size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, compute):
        """The cached value for ``key``, computing it with ``compute()`` when missing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def decode_upload(contents, filename, folder):
    """Save a ``dcc.Upload`` payload as a file and return its path.

    Parameters
    ----------
    contents : str
        ``data:<mime>;base64,<payload>``.
    filename : str
        The name the user's file had (its extension decides the reader).
    folder : UploadFolder or pathlib.Path
        The server's bounded upload folder (:class:`regionscope.app.uploads.UploadFolder`),
        or a plain folder.

    Returns
    -------
    pathlib.Path
        ``folder / <content hash>-<filename>``; the same file twice is saved once.
    """
    if not contents or "," not in contents:
        raise RegionscopeError(f"{filename}: the upload arrived empty; try again")
    try:
        payload = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RegionscopeError(f"{filename}: the upload arrived damaged ({exc}); try again") from exc
    if not payload:
        raise RegionscopeError(f"{filename}: the file is empty")
    if hasattr(folder, "save"):
        return folder.save(payload, filename)
    digest = hashlib.blake2b(payload, digest_size=8).hexdigest()
    safe_name = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in Path(filename).name)[-120:]
    path = folder / f"{digest}-{safe_name}"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
    return path


def upload_message(exc, path, filename):
    """The message of an error about an uploaded file, naming the user's file, never the server's copy.

    Parameters
    ----------
    exc : Exception
    path : pathlib.Path or None
        Where the upload was saved (None when it failed before).
    filename : str
        The name the file had on the user's machine.
    """
    message = str(exc)
    if path is not None:
        for server_name in (str(path), str(path.parent), path.name):
            message = message.replace(server_name, filename)
    return message


def register_callbacks(app, registry, *, default_dataset_id, upload_folder, annotations):
    """Attach the explorer's callbacks to ``app``.

    Parameters
    ----------
    app : dash.Dash
    registry : DatasetRegistry
    default_dataset_id : str
        Opened for a browser that has no dataset id yet (an unknown id is
        never replaced by it: the page says the dataset is gone).
    upload_folder : UploadFolder
        Where uploaded files are saved.
    annotations : AnnotationStore or UserAnnotations
        Where exclusions and classes are saved (per user with authentication).
    """
    pictures = SmallCache(size=16)
    limits = SmallCache(size=16)

    def dataset_of(store):
        """The tab's dataset; DatasetGoneError for an id this server does not hold for this user.

        Raising is the point: a stale or crafted id must never fall back to
        another dataset (reads would show it, writes would land in it). The
        app-wide error handler puts the message in the page.
        """
        if store is not None and not isinstance(store, dict):
            raise RegionscopeError("the page sent a malformed dataset reference; reload the page")
        wanted = (store or {}).get("id") or default_dataset_id
        if not isinstance(wanted, str):
            raise RegionscopeError("the page sent a malformed dataset reference; reload the page")
        return registry.get(wanted, current_user())

    @app.callback(
        Output(ID.SKELETON, "data"),
        Output(ID.GRID, "rowData"),
        Output(ID.GRID, "columnDefs"),
        Output(ID.COLOR_BY, "options"),
        Output(ID.COLOR_BY, "value"),
        Output(ID.HOVER_COLUMNS, "options"),
        Output(ID.HOVER_COLUMNS, "value"),
        Output(ID.CHANNEL, "options"),
        Output(ID.CHANNEL, "value"),
        Output(ID.CHANNEL_ROW, "style"),
        Output(ID.PLANE, "max"),
        Output(ID.PLANE, "value"),
        Output(ID.PLANE_ROW, "style"),
        Output(ID.DATASET_NAME, "children"),
        Output(ID.FOCUS, "data"),
        Output(ID.NOTICE, "children"),
        Output(ID.METHOD, "value"),
        Output(ID.OBJECTS, "value"),
        Output(ID.MIN_SIZE, "value"),
        Output(ID.FILL_HOLES, "value"),
        Output(ID.SPLIT_TOUCHING, "value"),
        Output(ID.SEGMENT_CHANNEL, "options"),
        Output(ID.SEGMENT_CHANNEL, "value"),
        Output(ID.SEGMENT_CHANNEL_ROW, "style"),
        Output(ID.PLOT_X, "options"),
        Output(ID.PLOT_X, "value"),
        Output(ID.PLOT_Y, "options"),
        Output(ID.PLOT_Y, "value"),
        Output(ID.EXCLUDED, "data"),
        Output(ID.CLASSES, "data"),
        Input(ID.DATASET, "data"),
        State(ID.COLOR_BY, "value"),
        State(ID.HOVER_COLUMNS, "value"),
        State(ID.PLOT_X, "value"),
        State(ID.PLOT_Y, "value"),
    )
    def show_dataset(store, color_by, hover_columns, plot_x, plot_y):
        message = no_update  # keep the notice of the upload that brought this dataset
        dataset = dataset_of(store)  # gone: the error handler says so, nothing else is shown
        try:
            excluded, classes = excluded_state(annotations, dataset), classes_state(annotations, dataset)
        except RegionscopeError as exc:
            message = notice(str(exc))
            excluded, classes = {"dataset": dataset.id, "labels": []}, {"dataset": dataset.id, "classes": [], "assignments": {}}
        table = with_class_column(dataset.table, classes["assignments"])
        columns = list(table.columns)
        colorable = numeric_columns(table) + ["class"]
        if color_by not in colorable:
            color_by = "area" if "area" in colorable else "label"
        hover_columns = [c for c in (hover_columns or []) if c in columns] or default_hover_columns(table)
        channels = display.channel_choices(dataset.image)
        n_regions = len(table)
        name = f"{dataset.name} · {dataset.shape[-1]}×{dataset.shape[-2]}"
        if dataset.labels.ndim == 3:
            name += f"×{dataset.shape[0]}"
        name += f" · {regions_text(n_regions)}" + ("" if dataset.labels_given else f" ({segmented_here(dataset)})")
        return (
            {
                "dataset": dataset.id,
                "figure": base_figure(dataset.shape[-2:], uirevision=dataset.id, step=display.display_step(dataset.shape)),
            },
            row_data(table),
            column_defs(table),
            colorable,
            color_by,
            columns,
            hover_columns,
            channels,
            display.COMPOSITE if channels else None,
            SHOWN if channels else HIDDEN,
            max(dataset.n_planes - 1, 1),
            dataset.n_planes // 2 if dataset.n_planes > 1 else 0,
            SHOWN if dataset.n_planes > 1 else HIDDEN,
            name,
            None,
            message,
            *segmentation_controls(dataset),
            *plot_axes(numeric_columns(table), plot_x, plot_y),
            excluded,
            classes,
        )

    @app.callback(
        Output(ID.PICTURE, "data"),
        Output(ID.LABEL_MAP, "data"),
        Input(ID.DATASET, "data"),
        Input(ID.PLANE, "value"),
        Input(ID.CHANNEL, "value"),
    )
    def show_plane(store, plane, channel):
        dataset = _dataset_or_default(store)
        plane = int(np.clip(plane or 0, 0, dataset.n_planes - 1))
        channel = channel if channel is not None else display.COMPOSITE
        step = display.display_step(dataset.shape)

        def picture():
            channel_limits = limits.get(dataset.id, lambda: display.image_limits(dataset.image))
            shown = display.display_plane(dataset.image, channel_limits, plane, channel)[::step, ::step]
            return display.encode_picture(shown), display.halo_color(shown)

        def index_picture():
            return display.encode_index_png(dataset.index_plane(plane)[::step, ::step])

        source, halo = pictures.get((dataset.id, "image", plane, channel), picture)
        shown = {"dataset": dataset.id, "source": source}
        label_map = {
            "dataset": dataset.id,
            "plane": plane,
            "halo": halo,
            "url": pictures.get((dataset.id, "index", plane), index_picture),
            "step": step,
            "outline": display.outline_width(np.ceil(np.array(dataset.shape) / step)),
            # Redraw the overlay even when the same plane is sent again (a new figure).
            "revision": time.time_ns(),
        }
        return shown, label_map

    full_planes = SmallCache(size=2)

    @app.callback(
        Output(ID.DETAIL, "data"),
        Input(ID.GRAPH, "relayoutData"),
        State(ID.DATASET, "data"),
        State(ID.PLANE, "value"),
        State(ID.CHANNEL, "value"),
        prevent_initial_call=True,
    )
    def show_detail(relayout, store, plane, channel):
        # Planes over MAX_DISPLAY_SIDE are sent at a stride; zoomed in far
        # enough, the visible window is sent again at full resolution.
        dataset = _dataset_or_default(store)
        if display.display_step(dataset.shape) == 1:
            return no_update
        if relayout and any(key.endswith("autorange") for key in relayout):
            return None
        window = display.visible_window(relayout, dataset.shape[-2:])
        if window is None:
            return no_update
        row0, row1, col0, col1 = window
        if max(row1 - row0, col1 - col0) > display.MAX_DISPLAY_SIDE:
            return None
        plane = int(np.clip(plane or 0, 0, dataset.n_planes - 1))
        channel = channel if channel is not None else display.COMPOSITE

        def full_plane():
            channel_limits = limits.get(dataset.id, lambda: display.image_limits(dataset.image))
            return display.display_plane(dataset.image, channel_limits, plane, channel)

        shown = full_planes.get((dataset.id, plane, channel), full_plane)
        return {
            "dataset": dataset.id,
            "plane": plane,
            "channel": channel,
            "x0": col0,
            "y0": row0,
            "source": display.encode_picture(np.ascontiguousarray(shown[row0:row1, col0:col1])),
        }

    _dataset_or_default = dataset_of  # kept name: never a fallback any more

    @app.callback(
        Output(ID.OVERLAY_COLORS, "data"),
        Output(ID.COLOR_MIN, "placeholder"),
        Output(ID.COLOR_MAX, "placeholder"),
        Output(ID.COLOR_MIN, "value"),
        Output(ID.COLOR_MAX, "value"),
        Input(ID.COLOR_BY, "value"),
        Input(ID.COLORMAP, "value"),
        Input(ID.CLASSES, "data"),
        Input(ID.COLOR_MIN, "value"),
        Input(ID.COLOR_MAX, "value"),
        State(ID.DATASET, "data"),
        prevent_initial_call=True,
    )
    def color_regions(color_by, colormap, classes, low, high, store):
        dataset = _dataset_or_default(store)
        unchanged = (no_update,) * 5
        placeholders = ("", "")
        if ctx.triggered_id == ID.COLOR_BY:
            low = high = None  # a range set for one property means nothing for another
        limits_shown = (low, high) if ctx.triggered_id == ID.COLOR_BY else (no_update, no_update)
        if color_by == "class":
            if ctx.triggered_id == ID.CLASSES and classes and classes.get("dataset") != dataset.id:
                return unchanged
            revision = (classes or {}).get("revision")
        else:
            if ctx.triggered_id == ID.CLASSES:
                return unchanged  # classes do not change these colours
            revision = f"{low}:{high}"
        colors, colorbar, _legend = overlay_coloring(dataset.table, color_by, colormap, (low, high), classes)
        if colorbar is not None:
            placeholders = tuple(f"{value:.4g}" for value in colorbar["auto"])
        return {
            "dataset": dataset.id,
            "key": f"{dataset.id}:{color_by}:{colormap}:{revision}",
            # Labels by table row (the index raster holds row + 1); strings above 2**53.
            "labels": json_labels(dataset.label_values),
            "rgb": encode_bytes(colors),
            "marker": colorbar_marker(colorbar),
        }, *placeholders, *limits_shown

    @app.callback(
        Output(ID.QUERY_RESULT, "data"),
        Output(ID.QUERY_ERROR, "children"),
        Output(ID.QUERY, "className"),
        Input(ID.QUERY, "value"),
        Input(ID.DATASET, "data"),
    )
    def run_query(text, store):
        if text is not None and not isinstance(text, str):
            return None, "The query must be text.", "rs-query rs-invalid"
        if not text or not text.strip():
            return None, "", "rs-query"
        dataset = _dataset_or_default(store)
        try:
            expression = parse_filter(text)
            # The class column costs a copy of the table and a database read: only for queries about classes.
            table = with_class_column(dataset.table, annotations.assignments(dataset.id)) if "class" in text else dataset.table
            mask = filter_mask(table, expression)
        except RegionscopeError as exc:
            return None, str(exc), "rs-query rs-invalid"
        labels = dataset.label_values[mask]
        return {"dataset": dataset.id, "labels": json_labels(labels), "text": text.strip()}, "", "rs-query"

    @app.callback(
        Output(ID.PLANE, "value", allow_duplicate=True),
        Input(ID.FOCUS, "data"),
        State(ID.DATASET, "data"),
        State(ID.PLANE, "value"),
        prevent_initial_call=True,
    )
    def jump_to_plane(focus, store, plane):
        if not focus or focus.get("source") != "table":
            return no_update
        dataset = _dataset_or_default(store)
        label = label_value(focus.get("label"))
        row = dataset.row_of(label) if label is not None else None
        if dataset.labels.ndim != 3 or row is None:
            return no_update
        target = int(round(row["centroid-0"])) if "centroid-0" in row else plane
        # The centroid of a curved region can miss it; use the nearest plane it has pixels on.
        planes = np.unique(dataset.contours.plane[dataset.contours.label == label])
        if len(planes) and target not in planes:
            target = int(planes[np.argmin(np.abs(planes - target))])
        return target if target != plane else no_update

    @app.callback(
        Output(ID.HIGHLIGHT, "data"),
        Input(ID.FOCUS, "data"),
        Input(ID.PLANE, "value"),
        State(ID.ZOOM_TO_ROW, "value"),
        State(ID.DATASET, "data"),
        prevent_initial_call=True,
    )
    def outline_focus(focus, plane, zoom, store):
        dataset = _dataset_or_default(store)
        label = label_value(focus.get("label")) if focus else None
        highlight = {"dataset": dataset.id, "label": focus.get("label") if focus else None, "shapes": [], "zoom": None}
        row = dataset.row_of(label) if label is not None else None
        if row is None:
            return highlight
        plane_index = int(plane or 0) if dataset.labels.ndim == 3 else None
        highlight["shapes"] = highlight_shapes(dataset.contours.rings(label, plane_index))
        if ctx.triggered_id == ID.FOCUS and focus.get("source") == "table" and zoom:
            ndim = dataset.labels.ndim
            bbox = [int(row[f"bbox-{i}"]) for i in range(2 * ndim)] if "bbox-0" in row else None
            if bbox is not None:
                plane_bbox = bbox[ndim - 2 : ndim] + bbox[2 * ndim - 2 :]
                x_range, y_range = zoom_ranges(plane_bbox, dataset.shape[-2:])
                # A new id per request: the browser zooms even to the same region twice.
                highlight["zoom"] = {"id": f"{focus['label']}-{focus.get('time')}", "x": x_range, "y": y_range}
        return highlight

    # Each upload callback also empties its dcc.Upload: a component whose
    # contents did not change fires no callback, so the same file chosen again
    # (after a refusal, say) would otherwise be ignored without a word.
    @app.callback(
        Output(ID.DATASET, "data", allow_duplicate=True),
        Output(ID.NOTICE, "children", allow_duplicate=True),
        Output(ID.UPLOAD_IMAGE, "contents"),
        Input(ID.UPLOAD_IMAGE, "contents"),
        State(ID.UPLOAD_IMAGE, "filename"),
        State(ID.METHOD, "value"),
        State(ID.OBJECTS, "value"),
        State(ID.MIN_SIZE, "value"),
        State(ID.FILL_HOLES, "value"),
        State(ID.SPLIT_TOUCHING, "value"),
        prevent_initial_call=True,
        running=[(Output(ID.UPLOAD_IMAGE, "className"), "rs-upload rs-busy", "rs-upload")],
    )
    def open_uploaded_image(contents, filename, method, objects, min_size, fill_holes, split_touching):
        if contents is None:
            return no_update, no_update, no_update  # emptied by this callback
        path = None
        # The panel's settings, except the channel: that choice was for the previous image.
        segmentation = segmentation_options(method, objects, min_size, fill_holes, split_touching)
        try:
            path = decode_upload(contents, filename, upload_folder)
            dataset = registry.open_files(path, name=filename, segmentation=segmentation, owner=current_user(), uploaded=[path])
        except RegionscopeError as exc:
            discard_upload(path)
            return no_update, notice(f"Could not open the image: {upload_message(exc, path, filename)}"), None
        except BaseException:
            discard_upload(path)
            raise
        return {"id": dataset.id}, notice(f"Opened {filename}: {regions_text(len(dataset.table))} found by segmentation.", error=False), None

    @app.callback(
        Output(ID.DATASET, "data", allow_duplicate=True),
        Output(ID.NOTICE, "children", allow_duplicate=True),
        Output(ID.UPLOAD_LABELS, "contents"),
        Input(ID.UPLOAD_LABELS, "contents"),
        State(ID.UPLOAD_LABELS, "filename"),
        State(ID.DATASET, "data"),
        prevent_initial_call=True,
        running=[(Output(ID.UPLOAD_LABELS, "className"), "rs-upload rs-busy", "rs-upload")],
    )
    def open_uploaded_labels(contents, filename, store):
        if contents is None:
            return no_update, no_update, no_update  # emptied by this callback
        current = _dataset_or_default(store)
        path = None
        try:
            path = decode_upload(contents, filename, upload_folder)
            dataset = registry.open_derived(current.id, labels_path=path, name=current.name, owner=current_user(), uploaded=[path])
        except RegionscopeError as exc:
            discard_upload(path)
            return no_update, notice(f"Could not use the label mask: {upload_message(exc, path, filename)}"), None
        except BaseException:
            discard_upload(path)
            raise
        return {"id": dataset.id}, notice(f"Opened {filename} as the labels of {current.name}: {regions_text(len(dataset.table))}.", error=False), None

    @app.callback(
        Output(ID.DATASET, "data", allow_duplicate=True),
        Output(ID.NOTICE, "children", allow_duplicate=True),
        Input(ID.SEGMENT, "n_clicks"),
        State(ID.DATASET, "data"),
        State(ID.METHOD, "value"),
        State(ID.OBJECTS, "value"),
        State(ID.MIN_SIZE, "value"),
        State(ID.FILL_HOLES, "value"),
        State(ID.SPLIT_TOUCHING, "value"),
        State(ID.SEGMENT_CHANNEL, "value"),
        prevent_initial_call=True,
        running=[(Output(ID.SEGMENT, "disabled"), True, False)],
    )
    def segment_again(_clicks, store, method, objects, min_size, fill_holes, split_touching, channel):
        current = _dataset_or_default(store)
        segmentation = segmentation_options(method, objects, min_size, fill_holes, split_touching, channel)
        try:
            dataset = registry.open_derived(current.id, segmentation=segmentation, name=current.name, owner=current_user())
        except RegionscopeError as exc:
            return no_update, notice(f"Segmentation failed: {exc}")
        return {"id": dataset.id}, notice(f"Segmented with {method}: {regions_text(len(dataset.table))} ({segmented_here(dataset)}).", error=False)

    def discard_upload(path):
        # A failed upload is deleted at once (unless a dataset already reads that file).
        if path is not None and hasattr(upload_folder, "delete") and not registry.uses_file(path):
            upload_folder.delete(path)

    @app.callback(
        Output(ID.DATASET, "data", allow_duplicate=True),
        Output(ID.NOTICE, "children", allow_duplicate=True),
        Input({"type": ID.OPEN_DEFAULT, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def open_default_dataset(clicks):
        # Only on the user's explicit request (the notice of a dataset that is gone).
        if not any(clicks or []):
            return no_update, no_update
        dataset = registry.get(default_dataset_id, current_user())
        return {"id": dataset.id}, notice(f"Opened {dataset.name}.", error=False)

    register_annotation_callbacks(app, annotations, _dataset_or_default)
    register_export_callbacks(app, annotations, _dataset_or_default)
    register_clientside_callbacks(app)


def plot_axes(columns, x, y):
    """Options and values of the feature plot's axes, keeping the user's choice when it still exists.

    Parameters
    ----------
    columns : list of str
        Numeric columns of the table.
    x, y : str or None
        The current choices.

    Returns
    -------
    (x_options, x_value, y_options, y_value)
    """
    numeric = [c for c in columns if c != "label"] or list(columns)
    if x not in numeric:
        x = "area" if "area" in numeric else numeric[0]
    y_options = [HISTOGRAM, *numeric]
    if y not in y_options:
        intensity = [c for c in numeric if c.startswith("intensity_mean")]
        y = intensity[0] if intensity else next((c for c in numeric if c != x), HISTOGRAM)
    return numeric, x, y_options, y


def segmentation_options(method, objects, min_size, fill_holes, split_touching=(), channel=AUTO_CHANNEL):
    """:func:`regionscope.segment` options from the Data panel's values.

    An empty or unreadable min size is the default (:data:`DEFAULTS`); a
    negative one is 0.
    """
    try:
        size = int(min_size)
    except (TypeError, ValueError):
        size = DEFAULTS["min_size"]
    return {
        "method": method or DEFAULTS["method"],
        "objects": objects or DEFAULTS["objects"],
        "min_size": max(size, 0),
        "fill_holes": bool(fill_holes),
        "split_touching": bool(split_touching),
        "channel": None if channel in (None, AUTO_CHANNEL) else channel,
    }


def segmentation_controls(dataset):
    """The Data panel's values for a dataset's segmentation (the inverse of the above).

    Returns
    -------
    tuple
        method, objects, min size, fill holes, split touching, the segment
        channel's options, value and row style (hidden without channels).
        A dataset with given labels shows the defaults.
    """
    options = dataset.segmentation or DEFAULTS
    return (
        options.get("method", DEFAULTS["method"]),
        options.get("objects", DEFAULTS["objects"]),
        options.get("min_size", DEFAULTS["min_size"]),
        ["fill"] if options.get("fill_holes") else [],
        ["split"] if options.get("split_touching") else [],
        *segment_channel_choice(dataset.image, options.get("channel")),
    )


def segment_channel_choice(image, channel):
    """Options, value and row style of the segment-channel dropdown.

    The first option is the default channel (``"auto"``): "luminance" for an
    RGB(A) image, the first channel's name otherwise.
    """
    if not image.has_channels:
        return [], AUTO_CHANNEL, HIDDEN
    names = list(image.channel_names)
    luminance = uses_luminance(image.data, multichannel=True)
    options = [{"label": "luminance" if luminance else names[0], "value": AUTO_CHANNEL}]
    options += [{"label": name, "value": index} for index, name in enumerate(names) if luminance or index > 0]
    return options, AUTO_CHANNEL if channel is None else channel, SHOWN


def segmented_here(dataset):
    """``"segmented here"``, with the channel for a multichannel image: ``"segmented here on blue"``."""
    image = dataset.image
    channel = segmented_channel_name(
        dataset.segmentation.get("channel"), image.channel_names, luminance=uses_luminance(image.data, image.has_channels)
    )
    return "segmented here" + (f" on {channel}" if channel else "")


def register_clientside_callbacks(app):
    """The callbacks that run in the browser (``assets/regionscope.js``)."""

    def clientside(name, *dependencies, **options):
        app.clientside_callback(ClientsideFunction(namespace="regionscope", function_name=name), *dependencies, **options)

    clientside(
        "renderOverlay",
        Output(ID.OVERLAY, "data"),
        Input(ID.LABEL_MAP, "data"),
        Input(ID.OVERLAY_COLORS, "data"),
        Input(ID.GRID, "virtualRowData"),
        Input(ID.OVERLAY_MODE, "value"),
        Input(ID.GRID, "selectedRows"),
        State(ID.OVERLAY, "data"),
        prevent_initial_call=True,
    )
    clientside(
        "composeFigure",
        Output(ID.GRAPH, "figure"),
        Input(ID.SKELETON, "data"),
        Input(ID.PICTURE, "data"),
        Input(ID.OVERLAY_COLORS, "data"),
        Input(ID.OVERLAY, "data"),
        Input(ID.HIGHLIGHT, "data"),
        Input(ID.OPACITY, "value"),
        Input(ID.DETAIL, "data"),
        State(ID.PLANE, "value"),
        State(ID.CHANNEL, "value"),
        prevent_initial_call=True,
    )
    clientside(
        "showHover",
        Output(ID.HOVER_INFO, "children"),
        Input(ID.GRAPH, "hoverData"),
        State(ID.HOVER_COLUMNS, "value"),
        State(ID.LABEL_MAP, "data"),
        prevent_initial_call=True,
    )
    clientside(
        "clickImage",
        Output(ID.FOCUS, "data", allow_duplicate=True),
        Output(ID.GRID, "selectedRows"),
        Output(ID.GRID, "scrollTo"),
        Input(ID.GRAPH, "clickData"),
        State(ID.LABEL_MAP, "data"),
        prevent_initial_call=True,
    )
    clientside(
        "selectInImage",
        Output(ID.GRID, "selectedRows", allow_duplicate=True),
        Input(ID.GRAPH, "selectedData"),
        State(ID.GRID, "virtualRowData"),
        State(ID.GRID, "selectedRows"),
        prevent_initial_call=True,
    )
    clientside(
        "clickRow",
        Output(ID.FOCUS, "data", allow_duplicate=True),
        Input(ID.GRID, "cellClicked"),
        prevent_initial_call=True,
    )
    clientside(
        "showFocus",
        Output(ID.FOCUS_SHOWN, "data"),
        Input(ID.FOCUS, "data"),
    )
    clientside(
        "applyExternalFilter",
        Output(ID.FILTER_APPLIED, "data"),
        Input(ID.QUERY_RESULT, "data"),
        Input(ID.EXCLUDED, "data"),
        Input(ID.DATASET, "data"),
        Input(ID.GRID, "rowData"),
        Input(ID.GATES, "data"),
    )
    clientside(
        "showCount",
        Output(ID.COUNT, "children"),
        Input(ID.GRID, "virtualRowData"),
        Input(ID.FILTER_APPLIED, "data"),
        State(ID.GRID, "rowData"),
    )
    clientside(
        "exportScope",
        Output(ID.SCOPE, "data"),
        Input(ID.GRID, "virtualRowData"),
        Input(ID.GRID, "selectedRows"),
    )
    clientside(
        "exportClassOptions",
        Output(ID.EXPORT_CLASS, "options"),
        Input(ID.CLASSES, "data"),
    )
    clientside(
        "applySession",
        Output(ID.GATES, "data", allow_duplicate=True),
        Input(ID.SESSION, "data"),
        State(ID.GATES, "data"),
        prevent_initial_call="initial_duplicate",
    )
    clientside("nextClassColor", Output(ID.CLASS_COLOR, "value"), Input(ID.CLASSES, "data"), prevent_initial_call=True)
    clientside(
        "showClasses",
        Output(ID.CLASS_BAR, "children"),
        Input(ID.CLASSES, "data"),
    )
    clientside(
        "classColumn",
        Output(ID.GRID, "rowTransaction"),
        Input(ID.CLASSES, "data"),
        prevent_initial_call=True,
    )
    clientside(
        "clearFilters",
        Output(ID.GRID, "filterModel"),
        Output(ID.QUERY, "value"),
        Output(ID.GATES, "data", allow_duplicate=True),
        Input(ID.CLEAR_FILTERS, "n_clicks"),
        State(ID.GATES, "data"),
        State(ID.DATASET, "data"),
        prevent_initial_call=True,
    )
    clientside(
        "composePlot",
        Output(ID.PLOT, "figure"),
        Input(ID.GRID, "virtualRowData"),
        Input(ID.PLOT_X, "value"),
        Input(ID.PLOT_Y, "value"),
        Input(ID.PLOT_LOG, "value"),
        Input(ID.OVERLAY_COLORS, "data"),
        Input(ID.GRID, "selectedRows"),
        Input(ID.PLOT_BOX, "open"),
        State(ID.DATASET, "data"),
    )
    clientside(
        "selectInPlot",
        Output(ID.GRID, "selectedRows", allow_duplicate=True),
        Input(ID.PLOT, "selectedData"),
        State(ID.GRID, "virtualRowData"),
        State(ID.GRID, "selectedRows"),
        State(ID.PLOT_X, "value"),
        State(ID.PLOT_Y, "value"),
        prevent_initial_call=True,
    )
    clientside(
        "keepGate",
        Output(ID.GATES, "data", allow_duplicate=True),
        Input(ID.KEEP_GATE, "n_clicks"),
        State(ID.GATES, "data"),
        State(ID.DATASET, "data"),
        prevent_initial_call=True,
    )
    clientside(
        "removeGate",
        Output(ID.GATES, "data", allow_duplicate=True),
        Input({"type": ID.GATE_REMOVE, "index": ALL}, "n_clicks"),
        State(ID.GATES, "data"),
        State(ID.DATASET, "data"),
        prevent_initial_call=True,
    )
    clientside("planeLabel", Output(ID.PLANE_LABEL, "children"), Input(ID.PLANE, "value"), Input(ID.PLANE, "max"))
    clientside(
        "toggleHelp",
        Output(ID.HELP, "hidden"),
        Input(ID.HELP_OPEN, "n_clicks"),
        Input(ID.HELP_CLOSE, "n_clicks"),
        prevent_initial_call=True,
    )
    clientside(
        "listFilters",
        Output(ID.ACTIVE_FILTERS, "children"),
        Input(ID.QUERY_RESULT, "data"),
        Input(ID.GRID, "filterModel"),
        Input(ID.GATES, "data"),
        Input(ID.EXCLUDED, "data"),
        Input(ID.DATASET, "data"),
    )
