"""The public face of filters: parse once, apply to any table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regionscope.errors import FilterError

from . import limits
from .evaluate import evaluate_tree
from .parser import parse_tokens
from .syntax import MatchAll, referenced_columns
from .tokens import tokenize

__all__ = ["FilterExpression", "parse_filter", "filter_mask", "filter_table"]


@dataclass(frozen=True)
class FilterExpression:
    """A parsed filter, ready to be applied to any table.

    Create it with :func:`parse_filter`. It is immutable and hashable.

    Attributes
    ----------
    source : str
        The filter text as given.
    tree : object
        The syntax tree (nodes such as :class:`Comparison`, :class:`And`).
    columns : frozenset of str
        Names of the columns the filter refers to.

    Examples
    --------
    >>> import pandas as pd
    >>> expression = parse_filter("area > 10 and {touches border}")
    >>> sorted(expression.columns)
    ['area', 'touches border']
    >>> table = pd.DataFrame({"area": [5, 20, 30], "touches border": [True, True, False]})
    >>> expression.evaluate(table)
    array([False,  True, False])
    """

    source: str
    tree: object = field(repr=False)
    columns: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", referenced_columns(self.tree))

    def __str__(self) -> str:
        return self.source

    def evaluate(self, table: pd.DataFrame) -> np.ndarray:
        """Return which rows of ``table`` match, as a boolean array.

        Parameters
        ----------
        table : pandas.DataFrame
            The table to filter; its column names are matched as text.

        Returns
        -------
        numpy.ndarray
            Boolean array of length ``len(table)``.

        Raises
        ------
        FilterError
            If a column does not exist or does not fit the value it is
            compared with; ``position`` points at that column or value.

        Examples
        --------
        >>> import pandas as pd
        >>> table = pd.DataFrame({"label": [1, 2, 3], "area": [50.0, 150.0, None]})
        >>> parse_filter("{area} ge 100 || {label} eq 1").evaluate(table)
        array([ True,  True, False])
        """
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"A filter is applied to a pandas DataFrame, not {type(table).__name__}")
        return evaluate_tree(self.tree, table, self.source)


def parse_filter(expr: str) -> FilterExpression:
    """Parse a filter expression without applying it.

    Parameters
    ----------
    expr : str
        The filter text, in plain form (``area < 1000 and label in [1, 2]``)
        or in Dash DataTable form (``{area} < 1000 && {label} eq 4``). See
        :mod:`regionscope.query` for the grammar. Empty or blank text gives a
        filter that keeps every row.

    Returns
    -------
    FilterExpression
        The parsed filter.

    Raises
    ------
    FilterError
        If the text is not a valid filter or exceeds the limits; ``position``
        is the 0-based character offset of the problem. Whether the columns
        exist is only checked by :meth:`FilterExpression.evaluate`.

    Examples
    --------
    >>> parse_filter("{area} < 1000 && {perimeter} > 200").columns == {"area", "perimeter"}
    True
    >>> parse_filter("").columns
    frozenset()
    >>> parse_filter("area <")
    Traceback (most recent call last):
    ...
    regionscope.errors.FilterError: Expected a value after '<' (at character 7)
    """
    if not isinstance(expr, str):
        raise TypeError(f"A filter expression must be text, not {type(expr).__name__}")
    # Checked before reading anything, so huge input costs nothing.
    if len(expr) > limits.MAX_EXPRESSION_LENGTH:
        raise FilterError(
            f"The filter is {len(expr):,} characters long; the limit is {limits.MAX_EXPRESSION_LENGTH:,}. "
            "Use fewer conditions or shorter lists."
        )
    if not expr.strip():
        return FilterExpression(expr, MatchAll())
    tokens = tokenize(expr)
    return FilterExpression(expr, parse_tokens(tokens, expr))


def _as_expression(expr) -> FilterExpression:
    if isinstance(expr, FilterExpression):
        return expr
    if expr is None:
        return FilterExpression("", MatchAll())
    return parse_filter(expr)


def filter_mask(table: pd.DataFrame, expr: str | FilterExpression | None) -> np.ndarray:
    """Return which rows of ``table`` match a filter.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to filter.
    expr : str or FilterExpression or None
        The filter; text is parsed first. None or blank text keeps every row.

    Returns
    -------
    numpy.ndarray
        Boolean array of length ``len(table)``.

    Raises
    ------
    FilterError
        If the filter is invalid or does not fit the table.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"label": [1, 4, 7]})
    >>> filter_mask(table, "label in [1, 7]")
    array([ True, False,  True])
    """
    return _as_expression(expr).evaluate(table)


def filter_table(table: pd.DataFrame, expr: str | FilterExpression | None) -> pd.DataFrame:
    """Return the rows of ``table`` that match a filter.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to filter.
    expr : str or FilterExpression or None
        The filter; text is parsed first. None or blank text keeps every row.

    Returns
    -------
    pandas.DataFrame
        The matching rows, in their original order and with their original
        index.

    Raises
    ------
    FilterError
        If the filter is invalid or does not fit the table.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"area": [500, 2000, 800], "perimeter": [250, 300, 100]},
    ...                      index=[10, 11, 12])
    >>> filter_table(table, "area < 1000 and perimeter > 200")
        area  perimeter
    10   500        250
    """
    return table.loc[filter_mask(table, expr)]
