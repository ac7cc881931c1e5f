"""The annotation store: classes and exclusions per dataset, in one SQLite file.

The database lives in the workspace (:func:`default_workspace
<regionscope.annotations.workspace.default_workspace>`) as
``annotations.sqlite3``; its layout is versioned by ``PRAGMA user_version``
(:data:`SCHEMA_VERSION`) and older layouts are upgraded when a store opens
them. Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from regionscope.annotations.errors import ELSEWHERE, UNUSABLE, AnnotationError, AnnotationWriteError
from regionscope.annotations.validation import (
    check_color,
    check_known_labels,
    check_labels,
    check_name,
    dataset_key,
    lookup_name,
    normalize_snapshot,
)
from regionscope.annotations.workspace import default_workspace

if TYPE_CHECKING:
    from regionscope.dataset import Dataset

__all__ = ["DATABASE_NAME", "SCHEMA_VERSION", "AnnotationStore"]

#: File name of the database inside the workspace.
DATABASE_NAME = "annotations.sqlite3"

#: Version of the database layout, stored as ``PRAGMA user_version``.
#: 1: labels 1 to 2**63 - 1 stored as themselves.
#: 2: labels 1 to 2**64 - 1 (uint64 label images), stored as signed 64-bit
#: two's complement (see :func:`_to_sql`).
#: 3: a trained classifier per dataset (``models``: a skops file's bytes and its id).
SCHEMA_VERSION = 3

_MODELS_TABLE = """CREATE TABLE IF NOT EXISTS models (
        dataset TEXT NOT NULL PRIMARY KEY,
        id TEXT NOT NULL,
        model BLOB NOT NULL
    )"""

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS classes (
        dataset TEXT NOT NULL,
        name TEXT NOT NULL,
        color TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (dataset, name)
    )""",
    """CREATE TABLE IF NOT EXISTS assignments (
        dataset TEXT NOT NULL,
        label INTEGER NOT NULL,
        class TEXT NOT NULL,
        PRIMARY KEY (dataset, label)
    )""",
    "CREATE INDEX IF NOT EXISTS assignments_by_class ON assignments (dataset, class)",
    """CREATE TABLE IF NOT EXISTS exclusions (
        dataset TEXT NOT NULL,
        label INTEGER NOT NULL,
        PRIMARY KEY (dataset, label)
    )""",
    """CREATE TABLE IF NOT EXISTS revisions (
        dataset TEXT NOT NULL PRIMARY KEY,
        revision INTEGER NOT NULL
    )""",
    _MODELS_TABLE,
)

#: The statements that take a database from version ``n`` to ``n + 1``.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 1 -> 2: labels may be 2**63 to 2**64 - 1, stored as negative numbers
    # (_to_sql). Every label a version-1 database holds (1 to 2**63 - 1) is
    # stored as itself in both layouts, so no row changes: the version bump is
    # what matters. A regionscope that knows only version 1 then refuses the
    # file ("written by a newer regionscope") instead of showing labels of
    # 2**63 and above as negative numbers.
    1: (),
    # 2 -> 3: the classifier trained on a dataset's classes is kept beside them.
    2: (_MODELS_TABLE,),
}

# --- labels in SQLite ------------------------------------------------------------
#
# SQLite's INTEGER is signed 64-bit; labels are unsigned 64-bit. A label is
# stored as the signed integer with the same 64 bits (two's complement, as
# numpy's uint64 -> int64 view): labels below 2**63 -- nearly every label
# image -- as themselves, 2**63 to 2**64 - 1 as -2**63 to -1. Chosen over
# (a) label - 2**63, which would rewrite every stored row and make every
# value in the file unreadable to a person or another SQL tool, and (b) TEXT,
# which needs zero-padding to sort, takes more room in the primary keys and
# also converts every row. The price: unsigned order is "label < 0, label"
# (the non-negative values first, then the negative ones, each ascending).

_TWO_64 = 2**64
_UNSIGNED_ORDER = "label < 0, label"


def _to_sql(label: int) -> int:
    """The signed 64-bit integer stored for a label from 1 to 2**64 - 1."""
    return label - _TWO_64 if label >= 2**63 else label


def _from_sql(value: int) -> int:
    """The label a stored signed 64-bit integer stands for."""
    return value + _TWO_64 if value < 0 else value


# --- the store -----------------------------------------------------------------


class _Connection(sqlite3.Connection):
    """A plain connection whose methods can be replaced per instance (tests)."""


class AnnotationStore:
    """Region classes and exclusions per dataset, in one SQLite file.

    Parameters
    ----------
    workspace : str or os.PathLike, optional
        Folder that holds ``annotations.sqlite3``; created if missing.
        Default: :func:`default_workspace`.
    busy_timeout : float, optional
        Seconds to wait for another connection (another server process) that
        holds the database locked before giving up with
        :class:`AnnotationWriteError`. Default 10.

    Raises
    ------
    AnnotationWriteError
        If the folder or the database cannot be created or opened, or the
        database was written by a newer regionscope.

    Notes
    -----
    One store may be shared by any number of threads (e.g. Flask workers): a
    lock serialises its use of its single connection. Several stores, in
    this or other processes, may use the same file: the database is in WAL
    mode and every write takes the write lock up front (``BEGIN IMMEDIATE``),
    waiting up to ``busy_timeout`` for it.

    Every mutating method is one transaction, committed before it returns,
    and returns the dataset's :meth:`revision` after the change. The revision
    grows by one whenever a call changes anything for the dataset, so a
    browser can tell that its view is stale; calls that change nothing (e.g.
    excluding an already excluded label) leave it alone.

    The store does not know a dataset's regions: callers that do pass them
    as ``known_labels`` (the app always does), and other labels are refused.
    A ``dataset`` argument is a dataset id (``Dataset.id``) or any
    object with a string ``id`` attribute.
    """

    def __init__(self, workspace: str | os.PathLike | None = None, *, busy_timeout: float = 10.0) -> None:
        self.workspace = Path(default_workspace() if workspace is None else os.fspath(workspace)).expanduser()
        self.path = self.workspace / DATABASE_NAME
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        try:
            self.workspace.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AnnotationWriteError(
                self.path,
                "create the workspace folder for the annotation database",
                exc,
                consequence=UNUSABLE,
            ) from exc
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=busy_timeout,
                isolation_level=None,  # we issue BEGIN / COMMIT ourselves
                check_same_thread=False,  # guarded by self._lock
                factory=_Connection,
            )
        except sqlite3.Error as exc:
            raise AnnotationWriteError(self.path, "open the annotation database", exc, consequence=UNUSABLE) from exc
        self._conn = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise AnnotationWriteError(
                    self.path,
                    "use the annotation database",
                    f"it was written by a newer regionscope, schema version {version}; this one knows up to {SCHEMA_VERSION}",
                    consequence=UNUSABLE,
                    advice=f"Upgrade regionscope, {ELSEWHERE}.",
                )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            if version < SCHEMA_VERSION:
                self._upgrade_schema()
        except AnnotationWriteError:
            self.close()
            raise
        except sqlite3.Error as exc:
            self.close()
            raise AnnotationWriteError(self.path, "open the annotation database", exc, consequence=UNUSABLE) from exc

    def _upgrade_schema(self):
        """Create the tables (a new file) or migrate an older layout, in one transaction."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have created or migrated it while we waited for the lock.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA:
                    conn.execute(statement)
            else:
                for step in range(version, SCHEMA_VERSION):
                    for statement in _MIGRATIONS[step]:
                        conn.execute(statement)
            if version < SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    # --- plumbing ---------------------------------------------------------------

    def __repr__(self) -> str:
        return f"AnnotationStore({str(self.workspace)!r})"

    def __enter__(self) -> AnnotationStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection. Later calls raise RuntimeError."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"{self!r} is closed")
        return self._conn

    def _write(self, dataset, change) -> int:
        """Run ``change(conn, key)`` in one write transaction; return the revision.

        The revision is bumped in the same transaction if anything changed.
        Errors raised by ``change`` itself (validation) roll back and propagate;
        every sqlite3 error becomes :class:`AnnotationWriteError`.
        """
        key = dataset_key(dataset)
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    before = conn.total_changes
                    change(conn, key)
                    if conn.total_changes != before:
                        conn.execute(
                            "INSERT INTO revisions (dataset, revision) VALUES (?, 1) "
                            "ON CONFLICT (dataset) DO UPDATE SET revision = revision + 1",
                            (key,),
                        )
                    revision = _revision(conn, key)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise AnnotationWriteError(self.path, "save the change", exc) from exc
        return revision

    def _read(self, dataset, query):
        """Run ``query(conn, key)`` in one read transaction (a consistent view)."""
        key = dataset_key(dataset)
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN")
                try:
                    return query(conn, key)
                finally:
                    if conn.in_transaction:
                        conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise AnnotationWriteError(
                    self.path,
                    "read the annotations",
                    exc,
                    consequence="nothing was changed, but the annotations cannot be shown",
                ) from exc

    # --- classes ----------------------------------------------------------------

    def classes(self, dataset: str | Dataset) -> list[dict]:
        """The dataset's classes, in the order they were defined.

        Parameters
        ----------
        dataset : str or Dataset

        Returns
        -------
        list of dict
            ``{"name": str, "color": "#rrggbb"}`` per class.
        """
        return self._read(dataset, _classes)

    def define_class(self, dataset: str | Dataset, name: str, color: str) -> int:
        """Add a class, or give an existing class a new colour.

        Parameters
        ----------
        dataset : str or Dataset
        name : str
            1 to 40 characters after stripping surrounding blanks, no control
            characters. Stored stripped.
        color : str
            ``'#rrggbb'``; stored lower-case.

        Returns
        -------
        int
            The dataset's revision after the change.

        Raises
        ------
        AnnotationError
            If the name or colour is not valid.
        AnnotationWriteError
            If the change could not be saved.
        """
        name = check_name(name)
        color = check_color(color)

        def change(conn, key):
            conn.execute(
                "INSERT INTO classes (dataset, name, color, position) VALUES (?, ?, ?, "
                " (SELECT COALESCE(MAX(position), -1) + 1 FROM classes WHERE dataset = ?)) "
                "ON CONFLICT (dataset, name) DO UPDATE SET color = excluded.color "
                "WHERE color != excluded.color",
                (key, name, color, key),
            )

        return self._write(dataset, change)

    def rename_class(self, dataset: str | Dataset, old: str, new: str) -> int:
        """Rename a class; its regions keep it, under the new name.

        Parameters
        ----------
        dataset : str or Dataset
        old : str
            An existing class.
        new : str
            A valid name not used by another class of the dataset.

        Returns
        -------
        int
            The dataset's revision after the change.

        Raises
        ------
        AnnotationError
            If ``old`` is not a class, ``new`` is not valid or already taken.
        AnnotationWriteError
            If the change could not be saved.
        """
        old = lookup_name(old)
        new = check_name(new, "new class name")

        def change(conn, key):
            _require_class(conn, key, old)
            if new == old:
                return
            if _has_class(conn, key, new):
                raise AnnotationError(f"cannot rename class {old!r} to {new!r}: a class named {new!r} already exists")
            conn.execute("UPDATE classes SET name = ? WHERE dataset = ? AND name = ?", (new, key, old))
            conn.execute(
                "UPDATE assignments SET class = ? WHERE dataset = ? AND class = ?",
                (new, key, old),
            )

        return self._write(dataset, change)

    def delete_class(self, dataset: str | Dataset, name: str) -> int:
        """Delete a class and unassign its regions.

        Deleting a class that does not exist (e.g. already deleted from
        another tab) changes nothing and is not an error.

        Parameters
        ----------
        dataset : str or Dataset
        name : str

        Returns
        -------
        int
            The dataset's revision after the change.
        """
        name = lookup_name(name)

        def change(conn, key):
            conn.execute("DELETE FROM assignments WHERE dataset = ? AND class = ?", (key, name))
            conn.execute("DELETE FROM classes WHERE dataset = ? AND name = ?", (key, name))

        return self._write(dataset, change)

    # --- assignments ------------------------------------------------------------

    def assign(
        self,
        dataset: str | Dataset,
        labels: int | Iterable[int],
        name: str | None,
        *,
        known_labels: Collection[int] | None = None,
    ) -> int:
        """Put regions in a class, or take them out of any class.

        Parameters
        ----------
        dataset : str or Dataset
        labels : iterable of int (or one int)
            Region labels, 1 to 2**64 - 1 (uint64 label images). Any number,
            in one transaction.
        name : str or None
            A class defined for the dataset; ``None`` clears the class of
            ``labels``.
        known_labels : collection of int, optional
            The labels of the dataset's regions (e.g. ``Dataset.label_values``);
            when given, other labels are refused and nothing is changed.

        Returns
        -------
        int
            The dataset's revision after the change.

        Raises
        ------
        AnnotationError
            If a label is not an integer from 1 to 2**64 - 1, not in ``known_labels``,
            or the class is not defined.
        AnnotationWriteError
            If the change could not be saved.
        """
        labels = check_labels(labels)
        check_known_labels(labels, known_labels)
        name = None if name is None else lookup_name(name)

        def change(conn, key):
            if name is None:
                conn.executemany(
                    "DELETE FROM assignments WHERE dataset = ? AND label = ?",
                    ((key, _to_sql(label)) for label in labels),
                )
                return
            _require_class(conn, key, name)
            conn.executemany(
                "INSERT INTO assignments (dataset, label, class) VALUES (?, ?, ?) "
                "ON CONFLICT (dataset, label) DO UPDATE SET class = excluded.class "
                "WHERE class != excluded.class",
                ((key, _to_sql(label), name) for label in labels),
            )

        return self._write(dataset, change)

    def assignments(self, dataset: str | Dataset) -> dict[int, str]:
        """The class of every classified region.

        Parameters
        ----------
        dataset : str or Dataset

        Returns
        -------
        dict of int to str
            Label to class name, in label order; unclassified regions are absent.
        """
        return self._read(dataset, _assignments)

    # --- exclusions -------------------------------------------------------------

    def exclude(self, dataset: str | Dataset, labels: int | Iterable[int], *, known_labels: Collection[int] | None = None) -> int:
        """Exclude regions (from tables, plots and exports).

        Parameters
        ----------
        dataset : str or Dataset
        labels : iterable of int (or one int)
        known_labels : collection of int, optional
            As in :meth:`assign`: labels not among them are refused.

        Returns
        -------
        int
            The dataset's revision after the change.
        """
        labels = check_labels(labels)
        check_known_labels(labels, known_labels)

        def change(conn, key):
            conn.executemany(
                "INSERT OR IGNORE INTO exclusions (dataset, label) VALUES (?, ?)",
                ((key, _to_sql(label)) for label in labels),
            )

        return self._write(dataset, change)

    def include(self, dataset: str | Dataset, labels: int | Iterable[int], *, known_labels: Collection[int] | None = None) -> int:
        """Take regions off the exclusion list.

        Parameters
        ----------
        dataset : str or Dataset
        labels : iterable of int (or one int)
        known_labels : collection of int, optional
            As in :meth:`assign`: labels not among them are refused.

        Returns
        -------
        int
            The dataset's revision after the change.
        """
        labels = check_labels(labels)
        check_known_labels(labels, known_labels)

        def change(conn, key):
            conn.executemany(
                "DELETE FROM exclusions WHERE dataset = ? AND label = ?",
                ((key, _to_sql(label)) for label in labels),
            )

        return self._write(dataset, change)

    def restore_all(self, dataset: str | Dataset) -> int:
        """Include every excluded region of the dataset again.

        Returns
        -------
        int
            The dataset's revision after the change.
        """

        def change(conn, key):
            conn.execute("DELETE FROM exclusions WHERE dataset = ?", (key,))

        return self._write(dataset, change)

    def excluded(self, dataset: str | Dataset) -> list[int]:
        """The excluded labels of the dataset, sorted."""
        return self._read(dataset, _excluded)

    # --- the trained classifier -------------------------------------------------

    def save_model(self, dataset: str | Dataset, model: bytes) -> str:
        """Keep the classifier trained on the dataset's classes (a skops file's bytes), replacing any.

        Returns
        -------
        str
            The model's id (a hash of its bytes): what a page compares to tell a new model.
        """
        if not isinstance(model, bytes | bytearray) or not model:
            raise AnnotationError("a model to save must be the non-empty bytes of a classifier file")
        model_id = hashlib.sha256(model).hexdigest()[:16]

        def change(conn, key):
            conn.execute(
                "INSERT INTO models (dataset, id, model) VALUES (?, ?, ?) "
                "ON CONFLICT (dataset) DO UPDATE SET id = excluded.id, model = excluded.model",
                (key, model_id, bytes(model)),
            )

        self._write(dataset, change)
        return model_id

    def model(self, dataset: str | Dataset) -> tuple[str, bytes] | None:
        """The dataset's classifier as ``(id, skops bytes)``, or None when none was trained."""

        def query(conn, key):
            row = conn.execute("SELECT id, model FROM models WHERE dataset = ?", (key,)).fetchone()
            return None if row is None else (row[0], bytes(row[1]))

        return self._read(dataset, query)

    def model_id(self, dataset: str | Dataset) -> str | None:
        """The id of the dataset's classifier (cheap: the bytes are not read), or None."""

        def query(conn, key):
            row = conn.execute("SELECT id FROM models WHERE dataset = ?", (key,)).fetchone()
            return None if row is None else row[0]

        return self._read(dataset, query)

    def delete_model(self, dataset: str | Dataset) -> int:
        """Forget the dataset's classifier (its predictions go with it)."""

        def change(conn, key):
            conn.execute("DELETE FROM models WHERE dataset = ?", (key,))

        return self._write(dataset, change)

    # --- revision and snapshots -------------------------------------------------

    def revision(self, dataset: str | Dataset) -> int:
        """A number that grows whenever the dataset's annotations change.

        0 for a dataset that was never annotated. Compare with the value a
        browser saw last to tell whether its view is stale.
        """
        return self._read(dataset, _revision)

    def snapshot(self, dataset: str | Dataset) -> dict:
        """Everything stored for the dataset, as JSON-ready data (for session files).

        Returns
        -------
        dict
            ``{"classes": [{"name", "color"}, ...],
            "assignments": {"<label>": "<class>", ...},
            "excluded": [label, ...]}``; assignment keys are strings so that the
            dict survives a JSON round trip unchanged.
        """

        def query(conn, key):
            return {
                "classes": _classes(conn, key),
                "assignments": {str(k): v for k, v in _assignments(conn, key).items()},
                "excluded": _excluded(conn, key),
            }

        return self._read(dataset, query)

    def restore_snapshot(self, dataset: str | Dataset, snapshot: Mapping) -> int:
        """Replace everything stored for the dataset by a :meth:`snapshot`.

        The snapshot is validated completely before anything is changed, and
        the replacement is one transaction: either all of it is saved or
        nothing is. Assignment keys may be strings (as from JSON) or ints;
        fields other than ``classes``, ``assignments`` and ``excluded`` are
        ignored.

        Parameters
        ----------
        dataset : str or Dataset
        snapshot : mapping

        Returns
        -------
        int
            The dataset's revision after the change.

        Raises
        ------
        AnnotationError
            If the snapshot is malformed; the message names the field.
        AnnotationWriteError
            If the change could not be saved.
        """
        try:
            normal = normalize_snapshot(snapshot)
        except AnnotationError as exc:
            raise AnnotationError(f"annotation snapshot: {exc}") from None
        classes = [(entry["name"], entry["color"]) for entry in normal["classes"]]
        assignments = {int(label): name for label, name in normal["assignments"].items()}
        excluded = normal["excluded"]

        def change(conn, key):
            for table in ("classes", "assignments", "exclusions"):
                conn.execute(f"DELETE FROM {table} WHERE dataset = ?", (key,))
            conn.executemany(
                "INSERT INTO classes (dataset, name, color, position) VALUES (?, ?, ?, ?)",
                ((key, name, color, i) for i, (name, color) in enumerate(classes)),
            )
            conn.executemany(
                "INSERT INTO assignments (dataset, label, class) VALUES (?, ?, ?)",
                ((key, _to_sql(label), name) for label, name in assignments.items()),
            )
            conn.executemany(
                "INSERT INTO exclusions (dataset, label) VALUES (?, ?)",
                ((key, _to_sql(label)) for label in excluded),
            )

        return self._write(dataset, change)


# --- queries (run inside a transaction) ------------------------------------------


def _classes(conn, key):
    rows = conn.execute("SELECT name, color FROM classes WHERE dataset = ? ORDER BY position, name", (key,))
    return [{"name": name, "color": color} for name, color in rows]


def _assignments(conn, key):
    rows = conn.execute(f"SELECT label, class FROM assignments WHERE dataset = ? ORDER BY {_UNSIGNED_ORDER}", (key,))
    return {_from_sql(label): name for label, name in rows}


def _excluded(conn, key):
    rows = conn.execute(f"SELECT label FROM exclusions WHERE dataset = ? ORDER BY {_UNSIGNED_ORDER}", (key,))
    return [_from_sql(label) for (label,) in rows]


def _revision(conn, key):
    row = conn.execute("SELECT revision FROM revisions WHERE dataset = ?", (key,)).fetchone()
    return 0 if row is None else row[0]


def _has_class(conn, key, name):
    row = conn.execute("SELECT 1 FROM classes WHERE dataset = ? AND name = ?", (key, name)).fetchone()
    return row is not None


def _require_class(conn, key, name):
    if not _has_class(conn, key, name):
        defined = [c["name"] for c in _classes(conn, key)]
        listing = ", ".join(repr(n) for n in defined) if defined else "none yet"
        raise AnnotationError(f"there is no class named {name!r} for this dataset (defined: {listing}); define it first")
