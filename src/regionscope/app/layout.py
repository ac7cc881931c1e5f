"""The explorer page: every component is built here, once.

Callbacks (the ``*_callbacks.py`` modules that an
:class:`~regionscope.app.explorer.Explorer` registers) fill the components with a
dataset's content; the layout itself holds no data except the id of the dataset
to open. Every id comes from the explorer's :class:`~regionscope.app.ids.ExplorerIds`.
"""

from __future__ import annotations

import hashlib
import json

import dash_ag_grid as dag
from dash import dcc, html

from regionscope.app.colors import CLASS_PALETTE, COLORMAPS
from regionscope.app.grid import GRID_FIELD_OPTIONS, ROW_ID
from regionscope.app.ids import ExplorerIds
from regionscope.app.project_callbacks import gallery_cards, plate_positions
from regionscope.app.stores import SessionStart, dataset_ref
from regionscope.segmentation import AUTO_CHANNEL, DEFAULTS, METHODS

#: Largest upload accepted in the page, in bytes.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024

HELP_TEXT = """
* **Hover** over a region: its properties appear under the image and its row lights up in the table.
* **Click a row**: the region is outlined in red and the view zooms to it (untick *zoom to row* to stay put).
* **Click a region** in the image: its row is selected and scrolled into view.
* **Filter**: type in a column's filter box, or a query such as `{area} < 1000 && {perimeter} > 200`
  or `area > 500 and not touches_border`. The image shows only the regions whose rows pass.
* **Select** regions by ticking rows, with box or lasso in the image (by centroid) or in the feature plot;
  hold Shift to add. *Keep selection as gate* turns the plot selection into a filter.
* **Exclude**: select rows and press *Exclude selected*; they leave the image and the counts until *Restore all*.
* **Classes**: add a class (name and colour), then select regions and press its button or its number key 1-9.
  Exclusions and classes are saved on the server at once, per dataset.
* **Classifier**: give a few regions of each class their class (two at least), open *Classifier* and press
  *Train*: every region gets a `predicted_class` and a `predicted_probability` (filter, query and colour by them).
  *Review uncertain* lists the regions without a class of their own, least certain first: correct them with the
  class keys and *Train* again. *Accept predictions* gives the selected (or shown) regions their predicted class;
  your own classes always win.
* **Colour by** any numeric column; pick the colormap, outlines or filled regions, and the opacity.
* **Pan** by dragging, **zoom** with the mouse wheel; double-click resets the view.
* **Open your own data** under *Data*: an image, then optionally its label mask (TIFF, PNG, JPEG, BMP, GIF, .npy).
"""


def control(label, component, *, id=None, hidden=False):
    """A labelled control in a toolbar."""
    style = {"display": "none"} if hidden else None
    return html.Label(
        [html.Span(label, className="rs-control-label"), component], className="rs-control", id=id or "", style=style
    )


def image_panel(ids: ExplorerIds):
    """Image toolbar, figure and the hover information strip."""
    toolbar = html.Div(
        className="rs-toolbar",
        children=[
            control("Colour by", dcc.Dropdown(id=ids.COLOR_BY, clearable=False, style={"width": "13rem"})),
            control(
                "Colormap",
                dcc.Dropdown(id=ids.COLORMAP, options=list(COLORMAPS), value="Viridis", clearable=False, style={"width": "8rem"}),
            ),
            control(
                "Range",
                html.Span(
                    [
                        dcc.Input(id=ids.COLOR_MIN, type="number", debounce=True, className="rs-range-input"),
                        "–",
                        dcc.Input(id=ids.COLOR_MAX, type="number", debounce=True, className="rs-range-input"),
                    ],
                    className="rs-range",
                    title="values at the ends of the colormap; empty: automatic (2nd to 98th percentile, outliers left out)",
                ),
            ),
            control(
                "Regions",
                dcc.RadioItems(
                    id=ids.OVERLAY_MODE,
                    options=[{"label": " outline", "value": "outline"}, {"label": " filled", "value": "filled"}],
                    value="outline",
                    inline=True,
                ),
            ),
            control(
                "Opacity",
                html.Div(dcc.Slider(id=ids.OPACITY, min=0, max=1, step=0.05, value=0.8, marks=None), style={"width": "8rem"}),
            ),
            dcc.Checklist(
                id=ids.ZOOM_TO_ROW,
                options=[{"label": " zoom to row", "value": "zoom"}],
                value=["zoom"],
                className="rs-control",
            ),
        ],
    )
    stack_toolbar = html.Div(
        className="rs-toolbar",
        children=[
            html.Div(
                control("Channel", dcc.Dropdown(id=ids.CHANNEL, clearable=False, style={"width": "11rem"})),
                id=ids.CHANNEL_ROW,
                style={"display": "none"},
            ),
            html.Div(
                [
                    control(
                        "z",
                        html.Div(
                            # The plane number is written beside the slider (rs-plane-label), not
                            # in the slider's tooltip: that one was drawn zero-sized under the image.
                            dcc.Slider(id=ids.PLANE, min=0, max=1, step=1, value=0, marks=None),
                            style={"width": "16rem"},
                        ),
                    ),
                    html.Span(id=ids.PLANE_LABEL, className="rs-plane-label"),
                ],
                id=ids.PLANE_ROW,
                className="rs-plane-row",
                style={"display": "none"},
            ),
            control("Show on hover", dcc.Dropdown(id=ids.HOVER_COLUMNS, multi=True, style={"minWidth": "18rem"})),
        ],
    )
    graph = dcc.Graph(
        id=ids.GRAPH,
        className="rs-graph",
        config={
            "scrollZoom": True,
            "displaylogo": False,
            "doubleClick": "reset",
            "modeBarButtonsToRemove": ["autoScale2d", "toImage"],
        },
        clear_on_unhover=True,
    )
    hover = html.Div(id=ids.HOVER_INFO, className="rs-hover-info", children="Hover over a region to see its properties.")
    return html.Section(className="rs-panel rs-image-panel", children=[toolbar, stack_toolbar, graph, hover])


#: Choice of the plot's y axis that makes it a histogram of x.
HISTOGRAM = "(histogram)"


def plot_panel(ids: ExplorerIds):
    """A scatter plot (or histogram) of two properties; its selection can become a gate."""
    toolbar = html.Div(
        className="rs-toolbar",
        children=[
            control("x", dcc.Dropdown(id=ids.PLOT_X, clearable=False, style={"width": "11rem"})),
            control("y", dcc.Dropdown(id=ids.PLOT_Y, clearable=False, style={"width": "11rem"})),
            dcc.Checklist(
                id=ids.PLOT_LOG,
                options=[{"label": " log x", "value": "x"}, {"label": " log y", "value": "y"}],
                value=[],
                inline=True,
                className="rs-control",
            ),
            html.Button("Keep selection as gate", id=ids.KEEP_GATE, className="rs-button"),
            html.Button(
                "PCA",
                id=ids.EMBED_PCA,
                className="rs-button",
                title="add two axes: the principal components of the classifier's feature columns",
            ),
            html.Button(
                "UMAP",
                id=ids.EMBED_UMAP,
                className="rs-button",
                title="add two axes: a UMAP embedding of the classifier's feature columns (fitted on a sample above 50,000 regions)",
            ),
        ],
    )
    plot = dcc.Graph(
        id=ids.PLOT,
        className="rs-plot",
        config={"displaylogo": False, "modeBarButtonsToRemove": ["autoScale2d", "toImage"], "doubleClick": "reset"},
    )
    return html.Details(
        id=ids.PLOT_BOX, open=True, className="rs-plot-box", children=[html.Summary("Feature plot"), toolbar, plot]
    )


def table_panel(ids: ExplorerIds):
    """Query box, counts, row actions and the grid."""
    query = html.Div(
        className="rs-query-row",
        children=[
            dcc.Input(
                id=ids.QUERY,
                type="text",
                debounce=True,  # on Enter or leaving the box: a query is applied when complete
                placeholder="query, then Enter: e.g. {area} < 1000 && {perimeter} > 200",
                className="rs-query",
                spellCheck=False,
            ),
            html.Div(id=ids.QUERY_ERROR, className="rs-query-error", role="alert"),
        ],
    )
    actions = html.Div(
        className="rs-actions",
        children=[
            html.Span(id=ids.COUNT, className="rs-count"),
            html.Button("Exclude selected", id=ids.EXCLUDE, className="rs-button"),
            html.Button("Restore all", id=ids.RESTORE, className="rs-button"),
            html.Button("Clear filters", id=ids.CLEAR_FILTERS, className="rs-button"),
        ],
    )
    grid = dag.AgGrid(
        id=ids.GRID,
        className="ag-theme-alpine rs-grid",
        rowData=[],
        columnDefs=[],
        getRowId=ROW_ID,
        defaultColDef={
            "sortable": True,
            "filter": True,
            "floatingFilter": True,
            "resizable": True,
            "minWidth": 90,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        dashGridOptions={
            "rowSelection": {"mode": "multiRow", "checkboxes": True, "headerCheckbox": True, "enableClickSelection": False},
            # The grid asks these for the filters it does not hold (query, gates, exclusions): see
            # regionscope-grid.js; the prefix says which explorer's filters.
            "isExternalFilterPresent": {"function": f"rsExternalFilterPresent({json.dumps(ids.prefix)})"},
            "doesExternalFilterPass": {"function": f"rsExternalFilterPasses(params, {json.dumps(ids.prefix)})"},
            "animateRows": False,
            "suppressColumnVirtualisation": False,
            "tooltipShowDelay": 300,
            "rowHeight": 30,
            "headerHeight": 34,
            "floatingFiltersHeight": 34,
            **GRID_FIELD_OPTIONS,
        },
        rowClassRules={
            "rs-hovered": f"rsIsHovered(params, {json.dumps(ids.prefix)})",
            "rs-focused": f"rsIsFocused(params, {json.dumps(ids.prefix)})",
        },
        style={"height": "100%", "width": "100%"},
    )
    active = html.Div(id=ids.ACTIVE_FILTERS, className="rs-active-filters")
    classes = html.Div(
        className="rs-classes",
        children=[
            html.Span("Classes", className="rs-control-label"),
            html.Div(id=ids.CLASS_BAR, className="rs-class-bar"),
            html.Button("no class", id=ids.CLASS_CLEAR, className="rs-button", title="remove the class of the selected regions"),
            dcc.Input(id=ids.CLASS_NAME, type="text", placeholder="new class", className="rs-class-name", maxLength=40),
            dcc.Input(id=ids.CLASS_COLOR, type="color", value=CLASS_PALETTE[0], className="rs-class-color"),
            html.Button("Add class", id=ids.CLASS_ADD, className="rs-button"),
        ],
    )
    return html.Section(
        className="rs-panel rs-table-panel",
        children=[query, plot_panel(ids), active, actions, classes, html.Div(grid, className="rs-grid-box")],
    )


def data_panel(ids: ExplorerIds):
    """Open files and re-run segmentation."""
    upload_style = "rs-upload"
    return html.Details(
        className="rs-details",
        children=[
            html.Summary("Data"),
            html.Div(
                className="rs-data",
                children=[
                    dcc.Upload(
                        id=ids.UPLOAD_IMAGE,
                        children=html.Div(["Drop an image here or ", html.A("choose a file")]),
                        className=upload_style,
                        max_size=MAX_UPLOAD_BYTES,
                    ),
                    dcc.Upload(
                        id=ids.UPLOAD_LABELS,
                        children=html.Div(["Drop its label mask here or ", html.A("choose a file"), " (optional)"]),
                        className=upload_style,
                        max_size=MAX_UPLOAD_BYTES,
                    ),
                    html.Div(
                        className="rs-toolbar",
                        children=[
                            control(
                                "Threshold",
                                dcc.Dropdown(
                                    id=ids.METHOD,
                                    options=list(METHODS),
                                    value=DEFAULTS["method"],
                                    clearable=False,
                                    style={"width": "8rem"},
                                ),
                            ),
                            control(
                                "Objects",
                                dcc.RadioItems(
                                    id=ids.OBJECTS,
                                    options=[{"label": " bright", "value": "bright"}, {"label": " dark", "value": "dark"}],
                                    value=DEFAULTS["objects"],
                                    inline=True,
                                ),
                            ),
                            html.Div(
                                control(
                                    "Segment channel",
                                    dcc.Dropdown(
                                        id=ids.SEGMENT_CHANNEL,
                                        options=[],
                                        value=AUTO_CHANNEL,
                                        clearable=False,
                                        style={"width": "9rem"},
                                    ),
                                ),
                                id=ids.SEGMENT_CHANNEL_ROW,
                                style={"display": "none"},
                            ),
                            html.Div(
                                control(
                                    f"Min size, px (default {DEFAULTS['min_size']})",
                                    dcc.Input(
                                        id=ids.MIN_SIZE,
                                        type="number",
                                        min=0,
                                        step=1,
                                        value=DEFAULTS["min_size"],
                                        placeholder=str(DEFAULTS["min_size"]),
                                        style={"width": "5rem"},
                                    ),
                                ),
                                title=f"Regions smaller than this many pixels (voxels in 3D) are dropped. "
                                f"Default {DEFAULTS['min_size']}; 0 keeps every region.",
                            ),
                            dcc.Checklist(
                                id=ids.FILL_HOLES,
                                options=[{"label": " fill holes", "value": "fill"}],
                                value=[],
                                className="rs-control",
                            ),
                            dcc.Checklist(
                                id=ids.SPLIT_TOUCHING,
                                options=[{"label": " split touching", "value": "split"}],
                                value=[],
                                className="rs-control",
                            ),
                            html.Button("Segment image", id=ids.SEGMENT, className="rs-button"),
                        ],
                    ),
                ],
            ),
        ],
    )


def project_panel(ids: ExplorerIds, project):
    """The project's images as a gallery (click one to open it) and the summary per image or metadata group."""
    summary = dag.AgGrid(
        id=ids.SUMMARY_TABLE,
        className="ag-theme-alpine rs-summary-grid",
        rowData=[],
        columnDefs=[],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 80},
        dashGridOptions={"domLayout": "autoHeight", **GRID_FIELD_OPTIONS},
        style={"width": "100%"},
    )
    return html.Details(
        className="rs-details rs-project",
        open=True,
        children=[
            html.Summary(f"Project · {len(project.images)} images"),
            html.Div(id=ids.GALLERY, className="rs-gallery", children=gallery_cards(ids, project)),
            html.Div(
                className="rs-toolbar",
                children=[
                    control(
                        "Summary by",
                        dcc.Dropdown(
                            id=ids.SUMMARY_BY, options=["image"], value="image", clearable=False, style={"width": "10rem"}
                        ),
                    ),
                    html.Button("Summary (CSV)", id=ids.SUMMARY_EXPORT, className="rs-button"),
                    html.Span("follows the query box (over every image) and the classes", className="rs-control-label"),
                ],
            ),
            html.Div(
                className="rs-project-views",
                children=[html.Div(summary, className="rs-summary-box"), *plate_view(ids, project)],
            ),
        ],
    )


def plate_view(ids: ExplorerIds, project):
    """The plate heatmap and its value chooser, when the images have wells (``well`` or ``row``/``column``)."""
    if not plate_positions(project):
        return []
    return [
        html.Div(
            className="rs-plate-box",
            children=[
                control(
                    "Plate",
                    dcc.Dropdown(id=ids.PLATE_VALUE, options=["shown_fraction"], value="shown_fraction", clearable=False),
                ),
                dcc.Graph(id=ids.PLATE, config={"displayModeBar": False}, style={"height": "240px"}),
            ],
        )
    ]


def classifier_panel(ids: ExplorerIds):
    """Train a classifier on the classes given so far; review, correct and accept its predictions."""
    return html.Details(
        className="rs-details rs-classifier",
        children=[
            html.Summary("Classifier"),
            html.Div(
                className="rs-toolbar",
                children=[
                    control(
                        "Features",
                        dcc.Dropdown(
                            id=ids.CLASSIFIER_FEATURES,
                            multi=True,
                            options=[],
                            value=[],
                            placeholder="columns to learn from",
                            style={"minWidth": "18rem", "maxWidth": "34rem"},
                        ),
                    ),
                    html.Button(
                        "Train",
                        id=ids.TRAIN,
                        className="rs-button rs-primary",
                        title="train a random forest on the regions you gave classes; every region gets a predicted class",
                    ),
                    html.Button(
                        "Review uncertain",
                        id=ids.REVIEW,
                        className="rs-button",
                        title="show the regions without a class of their own, least certain prediction first",
                    ),
                    html.Button(
                        "Accept predictions",
                        id=ids.ACCEPT,
                        className="rs-button",
                        title="give the selected regions (or, with none selected, the shown ones) their predicted class; "
                        "regions with a class of their own keep it",
                    ),
                    html.Button(
                        "Export classifier", id=ids.MODEL_EXPORT, className="rs-button", title="download it as a .skops file"
                    ),
                    dcc.Upload(
                        id=ids.MODEL_UPLOAD,
                        className="rs-upload",
                        accept=".skops",
                        children=html.Span("Load classifier"),
                        multiple=False,
                    ),
                    html.Button(
                        "Remove classifier", id=ids.MODEL_FORGET, className="rs-button", title="remove it and its predictions"
                    ),
                ],
            ),
            html.Div(id=ids.TRAIN_STATUS, className="rs-train-status", role="status"),
            # responsive: drawn while the panel is closed, it takes its width when opened.
            dcc.Graph(id=ids.QUALITY, className="rs-quality", config={"displayModeBar": False}, responsive=True),
        ],
    )


def export_panel(ids: ExplorerIds):
    """Take results away: the table, a label image, the view, the session."""
    return html.Details(
        className="rs-details",
        children=[
            html.Summary("Export"),
            html.Div(
                className="rs-toolbar rs-export",
                children=[
                    control(
                        "Regions",
                        dcc.RadioItems(
                            id=ids.EXPORT_ROWS,
                            options=[
                                {"label": " all", "value": "all"},
                                {"label": " shown", "value": "visible"},
                                {"label": " selected", "value": "selected"},
                            ],
                            value="visible",
                            inline=True,
                        ),
                    ),
                    control(
                        "of class",
                        dcc.Dropdown(id=ids.EXPORT_CLASS, options=[], value="", placeholder="any", style={"width": "9rem"}),
                    ),
                    html.Button("Table (CSV)", id=ids.EXPORT_CSV, className="rs-button"),
                    html.Button("Table (Parquet)", id=ids.EXPORT_PARQUET, className="rs-button"),
                    html.Button("Label image (TIFF)", id=ids.EXPORT_LABELS, className="rs-button"),
                    html.Button("View (PNG)", id=ids.EXPORT_VIEW, className="rs-button"),
                    html.Button("Session (JSON)", id=ids.EXPORT_SESSION, className="rs-button"),
                    dcc.Download(id=ids.DOWNLOAD),
                ],
            ),
        ],
    )


def help_dialog(ids: ExplorerIds):
    """The "How to use" dialog: over the page, so opening it moves nothing; Close or Esc hides it."""
    return html.Div(
        id=ids.HELP,
        className="rs-modal",
        role="dialog",
        **{"aria-modal": "true", "aria-labelledby": ids.HELP_TITLE},
        hidden=True,
        children=html.Div(
            className="rs-modal-box",
            children=[
                html.Div(
                    className="rs-modal-head",
                    children=[
                        html.H2("How to use", id=ids.HELP_TITLE),
                        html.Button("Close", id=ids.HELP_CLOSE, className="rs-button", title="close (Esc)"),
                    ],
                ),
                dcc.Markdown(HELP_TEXT, className="rs-help"),
            ],
        ),
    )


def build_layout(dataset_id, session=None, ids: ExplorerIds | None = None, project=None):
    """The whole explorer, opening the dataset ``dataset_id``.

    Parameters
    ----------
    dataset_id : str
        Id of the dataset shown until the user opens another.
    session : dict or None
        A session (``regionscope.export.read_session``) whose filters and view
        settings the page opens with.
    ids : ExplorerIds or None
        The explorer's ids (default: the default explorer's, :class:`ID`).
    project : Project or None
        A project whose gallery and summary open above the views.

    Returns
    -------
    dash.html.Div
        The explorer's root element (``ids.ROOT``), carrying its prefix as
        ``data-regionscope-explorer`` for the page's scripts.
    """
    ids = ids or ExplorerIds()
    # Stores' payloads are declared in regionscope.app.stores.
    stores = [
        dcc.Store(id=ids.EXPLORER, data={"prefix": ids.prefix}),
        dcc.Store(id=ids.SKELETON),
        dcc.Store(id=ids.PICTURE),
        dcc.Store(id=ids.OVERLAY),
        dcc.Store(id=ids.HIGHLIGHT),
        dcc.Store(id=ids.DETAIL),
        dcc.Store(id=ids.DATASET, data=dataset_ref(dataset_id), storage_type="session"),
        dcc.Store(id=ids.LABEL_MAP),
        dcc.Store(id=ids.OVERLAY_COLORS),
        dcc.Store(id=ids.QUERY_RESULT),
        dcc.Store(id=ids.EXCLUDED),
        dcc.Store(id=ids.CLASSES),
        dcc.Store(id=ids.CLASS_KEY),
        dcc.Store(id=ids.MODEL),
        dcc.Store(id=ids.EMBEDDINGS),
        dcc.Store(id=ids.GATES, data={}, storage_type="local"),
        dcc.Store(id=ids.SCOPE),
        dcc.Store(id=ids.SESSION, data=session_start(dataset_id, session)),
        dcc.Store(id=ids.FOCUS),
        dcc.Store(id=ids.FILTER_APPLIED),
        dcc.Store(id=ids.FOCUS_SHOWN),
    ]
    header = html.Header(
        className="rs-header",
        children=[
            html.H1("regionscope"),
            html.Span(id=ids.DATASET_NAME, className="rs-dataset-name"),
            html.Div(id=ids.NOTICE, className="rs-notice", role="status"),
            html.Button("How to use", id=ids.HELP_OPEN, className="rs-button rs-help-open"),
        ],
    )
    # Data and Export open in a strip above the views and push them down; the
    # views shrink (each scrolls inside its own panel) and nothing overlaps.
    tools = html.Div(className="rs-tools", children=[data_panel(ids), classifier_panel(ids), export_panel(ids)])
    project_strip = (
        [html.Div(className="rs-project-strip", children=[project_panel(ids, project)])] if project is not None else []
    )
    page = html.Div(
        id=ids.ROOT,
        className="rs-app",
        **{"data-regionscope-explorer": ids.prefix},
        children=[
            *stores,
            header,
            *project_strip,
            tools,
            html.Main(className="rs-main", children=[image_panel(ids), table_panel(ids)]),
            help_dialog(ids),
        ],
    )
    if session:
        apply_session_view(page, session, ids)
    return page


def session_start(dataset_id, session) -> SessionStart | None:
    """What the page applies once from a session file: its gates (for this dataset).

    The token lets a browser apply a session once, not again on every reload.
    """
    if not session:
        return None
    gates = session.get("filters", {}).get("gates", [])
    digest = hashlib.blake2b(json.dumps(session, sort_keys=True).encode(), digest_size=6).hexdigest()
    token = f"{dataset_id}:{digest}"
    return SessionStart(dataset=dataset_id, gates=gates, token=token)


def apply_session_view(page, session, ids: ExplorerIds):
    """Set the initial values of the query box, column filters and view controls from a session."""
    view = session.get("view", {})
    filters = session.get("filters", {})
    initial = {
        ids.QUERY: ("value", filters.get("query") or None),
        ids.GRID: ("filterModel", filters.get("filter_model") or None),
        ids.COLOR_BY: ("value", view.get("color_by")),
        ids.COLORMAP: ("value", view.get("colormap")),
        ids.OVERLAY_MODE: ("value", view.get("overlay_mode")),
        ids.OPACITY: ("value", view.get("opacity")),
        ids.HOVER_COLUMNS: ("value", view.get("hover_columns") or None),
    }

    def visit(component):
        target = initial.get(getattr(component, "id", None))
        if target is not None and target[1] is not None:
            setattr(component, target[0], target[1])
        children = getattr(component, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if hasattr(child, "to_plotly_json"):
                visit(child)

    visit(page)
