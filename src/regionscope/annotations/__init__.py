"""What users decide about regions, stored on the server: classes and exclusions.

An :class:`AnnotationStore` keeps, per dataset, a list of named and coloured
region classes, the class assigned to each region label, and the set of
excluded labels. It lives in one SQLite file, ``annotations.sqlite3``, in the
user's workspace (see :func:`default_workspace`), and every change is committed
before the method that makes it returns: annotations survive page reloads,
server restarts, several browser tabs and several server processes on the same
workspace. Labels are those of uint64 label images: 1 to 2**64 - 1.

Everything is keyed by the dataset's content hash (``Dataset.id``), so two
datasets never see each other's annotations, and the same image and labels
opened again find their annotations again.

One concept per module:

``store``
    :class:`AnnotationStore`: the SQLite file, its layout and its migrations.
``validation``
    The rules for class names, colours, labels and snapshots
    (:func:`normalize_snapshot`, also used by the session files of
    :mod:`regionscope.export`).
``workspace``
    :func:`default_workspace`, the folder that holds the database.
``errors``
    :class:`AnnotationError` (bad input) and :class:`AnnotationWriteError`
    (the database failed), with advice.

This package is part of the core library: it uses only the standard library
and platformdirs.

Examples
--------
>>> store = AnnotationStore(tmp_workspace)                  # doctest: +SKIP
>>> store.define_class(dataset.id, "nucleus", "#1f77b4")    # doctest: +SKIP
>>> store.assign(dataset.id, [3, 7, 12], "nucleus")         # doctest: +SKIP
>>> store.assignments(dataset.id)                           # doctest: +SKIP
{3: 'nucleus', 7: 'nucleus', 12: 'nucleus'}
"""

from __future__ import annotations

from regionscope.annotations.errors import AnnotationError, AnnotationWriteError
from regionscope.annotations.store import DATABASE_NAME, SCHEMA_VERSION, AnnotationStore
from regionscope.annotations.validation import MAX_CLASS_NAME, MAX_LABEL, normalize_snapshot
from regionscope.annotations.workspace import default_workspace

__all__ = [
    "DATABASE_NAME",
    "MAX_CLASS_NAME",
    "MAX_LABEL",
    "SCHEMA_VERSION",
    "AnnotationError",
    "AnnotationStore",
    "AnnotationWriteError",
    "default_workspace",
    "normalize_snapshot",
]

#: The former spelling of :func:`normalize_snapshot`, kept for callers outside
#: the core that may still import it; not part of ``__all__``.
normalise_snapshot = normalize_snapshot
