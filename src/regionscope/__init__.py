"""regionscope: explore image segmentation results.

The core (reading files, segmenting, measuring, contours, filter expressions)
imports neither Dash nor Plotly; :func:`explore` loads the web app on demand.
The app's packages are the ``app`` extra: ``pip install "regionscope[app]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from regionscope._version import __version__
from regionscope.annotations import AnnotationStore
from regionscope.classifier import Classifier, ClassifierError, load_classifier, train_classifier
from regionscope.contours import RegionContours, region_contours
from regionscope.errors import FilterError, InputFileError, MeasurementError, RegionscopeError
from regionscope.export import export_labels, export_table, read_session, select_rows, with_class_column, write_session
from regionscope.io import ImageData, load_image, load_labels, read_image, read_labels
from regionscope.measurement import DEFAULT_PROPERTIES, measure
from regionscope.project import Project, measure_many
from regionscope.query import filter_table, parse_filter
from regionscope.segmentation import METHODS, segment
from regionscope.summary import summarize

__all__ = [
    "__version__",
    "AnnotationStore",
    "Classifier",
    "ClassifierError",
    "DEFAULT_PROPERTIES",
    "METHODS",
    "FilterError",
    "ImageData",
    "InputFileError",
    "MeasurementError",
    "Project",
    "RegionContours",
    "RegionscopeError",
    "explore",
    "export_labels",
    "export_table",
    "filter_table",
    "load_classifier",
    "load_image",
    "load_labels",
    "measure",
    "measure_many",
    "parse_filter",
    "read_image",
    "read_labels",
    "read_session",
    "region_contours",
    "segment",
    "select_rows",
    "summarize",
    "train_classifier",
    "with_class_column",
    "write_session",
]

if TYPE_CHECKING:
    import os

    import numpy as np


def explore(
    image: np.ndarray | str | os.PathLike | None = None,
    labels: np.ndarray | str | os.PathLike | None = None,
    **options: Any,
) -> str:
    """Open the regionscope explorer on an image and its labels.

    Parameters
    ----------
    image : ndarray, str, os.PathLike or None
        The image, or the path of an image file. ``None`` opens the built-in
        ``coins`` sample.
    labels : ndarray, str, os.PathLike or None
        The label image or its path. ``None`` segments ``image`` (Otsu).
    **options
        Passed to :func:`regionscope.app.explore`: ``host``, ``port``,
        ``jupyter_mode``, ``channel_names``, ``name``, ...

    Returns
    -------
    The running app's URL (str).

    Raises
    ------
    regionscope.extras.MissingExtraError
        An ``ImportError`` naming ``pip install "regionscope[app]"`` when the
        app's packages are not installed.

    Notes
    -----
    In a Jupyter notebook the app is shown in the notebook; in a script it is
    served until interrupted.
    """
    from regionscope.extras import app_extra_required

    with app_extra_required("regionscope.explore"):
        from regionscope.app import explore as _explore

    return _explore(image, labels, **options)
