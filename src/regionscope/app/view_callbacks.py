"""Callbacks that show a dataset: its table and controls, the shown plane, the colours of the regions.

Registered by :class:`regionscope.app.explorer.Explorer` (the callback graph is
drawn there). Store payloads are declared in :mod:`regionscope.app.stores`.
"""

from __future__ import annotations

import time

import numpy as np
from dash import Input, Output, State, ctx, no_update

from regionscope.app import display
from regionscope.app.annotation_callbacks import classes_state, excluded_state
from regionscope.app.classifier_callbacks import PREDICTED, predicted_class_store
from regionscope.app.colors import encode_bytes, numeric_columns, overlay_coloring
from regionscope.app.data_callbacks import segmentation_controls, segmented_here
from regionscope.app.display import HIDDEN, SHOWN, json_labels
from regionscope.app.figure import base_figure, colorbar_marker
from regionscope.app.grid import color_options, default_hover_columns, grid_of
from regionscope.app.layout import HISTOGRAM
from regionscope.app.notices import notice
from regionscope.app.stores import Detail, LabelMap, OverlayColors, Picture, Skeleton
from regionscope.errors import RegionscopeError
from regionscope.pipeline import regions_text


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


def shown_coloring(explorer, dataset, color_by, colormap, limits, classes):
    """The regions' colours as the page shows them (:func:`~regionscope.app.colors.overlay_coloring`, with predictions).

    ``predicted_class`` colours a region by its own class where it has one, else by the
    prediction; without a classifier (removed meanwhile) predictions colour nothing and the
    regions are coloured by area.
    """
    table = dataset.table
    if color_by in PREDICTED:
        predictions = explorer.predictions_of(dataset)
        if predictions is None:
            color_by = "area" if "area" in table.columns else "label"
        else:
            table = explorer.table_of(dataset, predictions=predictions)
            if color_by == "predicted_class":
                classes, color_by = predicted_class_store(classes, predictions), "class"
    return overlay_coloring(table, color_by, colormap, limits, classes)


def dataset_title(dataset, n_regions):
    """``"cells.tif · 512×384×31 · 1,204 regions (segmented here)"``: what the header says of a dataset."""
    name = f"{dataset.name} · {dataset.shape[-1]}×{dataset.shape[-2]}"
    if dataset.labels.ndim == 3:
        name += f"×{dataset.shape[0]}"
    return name + f" · {regions_text(n_regions)}" + ("" if dataset.labels_given else f" ({segmented_here(dataset)})")


def register(explorer):
    """Attach the view callbacks of ``explorer``."""
    ids, annotations = explorer.ids, explorer.annotations
    dataset_of = explorer.dataset_of
    pictures, limits, full_planes = explorer.pictures, explorer.limits, explorer.full_planes

    @explorer.callback(
        output=dict(
            skeleton=Output(ids.SKELETON, "data"),
            rows=Output(ids.GRID, "rowData"),
            columns=Output(ids.GRID, "columnDefs"),
            color_options=Output(ids.COLOR_BY, "options"),
            color_by=Output(ids.COLOR_BY, "value"),
            hover_options=Output(ids.HOVER_COLUMNS, "options"),
            hover_columns=Output(ids.HOVER_COLUMNS, "value"),
            channel_options=Output(ids.CHANNEL, "options"),
            channel=Output(ids.CHANNEL, "value"),
            channel_row=Output(ids.CHANNEL_ROW, "style"),
            plane_max=Output(ids.PLANE, "max"),
            plane=Output(ids.PLANE, "value"),
            plane_row=Output(ids.PLANE_ROW, "style"),
            title=Output(ids.DATASET_NAME, "children"),
            focus=Output(ids.FOCUS, "data"),
            notice=Output(ids.NOTICE, "children"),
            segmentation=(
                Output(ids.METHOD, "value"),
                Output(ids.OBJECTS, "value"),
                Output(ids.MIN_SIZE, "value"),
                Output(ids.FILL_HOLES, "value"),
                Output(ids.SPLIT_TOUCHING, "value"),
                Output(ids.SEGMENT_CHANNEL, "options"),
                Output(ids.SEGMENT_CHANNEL, "value"),
                Output(ids.SEGMENT_CHANNEL_ROW, "style"),
            ),
            plot_axes=(
                Output(ids.PLOT_X, "options"),
                Output(ids.PLOT_X, "value"),
                Output(ids.PLOT_Y, "options"),
                Output(ids.PLOT_Y, "value"),
            ),
            excluded=Output(ids.EXCLUDED, "data"),
            classes=Output(ids.CLASSES, "data"),
            embeddings=Output(ids.EMBEDDINGS, "data"),
        ),
        inputs=dict(store=Input(ids.DATASET, "data")),
        state=dict(
            color_by=State(ids.COLOR_BY, "value"),
            hover_columns=State(ids.HOVER_COLUMNS, "value"),
            plot_x=State(ids.PLOT_X, "value"),
            plot_y=State(ids.PLOT_Y, "value"),
            embeddings=State(ids.EMBEDDINGS, "data"),
        ),
    )
    def show_dataset(store, color_by, hover_columns, plot_x, plot_y, embeddings):
        message = no_update  # keep the notice of the upload that brought this dataset
        dataset = dataset_of(store)  # gone: the error handler says so, nothing else is shown
        try:
            excluded, classes = excluded_state(annotations, dataset), classes_state(annotations, dataset)
        except RegionscopeError as exc:
            message = notice(str(exc))
            excluded, classes = {"dataset": dataset.id, "labels": []}, {"dataset": dataset.id, "classes": [], "assignments": {}}
        if not embeddings or embeddings.get("dataset") != dataset.id:
            embeddings = None  # another dataset's axes
        added = explorer.added_columns(dataset, embeddings)
        rows, columns_defs = grid_of(dataset, classes["assignments"], explorer.grids, added)
        table = explorer.table_of(dataset, embeddings)
        columns = [definition["field"] for definition in columns_defs]
        colorable = color_options(table)
        if color_by not in colorable:
            color_by = "area" if "area" in colorable else "label"
        channels = display.channel_choices(dataset.image)
        return dict(
            skeleton=Skeleton(
                dataset=dataset.id,
                figure=base_figure(dataset.shape[-2:], uirevision=dataset.id, step=display.display_step(dataset.shape)),
            ),
            rows=rows,
            columns=columns_defs,
            color_options=colorable,
            color_by=color_by,
            hover_options=columns,
            hover_columns=[c for c in (hover_columns or []) if c in columns] or default_hover_columns(table),
            channel_options=channels,
            channel=display.COMPOSITE if channels else None,
            channel_row=SHOWN if channels else HIDDEN,
            plane_max=max(dataset.n_planes - 1, 1),
            plane=dataset.n_planes // 2 if dataset.n_planes > 1 else 0,
            plane_row=SHOWN if dataset.n_planes > 1 else HIDDEN,
            title=dataset_title(dataset, len(table)),
            focus=None,
            notice=message,
            segmentation=segmentation_controls(dataset),
            plot_axes=plot_axes(numeric_columns(table), plot_x, plot_y),
            excluded=excluded,
            classes=classes,
            embeddings=embeddings,
        )

    @explorer.callback(
        Output(ids.PICTURE, "data"),
        Output(ids.LABEL_MAP, "data"),
        Input(ids.DATASET, "data"),
        Input(ids.PLANE, "value"),
        Input(ids.CHANNEL, "value"),
    )
    def show_plane(store, plane, channel):
        dataset = dataset_of(store)
        plane = int(np.clip(plane or 0, 0, dataset.n_planes - 1))
        channel = channel if channel is not None else display.COMPOSITE
        step = display.display_step(dataset.shape)

        def picture():
            channel_limits = limits.get(dataset.id, lambda: display.image_limits(dataset.image))
            shown = display.display_plane(dataset.image, channel_limits, plane, channel)[::step, ::step]
            return display.encode_picture(shown), display.halo_color(shown)

        def index_picture():
            return display.encode_index_png(explorer.view_of(dataset).index_plane(plane)[::step, ::step])

        source, halo = pictures.get((dataset.id, "image", plane, channel), picture)
        label_map = LabelMap(
            dataset=dataset.id,
            plane=plane,
            halo=halo,
            url=pictures.get((dataset.id, "index", plane), index_picture),
            step=step,
            outline=display.outline_width(np.ceil(np.array(dataset.shape) / step)),
            # Redraw the overlay even when the same plane is sent again (a new figure).
            revision=time.time_ns(),
        )
        return Picture(dataset=dataset.id, source=source), label_map

    @explorer.callback(
        Output(ids.DETAIL, "data"),
        Input(ids.GRAPH, "relayoutData"),
        State(ids.DATASET, "data"),
        State(ids.PLANE, "value"),
        State(ids.CHANNEL, "value"),
        prevent_initial_call=True,
    )
    def show_detail(relayout, store, plane, channel):
        # Planes over MAX_DISPLAY_SIDE are sent at a stride; zoomed in far
        # enough, the visible window is sent again at full resolution.
        dataset = dataset_of(store)
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
        return Detail(
            dataset=dataset.id,
            plane=plane,
            channel=channel,
            x0=col0,
            y0=row0,
            source=display.encode_picture(np.ascontiguousarray(shown[row0:row1, col0:col1])),
        )

    @explorer.callback(
        Output(ids.OVERLAY_COLORS, "data"),
        Output(ids.COLOR_MIN, "placeholder"),
        Output(ids.COLOR_MAX, "placeholder"),
        Output(ids.COLOR_MIN, "value"),
        Output(ids.COLOR_MAX, "value"),
        Input(ids.COLOR_BY, "value"),
        Input(ids.COLORMAP, "value"),
        Input(ids.CLASSES, "data"),
        Input(ids.COLOR_MIN, "value"),
        Input(ids.COLOR_MAX, "value"),
        Input(ids.MODEL, "data"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    def color_regions(color_by, colormap, classes, low, high, model, store):
        dataset = dataset_of(store)
        unchanged = (no_update,) * 5
        placeholders = ("", "")
        # Computed whichever input fired: Dash drops an answer whose inputs changed while it was
        # on its way and asks again with only the newest trigger, so skipping on "only the classes
        # changed" could leave the page without colours. An unchanged key redraws nothing.
        triggers = set(ctx.triggered_prop_ids.values())
        if ids.COLOR_BY in triggers:
            low = high = None  # a range set for one property means nothing for another
        limits_shown = (low, high) if ids.COLOR_BY in triggers else (no_update, no_update)
        predicted = color_by in PREDICTED
        by_class = color_by in ("class", "predicted_class")
        if by_class and classes and classes.get("dataset") != dataset.id:
            return unchanged  # another dataset's classes (the page is switching)
        revision = (classes or {}).get("revision") if by_class else f"{low}:{high}"
        if predicted:
            revision = f"{revision}:{(model or {}).get('id')}"
        colors, colorbar, _legend = shown_coloring(explorer, dataset, color_by, colormap, (low, high), classes)
        if colorbar is not None:
            placeholders = tuple(f"{value:.4g}" for value in colorbar["auto"])
        overlay_colors = OverlayColors(
            dataset=dataset.id,
            key=f"{dataset.id}:{color_by}:{colormap}:{revision}",
            # Labels by table row (the index raster holds row + 1); strings above 2**53.
            labels=json_labels(dataset.label_values),
            rgb=encode_bytes(colors),
            marker=colorbar_marker(colorbar),
        )
        return overlay_colors, *placeholders, *limits_shown
