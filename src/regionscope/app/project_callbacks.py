"""A project in the explorer: a gallery of its images with per-image counts that follow the query and the classes.

Registered by :class:`regionscope.app.explorer.Explorer` when it serves a project
(:func:`regionscope.app.server.serve_project`). The project's region table (every region of
every image, from its Parquet files) answers the gallery's counts and the summary without
opening any image; clicking an image opens it in the explorer (its files measured as
``regionscope view`` would, once, then kept by the registry). The summary follows the query
box (evaluated over every image) and the classes given in any image, which are kept in the
project's own annotation store under :meth:`Project.annotation_key` (:class:`ProjectAnnotations`).
"""

from __future__ import annotations

import threading

import pandas as pd
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from regionscope.app.notices import notice
from regionscope.app.stores import dataset_ref
from regionscope.errors import RegionscopeError
from regionscope.query import filter_mask, parse_filter
from regionscope.summary import summarize

#: Where the explorer's Flask server answers a project image's thumbnail (``<index>``: its row).
THUMBNAIL_ROUTE = "/_regionscope/project/thumbnail/<int:index>"


class ProjectAnnotations:
    """An annotation store in which a project image's dataset id stands for that image's key in the project.

    The explorer keys exclusions and classes by dataset id; a project keys them by image
    (:meth:`~regionscope.project.Project.annotation_key`), so that the project's classes
    (``Project.classes()``, ``regionscope classify DIR --train-from DIR``) are the ones
    given in the page. Which id is which image is learnt when the server opens an image
    (:meth:`learn`): a cache of a fixed fact (the same files give the same id), shared by
    every user, never per-user state.
    """

    def __init__(self, store, project):
        self.store = store
        self.project = project
        self._images = {}  # dataset id -> image name
        self._lock = threading.Lock()

    def learn(self, dataset_id, image):
        with self._lock:
            self._images[dataset_id] = image

    def key(self, dataset):
        dataset_id = dataset if isinstance(dataset, str) else getattr(dataset, "id", dataset)
        with self._lock:
            image = self._images.get(dataset_id)
        return dataset_id if image is None else self.project.annotation_key(image)

    def __getattr__(self, name):
        from regionscope.app.security import SCOPED_METHODS

        method = getattr(self.store, name)
        if name not in SCOPED_METHODS:
            return method

        def scoped(dataset, *args, **kwargs):
            return method(self.key(dataset), *args, **kwargs)

        return scoped


def open_project_image(registry, project, name, annotations=None):
    """Open one image of a project in the registry, as ``regionscope view`` opens its files; its dataset.

    The segmentation settings and pixel size are the project's (a segmented image gets the
    same regions as in the project's table). With :class:`ProjectAnnotations`, the dataset's
    classes go under the project's key of this image.
    """
    images = project.images
    found = images[images["name"] == name]
    if not len(found) or found.iloc[0]["status"] != "ok":
        raise RegionscopeError(f"the project has no measured image named {name!r}")
    row = found.iloc[0]
    settings = project.manifest.get("settings") or {}
    labels = None if pd.isna(row["labels"]) else row["labels"]
    dataset = registry.open_files(
        row["path"],
        labels,
        name=name,
        segmentation=None if labels else settings.get("segmentation"),
        pixel_size=settings.get("pixel_size"),
    )
    if isinstance(annotations, ProjectAnnotations):
        annotations.learn(dataset.id, name)
    return dataset


def project_classes_by_row(project):
    """The class given to each region of the project's table (None where none), by row."""
    classes = project.classes()
    regions = project.regions
    keys = zip(regions["image"].tolist(), regions["label"].tolist(), strict=True)
    return pd.Series([classes.get(key) for key in keys], index=regions.index, dtype=object)


def project_summary(project, text, by="image"):
    """The summary of the project for the query box's ``text`` ("" or None: every region).

    Returns
    -------
    (pandas.DataFrame, str)
        The summary (:func:`regionscope.summary.summarize`) and the query's error ("" when none).
    """
    regions = project.regions
    classes = project_classes_by_row(project)
    shown, error = None, ""
    if text and text.strip():
        try:
            table = regions.assign(**{"class": classes}) if "class" in text else regions
            shown = filter_mask(table, parse_filter(text))
        except RegionscopeError as exc:
            error = str(exc)
    return summarize(regions, by, shown=shown, classes=classes if classes.notna().any() else None), error


def gallery_cards(ids, project):
    """One card per image: thumbnail, name, metadata, and a line for its counts (filled by :func:`card_counts`).

    Drawn once with the page: the counts change in place, so a click on a card is never lost
    to a redraw.
    """
    cards = []
    for index, row in project.images.reset_index(drop=True).iterrows():
        name = str(row["name"])
        ok = row["status"] == "ok"
        lines = [html.Div(name, className="rs-card-name")]
        metadata = [f"{column} {row[column]}" for column in project.metadata_columns if not pd.isna(row[column])]
        if metadata:
            lines.append(html.Div(" · ".join(metadata), className="rs-card-meta"))
        if ok:
            lines.append(html.Div(id={"type": ids.PROJECT_COUNT, "index": name}, className="rs-card-count"))
        else:
            lines.append(html.Div(f"failed: {row['error']}", className="rs-card-error"))
        picture = html.Img(src=THUMBNAIL_ROUTE.replace("<int:index>", str(index)), alt=name) if ok else None
        cards.append(
            html.Button(
                [picture, *lines],
                id={"type": ids.PROJECT_IMAGE, "index": name},
                className="rs-card",
                disabled=not ok,
                title=f"open {name}" if ok else f"{name} was not measured",
                n_clicks=0,
            )
        )
    return cards


def card_counts(summary, names):
    """What each measured image's card says: ``"3 of 4 shown"`` and its classes (``"dead 1"``), by name."""
    counts = summary.set_index("image")
    classes = [c[2:] for c in summary.columns if c.startswith("n ") and c != "n no class"]
    texts = []
    for name in names:
        if name not in counts.index:
            texts.append("")
            continue
        row = counts.loc[name]
        per_class = ", ".join(f"{cls} {int(row[f'n {cls}'])}" for cls in classes if row[f"n {cls}"])
        texts.append([f"{int(row['shown']):,} of {int(row['regions']):,} shown", *([html.Br(), per_class] if per_class else [])])
    return texts


def register(explorer):
    """Attach the project gallery's callbacks (only when the explorer serves a project)."""
    project = explorer.project
    if project is None:
        return
    ids = explorer.ids
    choices = ["image", *project.metadata_columns]

    @explorer.app.server.route(THUMBNAIL_ROUTE)
    def thumbnail(index):
        from flask import abort, send_file

        if not 0 <= index < len(project.images):
            abort(404)
        path = project.thumbnail(str(project.images.iloc[index]["name"]))
        if path is None or not path.is_file():
            abort(404)
        return send_file(path, mimetype="image/png", max_age=3600)

    measured = [str(n) for n, status in zip(project.images["name"], project.images["status"], strict=True) if status == "ok"]
    every = [str(n) for n in project.images["name"]]

    @explorer.callback(
        Output({"type": ids.PROJECT_COUNT, "index": ALL}, "children"),
        Output({"type": ids.PROJECT_IMAGE, "index": ALL}, "className"),
        Output(ids.SUMMARY_TABLE, "rowData"),
        Output(ids.SUMMARY_TABLE, "columnDefs"),
        Output(ids.SUMMARY_BY, "options"),
        Input(ids.QUERY, "value"),
        Input(ids.CLASSES, "data"),
        Input(ids.SUMMARY_BY, "value"),
        Input(ids.DATASET, "data"),
    )
    def show_project(text, _classes, by, store):
        from regionscope.app.grid import column_defs

        by = by if by in choices else "image"
        per_image, _ = project_summary(project, text, "image")
        summary = per_image if by == "image" else project_summary(project, text, by)[0]
        current = explorer.dataset_of(store).name
        looks = ["rs-card rs-current" if name == current else "rs-card" for name in every]
        return card_counts(per_image, measured), looks, summary.to_dict("records"), column_defs(summary), choices

    @explorer.callback(
        Output(ids.DATASET, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input({"type": ids.PROJECT_IMAGE, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def open_image(_clicks):
        if not isinstance(ctx.triggered_id, dict) or not any(item.get("value") for item in ctx.triggered):
            return no_update, no_update  # cards (re)drawn, not clicked
        name = ctx.triggered_id["index"]
        try:
            dataset = explorer.open_project_image(name)
        except RegionscopeError as exc:
            return no_update, notice(str(exc))
        return dataset_ref(dataset.id), notice(f"Opened {name}.", error=False)

    @explorer.callback(
        Output(ids.DOWNLOAD, "data", allow_duplicate=True),
        Input(ids.SUMMARY_EXPORT, "n_clicks"),
        State(ids.QUERY, "value"),
        State(ids.SUMMARY_BY, "value"),
        prevent_initial_call=True,
    )
    def export_summary(_clicks, text, by):
        summary, _ = project_summary(project, text, by if by in choices else "image")
        return dcc.send_data_frame(summary.to_csv, f"summary-by-{by or 'image'}.csv", index=False)
