"""The syntax tree of a filter.

Every node is immutable and hashable, so a parsed filter can be cached and
shared between callbacks. The tree holds only column references, values and
the conditions between them: there is nothing in it that could be called.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Column",
    "Value",
    "Comparison",
    "Membership",
    "Contains",
    "MissingCheck",
    "ColumnIsTrue",
    "And",
    "Or",
    "Not",
    "MatchAll",
    "literal_kind",
    "referenced_columns",
]


@dataclass(frozen=True, slots=True)
class Column:
    """A reference to a table column, ``area`` or ``{area}``."""

    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Value:
    """A value written in the filter: a number, a text or true/false.

    ``text`` is the value as written, used in messages.
    """

    value: bool | int | float | str
    position: int
    text: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """``left operator right``; at least one side is a :class:`Column`.

    ``operator`` is one of ``"==", "!=", "<", "<=", ">", ">="``.
    """

    left: Column | Value
    operator: str
    right: Column | Value


@dataclass(frozen=True, slots=True)
class Membership:
    """``column in [values]`` or, when ``negated``, ``column not in [values]``."""

    column: Column
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Contains:
    """``column contains "text"``: case-sensitive substring test."""

    column: Column
    text: Value


@dataclass(frozen=True, slots=True)
class MissingCheck:
    """``column is [not] nil`` or, when ``blank``, ``column is [not] blank``."""

    column: Column
    blank: bool = False
    negated: bool = False


@dataclass(frozen=True, slots=True)
class ColumnIsTrue:
    """A true/false column used on its own as a condition."""

    column: Column


@dataclass(frozen=True, slots=True)
class And:
    """All ``parts`` hold. Stored flat (not nested pairs) to keep the tree shallow."""

    parts: tuple


@dataclass(frozen=True, slots=True)
class Or:
    """At least one of ``parts`` holds."""

    parts: tuple


@dataclass(frozen=True, slots=True)
class Not:
    """``part`` does not hold."""

    part: object


@dataclass(frozen=True, slots=True)
class MatchAll:
    """The empty filter: every row matches."""


def literal_kind(value: bool | int | float | str) -> str:
    """The kind of a :class:`Value`'s value: "boolean", "text" or "number"."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "text"
    return "number"


#: How each literal kind is named in messages.
LITERAL_KIND_NAMES = {"boolean": "true/false", "text": "text", "number": "a number"}


def _children(node) -> tuple:
    match node:
        case Comparison(left=left, right=right):
            return (left, right)
        case Membership(column=column) | Contains(column=column) | MissingCheck(column=column):
            return (column,)
        case ColumnIsTrue(column=column):
            return (column,)
        case And(parts=parts) | Or(parts=parts):
            return parts
        case Not(part=part):
            return (part,)
    return ()


def referenced_columns(tree: object) -> frozenset[str]:
    """Names of the columns a tree refers to (walked in a loop, not recursively)."""
    names = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, Column):
            names.add(node.name)
        pending.extend(_children(node))
    return frozenset(names)
