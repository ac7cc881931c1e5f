"""The classifier loop in the page: train on the user's classes, see predictions, review, accept.

Registered by :class:`regionscope.app.explorer.Explorer` (the callback graph is drawn there). The
trained classifier is kept in the :class:`~regionscope.annotations.AnnotationStore` beside the
classes it was trained on (per user with a login), as a skops file's bytes; the page holds only
its id and summary (``rs-model``, :class:`~regionscope.app.stores.Model`). Predictions are made
on the server from the dataset and the model (cached by model id) and join the table as the
columns ``predicted_class`` and ``predicted_probability``, which the grid, the query, the
colouring and the exports read like any other. The user's own classes always win: they stay in
the ``class`` column, "Accept" writes predictions only for regions without one, and colouring by
``predicted_class`` shows a region's own class where it has one.

Training runs in its own request: the page's other callbacks keep being answered meanwhile (the
server has several threads and the forest's trees are fitted outside the GIL).
"""

from __future__ import annotations

import base64
import binascii

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, no_update
from plotly.subplots import make_subplots

from regionscope.app.colors import next_class_color
from regionscope.app.display import label_value
from regionscope.app.grid import color_options, grid_of
from regionscope.app.notices import notice
from regionscope.app.stores import Model
from regionscope.classifier import (
    Classifier,
    ClassifierError,
    default_features,
    load_classifier,
    merged_classes,
    train_classifier,
    training_needs,
)
from regionscope.errors import RegionscopeError

#: The columns predictions add to a table.
PREDICTED = ("predicted_class", "predicted_probability")
#: The query "Review" puts in the box (regions without a class of their own); the grid then
#: sorts them least certain first (``reviewUncertain`` in ``regionscope.js``).
REVIEW_QUERY = "{class} is nil"
#: Files larger than this are refused as a classifier upload.
MAX_MODEL_UPLOAD_BYTES = 64 * 2**20


def model_state(dataset_id, model_id, classifier: Classifier | None) -> Model:
    """The ``rs-model`` store's content (``id`` None: no classifier yet)."""
    if classifier is None:
        return Model(dataset=dataset_id, id=None, classes=[], features=[], examples=0, accuracy=None, review=REVIEW_QUERY)
    accuracy = None if classifier.quality is None else classifier.quality.accuracy
    return Model(
        dataset=dataset_id,
        id=model_id,
        classes=list(classifier.classes),
        features=list(classifier.features),
        examples=classifier.examples,
        accuracy=accuracy,
        review=REVIEW_QUERY,
    )


def with_predictions(table, predictions):
    """``table`` with the prediction columns (after ``label``'s neighbours, at the end), or as is."""
    if predictions is None:
        return table
    return table.assign(**{name: predictions[name].to_numpy() for name in PREDICTED})


def training_status(counts, model: Model | None):
    """What the classifier panel says: what training needs, or what it would use, and the model's quality."""
    need = training_needs(counts)
    examples = sum(counts.values())
    parts = []
    if need:
        parts.append(need[0].upper() + need[1:] + ".")
    else:
        parts.append(f"Ready to train on {examples:,} regions of {len([n for n in counts.values() if n])} classes.")
    if model and model.get("id"):
        accuracy = model.get("accuracy")
        quality = f", cross-validated accuracy {accuracy:.0%}" if accuracy is not None else ""
        parts.append(f"The classifier was trained on {model['examples']:,} regions{quality}.")
    return " ".join(parts)


def predicted_class_store(classes, predictions):
    """An ``rs-classes``-shaped dict that colours every region by its shown class (its own, else predicted).

    Predicted classes the dataset no longer defines get the next palette colours.
    """
    classes = classes or {}
    own = {int(label): name for label, name in (classes.get("assignments") or {}).items()}
    shown = merged_classes(predictions, own)
    defined = list(classes.get("classes") or [])
    for name in sorted(set(predictions["predicted_class"]) - {c["name"] for c in defined}):
        defined.append({"name": name, "color": next_class_color(defined)})
    assignments = {str(label): name for label, name in zip(predictions["label"].tolist(), shown.tolist(), strict=True)}
    return {"classes": defined, "assignments": assignments}


def class_counts(assignments):
    """Regions per class name, from ``{label: class}``."""
    counts = {}
    for name in assignments.values():
        counts[name] = counts.get(name, 0) + 1
    return counts


def quality_figure(classifier: Classifier | None):
    """The classifier's quality as a picture: the cross-validated confusion matrix and the feature importances."""
    figure = make_subplots(
        rows=1, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.22, subplot_titles=("cross-validated", "importance")
    )
    figure.update_layout(
        height=220,
        margin={"l": 10, "r": 10, "t": 28, "b": 10},
        showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)",
        font={"size": 11},
    )
    quality = None if classifier is None else classifier.quality
    if quality is None:
        figure.update_xaxes(visible=False)
        figure.update_yaxes(visible=False)
        figure.layout.annotations = ()
        text = "no classifier yet" if classifier is None else "too few examples to cross-validate"
        figure.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        return figure
    names = list(quality.confusion.index)
    counts = quality.confusion.to_numpy()
    figure.add_trace(
        go.Heatmap(
            z=counts,
            x=names,
            y=names,
            colorscale="Blues",
            showscale=False,
            text=counts,
            texttemplate="%{text}",
            hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    figure.update_xaxes(title_text="predicted", row=1, col=1)
    figure.update_yaxes(title_text="true", autorange="reversed", row=1, col=1)
    top = quality.importances.head(8)[::-1]
    figure.add_trace(
        go.Bar(
            x=top.to_numpy(),
            y=list(top.index),
            orientation="h",
            marker_color="#0072b2",
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
        ),
        row=1,
        col=2,
    )
    return figure


def quality_style(classifier: Classifier | None):
    """The quality picture is shown only when there is a classifier."""
    return {"height": "220px"} if classifier is not None else {"display": "none"}


def accept_plan(predictions, labels, assignments):
    """Which regions "Accept" gives which class: predictions of the regions in ``labels`` that have no class.

    Parameters
    ----------
    predictions : pandas.DataFrame
        ``label``, ``predicted_class`` (from :meth:`Classifier.predict`).
    labels : list of int
        The regions meant (selected, else shown).
    assignments : dict of int to str
        The user's classes; these regions keep theirs.

    Returns
    -------
    dict of str to list of int
        Class name to labels, in table order.
    """
    wanted = predictions["label"].isin(pd.Series(labels, dtype=predictions["label"].dtype))
    free = ~predictions["label"].isin(pd.Series(list(assignments), dtype=predictions["label"].dtype))
    chosen = predictions[wanted & free]
    return {str(name): group["label"].tolist() for name, group in chosen.groupby("predicted_class", sort=True)}


def model_upload_bytes(contents, filename):
    """The bytes of an uploaded classifier file (``dcc.Upload``'s data URL), refusing what cannot be one."""
    name = filename or "the uploaded file"
    if not isinstance(contents, str) or "," not in contents:
        raise ClassifierError(f"{name} did not arrive as a file; choose it again")
    encoded = contents.split(",", 1)[1]
    if len(encoded) > MAX_MODEL_UPLOAD_BYTES * 4 // 3 + 4:
        raise ClassifierError(f"{name} is more than {MAX_MODEL_UPLOAD_BYTES // 2**20} MB, more than a classifier file")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ClassifierError(f"{name} did not arrive intact; choose it again") from None


def register(explorer):
    """Attach the classifier callbacks."""
    ids, annotations, dataset_of = explorer.ids, explorer.annotations, explorer.dataset_of

    def refreshed(dataset, classifier, model_id, shown_columns, embeddings):
        """Outputs shared by train, load and forget: the model, its picture, the grid with predictions.

        The column definitions are sent only when the columns change (a first classifier, or
        its removal): sent again, they would put back the initial sort over the user's.
        """
        assignments = {str(label): name for label, name in annotations.assignments(dataset.id).items()}
        added = explorer.added_columns(dataset, embeddings)
        rows, columns = grid_of(dataset, assignments, explorer.grids, added)
        return (
            model_state(dataset.id, model_id, classifier),
            quality_figure(classifier),
            quality_style(classifier),
            rows,
            no_update if [c.get("field") for c in shown_columns or []] == [c["field"] for c in columns] else columns,
            color_options(explorer.table_of(dataset, embeddings)),
        )

    model_outputs = (
        Output(ids.MODEL, "data", allow_duplicate=True),
        Output(ids.QUALITY, "figure", allow_duplicate=True),
        Output(ids.QUALITY, "style", allow_duplicate=True),
        Output(ids.GRID, "rowData", allow_duplicate=True),
        Output(ids.GRID, "columnDefs", allow_duplicate=True),
        Output(ids.COLOR_BY, "options", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
    )
    unchanged = (no_update,) * 6

    @explorer.callback(
        Output(ids.MODEL, "data"),
        Output(ids.QUALITY, "figure"),
        Output(ids.QUALITY, "style"),
        Output(ids.CLASSIFIER_FEATURES, "options"),
        Output(ids.CLASSIFIER_FEATURES, "value"),
        Input(ids.DATASET, "data"),
    )
    def show_classifier(store):
        dataset = dataset_of(store)
        choices = [c for c in dataset.table.columns if dataset.table[c].dtype.kind in "iuf" and c != "label"]
        classifier, model_id = explorer.classifier_of(dataset)
        features = [f for f in (classifier.features if classifier else default_features(dataset.table)) if f in choices]
        return (
            model_state(dataset.id, model_id, classifier),
            quality_figure(classifier),
            quality_style(classifier),
            choices,
            features,
        )

    @explorer.callback(
        Output(ids.TRAIN_STATUS, "children"),
        Input(ids.CLASSES, "data"),
        Input(ids.MODEL, "data"),
    )
    def show_training_status(classes, model):
        assignments = (classes or {}).get("assignments") or {}
        return training_status(class_counts(assignments), model)

    @explorer.callback(
        *model_outputs,
        Input(ids.TRAIN, "n_clicks"),
        State(ids.CLASSIFIER_FEATURES, "value"),
        State(ids.DATASET, "data"),
        State(ids.GRID, "columnDefs"),
        State(ids.EMBEDDINGS, "data"),
        running=[(Output(ids.TRAIN, "disabled"), True, False), (Output(ids.TRAIN, "children"), "Training…", "Train")],
        prevent_initial_call=True,
    )
    def train(_clicks, features, store, shown_columns, embeddings):
        dataset = dataset_of(store)
        try:
            if not features:
                raise ClassifierError("choose at least one feature column to train on")
            classifier = train_classifier(dataset.table, annotations.assignments(dataset.id), features)
            model_id = annotations.save_model(dataset.id, classifier.to_bytes())
        except RegionscopeError as exc:
            return *unchanged, notice(str(exc))
        accuracy = classifier.quality.accuracy if classifier.quality else None
        said = f" (cross-validated accuracy {accuracy:.0%})" if accuracy is not None else ""
        message = f"Trained on {classifier.examples:,} regions of {len(classifier.classes)} classes{said}; every region has a predicted class."
        return *refreshed(dataset, classifier, model_id, shown_columns, embeddings), notice(message, error=False)

    @explorer.callback(
        *model_outputs,
        Output(ids.CLASSIFIER_FEATURES, "value", allow_duplicate=True),
        Input(ids.MODEL_UPLOAD, "contents"),
        State(ids.MODEL_UPLOAD, "filename"),
        State(ids.DATASET, "data"),
        State(ids.GRID, "columnDefs"),
        State(ids.EMBEDDINGS, "data"),
        prevent_initial_call=True,
    )
    def load_model(contents, filename, store, shown_columns, embeddings):
        dataset = dataset_of(store)
        try:
            data = model_upload_bytes(contents, filename)
            classifier = load_classifier(data, name=filename or "the uploaded file")
            classifier.check_features(dataset.table, where="this dataset's table")
            model_id = annotations.save_model(dataset.id, data)
        except RegionscopeError as exc:
            return *unchanged, notice(str(exc)), no_update
        message = f"Loaded the classifier {filename}: {len(classifier.classes)} classes; every region has a predicted class."
        features = list(classifier.features)  # retraining starts from the loaded classifier's columns
        return *refreshed(dataset, classifier, model_id, shown_columns, embeddings), notice(message, error=False), features

    @explorer.callback(
        *model_outputs,
        Input(ids.MODEL_FORGET, "n_clicks"),
        State(ids.DATASET, "data"),
        State(ids.GRID, "columnDefs"),
        State(ids.EMBEDDINGS, "data"),
        prevent_initial_call=True,
    )
    def forget_model(_clicks, store, shown_columns, embeddings):
        dataset = dataset_of(store)
        try:
            annotations.delete_model(dataset.id)
        except RegionscopeError as exc:
            return *unchanged, notice(str(exc))
        return *refreshed(dataset, None, None, shown_columns, embeddings), notice(
            "The classifier and its predictions were removed; your classes are kept.", error=False
        )

    @explorer.callback(
        Output(ids.DOWNLOAD, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input(ids.MODEL_EXPORT, "n_clicks"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    def export_model(_clicks, store):
        from regionscope.app.export_callbacks import file_stem

        dataset = dataset_of(store)
        saved = annotations.model(dataset.id)
        if saved is None:
            return no_update, notice("Train a classifier first (it needs classes on a few regions).")
        name = f"{file_stem(dataset)}-classifier.skops"
        return dcc.send_bytes(saved[1], name), notice(f"Saved the classifier as {name}.", error=False)

    @explorer.callback(
        Output(ids.CLASSES, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input(ids.ACCEPT, "n_clicks"),
        State(ids.GRID, "selectedRows"),
        State(ids.SCOPE, "data"),
        State(ids.DATASET, "data"),
        prevent_initial_call=True,
    )
    def accept_predictions(_clicks, selected, scope, store):
        from regionscope.app.annotation_callbacks import classes_state, selected_labels

        dataset = dataset_of(store)
        predictions = explorer.predictions_of(dataset)
        if predictions is None:
            return no_update, notice("Train a classifier first: there are no predictions to accept.")
        try:
            labels = selected_labels(selected)
            meant = "selected"
            if not labels:
                labels = [label_value(value) for value in ((scope or {}).get("visible") or [])]
                if any(label is None for label in labels):
                    raise RegionscopeError("the page sent region labels that are not integers; reload the page")
                meant = "shown"
            plan = accept_plan(predictions, labels, annotations.assignments(dataset.id))
            if not plan:
                return no_update, notice(f"Every {meant} region already has a class of its own; nothing to accept.", error=False)
            defined = {c["name"] for c in annotations.classes(dataset.id)}
            for name in plan:
                if name not in defined:  # a loaded classifier's class, or one deleted since training
                    annotations.define_class(dataset.id, name, next_class_color(annotations.classes(dataset.id)))
            for name, members in plan.items():
                annotations.assign(dataset.id, members, name, known_labels=dataset.label_values)
        except RegionscopeError as exc:
            return no_update, notice(str(exc))
        total = sum(len(members) for members in plan.values())
        regions = "region" if total == 1 else "regions"
        return classes_state(annotations, dataset), notice(
            f"Accepted the predicted class of {total:,} {meant} {regions}.", error=False
        )

    explorer.clientside(
        "reviewUncertain",
        Output(ids.QUERY, "value", allow_duplicate=True),
        Input(ids.REVIEW, "n_clicks"),
        State(ids.MODEL, "data"),
        prevent_initial_call=True,
    )
