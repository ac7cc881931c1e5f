"""The payload of every ``dcc.Store`` of the explorer, declared once.

Each store's data is a JSON object; its shape is written here, as a
:class:`~typing.TypedDict`, and both sides use it: the Python callbacks build
their results with these constructors, and the JavaScript in ``assets/``
reads the same keys (its comments name the class). Labels travel as numbers,
or as decimal strings above 2**53 (:func:`regionscope.app.display.json_labels`),
since JSON numbers are doubles in the browser.

Stores written only in the browser (``Overlay``, ``Scope``, ``Gates``,
``ClassKey``, ``Focus``) are declared here too, because server callbacks read
them.
"""

from __future__ import annotations

from typing import Literal, TypedDict

#: A region label as JSON carries it: a number, or a decimal string above 2**53.
JsonLabel = int | str


class ExplorerRef(TypedDict):
    """``rs-explorer``: which explorer a clientside callback serves (its id prefix)."""

    prefix: str


class DatasetRef(TypedDict):
    """``rs-dataset``: the dataset this browser tab shows (kept in sessionStorage)."""

    id: str


class Skeleton(TypedDict):
    """``rs-skeleton``: the figure without pixels (axes, overlay slot, colour bar)."""

    dataset: str
    figure: dict


class Picture(TypedDict):
    """``rs-picture``: the shown plane as a data URL."""

    dataset: str
    source: str


class LabelMap(TypedDict):
    """``rs-label-map``: the label-index PNG of the shown plane (pixel = table row + 1) and its geometry."""

    dataset: str
    plane: int
    halo: list[int]  # RGB of the contrasting edge drawn around outlines
    url: str  # data URL of the PNG
    step: int  # the map holds every step-th pixel (planes over MAX_DISPLAY_SIDE)
    outline: int  # outline width in map pixels
    revision: int  # a new value redraws the overlay even for the same plane


class Detail(TypedDict):
    """``rs-detail``: full-resolution pixels of the zoomed window (planes sent at a stride)."""

    dataset: str
    plane: int
    channel: int | str
    x0: int
    y0: int
    source: str


class OverlayColors(TypedDict):
    """``rs-overlay-colors``: one colour per table row and the colour bar."""

    dataset: str
    key: str  # changes whenever the colours do
    labels: list[JsonLabel]  # by table row
    rgb: str  # base64 of uint8 RGB, 3 bytes per row
    marker: dict  # the colour bar's marker (Plotly)


class Overlay(TypedDict):
    """``rs-overlay`` (written in the browser): the overlay picture on screen."""

    dataset: str
    key: str  # what was drawn: the map, the colours, the visible rows, the mode
    url: str


class Highlight(TypedDict):
    """``rs-highlight``: the focused region's outline and, after a row click, the zoom to it."""

    dataset: str
    label: JsonLabel | None
    shapes: list[dict]
    zoom: dict | None  # {"id", "x": [x0, x1], "y": [y0, y1]}


class Focus(TypedDict, total=False):
    """``rs-focus`` (written in the browser): the region clicked in the table or the image."""

    label: JsonLabel
    source: Literal["table", "image"]
    time: int


class QueryResult(TypedDict):
    """``rs-query-result``: the labels that pass the query box (the store is None without a query)."""

    dataset: str
    labels: list[JsonLabel]
    text: str


class Excluded(TypedDict):
    """``rs-excluded``: the server's exclusions of a dataset."""

    dataset: str
    labels: list[JsonLabel]


class RegionClass(TypedDict):
    name: str
    color: str


class Classes(TypedDict, total=False):
    """``rs-classes``: the server's classes of a dataset and which region has which."""

    dataset: str
    classes: list[RegionClass]
    next_color: str  # offered for the next class
    assignments: dict[str, str]  # label (as a string) -> class name
    revision: int


class Model(TypedDict):
    """``rs-model``: the dataset's trained classifier as the page shows it (``id`` None: none yet)."""

    dataset: str
    id: str | None  # changes with every new classifier
    classes: list[str]
    features: list[str]
    examples: int  # regions it was trained on
    accuracy: float | None  # cross-validated
    review: str  # the query "Review" puts in the box


class Embeddings(TypedDict):
    """``rs-embeddings``: the embedding axes this tab added (``pca-1``, ``pca-2``, ...), made again on the server from this."""

    dataset: str
    methods: list[str]  # "pca", "umap", in the order they were asked for
    features: list[str]  # the feature columns they embed


class ClassKey(TypedDict):
    """``rs-class-key`` (written in the browser): a number key 1-9 pressed over the explorer."""

    key: int
    time: int


class Scope(TypedDict):
    """``rs-scope`` (written in the browser): what "shown" and "selected" mean for an export."""

    visible: list[JsonLabel]
    selected: list[JsonLabel]


class Gate(TypedDict, total=False):
    """One kept selection of the feature plot (a filter on columns ``x`` and ``y``).

    A box has ``x_range`` and ``y_range``, a histogram range only ``x_range``,
    a lasso its ``lasso`` polygon of ``[x, y]`` points (``regionscope-filters.js``).
    """

    x: str
    y: str
    x_range: list[float]
    y_range: list[float]
    lasso: list[list[float]]


#: ``rs-gates`` (browser, localStorage): {dataset id: [gate, ...]}.
Gates = dict[str, list[Gate]]


class SessionStart(TypedDict):
    """``rs-session``: what the page applies once from the session file the server was started with."""

    dataset: str
    gates: list[Gate]
    token: str  # lets a browser apply a session once, not again at every reload


def dataset_ref(dataset_id: str) -> DatasetRef:
    return DatasetRef(id=dataset_id)
