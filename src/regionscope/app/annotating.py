"""Callbacks that change what the user decided about regions: exclusions and classes.

Registered from :func:`regionscope.app.callbacks.register_callbacks`. Every
change is written to the server's :class:`~regionscope.annotations.AnnotationStore`
at once; the browser receives the dataset's new state (``rs-excluded``,
``rs-classes``) and never holds the only copy. A write that fails is shown in
the page and the browser's view stays as it was.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, html, no_update

from regionscope.app.display import json_labels, label_value
from regionscope.app.ids import ID
from regionscope.errors import RegionscopeError


def selected_labels(selected):
    """Labels in the grid's ``selectedRows`` prop.

    Parameters
    ----------
    selected : list of dict, dict or None
        Row records as the grid reports them, or ``{"ids": [...]}`` as callbacks set them.

    Returns
    -------
    list of int
        Labels arrive as numbers or, above 2**53, as decimal strings; both are exact here.
    """
    if not selected:
        return []
    if isinstance(selected, dict):
        values = selected.get("ids", [])
    else:
        values = [row.get("label") for row in selected if isinstance(row, dict)]
    labels = [label_value(value) for value in values]
    if any(label is None for label in labels):
        raise RegionscopeError("the page sent a selection that is not a list of region labels; reload the page")
    return labels


def excluded_state(annotations, dataset):
    """The ``rs-excluded`` store's content for a dataset."""
    return {"dataset": dataset.id, "labels": json_labels(annotations.excluded(dataset.id))}


def classes_state(annotations, dataset):
    """The ``rs-classes`` store's content for a dataset (assignment keys are strings, as in JSON)."""
    assignments = annotations.assignments(dataset.id)
    return {
        "dataset": dataset.id,
        "classes": annotations.classes(dataset.id),
        "assignments": {str(label): name for label, name in assignments.items()},
        "revision": annotations.revision(dataset.id),
    }


def class_for_key(classes_store, key):
    """The class bound to number key ``key`` (1 = the first class), or None."""
    classes = (classes_store or {}).get("classes") or []
    return classes[key - 1]["name"] if 1 <= key <= len(classes) else None


def notice(message, *, error=True):
    """A message for the page header."""
    return html.Span(message, className="rs-error" if error else "rs-info")


def register_annotation_callbacks(app, annotations, dataset_of):
    """Attach the exclusion and class callbacks.

    Parameters
    ----------
    app : dash.Dash
    annotations : AnnotationStore
    dataset_of : callable
        ``dataset_of(store_data) -> Dataset`` for the ``rs-dataset`` store.
    """

    @app.callback(
        Output(ID.EXCLUDED, "data", allow_duplicate=True),
        Output(ID.NOTICE, "children", allow_duplicate=True),
        Input(ID.EXCLUDE, "n_clicks"),
        Input(ID.RESTORE, "n_clicks"),
        State(ID.GRID, "selectedRows"),
        State(ID.DATASET, "data"),
        prevent_initial_call=True,
    )
    def change_exclusions(_exclude, _restore, selected, store):
        dataset = dataset_of(store)
        try:
            if ctx.triggered_id == ID.RESTORE:
                annotations.restore_all(dataset.id)
                message = "All regions restored."
            else:
                labels = selected_labels(selected)
                if not labels:
                    return no_update, notice("Select rows to exclude first (tick them, or box/lasso in the image).")
                annotations.exclude(dataset.id, labels)
                message = f"Excluded {len(labels)} region{'s' if len(labels) != 1 else ''}."
        except RegionscopeError as exc:
            return no_update, notice(str(exc))
        return excluded_state(annotations, dataset), notice(message, error=False)

    @app.callback(
        Output(ID.CLASSES, "data", allow_duplicate=True),
        Output(ID.CLASS_NAME, "value"),
        Output(ID.NOTICE, "children", allow_duplicate=True),
        Input(ID.CLASS_ADD, "n_clicks"),
        Input(ID.CLASS_NAME, "n_submit"),
        State(ID.CLASS_NAME, "value"),
        State(ID.CLASS_COLOR, "value"),
        State(ID.DATASET, "data"),
        prevent_initial_call=True,
    )
    def add_class(_clicks, _submit, name, color, store):
        dataset = dataset_of(store)
        try:
            annotations.define_class(dataset.id, name or "", color or "#2ca02c")
        except RegionscopeError as exc:
            return no_update, no_update, notice(str(exc))
        return classes_state(annotations, dataset), "", notice(f"Class '{(name or '').strip()}' added.", error=False)

    @app.callback(
        Output(ID.CLASSES, "data", allow_duplicate=True),
        Output(ID.NOTICE, "children", allow_duplicate=True),
        Input({"type": ID.CLASS_ASSIGN, "index": ALL}, "n_clicks"),
        Input(ID.CLASS_KEY, "data"),
        Input(ID.CLASS_CLEAR, "n_clicks"),
        State(ID.GRID, "selectedRows"),
        State(ID.CLASSES, "data"),
        State(ID.DATASET, "data"),
        prevent_initial_call=True,
    )
    def assign_class(_buttons, key, _clear, selected, classes_store, store):
        trigger = ctx.triggered_id
        if isinstance(trigger, dict):
            if not any(item.get("value") for item in ctx.triggered):
                return no_update, no_update  # buttons (re)drawn, not clicked
            name = trigger["index"]
        elif trigger == ID.CLASS_KEY:
            name = class_for_key(classes_store, int((key or {}).get("key", 0)))
            if name is None:
                return no_update, no_update
        else:
            name = None
        labels = selected_labels(selected)
        if not labels:
            return no_update, notice("Select regions first, then choose their class.")
        dataset = dataset_of(store)
        try:
            annotations.assign(dataset.id, labels, name)
        except RegionscopeError as exc:
            return no_update, notice(str(exc))
        what = f"'{name}'" if name else "no class"
        return classes_state(annotations, dataset), notice(f"{len(labels)} region(s) set to {what}.", error=False)
