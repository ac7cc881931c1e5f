"""Embedding axes for the feature plot: PCA or UMAP of the classifier's feature columns, on demand.

Registered by :class:`regionscope.app.explorer.Explorer` (the callback graph is drawn there). The
tab's ``rs-embeddings`` store (:class:`~regionscope.app.stores.Embeddings`) names the axes it
asked for; the server computes them once per dataset, method and features (cached by the
explorer) and every later grid payload of the tab carries them as columns (``pca-1``,
``pca-2``, ...), so the feature plot, the gates and the exports read them like any other.
"""

from __future__ import annotations

from dash import Input, Output, State, ctx, no_update

from regionscope.app.colors import numeric_columns
from regionscope.app.grid import grid_of
from regionscope.app.notices import notice
from regionscope.app.stores import Embeddings
from regionscope.classifier import default_features
from regionscope.embedding import embedding_columns
from regionscope.errors import RegionscopeError


def embeddings_with(embeddings, dataset_id, method, features):
    """The tab's ``rs-embeddings`` after asking for ``method`` on ``features`` (other features start afresh)."""
    methods = []
    if embeddings and embeddings.get("dataset") == dataset_id and list(embeddings.get("features") or []) == list(features):
        methods = list(embeddings.get("methods") or [])
    if method not in methods:
        methods.append(method)
    return Embeddings(dataset=dataset_id, methods=methods, features=list(features))


def register(explorer):
    """Attach the embedding callback."""
    from regionscope.app.view_callbacks import plot_axes

    ids, annotations = explorer.ids, explorer.annotations
    buttons = {ids.EMBED_PCA: "pca", ids.EMBED_UMAP: "umap"}

    @explorer.callback(
        Output(ids.EMBEDDINGS, "data", allow_duplicate=True),
        Output(ids.GRID, "rowData", allow_duplicate=True),
        Output(ids.GRID, "columnDefs", allow_duplicate=True),
        Output(ids.PLOT_X, "options", allow_duplicate=True),
        Output(ids.PLOT_X, "value", allow_duplicate=True),
        Output(ids.PLOT_Y, "options", allow_duplicate=True),
        Output(ids.PLOT_Y, "value", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input(ids.EMBED_PCA, "n_clicks"),
        Input(ids.EMBED_UMAP, "n_clicks"),
        State(ids.CLASSIFIER_FEATURES, "value"),
        State(ids.EMBEDDINGS, "data"),
        State(ids.DATASET, "data"),
        running=[
            (Output(ids.EMBED_PCA, "disabled"), True, False),
            (Output(ids.EMBED_UMAP, "disabled"), True, False),
            (Output(ids.EMBED_PCA, "children"), "Computing…", "PCA"),
        ],
        prevent_initial_call=True,
    )
    def add_embedding(_pca, _umap, features, embeddings, store):
        method = buttons.get(ctx.triggered_id)
        if method is None:
            return (no_update,) * 8
        dataset = explorer.dataset_of(store)
        features = [f for f in (features or default_features(dataset.table)) if f in dataset.table.columns]
        wanted = embeddings_with(embeddings, dataset.id, method, features)
        try:
            explorer.embedding_of(dataset, method, features)
            added = explorer.added_columns(dataset, wanted)
        except RegionscopeError as exc:
            return (*(no_update,) * 7, notice(str(exc)))
        assignments = {str(label): name for label, name in annotations.assignments(dataset.id).items()}
        rows, columns = grid_of(dataset, assignments, explorer.grids, added)
        x, y = embedding_columns(method)
        table = explorer.table_of(dataset, wanted)
        x_options, x, y_options, y = plot_axes(numeric_columns(table), x, y)
        said = f"{method.upper()} of {len(features)} feature columns: the feature plot shows {x} against {y}."
        return wanted, rows, columns, x_options, x, y_options, y, notice(said, error=False)
