"""Errors that regionscope reports to its users.

Every error raised for bad input is a :class:`RegionscopeError`. Its message is
written for the person who supplied the input: it names the file or field, says
what is wrong and what to do. The CLI prints the message on one line and the app
shows it in the page; neither shows a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os


def _rebuild_error(cls, args, state):
    """Unpickle a :class:`RegionscopeError` without calling its ``__init__``."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class RegionscopeError(Exception):
    """Base class of every error caused by user input.

    Every subclass survives pickling with its message and attributes (Dask
    workers send errors back pickled), whatever its ``__init__`` takes:
    ``Exception`` would call ``cls(*self.args)``, which fails for errors built
    from other arguments than their message.
    """

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuild_error, (type(self), self.args, dict(self.__dict__))


class InputFileError(RegionscopeError, ValueError):
    """An image or label file cannot be read or is not usable.

    Parameters
    ----------
    path : str or os.PathLike or None
        The file concerned, named in the message.
    problem : str
        What is wrong and, where possible, what to do about it.
    """

    def __init__(self, path: str | os.PathLike | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        prefix = f"{self.path}: " if self.path else ""
        super().__init__(f"{prefix}{problem}")


class MeasurementError(RegionscopeError, ValueError):
    """The inputs of a measurement do not fit together (shape, property name, ...)."""


class FilterError(RegionscopeError, ValueError):
    """A filter expression cannot be parsed or does not fit the table.

    Parameters
    ----------
    message : str
        What is wrong.
    position : int or None
        0-based character offset in the expression where the problem is.
    expression : str or None
        The expression, so that the message can point at the position.
    """

    def __init__(self, message: str, position: int | None = None, expression: str | None = None) -> None:
        self.position = position
        self.expression = expression
        self.reason = message
        if position is not None:
            message = f"{message} (at character {position + 1})"
        super().__init__(message)
