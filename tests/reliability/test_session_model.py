"""Issue 9.14: one session model, one validator.

``read_session`` accepted a class colour ``"red"`` that
``AnnotationStore.restore_snapshot`` then refused at server start. The
classes, assignments and exclusions of a session are now validated by one
function, :func:`regionscope.annotations.normalize_snapshot`, which both use:
whatever ``read_session`` returns, ``restore_snapshot`` accepts.
"""

from __future__ import annotations

import json

import pytest

from regionscope.annotations import AnnotationError, AnnotationStore, normalize_snapshot
from regionscope.errors import InputFileError
from regionscope.export import read_session, session_dict


def _session(**annotations):
    base = {"regionscope_session": 1, "dataset_id": "abc", "classes": [], "assignments": {}, "excluded": []}
    return {**base, **annotations}


BAD_ANNOTATIONS = [
    ({"classes": [{"name": "debris", "color": "red"}]}, "'classes[0].color'"),
    ({"classes": [{"name": "x" * 41, "color": "#ff0000"}]}, "41 characters"),
    ({"classes": [{"name": "bad\nname", "color": "#ff0000"}]}, "control character"),
    ({"classes": [{"name": "a", "color": "#ff0000"}, {"name": " a ", "color": "#00ff00"}]}, "named 'a'"),
    ({"excluded": [2**64]}, "'excluded'"),
    ({"assignments": {str(2**64): "a"}, "classes": [{"name": "a", "color": "#ff0000"}]}, "'assignments'"),
]


@pytest.mark.parametrize(("annotations", "named"), BAD_ANNOTATIONS)
def test_read_session_refuses_what_restore_snapshot_refuses(tmp_path, annotations, named):
    session = _session(**annotations)
    with pytest.raises(AnnotationError, match=named.replace("[", r"\[").replace("]", r"\]")):
        AnnotationStore(tmp_path / "ws").restore_snapshot("abc", session)
    path = tmp_path / "session.json"
    path.write_text(json.dumps(session), encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_session(path)
    assert str(info.value).startswith(f"{path}: ") and named in str(info.value)


def test_what_read_session_returns_restore_snapshot_accepts(tmp_path):
    session = _session(
        classes=[{"name": " nucleus ", "color": "#1F77B4"}, {"name": "debris", "color": "#ff7f0e"}],
        assignments={"7": "nucleus", 3: "debris"},
        excluded=[9, 2, 9],
    )
    path = tmp_path / "session.json"
    path.write_text(json.dumps(session), encoding="utf-8")
    read = read_session(path)
    # The same normal form from both ends: names stripped, colours lower case, labels sorted.
    assert read["classes"] == [{"name": "nucleus", "color": "#1f77b4"}, {"name": "debris", "color": "#ff7f0e"}]
    assert read["assignments"] == {"3": "debris", "7": "nucleus"}
    assert read["excluded"] == [2, 9]
    store = AnnotationStore(tmp_path / "ws")
    store.restore_snapshot("abc", read)
    assert store.snapshot("abc") == {key: read[key] for key in ("classes", "assignments", "excluded")}
    assert normalize_snapshot(store.snapshot("abc")) == store.snapshot("abc")


def test_sessions_keep_uint64_labels_exactly(tmp_path):
    session = session_dict(
        dataset_id="abc",
        classes=[{"name": "a", "color": "#ff0000"}],
        assignments={2**63: "a", str(2**64 - 1): "a", 2**53 + 1: "a"},
        excluded=[2**64 - 1, 2**63],
    )
    assert session["assignments"] == {str(2**53 + 1): "a", str(2**63): "a", str(2**64 - 1): "a"}
    path = tmp_path / "session.json"
    path.write_text(json.dumps(session), encoding="utf-8")
    read = read_session(path)
    assert read["excluded"] == [2**63, 2**64 - 1]
    store = AnnotationStore(tmp_path / "ws")
    store.restore_snapshot("abc", read)
    assert store.excluded("abc") == [2**63, 2**64 - 1]
    assert store.assignments("abc") == {2**53 + 1: "a", 2**63: "a", 2**64 - 1: "a"}


def test_session_dict_uses_the_same_validator():
    with pytest.raises(Exception, match="'classes\\[0\\].color'"):
        session_dict(dataset_id="abc", classes=[{"name": "a", "color": "red"}])


def test_the_server_starts_with_any_session_read_session_accepts(tmp_path):
    from regionscope.app.registry import DatasetRegistry
    from regionscope.app.server import create_app, open_default

    registry = DatasetRegistry()
    dataset = open_default(registry)
    session = session_dict(
        dataset_id=dataset.id,
        classes=[{"name": "coin", "color": "#AABBCC"}],
        assignments={1: "coin"},
        excluded=[2],
    )
    path = tmp_path / "s.json"
    path.write_text(json.dumps(session), encoding="utf-8")
    create_app(dataset, registry, workspace=tmp_path / "ws", session=read_session(path))
    store = AnnotationStore(tmp_path / "ws")
    assert store.classes(dataset.id) == [{"name": "coin", "color": "#aabbcc"}]
    assert store.assignments(dataset.id) == {1: "coin"} and store.excluded(dataset.id) == [2]
