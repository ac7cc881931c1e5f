"""Session files: the user's work on a dataset (filters, gates, exclusions, classes, view).

:func:`session_dict` builds a session, :func:`write_session` and
:func:`read_session` store and read it; all three validate it with one schema
(:func:`_normalize_session`), versioned by :data:`SESSION_VERSION`. The
classes, assignments and exclusions in it are validated by
:func:`regionscope.annotations.normalize_snapshot`, the validator of
:meth:`AnnotationStore.restore_snapshot
<regionscope.annotations.AnnotationStore.restore_snapshot>`: a session that
reads is a session that restores.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from regionscope.annotations import AnnotationError, normalize_snapshot
from regionscope.errors import InputFileError, RegionscopeError

__all__ = ["SESSION_VERSION", "read_session", "session_dict", "write_session"]

#: Version of the session file format written by :func:`write_session`.
SESSION_VERSION = 1

_VERSION_KEY = "regionscope_session"


class _Invalid(Exception):
    """A problem with one field of a session (the message names the field)."""


def session_dict(
    *,
    dataset_id: str,
    dataset_name: str = "",
    filters: Mapping[str, Any] | None = None,
    excluded: Iterable[int] = (),
    classes: Iterable[Mapping[str, str]] = (),
    assignments: Mapping[int | str, str] | None = None,
    view: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
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
        exclusions are checked by :func:`regionscope.annotations.normalize_snapshot`,
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
        normalized form that :func:`read_session` returns: only JSON types,
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
        return _normalize_session(raw)
    except _Invalid as exc:
        raise RegionscopeError(f"session: {exc}") from None


def _as_list(value):
    """Any iterable but text or a mapping as a list (validation then checks the items)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return value
    return list(value)


def write_session(path: str | os.PathLike, session: Mapping[str, Any]) -> None:
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
        normalized = _normalize_session(session)
    except _Invalid as exc:
        raise RegionscopeError(f"{os.fspath(path)}: session not written: {exc}") from None
    text = json.dumps(normalized, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RegionscopeError(f"{os.fspath(path)}: cannot write the session ({exc.strerror or exc})") from exc


def read_session(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a session file written by :func:`write_session`.

    Parameters
    ----------
    path : str or os.PathLike
        The session file.

    Returns
    -------
    dict
        The session in the normalized form of :func:`session_dict`. Keys
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
        return _normalize_session(data)
    except _Invalid as exc:
        raise InputFileError(path_text, str(exc)) from None


def _normalize_session(data) -> dict:
    """Validate a session and return it in normalized form; raise _Invalid naming the field."""
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
    snapshot = {
        "classes": data.get("classes", []),
        "assignments": data.get("assignments", {}),
        "excluded": data.get("excluded", []),
    }
    try:
        normal = normalize_snapshot(snapshot)
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
