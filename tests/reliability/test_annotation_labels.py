"""Issue 9.7: labels that are not regions of the dataset are refused; 9.8: every uint64 label is stored.

The audit excluded and classified label 999999 on a 3-region dataset: it was
stored and counted. The store now takes the dataset's labels
(``known_labels=``) and refuses others with a clear message, changing
nothing; the app passes them on every write.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from regionscope.annotations import AnnotationError, AnnotationStore

A = "dataset-a"
KNOWN = np.array([1, 2, 3], dtype=np.int64)


@pytest.fixture
def store(tmp_path):
    with AnnotationStore(tmp_path / "ws") as store:
        store.define_class(A, "nucleus", "#1f77b4")
        yield store


def test_unknown_labels_are_refused_and_nothing_changes(store):
    revision = store.revision(A)
    with pytest.raises(AnnotationError, match=r"label 999999 is not a region of this dataset \(3 regions, labels 1 to 3\)"):
        store.exclude(A, [2, 999999], known_labels=KNOWN)
    with pytest.raises(AnnotationError, match="labels 7, 999999 are not regions of this dataset"):
        store.assign(A, [999999, 1, 7], "nucleus", known_labels=KNOWN)
    with pytest.raises(AnnotationError, match="nothing was changed"):
        store.assign(A, [4], None, known_labels=KNOWN)
    assert store.excluded(A) == [] and store.assignments(A) == {} and store.revision(A) == revision


def test_known_labels_are_accepted(store):
    store.exclude(A, [3], known_labels=KNOWN)
    store.assign(A, np.array([1, 2]), "nucleus", known_labels=KNOWN)
    store.include(A, [3], known_labels=KNOWN)
    assert store.assignments(A) == {1: "nucleus", 2: "nucleus"} and store.excluded(A) == []


def test_many_unknown_labels_are_summarised(store):
    with pytest.raises(AnnotationError) as info:
        store.exclude(A, range(100, 200), known_labels=KNOWN)
    assert "100 labels" in str(info.value) and len(str(info.value)) < 300


def test_a_dataset_without_regions(store):
    with pytest.raises(AnnotationError, match="this dataset has no regions"):
        store.exclude(A, [1], known_labels=np.array([], dtype=np.int64))


# --------------------------------------------------------------------------
# Issue 9.8: every uint64 label, exactly
# --------------------------------------------------------------------------

BIG = [2**53 + 1, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 1]


def test_every_uint64_label_is_stored_exactly(tmp_path):
    known = np.array([1, 7, *BIG], dtype=np.uint64)
    with AnnotationStore(tmp_path / "ws") as store:
        store.define_class(A, "nucleus", "#1f77b4")
        store.define_class(A, "debris", "#ff7f0e")
        store.assign(A, known[::-1], "nucleus", known_labels=known)  # numpy uint64 in, in any order
        store.assign(A, [2**63], "debris", known_labels=known)
        store.exclude(A, [2**64 - 1, 7, 2**53 + 1, 2**63], known_labels=known)
        expected = {label: "nucleus" for label in [1, 7, *BIG]} | {2**63: "debris"}
        assert store.assignments(A) == expected
        assert list(store.assignments(A)) == [1, 7, *BIG]  # label order, unsigned
        assert all(type(label) is int for label in store.assignments(A))
        assert store.excluded(A) == [7, 2**53 + 1, 2**63, 2**64 - 1]
        store.include(A, [2**63], known_labels=known)
        store.assign(A, [2**64 - 1], None, known_labels=known)
        assert store.excluded(A) == [7, 2**53 + 1, 2**64 - 1]
        assert 2**64 - 1 not in store.assignments(A)
        snapshot = store.snapshot(A)
        assert snapshot["assignments"][str(2**63)] == "debris"
        store.restore_snapshot("dataset-b", json.loads(json.dumps(snapshot)))
        assert store.snapshot("dataset-b") == snapshot
    with AnnotationStore(tmp_path / "ws") as again:
        assert again.snapshot(A) == snapshot
        assert again.excluded(A) == [7, 2**53 + 1, 2**64 - 1]


@pytest.mark.parametrize("label", [0, -1, -(2**63), 2**64, 2**65])
def test_labels_outside_uint64_are_refused(store, label):
    with pytest.raises(AnnotationError, match=r"from 1 to 2\*\*64 - 1"):
        store.exclude(A, [label])
    with pytest.raises(AnnotationError, match=r"'excluded'.*1 to 2\*\*64 - 1"):
        store.restore_snapshot(A, {"classes": [], "assignments": {}, "excluded": [label]})
    assert store.excluded(A) == []


# --------------------------------------------------------------------------
# The app: a crafted request to the real Dash endpoint
# --------------------------------------------------------------------------


def _callback_key(app, output):
    return next(key for key in app.callback_map if key.startswith(f"..{output}"))


def _post(client, key, app, inputs, state, changed):
    spec = app.callback_map[key]
    outputs = [{"id": str(o.component_id), "property": o.component_property} for o in spec["output"]]
    body = {
        "output": key,
        "outputs": outputs,
        "inputs": inputs,
        "state": state,
        "changedPropIds": changed,
    }
    response = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    return response


def test_the_app_refuses_to_exclude_a_label_the_dataset_does_not_have(tmp_path):
    from regionscope.app.registry import DatasetRegistry
    from regionscope.app.server import create_app, open_default

    labels = np.zeros((10, 10), dtype=np.uint16)
    labels[1:3, 1:3], labels[5:7, 5:7], labels[8, 8] = 1, 2, 3
    image = np.arange(100, dtype=np.float64).reshape(10, 10)
    registry = DatasetRegistry()
    dataset = open_default(registry, image, labels)
    app = create_app(dataset, registry, workspace=tmp_path / "ws")
    client = app.server.test_client()
    key = _callback_key(app, "rs-excluded.data")

    def exclude(rows):
        return _post(
            client,
            key,
            app,
            inputs=[
                {"id": "rs-exclude", "property": "n_clicks", "value": 1},
                {"id": "rs-restore", "property": "n_clicks", "value": None},
            ],
            state=[
                {"id": "rs-grid", "property": "selectedRows", "value": rows},
                {"id": "rs-dataset", "property": "data", "value": {"id": dataset.id}},
            ],
            changed=["rs-exclude.n_clicks"],
        )

    response = exclude([{"label": 999999}])
    assert response.status_code == 200
    notice = json.dumps(response.get_json()["response"]["rs-notice"]["children"])
    assert "999999 is not a region of this dataset" in notice
    assert "rs-excluded" not in response.get_json()["response"]  # the view stays as it was
    assert AnnotationStore(tmp_path / "ws").excluded(dataset.id) == []

    response = exclude([{"label": "not a label"}])
    assert response.status_code == 200
    assert "not a region label" in json.dumps(response.get_json()["response"]["rs-notice"]["children"])

    response = exclude([{"label": 2}])
    assert response.status_code == 200
    assert AnnotationStore(tmp_path / "ws").excluded(dataset.id) == [2]
