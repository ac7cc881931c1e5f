"""Issue 9.15: every error regionscope raises survives a pickle round trip.

Distributed workers (Dask) send exceptions back to the client pickled; an
error that cannot be unpickled turns into a TypeError about the error class
instead of the user's message. The test finds every RegionscopeError subclass
in the package (the app included), so a new error class is covered without
being listed here.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
import sqlite3

import pytest

import regionscope
from regionscope.errors import RegionscopeError


def _all_subclasses(cls):
    found = set()
    stack = [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


def _error_classes():
    for module in pkgutil.walk_packages(regionscope.__path__, "regionscope."):
        importlib.import_module(module.name)
    classes = {RegionscopeError} | _all_subclasses(RegionscopeError)
    return sorted((c for c in classes if c.__module__.startswith("regionscope")), key=lambda c: c.__qualname__)


def _example(cls):
    """An instance made from the constructor's own parameters, whatever they are."""
    arguments = []
    for parameter in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.default is parameter.empty:
            arguments.append(f"value of {parameter.name}")
    if not arguments:
        arguments = ["something is wrong"]
    return cls(*arguments)


ERROR_CLASSES = _error_classes()


def test_the_search_finds_the_known_errors():
    names = {cls.__name__ for cls in ERROR_CLASSES}
    assert {
        "RegionscopeError",
        "InputFileError",
        "MeasurementError",
        "FilterError",
        "SegmentationError",
        "AnnotationError",
        "AnnotationWriteError",
        "DatasetGoneError",
    } <= names


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_error_survives_pickling(cls):
    error = _example(cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)


def test_errors_with_details_keep_them():
    from regionscope.annotations import AnnotationWriteError
    from regionscope.errors import FilterError, InputFileError

    cases = [
        InputFileError("cells.tif", "file not found; check the path"),
        InputFileError(None, "no file given"),
        FilterError("Expected a value after '<'", position=6, expression="area <"),
        AnnotationWriteError("/ws/annotations.sqlite3", "save the change", sqlite3.OperationalError("disk is full")),
        AnnotationWriteError("/ws/a.sqlite3", "use the database", "newer schema", consequence="nothing", advice="Upgrade."),
    ]
    for error in cases:
        copy = pickle.loads(pickle.dumps(error))
        assert str(copy) == str(error)
        for attribute in ("path", "problem", "position", "expression", "reason"):
            assert getattr(copy, attribute, None) == getattr(error, attribute, None)
    assert pickle.loads(pickle.dumps(cases[2])).position == 6
