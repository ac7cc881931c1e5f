"""Callbacks that change what the user decided about regions: exclusions and classes.

Registered by :class:`regionscope.app.explorer.Explorer` (the callback graph is drawn there). Every
change is written to the server's :class:`~regionscope.annotations.AnnotationStore`
at once; the browser receives the dataset's new state (``rs-excluded``,
``rs-classes``) and never holds the only copy. A write that fails is shown in
the page and the browser's view stays as it was.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, no_update

from regionscope.annotations import AnnotationError
from regionscope.app.colors import next_class_color
from regionscope.app.display import json_labels, label_value
from regionscope.app.notices import notice
from regionscope.app.stores import Classes, Excluded
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

    Raises
    ------
    AnnotationError
        When a value is not an integer label (a crafted or damaged request).
    """
    if not selected:
        return []
    if isinstance(selected, dict):
        values = selected.get("ids", [])
    elif isinstance(selected, list):
        values = [row["label"] for row in selected if isinstance(row, dict) and "label" in row]
    else:
        values = [selected]
    labels = []
    for value in values if isinstance(values, list) else [values]:
        label = label_value(value)  # never rounds 2.5 to 2
        if label is None:
            raise AnnotationError(f"the selection holds {value!r}, which is not a region label")
        labels.append(label)
    return labels


def excluded_state(annotations, dataset) -> Excluded:
    """The ``rs-excluded`` store's content for a dataset."""
    return Excluded(dataset=dataset.id, labels=json_labels(annotations.excluded(dataset.id)))


def classes_state(annotations, dataset) -> Classes:
    """The ``rs-classes`` store's content for a dataset (assignment keys are strings, as in JSON)."""
    assignments = annotations.assignments(dataset.id)
    classes = annotations.classes(dataset.id)
    return Classes(
        dataset=dataset.id,
        classes=classes,
        next_color=next_class_color(classes),
        assignments={str(label): name for label, name in assignments.items()},
        revision=annotations.revision(dataset.id),
    )


def class_for_key(classes_store, key):
    """The class bound to number key ``key`` (1 = the first class), or None."""
    classes = (classes_store or {}).get("classes") or []
    return classes[key - 1]["name"] if 1 <= key <= len(classes) else None


def register(explorer):
    """Attach the exclusion and class callbacks."""
    ids, annotations, dataset_of = explorer.ids, explorer.annotations, explorer.dataset_of

    @explorer.callback(
        Output(ids.EXCLUDED, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Output(ids.GRID, "selectedRows", allow_duplicate=True),
        Input(ids.EXCLUDE, "n_clicks"),
        Input(ids.RESTORE, "n_clicks"),
        State(ids.GRID, "selectedRows"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    def change_exclusions(_exclude, _restore, selected, store):
        dataset = dataset_of(store)
        selection = no_update
        try:
            if ctx.triggered_id == ids.RESTORE:
                annotations.restore_all(dataset.id)
                message = "All regions restored."
            else:
                labels = selected_labels(selected)
                if not labels:
                    return no_update, notice("Select rows to exclude first (tick them, or box/lasso in the image)."), no_update
                annotations.exclude(dataset.id, labels, known_labels=dataset.label_values)
                message = f"Excluded {len(labels)} region{'s' if len(labels) != 1 else ''}."
                selection = {"ids": []}  # excluded regions leave the selection too
        except RegionscopeError as exc:
            return no_update, notice(str(exc)), no_update
        return excluded_state(annotations, dataset), notice(message, error=False), selection

    @explorer.callback(
        Output(ids.CLASSES, "data", allow_duplicate=True),
        Output(ids.CLASS_NAME, "value"),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input(ids.CLASS_ADD, "n_clicks"),
        Input(ids.CLASS_NAME, "n_submit"),
        State(ids.CLASS_NAME, "value"),
        State(ids.CLASS_COLOR, "value"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    def add_class(_clicks, _submit, name, color, store):
        dataset = dataset_of(store)
        try:
            annotations.define_class(dataset.id, name or "", color or next_class_color(annotations.classes(dataset.id)))
        except RegionscopeError as exc:
            return no_update, no_update, notice(str(exc))
        return classes_state(annotations, dataset), "", notice(f"Class '{(name or '').strip()}' added.", error=False)

    @explorer.callback(
        Output(ids.CLASSES, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input({"type": ids.CLASS_ASSIGN, "index": ALL}, "n_clicks"),
        Input(ids.CLASS_KEY, "data"),
        Input(ids.CLASS_CLEAR, "n_clicks"),
        State(ids.GRID, "selectedRows"),
        State(ids.CLASSES, "data"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    def assign_class(_buttons, key, clear_clicks, selected, classes_store, store):
        trigger = ctx.triggered_id
        if isinstance(trigger, dict):
            if not any(item.get("value") for item in ctx.triggered):
                return no_update, no_update  # buttons (re)drawn, not clicked
            name = trigger["index"]
        elif trigger == ids.CLASS_KEY:
            name = class_for_key(classes_store, int((key or {}).get("key", 0)))
            if name is None:
                return no_update, no_update
        elif trigger == ids.CLASS_CLEAR and clear_clicks:
            name = None
        else:
            # The class buttons were redrawn with none left (another dataset):
            # Dash names no trigger then. Nothing was asked, so nothing is said.
            return no_update, no_update
        try:
            labels = selected_labels(selected)
            if not labels:
                return no_update, notice("Select regions first, then choose their class.")
            dataset = dataset_of(store)
            annotations.assign(dataset.id, labels, name, known_labels=dataset.label_values)
        except RegionscopeError as exc:
            return no_update, notice(str(exc))
        what = f"'{name}'" if name else "no class"
        regions = "region" if len(labels) == 1 else "regions"
        return classes_state(annotations, dataset), notice(f"{len(labels)} {regions} set to {what}.", error=False)
