"""Evaluation: a syntax tree applied to a table, giving one boolean per row.

The evaluator only looks columns up and compares their values with numpy and
pandas; the semantics (missing values, column kinds, the DataTable's quoted
numbers) are in the documentation of :mod:`regionscope.query`. Whether a
column exists and fits its value is only known here, so these errors point
at the column or value in the filter text too.
"""

from __future__ import annotations

import difflib
import operator

import numpy as np
import pandas as pd

from regionscope.errors import FilterError

from .syntax import (
    LITERAL_KIND_NAMES,
    And,
    Column,
    ColumnIsTrue,
    Comparison,
    Contains,
    MatchAll,
    Membership,
    MissingCheck,
    Not,
    Or,
    Value,
    literal_kind,
)
from .tokens import number_from_text, written_column

__all__ = ["evaluate_tree"]

# How many column names an "Unknown column" message lists before "...".
_LISTED_COLUMNS = 12


def evaluate_tree(tree: object, table: pd.DataFrame, source: str) -> np.ndarray:
    """Which rows of ``table`` a syntax tree keeps, as a boolean array of length ``len(table)``.

    ``source`` is the filter text, for the positions of messages.
    """
    return _Evaluator(table, source).mask(tree)


_OPERATOR_FUNCTIONS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# The operator seen from the other side: 1000 > area is area < 1000.
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

# Column kinds: "number" and "boolean" compare numerically, "text" alphabetically;
# "empty" (nothing but missing values) fits any value; "other" (dates, ...) fits none.
_NUMERIC_KINDS = frozenset({"number", "boolean"})
_OBJECT_KINDS = {
    "string": "text",
    "empty": "empty",
    "boolean": "boolean",
    "integer": "number",
    "floating": "number",
    "mixed-integer-float": "number",
    "decimal": "number",
}
_COLUMN_KIND_NAMES = {"number": "numeric", "boolean": "true/false", "text": "text", "empty": "empty"}


def _column_kind(series: pd.Series) -> str:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _column_kind(pd.Series(dtype.categories))
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_complex_dtype(dtype):
        return "other"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if isinstance(dtype, pd.StringDtype):
        return "text"
    if pd.api.types.is_object_dtype(dtype):
        return _OBJECT_KINDS.get(pd.api.types.infer_dtype(series, skipna=True), "other")
    return "other"


def _numeric_values(series: pd.Series) -> np.ndarray:
    plain = not isinstance(series.dtype, pd.CategoricalDtype) and not series.hasnans
    if plain and (pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)):
        # Keep integers exact: float64 would round labels above 2**53.
        return series.to_numpy()
    return series.to_numpy(dtype=float, na_value=np.nan)


def _values(series: pd.Series, kind: str) -> np.ndarray:
    if kind in _NUMERIC_KINDS:
        return _numeric_values(series)
    return series.to_numpy(dtype=object)


def _compare(values: np.ndarray, present: np.ndarray, operator_name: str, other) -> np.ndarray:
    """Apply a comparison to the present values; missing ones are true only for '!='."""
    result = np.full(len(values), operator_name == "!=")
    if isinstance(other, np.ndarray):
        other = other[present]
    result[present] = _OPERATOR_FUNCTIONS[operator_name](values[present], other)
    return result


class _Evaluator:
    """Evaluates a syntax tree over one table, raising FilterErrors that point into the source."""

    def __init__(self, table: pd.DataFrame, source: str):
        self._table = table
        self._source = source
        self._rows = len(table)
        # Filters name columns as text; tables may use other labels (e.g. integers).
        self._labels = {str(label): label for label in table.columns}

    def _error(self, message: str, position: int) -> FilterError:
        return FilterError(message, position=position, expression=self._source)

    def mask(self, node) -> np.ndarray:
        match node:
            case MatchAll():
                return np.ones(self._rows, dtype=bool)
            case And(parts=parts):
                return np.logical_and.reduce([self.mask(part) for part in parts])
            case Or(parts=parts):
                return np.logical_or.reduce([self.mask(part) for part in parts])
            case Not(part=part):
                return ~self.mask(part)
            case Comparison():
                return self._comparison(node)
            case Membership():
                return self._membership(node)
            case Contains():
                return self._contains(node)
            case MissingCheck():
                return self._missing_check(node)
            case ColumnIsTrue():
                return self._column_is_true(node)
        raise TypeError(f"Not a filter node: {node!r}")

    # -- columns -------------------------------------------------------------

    def _series(self, column: Column) -> pd.Series:
        if column.name not in self._labels:
            raise self._error(_unknown_column_message(column.name, list(self._labels)), column.position)
        series = self._table[self._labels[column.name]]
        if isinstance(series, pd.DataFrame):
            raise self._error(
                f"The table has more than one column named {column.name!r}; rename them to filter",
                column.position,
            )
        return series

    def _kind(self, column: Column, series: pd.Series) -> str:
        kind = _column_kind(series)
        if kind == "other":
            raise self._error(
                f"Column {column.name!r} holds {series.dtype} values; filters can only compare "
                "numbers, text and true/false (use 'is nil' to find missing values)",
                column.position,
            )
        return kind

    def _comparable_value(self, column: Column, kind: str, literal: Value):
        """The literal's value ready to compare with a column of this kind, or a FilterError."""
        value_kind = literal_kind(literal.value)
        if kind == "empty" or (kind == "text") == (value_kind == "text"):
            return literal.value
        written = written_column(column.name)
        if kind == "text":
            what = "true/false" if value_kind == "boolean" else "a number"
            raise self._error(
                f"Cannot compare text column {column.name!r} with {what}; "
                f'if you mean the text, put it in quotes: {written} == "{literal.text}"',
                literal.position,
            )
        # The DataTable writes {label} eq "4": a quoted plain number counts as the number.
        number = number_from_text(literal.value)
        if number is None:
            example = f"{written} == true" if kind == "boolean" else f"{written} > 10"
            raise self._error(
                f"Cannot compare {_COLUMN_KIND_NAMES[kind]} column {column.name!r} with the text "
                f"{literal.text}; compare it with {LITERAL_KIND_NAMES[kind]}, e.g. {example}",
                literal.position,
            )
        return number

    # -- conditions ----------------------------------------------------------

    def _comparison(self, node: Comparison) -> np.ndarray:
        left, operator_name, right = node.left, node.operator, node.right
        if isinstance(left, Value):
            left, operator_name, right = right, _FLIPPED[operator_name], left
        if isinstance(right, Column):
            return self._compare_columns(left, operator_name, right)
        series = self._series(left)
        kind = self._kind(left, series)
        value = self._comparable_value(left, kind, right)
        present = series.notna().to_numpy()
        return _compare(_values(series, kind), present, operator_name, value)

    def _compare_columns(self, left: Column, operator_name: str, right: Column) -> np.ndarray:
        left_series, right_series = self._series(left), self._series(right)
        left_kind, right_kind = self._kind(left, left_series), self._kind(right, right_series)
        present = left_series.notna().to_numpy() & right_series.notna().to_numpy()
        if "empty" in (left_kind, right_kind):
            return np.full(self._rows, operator_name == "!=")
        if (left_kind in _NUMERIC_KINDS) != (right_kind in _NUMERIC_KINDS):
            raise self._error(
                f"Cannot compare {_COLUMN_KIND_NAMES[left_kind]} column {left.name!r} with "
                f"{_COLUMN_KIND_NAMES[right_kind]} column {right.name!r}",
                right.position,
            )
        left_values = _values(left_series, left_kind)
        right_values = _values(right_series, right_kind)
        return _compare(left_values, present, operator_name, right_values)

    def _membership(self, node: Membership) -> np.ndarray:
        series = self._series(node.column)
        kind = self._kind(node.column, series)
        wanted = [self._comparable_value(node.column, kind, item) for item in node.values]
        present = series.notna().to_numpy()
        result = np.zeros(self._rows, dtype=bool)
        if wanted:
            values = _values(series, kind)[present]
            # Text stays as Python objects on both sides; numbers become one numeric array.
            wanted_array = np.array(wanted, dtype=object if kind == "text" else None)
            result[present] = np.isin(values, wanted_array)
        # Missing values are never in the list, so 'not in' keeps them (like '!=').
        return ~result if node.negated else result

    def _contains(self, node: Contains) -> np.ndarray:
        series = self._series(node.column)
        kind = self._kind(node.column, series)
        if kind in _NUMERIC_KINDS:
            raise self._error(
                f"'contains' works on text columns, but {node.column.name!r} is "
                f"{_COLUMN_KIND_NAMES[kind]}; compare it with =, < or > instead",
                node.column.position,
            )
        needle = node.text.value
        present = series.notna().to_numpy()
        result = np.zeros(self._rows, dtype=bool)
        result[present] = [needle in value for value in series.to_numpy(dtype=object)[present]]
        return result

    def _missing_check(self, node: MissingCheck) -> np.ndarray:
        series = self._series(node.column)
        missing = series.isna().to_numpy()
        if node.blank and _column_kind(series) in ("text", "empty"):
            missing = missing | np.array(
                [isinstance(value, str) and not value.strip() for value in series.to_numpy(dtype=object)],
                dtype=bool,
            )
        return ~missing if node.negated else missing

    def _column_is_true(self, node: ColumnIsTrue) -> np.ndarray:
        column = node.column
        series = self._series(column)
        kind = self._kind(column, series)
        if kind not in ("boolean", "empty"):
            comparison = "> 0" if kind == "number" else '== "abc"'
            example = f"{written_column(column.name)} {comparison}"
            raise self._error(
                f"Column {column.name!r} is {_COLUMN_KIND_NAMES[kind]}, not true/false, so it cannot "
                f"be a condition on its own; compare it with a value, e.g. {example}",
                column.position,
            )
        present = series.notna().to_numpy()
        result = np.zeros(self._rows, dtype=bool)
        result[present] = series.to_numpy(dtype=object)[present].astype(bool)
        return result


def _suggest_column(name: str, available: list[str]) -> str | None:
    # Compare in lower case so that 'Area' and 'AREA' still find 'area'.
    by_lower_name = {}
    for label in reversed(available):
        by_lower_name[label.lower()] = label
    matches = difflib.get_close_matches(name.lower(), list(by_lower_name), n=1)
    return by_lower_name[matches[0]] if matches else None


def _unknown_column_message(name: str, available: list[str]) -> str:
    message = f"Unknown column {name!r}."
    suggestion = _suggest_column(name, available)
    if suggestion is not None:
        message += f" Did you mean {suggestion!r}?"
        if written_column(suggestion) != suggestion:
            message += f" (write it as {written_column(suggestion)})"
    listed = ", ".join(available[:_LISTED_COLUMNS])
    if len(available) > _LISTED_COLUMNS:
        listed += ", ..."
    return f"{message} Columns: {listed or '(none)'}"
