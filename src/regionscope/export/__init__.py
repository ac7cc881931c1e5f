"""Export what the user picked: table rows, label images and session files.

Everything here is keyed by the ``label`` column of a region table, never by
row position, so a selection survives sorting, filtering and re-measuring.
One concept per module:

Tables (``rows``, ``writers``)
    :func:`select_rows` picks the rows a user means (explicit labels, a filter
    expression, excluded labels, one class); :func:`with_class_column` adds the
    user's classes as a ``class`` column; :func:`export_table` writes CSV, TSV
    or Parquet, chosen by the file extension (:data:`TABLE_FORMATS`).
Label images (``writers``)
    :func:`export_labels` writes a TIFF holding only some regions, with their
    original label values, readable by :func:`regionscope.io.read_labels`.
Sessions (``session``)
    :func:`session_dict` builds a JSON-ready description of the user's work
    (filters, gates, excluded labels, classes, view settings);
    :func:`write_session` and :func:`read_session` store and validate it. The
    format is versioned by :data:`SESSION_VERSION`.

Class assignments
-----------------
Wherever classes are passed (``classes=`` below, ``assignments`` in a session)
they are a mapping ``{label: class name}``. Keys may be integers or decimal
text (``"12"``, ASCII digits), because JSON -- and so the browser and session
files -- keeps object keys as text. Labels without an entry have no class.

This package belongs to the core: it imports neither Dash nor Plotly.
"""

from __future__ import annotations

from regionscope.export.rows import CLASS_COLUMN, select_rows, with_class_column
from regionscope.export.session import SESSION_VERSION, read_session, session_dict, write_session
from regionscope.export.writers import (
    LABEL_IMAGE_EXTENSIONS,
    TABLE_FORMATS,
    export_labels,
    export_table,
    table_format,
    write_table,
)

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
