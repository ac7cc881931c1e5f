"""The explorer: a Dash component group that builds its page and registers its callbacks.

Modelled on dash-slicer: an :class:`Explorer` is made for a Dash app, builds
its components (:meth:`Explorer.layout`) with ids scoped to the instance
(:class:`~regionscope.app.ids.ExplorerIds`), and registers its callbacks,
grouped by feature, in ``*_callbacks.py``. Two explorers can live in one app
(give them different names); one can be embedded in any Dash app.

Developer notes: the callback graph
-----------------------------------
State lives in the browser: the dataset id (``rs-dataset``, sessionStorage),
the focused region (``rs-focus``), the query's matching labels
(``rs-query-result``) and the kept gates (``rs-gates``, localStorage, per
dataset). Exclusions, classes and the trained classifier live on the server, in the
:class:`~regionscope.annotations.AnnotationStore` (SQLite), and reach the page
as ``rs-excluded``, ``rs-classes`` and ``rs-model``. The server only looks datasets up by id
in the app's :class:`~regionscope.app.registry.DatasetRegistry` (per user when
a login is required); no callback mutates shared state. Each store's payload is
declared in :mod:`regionscope.app.stores`. Ids below are written without the
explorer's prefix.

Server callbacks (Python)::

    view_callbacks
      rs-dataset ──> show_dataset ──> rs-skeleton, grid rows/columns, control options and values,
                                      plane/channel choices (which trigger show_plane), rs-excluded, rs-classes
      rs-dataset, plane, channel ──> show_plane ──> rs-picture (the image), rs-label-map
      graph relayout ──> show_detail ──> rs-detail (full-resolution window of a strided plane)
      colour-by, colormap, range, rs-classes ──> color_regions ──> rs-overlay-colors (+ colour bar)
    query_callbacks
      query box ──> run_query ──> rs-query-result, query error text
    focus_callbacks
      rs-focus, plane ──> outline_focus ──> rs-highlight (outline, + zoom on row click)
      rs-focus ──> jump_to_plane ──> plane (3D: the slice through the centroid)
    data_callbacks
      uploads, "Segment image", "open the default dataset" ──> rs-dataset (or a notice; the dataset stays)
    annotation_callbacks
      Exclude / Restore ──> rs-excluded;  Add class, class buttons, keys 1-9, "no class" ──> rs-classes
    classifier_callbacks
      rs-dataset ──> show_classifier ──> rs-model, quality picture, feature choices
      rs-classes, rs-model ──> show_training_status ──> what training needs / what it used
      Train, Load classifier, Remove classifier ──> rs-model, quality picture, grid rows (+ prediction
          columns), colour-by options; rs-model ──> color_regions, run_query (queries about predictions)
      Accept predictions ──> rs-classes;  Export classifier ──> download (the .skops bytes)
    embedding_callbacks
      PCA, UMAP (+ classifier features) ──> rs-embeddings, grid rows/columns (+ pca-1, pca-2, ...),
          feature plot axes;  show_dataset and the classifier's refreshes keep the tab's axes
    project_callbacks (only when a project is served)
      query box, rs-classes, summary-by, rs-dataset ──> show_project ──> the cards' counts and look,
          the summary table (the project's regions, never an image opened)
      a gallery card ──> open_image ──> rs-dataset;  Summary (CSV) ──> download
    export_callbacks
      export buttons ──> download (files made in a temporary folder that is deleted at once)

Clientside callbacks (``assets/regionscope.js``; :mod:`clientside_callbacks`),
where the browser is faster than a round trip. Each also takes
``rs-explorer`` (its prefix), so that the page's scripts know which explorer
they serve::

    rs-label-map, rs-overlay-colors, grid virtualRowData + selectedRows, mode ──> rs-overlay (drawn here)
    rs-skeleton, rs-picture, rs-overlay-colors, rs-overlay, rs-highlight, opacity, rs-detail
        ──> composeFigure ──> the figure (its only writer)
    hoverData (+ rs-label-map, rs-overlay) ──> hover strip + grid row highlight/scroll
    clickData (+ rs-label-map, rs-overlay) ──> rs-focus, grid selectedRows/scrollTo;  cellClicked ──> rs-focus
    Review uncertain (+ rs-model) ──> query box ({class} is nil), grid sorted by predicted_probability
    rs-query-result, rs-excluded, rs-gates ──> grid external filter ──> virtualRowData ──> overlay, count,
        feature plot, rs-scope (what an export of "shown"/"selected" means)

Why one writer of the figure: Dash 4 applies a ``Patch`` to the value it sees
when the callback *returns*, so two callbacks patching one figure at about the
same time can undo each other (seen: the overlay vanishing at page load).
Stores that each hold one part, composed by one synchronous function, cannot
race. The image is sent only by show_plane; overlay, colours, highlight and
zoom changes never resend it.
"""

from __future__ import annotations

import pandas as pd
from dash import ClientsideFunction, State

from regionscope.app.ids import ExplorerIds
from regionscope.app.layout import build_layout
from regionscope.app.notices import error_reporter
from regionscope.app.security import current_user
from regionscope.app.view_cache import SmallCache
from regionscope.errors import RegionscopeError


class Explorer:
    """An image, its regions' table and feature plot, linked; placed in a Dash app.

    Parameters
    ----------
    app : dash.Dash
        The app whose callbacks this explorer registers (its layout is yours to
        place: ``app.layout = explorer.layout`` or inside your own page).
    registry : DatasetRegistry
        Where the datasets are (shared by every explorer of the app).
    default_dataset_id : str
        Opened for a browser that has no dataset id yet (an unknown id is never
        replaced by it: the page says the dataset is gone).
    upload_folder : UploadFolder
        Where uploaded files are saved.
    annotations : AnnotationStore or UserAnnotations
        Where exclusions and classes are saved (per user with authentication).
    session : dict or None
        A session (:func:`regionscope.export.read_session`) whose filters and
        view settings the page opens with.
    name : str
        Prefix of this explorer's component ids: ``""`` for the default
        explorer (ids ``rs-grid``, ...), any other short name for a second one
        in the same app (``"left"``: ``left-rs-grid``).
    project : Project or None
        A project (:class:`regionscope.project.Project`) whose images the explorer offers in a
        gallery; ``annotations`` is then a :class:`~regionscope.app.project_callbacks.ProjectAnnotations`.

    Examples
    --------
    >>> app = dash.Dash(__name__)                                        # doctest: +SKIP
    >>> left = Explorer(app, registry, default_dataset_id=a.id, upload_folder=uploads,
    ...                 annotations=store, name="left")                  # doctest: +SKIP
    >>> right = Explorer(app, registry, default_dataset_id=b.id, upload_folder=uploads,
    ...                  annotations=store, name="right")                # doctest: +SKIP
    >>> app.layout = lambda: html.Div([left.layout(), right.layout()])  # doctest: +SKIP
    """

    def __init__(self, app, registry, *, default_dataset_id, upload_folder, annotations, session=None, name="", project=None):
        from regionscope.app import (
            annotation_callbacks,
            classifier_callbacks,
            clientside_callbacks,
            data_callbacks,
            embedding_callbacks,
            export_callbacks,
            focus_callbacks,
            project_callbacks,
            query_callbacks,
            view_callbacks,
        )

        self.app = app
        self.registry = registry
        self.default_dataset_id = default_dataset_id
        self.upload_folder = upload_folder
        self.annotations = annotations
        self.session = session
        self.project = project
        self.ids = ExplorerIds(name)
        self.report_error = error_reporter(self.ids)
        # Derived pixels of immutable datasets, keyed by dataset id: caches, not state.
        self.pictures = SmallCache(size=16)
        self.limits = SmallCache(size=16)
        self.full_planes = SmallCache(size=2)
        self.grids = SmallCache(size=8)  # the table's grid rows and columns, per dataset
        # A classifier and its predictions, keyed by (dataset id, model id): the model's bytes
        # are in the annotation store, and the same bytes always predict the same.
        self.models = SmallCache(size=4)
        # Embedding axes, keyed by (dataset id, method, features): a tab's rs-embeddings names them.
        self.embeddings = SmallCache(size=8)
        for feature in (
            view_callbacks,
            query_callbacks,
            focus_callbacks,
            data_callbacks,
            annotation_callbacks,
            classifier_callbacks,
            embedding_callbacks,
            export_callbacks,
            project_callbacks,
            clientside_callbacks,
        ):
            feature.register(self)

    def layout(self):
        """The explorer's components, opening the default dataset (a new tree at every call)."""
        return build_layout(self.default_dataset_id, self.session, self.ids, self.project)

    def callback(self, *dependencies, **options):
        """``app.callback`` for this explorer: its errors are said in its own header."""
        options.setdefault("on_error", self.report_error)
        return self.app.callback(*dependencies, **options)

    def clientside(self, function_name, *dependencies, **options):
        """Register ``window.dash_clientside.regionscope[function_name]``; it gets ``rs-explorer`` last."""
        self.app.clientside_callback(
            ClientsideFunction(namespace="regionscope", function_name=function_name),
            *dependencies,
            State(self.ids.EXPLORER, "data"),
            **options,
        )

    def view_of(self, dataset):
        """What the viewer draws a dataset with: its outlines and label-index raster (:mod:`view_data`)."""
        return self.registry.view_of(dataset)

    def open_project_image(self, name):
        """Open one image of the served project (as ``regionscope view`` would open its files); its dataset."""
        from regionscope.app.project_callbacks import open_project_image

        return open_project_image(self.registry, self.project, name, self.annotations)

    def classifier_of(self, dataset):
        """The dataset's trained classifier (for this request's user) and its id, or ``(None, None)``."""
        model_id = self.annotations.model_id(dataset.id)
        if model_id is None:
            return None, None
        return self._model(dataset, model_id)[0], model_id

    def predictions_of(self, dataset):
        """Every region's ``predicted_class`` and ``predicted_probability`` (a DataFrame), or None without a classifier."""
        model_id = self.annotations.model_id(dataset.id)
        return None if model_id is None else self._model(dataset, model_id)[1]

    def _model(self, dataset, model_id):
        from regionscope.classifier import ClassifierError, load_classifier

        def load():
            saved = self.annotations.model(dataset.id)
            if saved is None:  # removed since its id was read
                return None, None
            classifier = load_classifier(saved[1], name="the saved classifier")
            try:
                predictions = classifier.predict(dataset.table, where="this dataset's table")
            except ClassifierError:
                predictions = None  # a classifier for other columns: shown as such, predicts nothing here
            return classifier, predictions

        return self.models.get((dataset.id, model_id), load)

    def embedding_of(self, dataset, method, features):
        """Two embedding axes (``pca-1``, ``pca-2`` or ``umap-*``) of the dataset's regions, by table row."""
        from regionscope.embedding import embed

        return self.embeddings.get((dataset.id, method, tuple(features)), lambda: embed(dataset.table, list(features), method))

    def added_columns(self, dataset, embeddings=None, predictions=None):
        """What the page shows beside the dataset's own columns: predictions, then the tab's embedding axes.

        Parameters
        ----------
        dataset : Dataset
        embeddings : Embeddings or None
            The tab's ``rs-embeddings`` store (ignored when it is another dataset's).
        predictions : pandas.DataFrame, optional
            Already read; default: the dataset's classifier's (none without one).

        Returns
        -------
        pandas.DataFrame or None
            By table row; None when there is nothing to add.
        """
        from regionscope.app.classifier_callbacks import PREDICTED

        if predictions is None:
            predictions = self.predictions_of(dataset)
        parts = [] if predictions is None else [predictions[list(PREDICTED)].reset_index(drop=True)]
        if embeddings and embeddings.get("dataset") == dataset.id:
            for method in embeddings.get("methods") or []:
                parts.append(self.embedding_of(dataset, method, embeddings.get("features") or []).reset_index(drop=True))
        return pd.concat(parts, axis=1) if parts else None

    def table_of(self, dataset, embeddings=None, predictions=None):
        """The dataset's table as the page shows it: with predictions and the tab's embedding axes."""
        added = self.added_columns(dataset, embeddings, predictions)
        if added is None:
            return dataset.table
        return dataset.table.assign(**{name: added[name].to_numpy() for name in added.columns})

    def dataset_of(self, store):
        """The tab's dataset; DatasetGoneError for an id this server does not hold for this user.

        Raising is the point: a stale or crafted id must never fall back to
        another dataset (reads would show it, writes would land in it). The
        explorer's error handler puts the message in its header.
        """
        if store is not None and not isinstance(store, dict):
            raise RegionscopeError("the page sent a malformed dataset reference; reload the page")
        wanted = (store or {}).get("id") or self.default_dataset_id
        if not isinstance(wanted, str):
            raise RegionscopeError("the page sent a malformed dataset reference; reload the page")
        return self.registry.get(wanted, current_user())
