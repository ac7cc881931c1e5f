"""Export what the user picked: table rows, label images and session files.

Everything here is keyed by the ``label`` column of a region table, never by
row position, so a selection survives sorting, filtering and re-measuring.

Tables
    :func:`select_rows` picks the rows a user means (explicit labels, a filter
    expression, excluded labels, one class); :func:`with_class_column` adds the
    user's classes as a ``class`` column; :func:`export_table` writes CSV, TSV
    or Parquet, chosen by the file extension (:data:`TABLE_FORMATS`).
Label images
    :func:`export_labels` writes a TIFF holding only some regions, with their
    original label values, readable by :func:`regionscope.io.read_labels`.
Sessions
    :func:`session_dict` builds a JSON-ready description of the user's work
    (filters, gates, excluded labels, classes, view settings);
    :func:`write_session` and :func:`read_session` store and validate it. The
    format is versioned by :data:`SESSION_VERSION`.

Class assignments
-----------------
Wherever classes are passed (``classes=`` below, ``assignments`` in a session)
they are a mapping ``{label: class name}``. Keys may be integers or decimal
text (``"12"``), because JSON -- and so the browser and session files -- keeps
object keys as text. Labels without an entry have no class.

This module belongs to the core: it imports neither Dash nor Plotly.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from regionscope.errors import InputFileError, RegionscopeError
from regionscope.io import _smallest_uint
from regionscope.query import parse_filter

__all__ = [
    "CLASS_COLUMN",
    "LABEL_IMAGE_EXTENSIONS",
    "SESSION_VERSION",
    "TABLE_FORMATS",
    "export_labels",
    "export_table",
    "read_session",
    "select_rows",
    "session_dict",
    "table_format",
    "with_class_column",
    "write_session",
    "write_table",
]

#: Table file extensions (lower case) and the format written for each.
TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet"}

#: File extensions accepted by :func:`export_labels` (``.ome.tif`` ends in ``.tif``).
LABEL_IMAGE_EXTENSIONS = (".tif", ".tiff")

#: Name of the column :func:`with_class_column` adds.
CLASS_COLUMN = "class"

#: Version of the session file format written by :func:`write_session`.
SESSION_VERSION = 1

_VERSION_KEY = "regionscope_session"


# --------------------------------------------------------------------------
# Labels given by callers
# --------------------------------------------------------------------------


def _as_label(value, what: str, *, text: bool = False) -> int:
    """One label as a Python int; ``text=True`` also accepts decimal text such as ``"12"``."""
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if text and isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    raise TypeError(f"{what} must hold integer labels, not {value!r} ({type(value).__name__})")


def _label_list(values, what: str) -> list[int]:
    """An iterable of labels (list, set, array, Series, ...) as a list of Python ints."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{what} must be an iterable of integer labels, not {type(values).__name__}")
    array = values if isinstance(values, np.ndarray) else None
    if isinstance(values, pd.Series | pd.Index):
        array = values.to_numpy()
    if array is not None and array.dtype.kind in "iu":
        return [int(v) for v in array.ravel().tolist()]
    return [_as_label(v, what) for v in (array.ravel().tolist() if array is not None else values)]


def _isin(values: np.ndarray, wanted: list[int]) -> np.ndarray:
    """``np.isin`` of integer ``values`` and Python-int ``wanted``, exact for every integer dtype.

    ``wanted`` is cut to the range of ``values.dtype`` and cast to it, so that
    uint64 labels are not compared as floats and numpy can use its fast
    lookup-table method.
    """
    info = np.iinfo(values.dtype)
    in_range = np.array([w for w in wanted if info.min <= w <= info.max], dtype=values.dtype)
    if in_range.size == 0:
        return np.zeros(values.shape, dtype=bool)
    return np.isin(values, in_range)


def _class_mapping(classes: Mapping, what: str = "classes") -> dict[int, str | None]:
    """``{label: class name}`` with int keys; keys may be decimal text (from JSON)."""
    if not isinstance(classes, Mapping):
        raise TypeError(f"{what} must be a mapping {{label: class name}}, not {type(classes).__name__}")
    mapping: dict[int, str | None] = {}
    for key, name in classes.items():
        label = _as_label(key, f"the keys of {what}", text=True)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{what}: the class of label {label} must be text or None, not {name!r}")
        mapping[label] = name
    return mapping


def _label_values(table: pd.DataFrame) -> np.ndarray:
    """The ``label`` column as an integer array, or a RegionscopeError saying what is wrong."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"a region table is a pandas DataFrame, not {type(table).__name__}")
    if "label" not in table.columns:
        raise RegionscopeError(
            "the table has no 'label' column, so its rows cannot be matched to regions; "
            f"columns: {', '.join(map(str, table.columns)) or 'none'}"
        )
    column = table["label"]
    if not isinstance(column, pd.Series):
        raise RegionscopeError("the table has several 'label' columns; keep one")
    if not pd.api.types.is_integer_dtype(column.dtype) or column.hasnans:
        raise RegionscopeError(
            f"the 'label' column must hold integer labels without missing values (it is {column.dtype})"
        )
    return column.to_numpy()


# --------------------------------------------------------------------------
# Rows and the class column
# --------------------------------------------------------------------------


def select_rows(table, *, labels=None, expression=None, excluded=None, classes=None, class_name=None):
    """Return the rows of a region table that a user means.

    The conditions that are given are combined with *and*; rows are matched by
    their ``label`` value, never by position.

    Parameters
    ----------
    table : pandas.DataFrame
        Region table with an integer ``label`` column.
    labels : iterable of int, optional
        Keep only these labels (e.g. the rows selected in the grid). The
        result keeps the table's row order, not the order given here. Labels
        that are not in the table are ignored. An empty iterable selects
        nothing; None (default) does not restrict.
    expression : str or regionscope.query.FilterExpression, optional
        Keep only rows matching this filter (see :mod:`regionscope.query`).
        When ``classes`` are given the filter may use the ``class`` column,
        e.g. ``class == "debris"``.
    excluded : iterable of int, optional
        Labels to leave out.
    classes : mapping of int to str, optional
        ``{label: class name}``; keys may be decimal text. Used by
        ``class_name`` and by ``expression``.
    class_name : str, optional
        Keep only rows whose label is assigned to this class in ``classes``.
        With ``classes=None`` no row has a class, so nothing is selected.

    Returns
    -------
    pandas.DataFrame
        The matching rows, in table order and with their original index and
        columns (no ``class`` column is added; see :func:`with_class_column`).

    Raises
    ------
    regionscope.errors.FilterError
        If the filter is invalid or does not fit the table.
    regionscope.errors.RegionscopeError
        If the table has no usable integer ``label`` column.
    TypeError
        If labels are not integers or class names are not text.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"label": [7, 3, 12], "area": [50, 150, 300]})
    >>> select_rows(table, expression="area > 100", excluded=[12])["label"].tolist()
    [3]
    >>> select_rows(table, labels=[12, 7])["label"].tolist()
    [7, 12]
    >>> select_rows(table, classes={7: "A", "12": "A"}, class_name="A")["label"].tolist()
    [7, 12]
    """
    label_values = _label_values(table)
    mask = np.ones(len(table), dtype=bool)
    mapping = None if classes is None else _class_mapping(classes)
    if labels is not None:
        mask &= _isin(label_values, _label_list(labels, "labels"))
    if expression is not None:
        if isinstance(expression, str):
            expression = parse_filter(expression)
        evaluated = table
        if mapping is not None and CLASS_COLUMN in getattr(expression, "columns", ()):
            evaluated = with_class_column(table, mapping)
        mask &= expression.evaluate(evaluated)
    if excluded is not None:
        mask &= ~_isin(label_values, _label_list(excluded, "excluded"))
    if class_name is not None:
        if not isinstance(class_name, str):
            raise TypeError(f"class_name must be text, not {class_name!r}")
        chosen = [label for label, name in (mapping or {}).items() if name == class_name]
        mask &= _isin(label_values, chosen)
    return table.loc[mask]


def with_class_column(table, classes):
    """Return a copy of a region table with a ``class`` column right after ``label``.

    Parameters
    ----------
    table : pandas.DataFrame
        Region table with an integer ``label`` column. An existing ``class``
        column is replaced.
    classes : mapping of int to str
        ``{label: class name}``; keys may be decimal text (``"12"``). Labels
        not in the mapping, or mapped to None, have no class.

    Returns
    -------
    pandas.DataFrame
        The table (same index and row order) with a ``class`` column of the
        nullable ``"string"`` dtype placed right after ``label``. Rows without
        a class hold a missing value (``pd.NA``), not an empty string: it is
        written as an empty cell in CSV/TSV and as null in Parquet, and the
        filter ``class is nil`` selects it.

    Raises
    ------
    regionscope.errors.RegionscopeError
        If the table has no usable integer ``label`` column.
    TypeError
        If a key is not an integer label or a class name is not text.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"label": [4, 9], "area": [10, 20]})
    >>> result = with_class_column(table, {9: "debris"})
    >>> list(result.columns), result["class"].tolist()
    (['label', 'class', 'area'], [<NA>, 'debris'])
    """
    label_values = _label_values(table)
    mapping = _class_mapping(classes)
    names = pd.Series(label_values, dtype=object).map(mapping).astype("string")
    result = table.drop(columns=CLASS_COLUMN) if CLASS_COLUMN in table.columns else table.copy()
    position = result.columns.get_loc("label") + 1
    result.insert(position, CLASS_COLUMN, names.array)
    return result


# --------------------------------------------------------------------------
# Table files
# --------------------------------------------------------------------------


def table_format(path) -> str:
    """The table format written for a path, from its extension.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; its extension (case-insensitive) must be one of
        :data:`TABLE_FORMATS`.

    Returns
    -------
    str
        ``"csv"``, ``"tsv"`` or ``"parquet"``.

    Raises
    ------
    regionscope.errors.RegionscopeError
        Naming the path, when the extension is not supported.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise RegionscopeError(f"cannot write {path}: the output must end in {', '.join(TABLE_FORMATS)}")
    return TABLE_FORMATS[suffix]


def write_table(table, path) -> None:
    """Write a table as CSV, TSV or Parquet, chosen by the extension of ``path``.

    The index is not written. CSV and TSV are UTF-8 text with a header row;
    missing values are empty cells.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to write.
    path : str or os.PathLike
        Output file ending in ``.csv``, ``.tsv`` or ``.parquet``.

    Raises
    ------
    regionscope.errors.RegionscopeError
        Naming the path, when the extension is not supported, the file cannot
        be written, or a column cannot be stored as Parquet.
    """
    fmt = table_format(path)
    try:
        if fmt == "csv":
            table.to_csv(path, index=False)
        elif fmt == "tsv":
            table.to_csv(path, index=False, sep="\t")
        else:
            table.to_parquet(path, index=False)
    except OSError as exc:
        raise RegionscopeError(f"{path}: cannot write the table ({exc.strerror or exc})") from exc
    except ImportError as exc:
        raise RegionscopeError(
            f"{path}: cannot write Parquet without the pyarrow package; install pyarrow or write .csv"
        ) from exc
    except (ValueError, TypeError, NotImplementedError) as exc:  # pyarrow's conversion errors
        reason = " ".join(str(exc).split())[:200]
        raise RegionscopeError(f"{path}: cannot write the table as {fmt} ({reason})") from exc


def export_table(table, path, *, classes=None) -> None:
    """Write a region table to CSV, TSV or Parquet, chosen by the extension.

    Parameters
    ----------
    table : pandas.DataFrame
        The rows to write, e.g. from :func:`select_rows`.
    path : str or os.PathLike
        Output file ending in ``.csv``, ``.tsv`` or ``.parquet``
        (case-insensitive).
    classes : mapping of int to str, optional
        ``{label: class name}``; when given, a ``class`` column is written
        right after ``label`` (see :func:`with_class_column`; rows without a
        class have an empty cell / null).

    Raises
    ------
    regionscope.errors.RegionscopeError
        Naming the path, when the extension is not supported or the file
        cannot be written; also when ``classes`` are given and the table has
        no integer ``label`` column.
    """
    table_format(path)  # before any work
    if classes is not None:
        table = with_class_column(table, classes)
    write_table(table, path)


# --------------------------------------------------------------------------
# Label images
# --------------------------------------------------------------------------


def export_labels(labels, path, keep) -> None:
    """Write a TIFF label image holding only some regions, with their original values.

    Parameters
    ----------
    labels : numpy.ndarray or regionscope.io.ImageData
        Label image, integer, shape ``(Y, X)`` or ``(Z, Y, X)``; 0 is
        background.
    path : str or os.PathLike
        Output file ending in ``.tif`` or ``.tiff`` (``.ome.tif`` writes
        OME-TIFF). An existing file is replaced.
    keep : iterable of int
        Labels to keep (list, set, array, Series, ...). Labels that are not in
        the image, 0 and negative values are ignored; an empty ``keep``
        writes an all-zero image.

    Notes
    -----
    Every pixel whose label is in ``keep`` keeps its value; every other pixel
    is 0. The dtype is the smallest unsigned integer type that holds the
    largest label written (``uint8`` when nothing is kept). The file is
    zlib-compressed, one grayscale series with ``YX`` / ``ZYX`` axis metadata,
    so :func:`regionscope.io.read_labels` returns exactly the written array --
    except that a 3D image with a single plane is read back as 2D, as every
    length-1 axis is. Selecting the regions is a single :func:`numpy.isin`
    over the image (well under a second for 4096 x 4096 pixels and 50 000
    labels).

    Raises
    ------
    regionscope.errors.RegionscopeError
        Naming the path, when the extension is not ``.tif``/``.tiff`` or the
        file cannot be written.
    ValueError
        If ``labels`` is not a non-empty 2D or 3D integer array.
    TypeError
        If ``keep`` holds something other than integers.
    """
    path_text = os.fspath(path)
    name = os.path.basename(path_text).lower()
    if not name.endswith(LABEL_IMAGE_EXTENSIONS):
        raise RegionscopeError(
            f"cannot write {path_text}: label images are written as TIFF; "
            "the file name must end in .tif or .tiff"
        )
    data = np.asarray(getattr(labels, "data", labels))
    if data.dtype.kind not in "iu":
        raise ValueError(f"labels must be an integer array, not {data.dtype}")
    if data.ndim not in (2, 3) or data.size == 0:
        raise ValueError(f"labels must be a non-empty 2D (Y, X) or 3D (Z, Y, X) array; got shape {data.shape}")
    wanted = [label for label in _label_list(keep, "keep") if label > 0]
    kept = np.where(_isin(data, wanted), data, 0)
    out = kept.astype(_smallest_uint(int(kept.max())), copy=False)

    import tifffile

    try:
        tifffile.imwrite(
            path_text,
            out,
            compression="zlib",
            photometric="minisblack",
            metadata={"axes": "YX" if out.ndim == 2 else "ZYX"},
        )
    except OSError as exc:
        raise RegionscopeError(f"{path_text}: cannot write the label image ({exc.strerror or exc})") from exc


# --------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------


class _Invalid(Exception):
    """A problem with one field of a session (the message names the field)."""


def session_dict(
    *,
    dataset_id,
    dataset_name="",
    filters=None,
    excluded=(),
    classes=(),
    assignments=None,
    view=None,
):
    """Describe the user's work on a dataset as a JSON-ready dict.

    Parameters
    ----------
    dataset_id : str
        Id of the dataset (:attr:`regionscope.dataset.Dataset.id`).
    dataset_name : str
        What the user calls it (file name).
    filters : dict, optional
        ``query`` (str, the filter expression text), ``filter_model`` (dict,
        the AG Grid ``filterModel``, stored as given) and ``gates`` (list of
        dicts with ``x`` and ``y`` column names and at least one of
        ``x_range`` / ``y_range`` (``[low, high]``) and ``lasso``
        (``[[x, y], ...]``, at least 3 points)). Missing entries are empty.
    excluded : iterable of int
        Excluded labels.
    classes : list of dict
        The user's classes, each ``{"name": str, "color": "#rrggbb"}``; names
        are unique, not blank, at most 40 characters. Classes, assignments and
        exclusions are checked by :func:`regionscope.annotations.normalise_snapshot`,
        the validator of :meth:`~regionscope.annotations.AnnotationStore.restore_snapshot`:
        a session that reads is a session that restores.
    assignments : mapping of int to str, optional
        ``{label: class name}``; every class name must be in ``classes``.
        Keys may be decimal text.
    view : dict, optional
        ``color_by``, ``colormap``, ``overlay_mode`` (str or None),
        ``opacity`` (number from 0 to 1, or None) and ``hover_columns``
        (list of str). Missing entries are None / empty.

    Returns
    -------
    dict
        ``{"regionscope_session": SESSION_VERSION, "dataset_id", "dataset_name",
        "filters", "excluded", "classes", "assignments", "view"}`` in the
        normalised form that :func:`read_session` returns: only JSON types,
        so ``json.loads(json.dumps(d)) == d``. ``excluded`` is sorted and
        without repeats; ``assignments`` keys are decimal text (JSON object
        keys), sorted by label; gate ranges are ``[low, high]`` floats;
        unknown keys are dropped.

    Raises
    ------
    regionscope.errors.RegionscopeError
        ``session: <field> ...`` naming the field that is wrong.

    Examples
    --------
    >>> session = session_dict(dataset_id="abc", excluded=[9, 2, 9],
    ...                        classes=[{"name": "A", "color": "#ff0000"}], assignments={5: "A"})
    >>> session["regionscope_session"], session["excluded"], session["assignments"]
    (1, [2, 9], {'5': 'A'})
    """
    raw = {
        _VERSION_KEY: SESSION_VERSION,
        "dataset_id": dataset_id,
        "dataset_name": dataset_name,
        "filters": {} if filters is None else filters,
        "excluded": _as_list(excluded),
        "classes": _as_list(classes),
        "assignments": {} if assignments is None else assignments,
        "view": {} if view is None else view,
    }
    try:
        return _normalise_session(raw)
    except _Invalid as exc:
        raise RegionscopeError(f"session: {exc}") from None


def _as_list(value):
    """Any iterable but text or a mapping as a list (validation then checks the items)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return value
    return list(value)


def write_session(path, session) -> None:
    """Write a session to a JSON file (UTF-8, indented).

    Parameters
    ----------
    path : str or os.PathLike
        Output file, conventionally ``*.json``. An existing file is replaced
        only once the session has been validated and serialised.
    session : dict
        A session, as made by :func:`session_dict`; it is validated again.

    Raises
    ------
    regionscope.errors.RegionscopeError
        Naming the path and the field, when the session is not valid, or the
        path, when the file cannot be written.
    """
    try:
        normalised = _normalise_session(session)
    except _Invalid as exc:
        raise RegionscopeError(f"{os.fspath(path)}: session not written: {exc}") from None
    text = json.dumps(normalised, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RegionscopeError(f"{os.fspath(path)}: cannot write the session ({exc.strerror or exc})") from exc


def read_session(path) -> dict:
    """Read and validate a session file written by :func:`write_session`.

    Parameters
    ----------
    path : str or os.PathLike
        The session file.

    Returns
    -------
    dict
        The session in the normalised form of :func:`session_dict`. Keys
        that this version does not know are ignored (and not returned);
        missing optional entries get their empty default. Only
        ``regionscope_session`` and ``dataset_id`` are required.

    Raises
    ------
    regionscope.errors.InputFileError
        Naming the file and, where it applies, the field: the file is missing
        or not UTF-8 JSON, is not a regionscope session, was written by a
        newer regionscope (a format version above :data:`SESSION_VERSION`),
        or a field has the wrong type or value (e.g. ``session.json:
        'excluded' must be a list of integer labels``).
    """
    path_text = os.fspath(path)
    try:
        with open(path_text, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError as exc:
        raise InputFileError(path_text, "file not found; check the path and the file name") from exc
    except IsADirectoryError as exc:
        raise InputFileError(path_text, "is a directory, not a session file") from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(path_text, "is not a regionscope session file: it is not UTF-8 text (JSON)") from exc
    except OSError as exc:
        raise InputFileError(path_text, f"cannot be read ({exc.strerror or exc})") from exc
    if not text.strip():
        raise InputFileError(path_text, "is empty; it is not a regionscope session file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            path_text,
            f"is not a regionscope session file: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
        ) from exc
    except RecursionError as exc:
        raise InputFileError(path_text, "is not a regionscope session file: JSON nested too deeply") from exc
    try:
        return _normalise_session(data)
    except _Invalid as exc:
        raise InputFileError(path_text, str(exc)) from None


def _normalise_session(data) -> dict:
    """Validate a session and return it in normalised form; raise _Invalid naming the field."""
    if not isinstance(data, Mapping):
        kind = {list: "a list", str: "a text", int: "a number", float: "a number", bool: "true/false"}.get(
            type(data), type(data).__name__
        )
        raise _Invalid(f"is not a regionscope session: it holds {kind}, not an object with a '{_VERSION_KEY}' key")
    if _VERSION_KEY not in data:
        raise _Invalid(f"is not a regionscope session: it has no '{_VERSION_KEY}' version key")
    version = data[_VERSION_KEY]
    if not _is_int(version) or version < 1:
        raise _Invalid(f"'{_VERSION_KEY}' must be a positive integer format version, not {version!r}")
    if version > SESSION_VERSION:
        raise _Invalid(
            f"was written by a newer regionscope (session format {version}; this version reads format "
            f"{SESSION_VERSION} and older): update regionscope to open it"
        )
    return {
        _VERSION_KEY: SESSION_VERSION,
        "dataset_id": _text(data.get("dataset_id"), "dataset_id", required=True),
        "dataset_name": _text(data.get("dataset_name", ""), "dataset_name", none_as=""),
        "filters": _filters(data.get("filters", {})),
        **_annotations(data),
        "view": _view(data.get("view", {})),
    }


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _text(value, field: str, *, required=False, none_as=None):
    if value is None and not required:
        return none_as
    if not isinstance(value, str) or (required and not value):
        raise _Invalid(f"'{field}' must be {'a non-empty' if required else 'a'} text, not {value!r}")
    return value


def _mapping(value, field: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise _Invalid(f"'{field}' must be an object (key: value pairs), not {value!r}")
    return value


def _list(value, field: str, what: str) -> list:
    if not isinstance(value, list):
        raise _Invalid(f"'{field}' must be a list of {what}, not {value!r}")
    return value


def _annotations(data) -> dict:
    """``excluded``, ``classes`` and ``assignments``, checked by the annotation store's own validator."""
    from regionscope.annotations import AnnotationError, normalise_snapshot

    snapshot = {
        "classes": data.get("classes", []),
        "assignments": data.get("assignments", {}),
        "excluded": data.get("excluded", []),
    }
    try:
        normal = normalise_snapshot(snapshot)
    except AnnotationError as exc:
        raise _Invalid(str(exc)) from None
    return {"excluded": normal["excluded"], "classes": normal["classes"], "assignments": normal["assignments"]}


def _filters(value) -> dict:
    filters = _mapping(value, "filters")
    query = _text(filters.get("query", ""), "filters.query", none_as="")
    model = _mapping(filters.get("filter_model", {}) or {}, "filters.filter_model")
    try:
        model = json.loads(json.dumps(model, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise _Invalid(f"'filters.filter_model' must hold only JSON values ({exc})") from None
    gates = _list(filters.get("gates", []), "filters.gates", "gates")
    return {"query": query, "filter_model": model, "gates": [_gate(g, f"filters.gates[{i}]") for i, g in enumerate(gates)]}


def _gate(value, field: str) -> dict:
    gate = _mapping(value, field)
    result = {
        "x": _text(gate.get("x"), f"{field}.x", required=True),
        "y": _text(gate.get("y"), f"{field}.y", required=True),
    }
    for axis in ("x_range", "y_range"):
        bounds = gate.get(axis)
        if bounds is None:
            continue
        if not isinstance(bounds, list) or len(bounds) != 2 or not all(_finite(b) for b in bounds):
            raise _Invalid(f"'{field}.{axis}' must be two finite numbers [low, high], not {bounds!r}")
        result[axis] = sorted(float(b) for b in bounds)
    lasso = gate.get("lasso")
    if lasso is not None:
        points = _list(lasso, f"{field}.lasso", "[x, y] points")
        if len(points) < 3:
            raise _Invalid(f"'{field}.lasso' must have at least 3 [x, y] points, not {len(points)}")
        for i, point in enumerate(points):
            if not isinstance(point, list) or len(point) != 2 or not all(_finite(c) for c in point):
                raise _Invalid(f"'{field}.lasso' must be a list of [x, y] finite numbers; point {i} is {point!r}")
        result["lasso"] = [[float(x), float(y)] for x, y in points]
    if len(result) == 2:
        raise _Invalid(f"'{field}' needs 'x_range', 'y_range' or 'lasso'")
    return result


def _finite(value) -> bool:
    return _is_number(value) and math.isfinite(value)


def _view(value) -> dict:
    view = _mapping(value, "view")
    result = {key: _text(view.get(key), f"view.{key}") for key in ("color_by", "colormap", "overlay_mode")}
    opacity = view.get("opacity")
    if opacity is not None and (not _finite(opacity) or not 0 <= opacity <= 1):
        raise _Invalid(f"'view.opacity' must be a number from 0 to 1, not {opacity!r}")
    result["opacity"] = None if opacity is None else float(opacity)
    hover = _list(view.get("hover_columns", []) or [], "view.hover_columns", "column names")
    for i, column in enumerate(hover):
        if not isinstance(column, str):
            raise _Invalid(f"'view.hover_columns' must be a list of column names; item {i} is {column!r}")
    result["hover_columns"] = list(hover)
    return result
