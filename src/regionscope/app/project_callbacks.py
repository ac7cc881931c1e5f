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

import re
import threading

import numpy as np
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
    (summary,), error = project_summaries(project, text, [by])
    return summary, error


def project_summaries(project, text, groupings):
    """:func:`project_summary` by each of ``groupings``, reading the classes and filtering once."""
    regions = project.regions
    classes = project_classes_by_row(project)
    shown, error = None, ""
    if text and text.strip():
        try:
            table = regions.assign(**{"class": classes}) if "class" in text else regions
            shown = filter_mask(table, parse_filter(text))
        except RegionscopeError as exc:
            error = str(exc)
    given = classes if classes.notna().any() else None
    return [summarize(regions, by, shown=shown, classes=given) for by in groupings], error


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


_WELL = re.compile(r"^\s*([A-Za-z]{1,2})\s*0*(\d{1,3})\s*$")


def well_position(well):
    """``"B03"`` (or ``"b3"``, ``"AA12"``) → ``(1, 2)``: the well's row and column, counted from 0; None if not a well."""
    if not isinstance(well, str):
        return None
    match = _WELL.match(well)
    if not match:
        return None
    letters, number = match.group(1).upper(), int(match.group(2))
    row = 0
    for letter in letters:  # A..Z, then AA.. as on 1536-well plates
        row = row * 26 + (ord(letter) - ord("A") + 1)
    return (row - 1, number - 1) if number >= 1 else None


def _index(value, letters_allowed):
    """A plate row or column as an index from 0: ``"B"`` (rows only) or ``2`` → 1; None if neither."""
    if letters_allowed and isinstance(value, str) and value.strip().isalpha():
        position = well_position(f"{value.strip()}1")
        return None if position is None else position[0]
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number - 1 if number >= 1 else None


def plate_positions(project):
    """Each image's well as ``{name: (row, column)}``, from a ``well`` column (``B03``) or ``row`` and ``column``; {} without."""
    columns = {c.lower(): c for c in project.metadata_columns}
    positions = {}
    for _, image in project.images.iterrows():
        if "well" in columns:
            position = well_position(image[columns["well"]])
        elif "row" in columns and "column" in columns:
            row, column = _index(image[columns["row"]], True), _index(image[columns["column"]], False)
            position = None if row is None or column is None else (row, column)
        else:
            return {}
        if position is not None:
            positions[str(image["name"])] = position
    return positions


#: What the plate heatmap can show per well.
PLATE_VALUES = ("shown_fraction", "shown", "regions")


def plate_values(summary):
    """The values the plate can show for a per-image summary: counts, the shown fraction, per class."""
    classes = [c[2:] for c in summary.columns if c.startswith("n ") and c != "n no class"]
    return [*PLATE_VALUES, *(f"n {c}" for c in classes), *(f"fraction {c}" for c in classes)]


def plate_figure(summary, positions, value):
    """A heatmap of ``value`` per well (images of a well added up; fractions of the sums); cells carry the well's images."""
    import plotly.graph_objects as go

    rows = 1 + max(r for r, _ in positions.values())
    columns = 1 + max(c for _, c in positions.values())
    rows, columns = max(rows, 8 if rows <= 8 else 16), max(columns, 12 if columns <= 12 else 24)
    counts = {key: np.zeros((rows, columns)) for key in ("regions", "shown", "value")}
    images = [[[] for _ in range(columns)] for _ in range(rows)]
    kind = value.split(" ", 1)
    for _, row in summary.iterrows():
        if row["image"] not in positions:
            continue
        r, c = positions[row["image"]]
        images[r][c].append(row["image"])
        counts["regions"][r, c] += row["regions"]
        counts["shown"][r, c] += row["shown"]
        if kind[0] in ("n", "fraction") and len(kind) == 2:
            counts["value"][r, c] += row[f"n {kind[1]}"]
    with np.errstate(invalid="ignore", divide="ignore"):
        if value == "shown_fraction":
            z = counts["shown"] / counts["regions"]
        elif value in ("shown", "regions"):
            z = counts[value].copy()
        elif kind[0] == "fraction":
            z = counts["value"] / counts["shown"]
        else:
            z = counts["value"].copy()
    empty = np.array([[not images[r][c] for c in range(columns)] for r in range(rows)])
    z[empty] = np.nan
    letters = [chr(ord("A") + r) if r < 26 else "A" + chr(ord("A") + r - 26) for r in range(rows)]
    text = [[", ".join(images[r][c]) for c in range(columns)] for r in range(rows)]
    figure = go.Figure(
        go.Heatmap(
            z=[[None if np.isnan(v) else float(v) for v in row] for row in z],  # plain JSON, blank where no image
            x=[str(c + 1) for c in range(columns)],
            y=letters,
            customdata=text,
            colorscale="Viridis",
            hoverongaps=False,
            hovertemplate="well %{y}%{x}: %{z:.3g}<br>%{customdata}<extra></extra>",
            colorbar={"title": {"text": value}, "thickness": 10},
        )
    )
    figure.update_layout(
        height=240,
        margin={"l": 30, "r": 10, "t": 10, "b": 20},
        # Categories: column numbers are names of columns here, not positions on a number line.
        yaxis={"type": "category", "autorange": "reversed", "scaleanchor": "x", "constrain": "domain"},
        xaxis={"type": "category", "side": "top", "constrain": "domain"},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="#f4f6fa",
    )
    return figure


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
        (per_image, summary), _ = project_summaries(project, text, ["image", by])
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

    positions = plate_positions(project)
    if positions:

        @explorer.callback(
            Output(ids.PLATE, "figure"),
            Output(ids.PLATE_VALUE, "options"),
            Input(ids.QUERY, "value"),
            Input(ids.CLASSES, "data"),
            Input(ids.PLATE_VALUE, "value"),
        )
        def show_plate(text, _classes, value):
            per_image, _ = project_summary(project, text, "image")
            values = plate_values(per_image)
            return plate_figure(per_image, positions, value if value in values else "shown_fraction"), values

        @explorer.callback(
            Output(ids.DATASET, "data", allow_duplicate=True),
            Output(ids.NOTICE, "children", allow_duplicate=True),
            Input(ids.PLATE, "clickData"),
            prevent_initial_call=True,
        )
        def open_well(click):
            point = ((click or {}).get("points") or [{}])[0]
            row, column = well_position(f"{point.get('y', '')}1"), _index(point.get("x"), False)
            names = [name for name in measured if row and positions.get(name) == (row[0], column)]
            if not names:
                return no_update, notice("No measured image in that well.", error=False)
            dataset = explorer.open_project_image(names[0])
            more = f" (the first of its {len(names)} images)" if len(names) > 1 else ""
            return dataset_ref(dataset.id), notice(f"Opened {names[0]}, well {point['y']}{point['x']}{more}.", error=False)

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
