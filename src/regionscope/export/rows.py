"""The rows of a region table that a user means, and the user's classes as a column.

Rows are matched by their ``label`` value, never by position, so a selection
survives sorting, filtering and re-measuring. Labels given by callers follow
one rule, :func:`regionscope.annotations.validation.label_value` (integers;
decimal ASCII text where JSON keys hold labels), the rule the annotation store
and the session files use too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from regionscope.annotations.validation import label_value
from regionscope.errors import RegionscopeError
from regionscope.query import parse_filter

if TYPE_CHECKING:
    from regionscope.query import FilterExpression

__all__ = ["CLASS_COLUMN", "select_rows", "with_class_column"]

#: Name of the column :func:`with_class_column` adds.
CLASS_COLUMN = "class"


# --------------------------------------------------------------------------
# Labels given by callers
# --------------------------------------------------------------------------


def _as_label(value, what: str, *, text: bool = False) -> int:
    """One label as a Python int; ``text=True`` also accepts decimal text such as ``"12"``.

    Any integer, of any sign: which labels match is the table's business (a
    label that no row has selects nothing).
    """
    label = label_value(value, text=text)
    if label is None:
        raise TypeError(f"{what} must hold integer labels, not {value!r} ({type(value).__name__})")
    return label


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
        raise RegionscopeError(f"the 'label' column must hold integer labels without missing values (it is {column.dtype})")
    return column.to_numpy()


# --------------------------------------------------------------------------
# Rows and the class column
# --------------------------------------------------------------------------


def select_rows(
    table: pd.DataFrame,
    *,
    labels: Iterable[int] | None = None,
    expression: str | FilterExpression | None = None,
    excluded: Iterable[int] | None = None,
    classes: Mapping[int | str, str | None] | None = None,
    class_name: str | None = None,
) -> pd.DataFrame:
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


def with_class_column(table: pd.DataFrame, classes: Mapping[int | str, str | None]) -> pd.DataFrame:
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
