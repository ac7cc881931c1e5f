"""The annotation store: classes, assignments, exclusions, persistence, concurrency, failures."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest

from regionscope.annotations import (
    DATABASE_NAME,
    SCHEMA_VERSION,
    AnnotationError,
    AnnotationStore,
    AnnotationWriteError,
    default_workspace,
)
from regionscope.errors import RegionscopeError

A = "a1b2c3d4e5f60718"  # dataset ids are 16-hex content hashes
B = "ffffeeeeddddcccc"


@pytest.fixture
def store(tmp_path):
    with AnnotationStore(tmp_path / "ws") as store:
        yield store


# --- classes -------------------------------------------------------------------


def test_new_store_creates_the_database(tmp_path):
    workspace = tmp_path / "deep" / "ws"
    with AnnotationStore(workspace) as store:
        assert store.path == workspace / DATABASE_NAME
        assert store.path.is_file()
        assert store.classes(A) == []
        assert store.assignments(A) == {}
        assert store.excluded(A) == []
        assert store.revision(A) == 0
    conn = sqlite3.connect(workspace / DATABASE_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_define_list_recolour_classes(store):
    store.define_class(A, "nucleus", "#1F77B4")
    store.define_class(A, "  debris ", "#ff0000")
    store.define_class(A, "cytoplasm", "#00ff00")
    assert store.classes(A) == [
        {"name": "nucleus", "color": "#1f77b4"},
        {"name": "debris", "color": "#ff0000"},
        {"name": "cytoplasm", "color": "#00ff00"},
    ]
    store.define_class(A, "debris", "#123456")  # recolour keeps the position
    assert [c["name"] for c in store.classes(A)] == ["nucleus", "debris", "cytoplasm"]
    assert store.classes(A)[1] == {"name": "debris", "color": "#123456"}


def test_rename_class_moves_assignments(store):
    store.define_class(A, "nucleus", "#1f77b4")
    store.define_class(A, "debris", "#ff0000")
    store.assign(A, [1, 2], "nucleus")
    store.assign(A, [3], "debris")
    store.rename_class(A, "nucleus", "cell")
    assert store.classes(A) == [
        {"name": "cell", "color": "#1f77b4"},
        {"name": "debris", "color": "#ff0000"},
    ]
    assert store.assignments(A) == {1: "cell", 2: "cell", 3: "debris"}
    with pytest.raises(AnnotationError, match="already exists"):
        store.rename_class(A, "cell", "debris")
    with pytest.raises(AnnotationError, match="no class named 'nucleus'"):
        store.rename_class(A, "nucleus", "x")
    with pytest.raises(AnnotationError, match="empty"):
        store.rename_class(A, "cell", "  ")
    assert store.assignments(A) == {1: "cell", 2: "cell", 3: "debris"}


def test_delete_class_removes_its_assignments(store):
    store.define_class(A, "nucleus", "#1f77b4")
    store.define_class(A, "debris", "#ff0000")
    store.assign(A, [1, 2], "nucleus")
    store.assign(A, [3], "debris")
    store.delete_class(A, "nucleus")
    assert store.classes(A) == [{"name": "debris", "color": "#ff0000"}]
    assert store.assignments(A) == {3: "debris"}
    revision = store.revision(A)
    assert store.delete_class(A, "nucleus") == revision  # already gone: a no-op


# --- assignments ---------------------------------------------------------------


def test_assign_reassign_and_clear(store):
    store.define_class(A, "nucleus", "#1f77b4")
    store.define_class(A, "debris", "#ff0000")
    store.assign(A, [5, 1, 3], "nucleus")
    assert store.assignments(A) == {1: "nucleus", 3: "nucleus", 5: "nucleus"}
    assert list(store.assignments(A)) == [1, 3, 5]
    store.assign(A, [3], "debris")
    assert store.assignments(A) == {1: "nucleus", 3: "debris", 5: "nucleus"}
    store.assign(A, [1, 3, 99], None)
    assert store.assignments(A) == {5: "nucleus"}
    store.assign(A, 7, "debris")  # one label is accepted too
    assert store.assignments(A) == {5: "nucleus", 7: "debris"}


def test_assign_needs_a_defined_class(store):
    store.define_class(A, "nucleus", "#1f77b4")
    with pytest.raises(AnnotationError, match=r"no class named 'cell'.*'nucleus'"):
        store.assign(A, [1], "cell")
    assert store.assignments(A) == {}


def test_assign_accepts_numpy_integers(store):
    np = pytest.importorskip("numpy")
    store.define_class(A, "nucleus", "#1f77b4")
    store.assign(A, np.array([4, 2, 2], dtype=np.uint32), "nucleus")
    store.exclude(A, np.int64(9))
    assert store.assignments(A) == {2: "nucleus", 4: "nucleus"}
    assert all(type(k) is int for k in store.assignments(A))
    assert store.excluded(A) == [9]


def test_two_datasets_stay_separate(store):
    store.define_class(A, "nucleus", "#1f77b4")
    store.define_class(B, "nucleus", "#000000")
    store.define_class(B, "other", "#ffffff")
    store.assign(A, [1, 2], "nucleus")
    store.assign(B, [2, 3], "other")
    store.exclude(A, [7])
    assert store.classes(A) == [{"name": "nucleus", "color": "#1f77b4"}]
    assert store.assignments(A) == {1: "nucleus", 2: "nucleus"}
    assert store.assignments(B) == {2: "other", 3: "other"}
    assert store.excluded(B) == []
    store.delete_class(B, "nucleus")
    store.restore_all(B)
    assert store.classes(A) == [{"name": "nucleus", "color": "#1f77b4"}]
    assert store.excluded(A) == [7]
    with pytest.raises(AnnotationError, match="no class named 'other'"):
        store.assign(A, [1], "other")


def test_dataset_objects_are_keyed_by_their_id(store):
    class FakeDataset:
        id = A

    store.define_class(FakeDataset(), "nucleus", "#1f77b4")
    assert store.classes(A) == [{"name": "nucleus", "color": "#1f77b4"}]
    with pytest.raises(AnnotationError, match="dataset"):
        store.classes("")


# --- exclusions ----------------------------------------------------------------


def test_exclude_include_restore_all(store):
    store.exclude(A, [9, 3, 5, 3])
    assert store.excluded(A) == [3, 5, 9]
    store.include(A, [5, 100])
    assert store.excluded(A) == [3, 9]
    store.exclude(A, [3])  # already excluded: no error
    assert store.excluded(A) == [3, 9]
    store.restore_all(A)
    assert store.excluded(A) == []


def test_exclusions_and_classes_are_independent(store):
    store.define_class(A, "nucleus", "#1f77b4")
    store.assign(A, [1, 2], "nucleus")
    store.exclude(A, [2])
    store.restore_all(A)
    assert store.assignments(A) == {1: "nucleus", 2: "nucleus"}


# --- persistence and concurrency -----------------------------------------------


def test_survives_a_server_restart(tmp_path):
    store = AnnotationStore(tmp_path)
    store.define_class(A, "nucleus", "#1f77b4")
    store.assign(A, [1, 2], "nucleus")
    store.exclude(A, [4])
    revision = store.revision(A)
    store.close()
    with AnnotationStore(tmp_path) as again:
        assert again.classes(A) == [{"name": "nucleus", "color": "#1f77b4"}]
        assert again.assignments(A) == {1: "nucleus", 2: "nucleus"}
        assert again.excluded(A) == [4]
        assert again.revision(A) == revision


def test_writes_are_visible_to_other_connections_at_once(store):
    # Committed before returning: a plain reader sees it without any flush.
    store.define_class(A, "nucleus", "#1f77b4")
    store.assign(A, [42], "nucleus")
    conn = sqlite3.connect(store.path)
    try:
        rows = conn.execute("SELECT label, class FROM assignments WHERE dataset = ?", (A,))
        assert rows.fetchall() == [(42, "nucleus")]
    finally:
        conn.close()


def test_eight_threads_write_the_union(store):
    store.define_class(A, "nucleus", "#1f77b4")
    errors = []
    barrier = threading.Barrier(8)

    def work(t):
        try:
            barrier.wait()
            for i in range(20):
                label = t * 1000 + i + 1
                store.assign(A, [label], "nucleus")
                store.exclude(A, [label])
                store.define_class(A, f"class {t}", "#00000" + str(t))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = {t * 1000 + i + 1 for t in range(8) for i in range(20)}
    assert set(store.assignments(A)) == expected
    assert set(store.excluded(A)) == expected
    assert len(store.classes(A)) == 9
    assert store.revision(A) == 1 + 8 * 20 * 2 + 8


def test_two_stores_on_one_file_see_each_others_writes(tmp_path):
    with AnnotationStore(tmp_path) as one, AnnotationStore(tmp_path) as two:
        one.define_class(A, "nucleus", "#1f77b4")
        assert two.classes(A) == [{"name": "nucleus", "color": "#1f77b4"}]
        two.assign(A, [1], "nucleus")
        assert one.assignments(A) == {1: "nucleus"}
        assert one.revision(A) == two.revision(A) == 2
        errors = []

        def work(store, offset):
            try:
                for i in range(25):
                    store.exclude(A, [offset + i])
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(s, k * 100 + 1)) for k, s in enumerate([one, two, one, two])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(two.excluded(A)) == 100
        assert one.revision(A) == 2 + 100


# --- revision ------------------------------------------------------------------


def test_revision_increases_on_every_change(store):
    revisions = [store.revision(A)]
    for call in (
        lambda: store.define_class(A, "nucleus", "#1f77b4"),
        lambda: store.define_class(A, "nucleus", "#ff0000"),
        lambda: store.assign(A, [1, 2], "nucleus"),
        lambda: store.assign(A, [1], None),
        lambda: store.exclude(A, [3]),
        lambda: store.include(A, [3]),
        lambda: store.exclude(A, [4]),
        lambda: store.restore_all(A),
        lambda: store.rename_class(A, "nucleus", "cell"),
        lambda: store.delete_class(A, "cell"),
        lambda: store.restore_snapshot(A, {"classes": [], "assignments": {}, "excluded": [5]}),
    ):
        returned = call()
        revisions.append(store.revision(A))
        assert returned == revisions[-1]
    assert revisions == list(range(len(revisions)))
    assert store.revision(B) == 0


def test_revision_unchanged_by_no_ops_and_failures(store):
    store.define_class(A, "nucleus", "#1f77b4")
    store.assign(A, [1], "nucleus")
    store.exclude(A, [2])
    revision = store.revision(A)
    store.define_class(A, "nucleus", "#1F77B4")
    store.assign(A, [1], "nucleus")
    store.exclude(A, [2])
    store.include(A, [99])
    store.rename_class(A, "nucleus", "nucleus")
    with pytest.raises(AnnotationError):
        store.assign(A, [1], "missing")
    assert store.revision(A) == revision


# --- snapshots -----------------------------------------------------------------


def test_snapshot_round_trip_through_json(store):
    store.define_class(A, "nucleus", "#1f77b4")
    store.define_class(A, "debris", "#ff0000")
    store.assign(A, [1, 2], "nucleus")
    store.assign(A, [10], "debris")
    store.exclude(A, [3, 1])
    snapshot = store.snapshot(A)
    assert snapshot == {
        "classes": [
            {"name": "nucleus", "color": "#1f77b4"},
            {"name": "debris", "color": "#ff0000"},
        ],
        "assignments": {"1": "nucleus", "2": "nucleus", "10": "debris"},
        "excluded": [1, 3],
    }
    saved = json.loads(json.dumps(snapshot))
    store.restore_snapshot(B, saved)
    assert store.snapshot(B) == snapshot
    # Restoring replaces everything for that dataset.
    store.define_class(A, "extra", "#000000")
    store.assign(A, [50], "extra")
    store.exclude(A, [60])
    store.restore_snapshot(A, saved)
    assert store.snapshot(A) == snapshot
    store.restore_snapshot(A, {"classes": [], "assignments": {}, "excluded": []})
    assert store.snapshot(A) == {"classes": [], "assignments": {}, "excluded": []}
    assert store.snapshot(B) == snapshot


@pytest.mark.parametrize(
    ("snapshot", "field"),
    [
        ([], "mapping"),
        ({"assignments": {}, "excluded": []}, "'classes'"),
        ({"classes": [], "excluded": []}, "'assignments'"),
        ({"classes": [], "assignments": {}}, "'excluded'"),
        ({"classes": "nucleus", "assignments": {}, "excluded": []}, "'classes'"),
        ({"classes": [{"name": "x"}], "assignments": {}, "excluded": []}, r"classes\[0\]"),
        (
            {"classes": [{"name": "x", "color": "red"}], "assignments": {}, "excluded": []},
            r"classes\[0\]\.color",
        ),
        (
            {"classes": [{"name": "", "color": "#000000"}], "assignments": {}, "excluded": []},
            r"classes\[0\]\.name",
        ),
        (
            {
                "classes": [{"name": "x", "color": "#000000"}, {"name": "x", "color": "#111111"}],
                "assignments": {},
                "excluded": [],
            },
            r"classes\[1\]\.name.*twice",
        ),
        ({"classes": [], "assignments": [], "excluded": []}, "'assignments'"),
        ({"classes": [], "assignments": {"1": "ghost"}, "excluded": []}, "'assignments'.*ghost"),
        (
            {"classes": [{"name": "x", "color": "#000000"}], "assignments": {"one": "x"}, "excluded": []},
            "'assignments'.*'one'",
        ),
        ({"classes": [], "assignments": {}, "excluded": "1,2"}, "'excluded'"),
        ({"classes": [], "assignments": {}, "excluded": [1, 2.5]}, "'excluded'"),
        ({"classes": [], "assignments": {}, "excluded": [0]}, "'excluded'"),
    ],
)
def test_malformed_snapshot_is_rejected_and_changes_nothing(store, snapshot, field):
    store.define_class(A, "nucleus", "#1f77b4")
    store.exclude(A, [8])
    before = store.snapshot(A), store.revision(A)
    with pytest.raises(AnnotationError, match=field):
        store.restore_snapshot(A, snapshot)
    assert (store.snapshot(A), store.revision(A)) == before


# --- validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 41, "41 characters"),
        ("bad\nname", "control character U\\+000A"),
        ("tab\there", "control character U\\+0009"),
        (None, "must be text"),
        (3, "must be text"),
    ],
)
def test_invalid_class_names(store, name, message):
    with pytest.raises(AnnotationError, match=message):
        store.define_class(A, name, "#000000")
    assert store.classes(A) == []


def test_valid_class_name_edges(store):
    store.define_class(A, "x" * 40, "#000000")
    store.define_class(A, "Zellkern ü ✓", "#000000")
    assert [c["name"] for c in store.classes(A)] == ["x" * 40, "Zellkern ü ✓"]


@pytest.mark.parametrize("color", ["red", "#fff", "#12345g", "1f77b4", "#1f77b4ff", None, 0x1F77B4])
def test_invalid_colors(store, color):
    with pytest.raises(AnnotationError, match="#rrggbb"):
        store.define_class(A, "nucleus", color)


@pytest.mark.parametrize("labels", [[0], [-3], [1.5], ["7"], [True], "12", None, [2**64]])
def test_invalid_labels(store, labels):
    store.define_class(A, "nucleus", "#1f77b4")
    with pytest.raises(AnnotationError, match="label"):
        store.assign(A, labels, "nucleus")
    with pytest.raises(AnnotationError, match="label"):
        store.exclude(A, labels)
    assert store.assignments(A) == {} and store.excluded(A) == []


def test_errors_are_regionscope_errors():
    assert issubclass(AnnotationError, RegionscopeError)
    assert issubclass(AnnotationError, ValueError)
    assert issubclass(AnnotationWriteError, RegionscopeError)


# --- failed writes -------------------------------------------------------------


def _assert_names_file_and_not_saved(error, path):
    message = str(error)
    assert str(path) in message
    assert "NOT" in message
    assert "--workspace" in message


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root ignores file permissions; see test_failed_write_raises_and_is_not_swallowed",
)
def test_read_only_database_raises_write_error(tmp_path):
    workspace = tmp_path / "ws"
    with AnnotationStore(workspace) as store:
        store.define_class(A, "nucleus", "#1f77b4")
    path = workspace / DATABASE_NAME
    path.chmod(0o444)
    workspace.chmod(0o555)
    try:
        with pytest.raises(AnnotationWriteError) as info:
            with AnnotationStore(workspace) as store:
                store.assign(A, [1], "nucleus")
        _assert_names_file_and_not_saved(info.value, path)
    finally:
        workspace.chmod(0o755)
        path.chmod(0o644)


def test_failed_write_raises_and_is_not_swallowed(store, monkeypatch):
    store.define_class(A, "nucleus", "#1f77b4")
    conn = store._conn
    real_execute, real_executemany = conn.execute, conn.executemany

    def failing(real):
        def call(sql, *args):
            if sql.split()[0].upper() in {"INSERT", "UPDATE", "DELETE", "COMMIT"}:
                raise sqlite3.OperationalError("disk I/O error")
            return real(sql, *args)

        return call

    monkeypatch.setattr(conn, "execute", failing(real_execute))
    monkeypatch.setattr(conn, "executemany", failing(real_executemany))
    for call in (
        lambda: store.assign(A, [1], "nucleus"),
        lambda: store.exclude(A, [1]),
        lambda: store.define_class(A, "other", "#000000"),
        lambda: store.restore_snapshot(A, {"classes": [], "assignments": {}, "excluded": []}),
    ):
        with pytest.raises(AnnotationWriteError) as info:
            call()
        _assert_names_file_and_not_saved(info.value, store.path)
        assert "disk I/O error" in str(info.value)
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
        assert not conn.in_transaction
    monkeypatch.undo()
    assert store.assignments(A) == {}
    assert store.classes(A) == [{"name": "nucleus", "color": "#1f77b4"}]
    store.assign(A, [1], "nucleus")  # the store still works afterwards
    assert store.assignments(A) == {1: "nucleus"}


def test_query_only_database_raises_write_error(store):
    # A genuine SQLite "readonly database" failure, which root cannot bypass.
    store._conn.execute("PRAGMA query_only = ON")
    with pytest.raises(AnnotationWriteError, match="writable") as info:
        store.define_class(A, "nucleus", "#1f77b4")
    _assert_names_file_and_not_saved(info.value, store.path)
    store._conn.execute("PRAGMA query_only = OFF")
    assert store.classes(A) == []


def test_locked_too_long_raises_write_error(tmp_path):
    with AnnotationStore(tmp_path, busy_timeout=0.05) as store:
        other = sqlite3.connect(store.path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(AnnotationWriteError, match="locked") as info:
                store.exclude(A, [1])
            _assert_names_file_and_not_saved(info.value, store.path)
            other.execute("ROLLBACK")
        finally:
            other.close()
        store.exclude(A, [1])
        assert store.excluded(A) == [1]


def test_unusable_files_raise_write_error(tmp_path):
    not_a_db = tmp_path / "junk"
    not_a_db.mkdir()
    (not_a_db / DATABASE_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AnnotationWriteError) as info:
        AnnotationStore(not_a_db)
    assert str(not_a_db / DATABASE_NAME) in str(info.value)

    blocked = tmp_path / "file"
    blocked.write_text("a file where the workspace folder should be")
    with pytest.raises(AnnotationWriteError, match="workspace folder"):
        AnnotationStore(blocked)


def test_newer_schema_is_refused(tmp_path):
    AnnotationStore(tmp_path).close()
    conn = sqlite3.connect(tmp_path / DATABASE_NAME)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(AnnotationWriteError, match="newer regionscope"):
        AnnotationStore(tmp_path)


# The layout of schema version 1 (regionscope before uint64 labels), as it was written.
V1_SCHEMA = (
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


def test_a_version_1_database_keeps_its_annotations(tmp_path):
    path = tmp_path / DATABASE_NAME
    conn = sqlite3.connect(path)
    for statement in V1_SCHEMA:
        conn.execute(statement)
    conn.executemany(
        "INSERT INTO classes VALUES (?, ?, ?, ?)",
        [(A, "nucleus", "#1f77b4", 0), (A, "debris", "#ff0000", 1), (B, "other", "#000000", 0)],
    )
    conn.executemany(
        "INSERT INTO assignments VALUES (?, ?, ?)",
        [(A, 12, "nucleus"), (A, 2**63 - 1, "debris"), (A, 3, "nucleus"), (B, 1, "other")],
    )
    conn.executemany("INSERT INTO exclusions VALUES (?, ?)", [(A, 2**63 - 1), (A, 5)])
    conn.executemany("INSERT INTO revisions VALUES (?, ?)", [(A, 7), (B, 2)])
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    with AnnotationStore(tmp_path) as store:
        assert store.classes(A) == [
            {"name": "nucleus", "color": "#1f77b4"},
            {"name": "debris", "color": "#ff0000"},
        ]
        assert store.assignments(A) == {3: "nucleus", 12: "nucleus", 2**63 - 1: "debris"}
        assert list(store.assignments(A)) == [3, 12, 2**63 - 1]
        assert store.excluded(A) == [5, 2**63 - 1]
        assert store.revision(A) == 7
        assert store.snapshot(B) == {
            "classes": [{"name": "other", "color": "#000000"}],
            "assignments": {"1": "other"},
            "excluded": [],
        }
        # What version 1 could not hold, beside what it held.
        assert store.exclude(A, [2**64 - 1, 2**63]) == 8
        assert store.excluded(A) == [5, 2**63 - 1, 2**63, 2**64 - 1]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    conn.close()
    with AnnotationStore(tmp_path) as again:  # opening a migrated file changes nothing
        assert again.excluded(A) == [5, 2**63 - 1, 2**63, 2**64 - 1]
        assert again.revision(A) == 8


def test_closed_store_says_so(tmp_path):
    store = AnnotationStore(tmp_path)
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.classes(A)


# --- batch size ----------------------------------------------------------------


def test_fifty_thousand_labels_in_one_call(store):
    store.define_class(A, "nucleus", "#1f77b4")
    labels = range(1, 50_001)
    start = time.perf_counter()
    store.assign(A, labels, "nucleus")
    store.exclude(A, labels)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0  # each call well under 1 s
    assert len(store.assignments(A)) == 50_000
    assert len(store.excluded(A)) == 50_000
    start = time.perf_counter()
    store.assign(A, range(1, 50_001), None)
    assert time.perf_counter() - start < 1.0
    assert store.assignments(A) == {}


def test_fifty_thousand_label_assign_under_one_second(store):
    store.define_class(A, "nucleus", "#1f77b4")
    start = time.perf_counter()
    store.assign(A, list(range(1, 50_001)), "nucleus")
    assert time.perf_counter() - start < 1.0


# --- default workspace ---------------------------------------------------------


def test_default_workspace_honours_regionscope_workspace(monkeypatch, tmp_path):
    monkeypatch.setenv("REGIONSCOPE_WORKSPACE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_workspace() == tmp_path / "mine"


def _pretend_platform(monkeypatch, platform, dirs_class):
    """Run default_workspace as on ``platform``: platformdirs picks its class when it is imported."""
    import platformdirs

    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(platformdirs, "PlatformDirs", dirs_class)


def test_default_workspace_honours_xdg_data_home(monkeypatch, tmp_path):
    from platformdirs.unix import Unix

    monkeypatch.delenv("REGIONSCOPE_WORKSPACE", raising=False)
    _pretend_platform(monkeypatch, "linux", Unix)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_workspace() == tmp_path / "xdg" / "regionscope"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_workspace() == tmp_path / "home" / ".local" / "share" / "regionscope"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_workspace() == tmp_path / "home" / ".local" / "share" / "regionscope"


def test_default_workspace_on_macos_and_windows(monkeypatch, tmp_path):
    import platformdirs.windows
    from platformdirs.macos import MacOS
    from platformdirs.windows import Windows

    monkeypatch.delenv("REGIONSCOPE_WORKSPACE", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)  # recent platformdirs honour it on macOS too
    monkeypatch.setenv("HOME", str(tmp_path))
    _pretend_platform(monkeypatch, "darwin", MacOS)
    assert default_workspace() == tmp_path / "Library" / "Application Support" / "regionscope"
    _pretend_platform(monkeypatch, "win32", Windows)
    # On Windows platformdirs asks the shell for the folder; elsewhere it takes the
    # folder from the environment, as platformdirs does on a Windows without ctypes.
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", platformdirs.windows.get_win_folder_from_env_vars)
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert default_workspace() == tmp_path / "Local" / "regionscope"


def test_store_uses_default_workspace(monkeypatch, tmp_path):
    monkeypatch.setenv("REGIONSCOPE_WORKSPACE", str(tmp_path / "env-ws"))
    with AnnotationStore() as store:
        assert store.path == Path(tmp_path / "env-ws" / DATABASE_NAME)
        assert store.path.is_file()


def test_write_error_advice_comes_from_the_error_code(tmp_path):
    """The advice is chosen by SQLite's result code or the file error's errno, not by the message wording."""
    import errno
    import sqlite3

    from regionscope.annotations.errors import _advice

    not_a_database = tmp_path / "notes.sqlite3"
    not_a_database.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(sqlite3.DatabaseError) as damaged:
        sqlite3.connect(not_a_database).execute("select * from sqlite_master")
    assert damaged.value.sqlite_errorname == "SQLITE_NOTADB"
    assert "damaged" in _advice(damaged.value)

    database = tmp_path / "real.sqlite3"
    sqlite3.connect(database).execute("create table t (x)").connection.commit()
    read_only = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as refused:
        read_only.execute("insert into t values (1)")
    assert refused.value.sqlite_errorname.startswith("SQLITE_READONLY")
    assert "writable by you" in _advice(refused.value)

    assert "disk space" in _advice(OSError(errno.ENOSPC, "No space left on device"))
    assert "writable by you" in _advice(PermissionError(errno.EACCES, "Permission denied"))


def test_a_trained_model_is_kept_per_dataset_and_replaced(tmp_path):
    with AnnotationStore(tmp_path) as store:
        assert store.model("a") is None and store.model_id("a") is None
        first = store.save_model("a", b"first model")
        assert store.model("a") == (first, b"first model") and store.model_id("a") == first
        second = store.save_model("a", b"second model")
        assert second != first and store.model("a") == (second, b"second model")
        assert store.model("b") is None  # other datasets are not touched
        store.delete_model("a")
        assert store.model("a") is None
        with pytest.raises(AnnotationError, match="non-empty bytes"):
            store.save_model("a", b"")


def test_a_version_2_database_gains_the_models_table(tmp_path):
    path = tmp_path / "annotations.sqlite3"
    conn = sqlite3.connect(path)
    for statement in (
        "CREATE TABLE classes (dataset TEXT NOT NULL, name TEXT NOT NULL, color TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (dataset, name))",
        "CREATE TABLE assignments (dataset TEXT NOT NULL, label INTEGER NOT NULL, class TEXT NOT NULL, PRIMARY KEY (dataset, label))",
        "CREATE TABLE exclusions (dataset TEXT NOT NULL, label INTEGER NOT NULL, PRIMARY KEY (dataset, label))",
        "CREATE TABLE revisions (dataset TEXT NOT NULL PRIMARY KEY, revision INTEGER NOT NULL)",
        "INSERT INTO exclusions VALUES ('a', 7)",
        "PRAGMA user_version = 2",
    ):
        conn.execute(statement)
    conn.commit()
    conn.close()
    with AnnotationStore(tmp_path) as store:
        assert store.excluded("a") == [7]
        model_id = store.save_model("a", b"model")
        assert store.model("a") == (model_id, b"model")
