"""What users decide about regions, stored on the server: classes and exclusions.

An :class:`AnnotationStore` keeps, per dataset, a list of named and coloured
region classes, the class assigned to each region label, and the set of
excluded labels. It lives in one SQLite file, ``annotations.sqlite3``, in the
user's workspace (see :func:`default_workspace`), and every change is committed
before the method that makes it returns: annotations survive page reloads,
server restarts, several browser tabs and several server processes on the same
workspace.

Everything is keyed by the dataset's content hash (``Dataset.id``), so two
datasets never see each other's annotations, and the same image and labels
opened again find their annotations again.

This module is part of the core library: it uses only the standard library.

Examples
--------
>>> store = AnnotationStore(tmp_workspace)                  # doctest: +SKIP
>>> store.define_class(dataset.id, "nucleus", "#1f77b4")    # doctest: +SKIP
>>> store.assign(dataset.id, [3, 7, 12], "nucleus")         # doctest: +SKIP
>>> store.assignments(dataset.id)                           # doctest: +SKIP
{3: 'nucleus', 7: 'nucleus', 12: 'nucleus'}
"""

from __future__ import annotations

import contextlib
import errno
import operator
import os
import re
import sqlite3
import sys
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from regionscope.errors import RegionscopeError

__all__ = [
    "DATABASE_NAME",
    "SCHEMA_VERSION",
    "AnnotationError",
    "AnnotationStore",
    "AnnotationWriteError",
    "default_workspace",
    "normalise_snapshot",
]

#: File name of the database inside the workspace.
DATABASE_NAME = "annotations.sqlite3"

#: Version of the database layout, stored as ``PRAGMA user_version``.
SCHEMA_VERSION = 1

#: Longest class name, in characters (after stripping surrounding blanks).
MAX_CLASS_NAME = 40

#: Largest label the store accepts (SQLite INTEGER is 64-bit signed).
MAX_LABEL = 2**63 - 1

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")

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
)


# --- errors --------------------------------------------------------------------


class AnnotationError(RegionscopeError, ValueError):
    """A class name, colour, label or session snapshot is not acceptable.

    The message says which value or snapshot field is wrong and why. Nothing
    was changed.
    """


class AnnotationWriteError(RegionscopeError):
    """The annotation database could not be opened, read or written.

    Raised for every :class:`sqlite3.Error` (disk full, read-only file or
    folder, database locked by another process for too long, damaged file).
    The message names the database file, says that the change was NOT saved
    (or what else the failure means) and what to do about it.

    Parameters
    ----------
    path : str or os.PathLike
        The database file.
    action : str
        What was being done, e.g. ``"save the change"``.
    error : BaseException or str
        The underlying error, quoted in the message.
    consequence : str, optional
        What the failure means for the user.
    advice : str, optional
        What to do; by default judged from the text of ``error``.

    Attributes
    ----------
    path : str
    error : BaseException or str
    """

    def __init__(
        self,
        path,
        action: str,
        error,
        *,
        consequence: str = "the change was NOT saved",
        advice: str | None = None,
    ):
        self.path = str(path)
        self.error = error
        advice = _advice(error) if advice is None else advice
        super().__init__(f"{self.path}: could not {action} ({error}); {consequence}. {advice}")


_UNUSABLE = "annotations (region classes, exclusions) can NOT be saved"

_ELSEWHERE = (
    "or start regionscope with --workspace (or set REGIONSCOPE_WORKSPACE) "
    "pointing to a writable folder"
)


def _advice(error) -> str:
    """What the user can do about a database or file error, judged from its code.

    SQLite errors carry their result code's name (``sqlite_errorname``, Python
    3.11+), file errors their ``errno``; the message text is only the last resort
    (errors raised by hand, without either).
    """
    name = getattr(error, "sqlite_errorname", "") or ""
    number = getattr(error, "errno", None)
    text = str(error).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or (not name and ("locked" in text or "busy" in text)):
        return (
            "Another regionscope server or program kept the database locked too long; "
            f"wait a moment and try again, close the other program, {_ELSEWHERE}."
        )
    if (
        name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH", "SQLITE_CANTOPEN"))
        or number in (errno.EACCES, errno.EPERM, errno.EROFS)
        or (not name and number is None and any(word in text for word in ("readonly", "read-only", "permission", "access")))
    ):
        return f"Check that the file and its folder are writable by you, {_ELSEWHERE}."
    if name == "SQLITE_FULL" or number in (errno.ENOSPC, errno.EDQUOT) or (not name and number is None and ("full" in text or "space" in text)):
        return f"Free some disk space, {_ELSEWHERE}."
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or (not name and ("not a database" in text or "malformed" in text or "corrupt" in text)):
        return (
            "The file is damaged or is not a regionscope annotation database; "
            f"move it away, {_ELSEWHERE}."
        )
    return (
        "Check that the disk is not full and that the file and its folder are writable, "
        f"{_ELSEWHERE}."
    )


# --- workspace -----------------------------------------------------------------


def default_workspace() -> Path:
    """The folder where regionscope keeps the user's data.

    Returns
    -------
    pathlib.Path
        ``$REGIONSCOPE_WORKSPACE`` if set (and not empty); otherwise the
        platform's per-user data folder followed by ``regionscope``:
        ``$XDG_DATA_HOME`` (if set to an absolute path) or
        ``~/.local/share`` on Linux and other Unix systems,
        ``~/Library/Application Support`` on macOS and ``%LOCALAPPDATA%``
        (or ``~/AppData/Local``) on Windows. The folder is not created.
    """
    explicit = os.environ.get("REGIONSCOPE_WORKSPACE", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    home = Path.home()
    if sys.platform.startswith("win"):
        local = os.environ.get("LOCALAPPDATA", "").strip()
        base = Path(local) if local else home / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "").strip()
        # The XDG spec says relative paths are invalid and must be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".local" / "share"
    return base / "regionscope"


# --- validation ----------------------------------------------------------------


def _dataset_key(dataset) -> str:
    """The dataset id: a non-empty string, or the ``id`` of a Dataset."""
    key = dataset if isinstance(dataset, str) else getattr(dataset, "id", None)
    if not isinstance(key, str) or not key.strip():
        raise AnnotationError(
            f"dataset must be a dataset id (a non-empty string) or a Dataset, got {dataset!r}"
        )
    return key


def _check_name(name, what: str = "class name") -> str:
    """A valid class name, stripped of surrounding blanks."""
    if not isinstance(name, str):
        raise AnnotationError(f"{what} must be text, got {type(name).__name__} {name!r}")
    stripped = name.strip()
    if not stripped:
        raise AnnotationError(f"{what} is empty; give the class a name")
    if len(stripped) > MAX_CLASS_NAME:
        raise AnnotationError(
            f"{what} {stripped[:MAX_CLASS_NAME]!r}... is {len(stripped)} characters long; "
            f"use at most {MAX_CLASS_NAME}"
        )
    for char in stripped:
        if unicodedata.category(char) == "Cc":
            raise AnnotationError(
                f"{what} {stripped!r} contains the control character U+{ord(char):04X}; "
                "use printable characters only"
            )
    return stripped


def _lookup_name(name, what: str = "class name") -> str:
    """A name used to look up an existing class (stripped, not length-checked)."""
    if not isinstance(name, str):
        raise AnnotationError(f"{what} must be text, got {type(name).__name__} {name!r}")
    return name.strip()


def _check_color(color, what: str = "colour") -> str:
    """A valid ``#rrggbb`` colour, lower-cased."""
    if not isinstance(color, str) or not _COLOR.fullmatch(color.strip()):
        raise AnnotationError(
            f"{what} {color!r} is not a colour of the form '#rrggbb' (e.g. '#1f77b4')"
        )
    return color.strip().lower()


def _check_label(value, where: str = "") -> int:
    """A valid label; ``where`` prefixes the message (e.g. a snapshot field)."""
    if isinstance(value, bool):
        raise AnnotationError(f"{where}label {value!r} is not a region label (an integer)")
    try:
        label = operator.index(value)
    except TypeError:
        raise AnnotationError(
            f"{where}label {value!r} is not a region label (an integer)"
        ) from None
    if not 1 <= label <= MAX_LABEL:
        raise AnnotationError(
            f"{where}label {label} is not a region label; labels are positive integers "
            f"below 2**63 (0 is background)"
        )
    return label


def _check_labels(labels, where: str = "") -> list[int]:
    """Distinct valid labels, in first-seen order."""
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
        try:
            return [_check_label(labels, where)]
        except AnnotationError:
            raise AnnotationError(
                f"{where}labels must be an iterable of region labels (integers), got {labels!r}"
            ) from None
    try:
        return list(dict.fromkeys(_check_label(value, where) for value in labels))
    except TypeError:  # e.g. a 0-d numpy array claims to be iterable
        return [_check_label(labels, where)]


def _check_known(labels: list[int], known_labels) -> None:
    """Refuse labels that are not among ``known_labels`` (None: no check)."""
    if known_labels is None:
        return
    values = known_labels.tolist() if hasattr(known_labels, "tolist") else list(known_labels)
    known = set(values)
    unknown = sorted(label for label in labels if label not in known)
    if not unknown:
        return
    if not known:
        regions = "this dataset has no regions"
    else:
        regions = f"{len(known)} region{'s' if len(known) != 1 else ''}, labels {min(known)} to {max(known)}"
    if len(unknown) == 1:
        what = f"label {unknown[0]} is not a region of this dataset"
    elif len(unknown) <= 5:
        what = f"labels {', '.join(map(str, unknown))} are not regions of this dataset"
    else:
        what = f"{len(unknown)} labels ({unknown[0]}, {unknown[1]}, ..., {unknown[-1]}) are not regions of this dataset"
    if known:
        what += f" ({regions})"
    else:
        what += f": {regions}"
    raise AnnotationError(f"{what}; nothing was changed. Select regions in the table or the image.")


def normalise_snapshot(snapshot) -> dict:
    """Validate the annotations of a session and return them in normal form.

    The one validator of classes, assignments and exclusions: used by
    :meth:`AnnotationStore.restore_snapshot` and by the session files of
    :mod:`regionscope.export`, so that every session ``read_session`` accepts
    can be restored.

    Parameters
    ----------
    snapshot : mapping
        ``{"classes": [{"name", "color"}, ...], "assignments": {label: class
        name}, "excluded": [label, ...]}``; labels are integers (assignment
        keys may be decimal text, as in JSON). Other keys are ignored.

    Returns
    -------
    dict
        The same three fields, JSON-ready: class names stripped, colours
        lower-case ``#rrggbb``, assignment keys decimal text sorted by label,
        ``excluded`` sorted without repeats. What :meth:`AnnotationStore.snapshot`
        returns is already in this form.

    Raises
    ------
    AnnotationError
        Naming the field, e.g. ``'classes[0].color': colour 'red' is not a
        colour of the form '#rrggbb'``.
    """
    if not isinstance(snapshot, Mapping):
        raise AnnotationError(
            f"the annotation snapshot must be a mapping with 'classes', 'assignments' "
            f"and 'excluded', got {type(snapshot).__name__}"
        )
    for field in ("classes", "assignments", "excluded"):
        if field not in snapshot:
            raise AnnotationError(f"the annotation snapshot has no field {field!r}")

    raw_classes = snapshot["classes"]
    if isinstance(raw_classes, (str, bytes, Mapping)) or not isinstance(raw_classes, Iterable):
        raise AnnotationError(f"'classes' must be a list of classes ({{name, color}}), not {raw_classes!r}")
    classes: list[dict] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw_classes):
        if not isinstance(entry, Mapping):
            raise AnnotationError(f"'classes[{i}]' must be an object with 'name' and 'color', not {entry!r}")
        name = _check_name(entry.get("name"), f"'classes[{i}].name': class name")
        color = _check_color(entry.get("color"), f"'classes[{i}].color': colour")
        if name in seen:
            raise AnnotationError(
                f"'classes[{i}].name': a class named {name!r} is defined twice; class names must be unique"
            )
        seen.add(name)
        classes.append({"name": name, "color": color})

    raw_assignments = snapshot["assignments"]
    if not isinstance(raw_assignments, Mapping):
        raise AnnotationError(
            f"'assignments' must be an object mapping labels to class names, not {raw_assignments!r}"
        )
    assignments: dict[int, str] = {}
    for key, name in raw_assignments.items():
        label = _snapshot_label(key, text=True)
        if label is None:
            raise AnnotationError(f"'assignments' keys must be integer labels {_LABEL_RANGE}, not {key!r}")
        if not isinstance(name, str):
            raise AnnotationError(f"'assignments' must map labels to class names; label {label} has {name!r}")
        if name.strip() not in seen:
            raise AnnotationError(
                f"'assignments': label {label} is assigned to {name!r}, which is not in 'classes'"
            )
        if label in assignments:
            raise AnnotationError(f"'assignments' gives label {label} twice")
        assignments[label] = name.strip()

    raw_excluded = snapshot["excluded"]
    if isinstance(raw_excluded, (str, bytes, Mapping)) or not isinstance(raw_excluded, Iterable):
        raise AnnotationError(f"'excluded' must be a list of integer labels {_LABEL_RANGE}, not {raw_excluded!r}")
    excluded = set()
    for i, value in enumerate(raw_excluded):
        label = _snapshot_label(value)
        if label is None:
            raise AnnotationError(f"'excluded' must be a list of integer labels {_LABEL_RANGE}; item {i} is {value!r}")
        excluded.add(label)
    return {
        "classes": classes,
        "assignments": {str(label): assignments[label] for label in sorted(assignments)},
        "excluded": sorted(excluded),
    }


_LABEL_RANGE = "(1 to 2**63 - 1)"


def _snapshot_label(value, *, text: bool = False) -> int | None:
    """The label ``value`` stands for (an int, or decimal ASCII text if ``text``), or None."""
    if text and isinstance(value, str):
        stripped = value.strip()
        if not (stripped.isascii() and stripped.isdigit()):
            return None
        value = int(stripped)
    if isinstance(value, bool):
        return None
    try:
        label = operator.index(value)
    except TypeError:
        return None
    return label if 1 <= label <= MAX_LABEL else None


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

    def __init__(self, workspace=None, *, busy_timeout: float = 10.0):
        self.workspace = Path(
            default_workspace() if workspace is None else os.fspath(workspace)
        ).expanduser()
        self.path = self.workspace / DATABASE_NAME
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        try:
            self.workspace.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AnnotationWriteError(
                self.path, "create the workspace folder for the annotation database", exc,
                consequence=_UNUSABLE,
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
            raise AnnotationWriteError(
                self.path, "open the annotation database", exc, consequence=_UNUSABLE
            ) from exc
        self._conn = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise AnnotationWriteError(
                    self.path,
                    "use the annotation database",
                    f"it was written by a newer regionscope, schema version {version}; "
                    f"this one knows up to {SCHEMA_VERSION}",
                    consequence=_UNUSABLE,
                    advice=f"Upgrade regionscope, {_ELSEWHERE}.",
                )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            if version < SCHEMA_VERSION:
                self._create_schema()
        except AnnotationWriteError:
            self.close()
            raise
        except sqlite3.Error as exc:
            self.close()
            raise AnnotationWriteError(
                self.path, "open the annotation database", exc, consequence=_UNUSABLE
            ) from exc

    def _create_schema(self):
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have created it while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    # --- plumbing ---------------------------------------------------------------

    def __repr__(self):
        return f"AnnotationStore({str(self.workspace)!r})"

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
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
        key = _dataset_key(dataset)
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
        key = _dataset_key(dataset)
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
                    self.path, "read the annotations", exc,
                    consequence="nothing was changed, but the annotations cannot be shown",
                ) from exc

    # --- classes ----------------------------------------------------------------

    def classes(self, dataset) -> list[dict]:
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

    def define_class(self, dataset, name: str, color: str) -> int:
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
        name = _check_name(name)
        color = _check_color(color)

        def change(conn, key):
            conn.execute(
                "INSERT INTO classes (dataset, name, color, position) VALUES (?, ?, ?, "
                " (SELECT COALESCE(MAX(position), -1) + 1 FROM classes WHERE dataset = ?)) "
                "ON CONFLICT (dataset, name) DO UPDATE SET color = excluded.color "
                "WHERE color != excluded.color",
                (key, name, color, key),
            )

        return self._write(dataset, change)

    def rename_class(self, dataset, old: str, new: str) -> int:
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
        old = _lookup_name(old)
        new = _check_name(new, "new class name")

        def change(conn, key):
            _require_class(conn, key, old)
            if new == old:
                return
            if _has_class(conn, key, new):
                raise AnnotationError(
                    f"cannot rename class {old!r} to {new!r}: a class named {new!r} already exists"
                )
            conn.execute(
                "UPDATE classes SET name = ? WHERE dataset = ? AND name = ?", (new, key, old)
            )
            conn.execute(
                "UPDATE assignments SET class = ? WHERE dataset = ? AND class = ?",
                (new, key, old),
            )

        return self._write(dataset, change)

    def delete_class(self, dataset, name: str) -> int:
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
        name = _lookup_name(name)

        def change(conn, key):
            conn.execute("DELETE FROM assignments WHERE dataset = ? AND class = ?", (key, name))
            conn.execute("DELETE FROM classes WHERE dataset = ? AND name = ?", (key, name))

        return self._write(dataset, change)

    # --- assignments ------------------------------------------------------------

    def assign(self, dataset, labels, name: str | None, *, known_labels=None) -> int:
        """Put regions in a class, or take them out of any class.

        Parameters
        ----------
        dataset : str or Dataset
        labels : iterable of int (or one int)
            Region labels (positive). Any number, in one transaction.
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
            If a label is not a positive integer, not in ``known_labels``,
            or the class is not defined.
        AnnotationWriteError
            If the change could not be saved.
        """
        labels = _check_labels(labels)
        _check_known(labels, known_labels)
        name = None if name is None else _lookup_name(name)

        def change(conn, key):
            if name is None:
                conn.executemany(
                    "DELETE FROM assignments WHERE dataset = ? AND label = ?",
                    ((key, label) for label in labels),
                )
                return
            _require_class(conn, key, name)
            conn.executemany(
                "INSERT INTO assignments (dataset, label, class) VALUES (?, ?, ?) "
                "ON CONFLICT (dataset, label) DO UPDATE SET class = excluded.class "
                "WHERE class != excluded.class",
                ((key, label, name) for label in labels),
            )

        return self._write(dataset, change)

    def assignments(self, dataset) -> dict[int, str]:
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

    def exclude(self, dataset, labels, *, known_labels=None) -> int:
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
        labels = _check_labels(labels)
        _check_known(labels, known_labels)

        def change(conn, key):
            conn.executemany(
                "INSERT OR IGNORE INTO exclusions (dataset, label) VALUES (?, ?)",
                ((key, label) for label in labels),
            )

        return self._write(dataset, change)

    def include(self, dataset, labels, *, known_labels=None) -> int:
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
        labels = _check_labels(labels)
        _check_known(labels, known_labels)

        def change(conn, key):
            conn.executemany(
                "DELETE FROM exclusions WHERE dataset = ? AND label = ?",
                ((key, label) for label in labels),
            )

        return self._write(dataset, change)

    def restore_all(self, dataset) -> int:
        """Include every excluded region of the dataset again.

        Returns
        -------
        int
            The dataset's revision after the change.
        """

        def change(conn, key):
            conn.execute("DELETE FROM exclusions WHERE dataset = ?", (key,))

        return self._write(dataset, change)

    def excluded(self, dataset) -> list[int]:
        """The excluded labels of the dataset, sorted."""
        return self._read(dataset, _excluded)

    # --- revision and snapshots -------------------------------------------------

    def revision(self, dataset) -> int:
        """A number that grows whenever the dataset's annotations change.

        0 for a dataset that was never annotated. Compare with the value a
        browser saw last to tell whether its view is stale.
        """
        return self._read(dataset, _revision)

    def snapshot(self, dataset) -> dict:
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

    def restore_snapshot(self, dataset, snapshot: Mapping) -> int:
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
            normal = normalise_snapshot(snapshot)
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
                ((key, label, name) for label, name in assignments.items()),
            )
            conn.executemany(
                "INSERT INTO exclusions (dataset, label) VALUES (?, ?)",
                ((key, label) for label in excluded),
            )

        return self._write(dataset, change)


# --- queries (run inside a transaction) ------------------------------------------


def _classes(conn, key):
    rows = conn.execute(
        "SELECT name, color FROM classes WHERE dataset = ? ORDER BY position, name", (key,)
    )
    return [{"name": name, "color": color} for name, color in rows]


def _assignments(conn, key):
    rows = conn.execute(
        "SELECT label, class FROM assignments WHERE dataset = ? ORDER BY label", (key,)
    )
    return dict(rows.fetchall())


def _excluded(conn, key):
    rows = conn.execute(
        "SELECT label FROM exclusions WHERE dataset = ? ORDER BY label", (key,)
    )
    return [label for (label,) in rows]


def _revision(conn, key):
    row = conn.execute("SELECT revision FROM revisions WHERE dataset = ?", (key,)).fetchone()
    return 0 if row is None else row[0]


def _has_class(conn, key, name):
    row = conn.execute(
        "SELECT 1 FROM classes WHERE dataset = ? AND name = ?", (key, name)
    ).fetchone()
    return row is not None


def _require_class(conn, key, name):
    if not _has_class(conn, key, name):
        defined = [c["name"] for c in _classes(conn, key)]
        listing = ", ".join(repr(n) for n in defined) if defined else "none yet"
        raise AnnotationError(
            f"there is no class named {name!r} for this dataset (defined: {listing}); "
            "define it first"
        )
