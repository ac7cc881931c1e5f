"""Every component id of the explorer, in one place.

:class:`ID` names each component once. An app may hold several explorers
(:class:`regionscope.app.explorer.Explorer`), so each explorer scopes the
names with its own prefix through :class:`ExplorerIds`: the default explorer
(prefix ``""``) has exactly the ids of :class:`ID` (``rs-grid``), which tests
name too; an explorer called ``"left"`` has ``left-rs-grid``. The clientside
JavaScript in ``assets/`` takes the names from ``regionscope-ids.js``,
generated from :class:`ID` (:func:`javascript_ids`), and scopes them the same
way (``regionscopeIds.scoped(prefix)``).
"""

import json
import re
from enum import StrEnum
from pathlib import Path


class ID(StrEnum):
    """Component ids of the explorer page."""

    # Stores (state in the browser). The figure is composed in the browser from
    # the first five; nothing else writes it.
    SKELETON = "rs-skeleton"  # the figure without pixels (axes, overlay slot, colour bar)
    PICTURE = "rs-picture"  # the shown plane's image as a data URL
    OVERLAY = "rs-overlay"  # the overlay picture drawn in the browser
    HIGHLIGHT = "rs-highlight"  # outline shapes of the focused region and the zoom to it
    DETAIL = "rs-detail"  # full-resolution crop of the zoomed window (planes sent at a stride)
    DATASET = "rs-dataset"  # {"id": dataset id} of this browser tab
    LABEL_MAP = "rs-label-map"  # label-index PNG of the shown plane + its geometry
    OVERLAY_COLORS = "rs-overlay-colors"  # colour per region (by table position)
    QUERY_RESULT = "rs-query-result"  # labels that pass the query box, or None
    EXCLUDED = "rs-excluded"  # {"dataset", "labels"}: the server's exclusions of this dataset
    CLASSES = "rs-classes"  # {"dataset", "classes", "assignments", "revision"} from the server
    CLASS_KEY = "rs-class-key"  # a number key 1-9 pressed over the page (assign that class)
    FOCUS = "rs-focus"  # {"label": int, "source": "table" | "image"}
    FILTER_APPLIED = "rs-filter-applied"  # written when the grid re-filters
    FOCUS_SHOWN = "rs-focus-shown"  # written when the grid shows the focused row

    # Image panel
    GRAPH = "rs-graph"
    HOVER_INFO = "rs-hover-info"
    COLOR_BY = "rs-color-by"
    COLORMAP = "rs-colormap"
    COLOR_MIN = "rs-color-min"  # the value at the colormap's low end (empty: automatic)
    COLOR_MAX = "rs-color-max"
    OVERLAY_MODE = "rs-overlay-mode"
    OPACITY = "rs-opacity"
    ZOOM_TO_ROW = "rs-zoom-to-row"
    HOVER_COLUMNS = "rs-hover-columns"
    CHANNEL = "rs-channel"
    CHANNEL_ROW = "rs-channel-row"
    PLANE = "rs-plane"
    PLANE_ROW = "rs-plane-row"
    PLANE_LABEL = "rs-plane-label"  # "z 16 / 31" beside the slider

    # Feature plot
    PLOT_BOX = "rs-plot-box"  # the collapsible feature-plot panel
    PLOT = "rs-plot"
    PLOT_X = "rs-plot-x"
    PLOT_Y = "rs-plot-y"
    PLOT_LOG = "rs-plot-log"
    KEEP_GATE = "rs-keep-gate"
    GATES = "rs-gates"  # {dataset id: [gate, ...]}, in localStorage
    GATE_REMOVE = "rs-gate-remove"  # pattern-matching type of the gates' remove buttons
    ACTIVE_FILTERS = "rs-active-filters"

    # Classes
    CLASS_BAR = "rs-class-bar"
    CLASS_ASSIGN = "rs-class-assign"  # pattern-matching type of the per-class assign buttons
    OPEN_DEFAULT = "rs-open-default"  # pattern-matching type of the notice's "open the default dataset" button
    CLASS_NAME = "rs-class-name"
    CLASS_COLOR = "rs-class-color"
    CLASS_ADD = "rs-class-add"
    CLASS_CLEAR = "rs-class-clear"

    # Table panel
    GRID = "rs-grid"
    QUERY = "rs-query"
    QUERY_ERROR = "rs-query-error"
    COUNT = "rs-count"
    EXCLUDE = "rs-exclude"
    RESTORE = "rs-restore"
    CLEAR_FILTERS = "rs-clear-filters"

    # Classifier panel
    MODEL = "rs-model"  # the dataset's trained classifier as the page knows it (stores.Model)
    CLASSIFIER_FEATURES = "rs-classifier-features"
    TRAIN = "rs-train"
    TRAIN_STATUS = "rs-train-status"
    REVIEW = "rs-review"  # the least certain unclassified regions first
    ACCEPT = "rs-accept"  # predictions become classes (selected, else shown regions)
    MODEL_EXPORT = "rs-model-export"
    MODEL_UPLOAD = "rs-model-upload"
    MODEL_FORGET = "rs-model-forget"
    QUALITY = "rs-quality"  # cross-validated confusion matrix and feature importances
    EMBED_PCA = "rs-embed-pca"  # the feature plot's "PCA" button: two axes of the classifier's features
    EMBED_UMAP = "rs-embed-umap"
    EMBEDDINGS = "rs-embeddings"  # which embedding axes this tab added to the table (stores.Embeddings)

    # Project panel (only when a project is served)
    GALLERY = "rs-gallery"  # one card per image of the project
    PROJECT_IMAGE = "rs-project-image"  # pattern-matching type of the gallery's cards
    PROJECT_COUNT = "rs-project-count"  # pattern-matching type of the cards' count lines
    SUMMARY_BY = "rs-summary-by"  # group the summary by image or a metadata column
    SUMMARY_TABLE = "rs-summary-table"
    SUMMARY_EXPORT = "rs-summary-export"
    PLATE = "rs-plate"  # heatmap of a per-well value (when the images have wells)
    PLATE_VALUE = "rs-plate-value"

    # Export panel
    SCOPE = "rs-scope"  # {"visible": [labels], "selected": [labels]} from the grid
    EXPORT_ROWS = "rs-export-rows"  # all / visible / selected
    EXPORT_CLASS = "rs-export-class"  # "" (any) or a class name
    EXPORT_CSV = "rs-export-csv"
    EXPORT_PARQUET = "rs-export-parquet"
    EXPORT_LABELS = "rs-export-labels"
    EXPORT_VIEW = "rs-export-view"
    EXPORT_SESSION = "rs-export-session"
    DOWNLOAD = "rs-download"
    SESSION = "rs-session"  # the session file the server was started with, applied once per browser

    # Data panel
    DATASET_NAME = "rs-dataset-name"
    UPLOAD_IMAGE = "rs-upload-image"
    UPLOAD_LABELS = "rs-upload-labels"
    NOTICE = "rs-notice"
    METHOD = "rs-method"
    OBJECTS = "rs-objects"
    MIN_SIZE = "rs-min-size"
    FILL_HOLES = "rs-fill-holes"
    SPLIT_TOUCHING = "rs-split-touching"
    SEGMENT_CHANNEL = "rs-segment-channel"  # which channel is segmented (the display Channel only shows)
    SEGMENT_CHANNEL_ROW = "rs-segment-channel-row"
    SEGMENT = "rs-segment"
    HELP = "rs-help"  # the "How to use" dialog
    HELP_OPEN = "rs-help-open"
    HELP_CLOSE = "rs-help-close"
    HELP_TITLE = "rs-help-title"

    # The explorer itself
    ROOT = "rs-root"  # the explorer's outer element (data-regionscope-explorer = its prefix)
    EXPLORER = "rs-explorer"  # {"prefix": str}: which explorer a clientside callback serves


#: An explorer's prefix: lowercase letters, digits and dashes, starting with a letter (or empty).
_PREFIX = re.compile(r"(?:[a-z][a-z0-9-]{0,30})?")


class ExplorerIds:
    """The component ids of one explorer: each :class:`ID` with the explorer's prefix.

    Parameters
    ----------
    prefix : str
        ``""`` (the default explorer: the ids are :class:`ID`'s values) or a
        short name such as ``"left"`` (ids ``left-rs-grid``, ...).

    Examples
    --------
    >>> ExplorerIds("left").GRID
    'left-rs-grid'
    >>> ExplorerIds().GRID == ID.GRID
    True
    """

    def __init__(self, prefix: str = ""):
        if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
            raise ValueError(
                f"explorer name {prefix!r}: use lowercase letters, digits and dashes, starting with a letter (at most 31)"
            )
        self.prefix = prefix
        for member in ID:
            setattr(self, member.name, scoped_id(prefix, member))

    def __getitem__(self, member: ID) -> str:
        return getattr(self, ID(member).name)

    def __iter__(self):
        return (self[member] for member in ID)

    def __repr__(self):
        return f"ExplorerIds({self.prefix!r})"


def scoped_id(prefix: str, member: ID) -> str:
    """The id of ``member`` in the explorer with ``prefix`` (the JavaScript's ``scoped`` does the same)."""
    return f"{prefix}-{member.value}" if prefix else member.value


#: The file the page's scripts take the ids from (``window.regionscopeIds``).
JAVASCRIPT_IDS = Path(__file__).parent / "assets" / "regionscope-ids.js"


def javascript_ids():
    """The ids as a JavaScript module: the page's scripts name components only through it.

    Generated from :class:`ID`, never typed again (``python -m regionscope.app.ids``
    writes it; a test checks that the committed file is current).

    Returns
    -------
    str
    """
    entries = "\n".join(f"    {member.name}: {json.dumps(member.value)}," for member in ID)
    return (
        "/* Generated from regionscope.app.ids.ID by `python -m regionscope.app.ids`: do not edit. */\n"
        "(function (root) {\n"
        '  "use strict";\n'
        "  const names = {\n"
        f"{entries}\n"
        "  };\n"
        "  // The ids of the explorer with this prefix (regionscope.app.ids.scoped_id), made once per prefix.\n"
        "  const made = new Map();\n"
        "  const scopedOnce = (prefix) => Object.freeze(Object.fromEntries(\n"
        '    Object.entries(names).map(([key, value]) => [key, prefix ? prefix + "-" + value : value])));\n'
        "  const scoped = (prefix) => made.get(prefix) || made.set(prefix, scopedOnce(prefix)).get(prefix);\n"
        '  const ids = Object.freeze(Object.assign({scoped}, scoped("")));\n'
        '  if (typeof module === "object" && module.exports) module.exports = ids;\n'
        "  else root.regionscopeIds = ids;\n"
        '})(typeof self !== "undefined" ? self : this);\n'
    )


if __name__ == "__main__":  # pragma: no cover - the generator, run by hand after changing ID
    JAVASCRIPT_IDS.write_text(javascript_ids())
    print(JAVASCRIPT_IDS)
