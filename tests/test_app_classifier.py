"""The classifier's page helpers, without a browser: grid columns, colours, accept, status, uploads, per-user models."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest

from regionscope.app.classifier_callbacks import (
    REVIEW_QUERY,
    accept_plan,
    class_counts,
    model_state,
    model_upload_bytes,
    predicted_class_store,
    quality_figure,
    training_status,
    with_predictions,
)
from regionscope.app.colors import UNCLASSIFIED_COLOR, class_colors
from regionscope.app.grid import color_options, grid_of
from regionscope.app.query_callbacks import query_result
from regionscope.app.view_cache import SmallCache
from regionscope.classifier import ClassifierError, train_classifier
from regionscope.dataset import prepare_dataset
from regionscope.io import ImageData


@pytest.fixture
def squares():
    """Six regions: three big bright squares (labels 2, 4, 6) and three small dim ones (labels 1, 3, 5)."""
    labels = np.zeros((12, 40), dtype=np.int32)
    image = np.zeros(labels.shape)
    for k in range(6):
        side = 2 if k % 2 == 0 else 5
        labels[1 : 1 + side, 6 * k + 1 : 6 * k + 1 + side] = k + 1
        image[labels == k + 1] = 50 if side == 2 else 200
    return prepare_dataset(ImageData(image), labels, name="squares.tif")


@pytest.fixture
def predictions(squares):
    classifier = train_classifier(squares.table, {1: "small", 3: "small", 2: "big", 4: "big"}, ["area", "intensity_mean"])
    return classifier, classifier.predict(squares.table)


def test_the_grid_gets_prediction_columns_after_the_class(squares, predictions):
    _, predicted = predictions
    rows, columns = grid_of(squares, {"1": "small"}, SmallCache(), predicted[["predicted_class", "predicted_probability"]])
    assert [c["field"] for c in columns][:4] == ["label", "class", "predicted_class", "predicted_probability"]
    assert [row["predicted_class"] for row in rows] == ["small", "big", "small", "big", "small", "big"]
    assert all(0.5 < row["predicted_probability"] <= 1 for row in rows)
    assert rows[0]["class"] == "small" and "class" not in rows[1]
    # Without a classifier the columns are the table's and the class.
    _, plain = grid_of(squares, {}, SmallCache())
    assert "predicted_class" not in [c["field"] for c in plain]


def test_predictions_can_colour_and_be_queried(squares, predictions):
    _, predicted = predictions
    table = with_predictions(squares.table, predicted)
    assert color_options(table)[-2:] == ["class", "predicted_class"] and "predicted_probability" in color_options(table)
    assert "predicted_class" not in color_options(squares.table)
    result, error, _ = query_result(squares, '{predicted_class} == "big"', lambda: {}, table)
    assert error == "" and result["labels"] == [2, 4, 6]
    result, _, _ = query_result(squares, REVIEW_QUERY, lambda: {1: "small", 2: "big"}, table)
    assert result["labels"] == [3, 4, 5, 6]


def test_colouring_by_predicted_class_lets_the_users_own_class_win(squares, predictions):
    _, predicted = predictions
    classes = {
        "classes": [{"name": "small", "color": "#ff0000"}, {"name": "big", "color": "#0000ff"}],
        "assignments": {"6": "small"},
    }
    shown = predicted_class_store(classes, predicted)
    assert shown["assignments"] == {"1": "small", "2": "big", "3": "small", "4": "big", "5": "small", "6": "small"}
    colors = class_colors(squares.label_values, shown)
    assert colors[1].tolist() == [0, 0, 255] and colors[5].tolist() == [255, 0, 0]
    # A predicted class the dataset no longer defines gets a palette colour, never the grey of "no class".
    shown = predicted_class_store({"classes": [], "assignments": {}}, predicted)
    assert {c["name"] for c in shown["classes"]} == {"small", "big"}
    assert UNCLASSIFIED_COLOR not in [tuple(c) for c in class_colors(squares.label_values, shown).tolist()]


def test_class_colours_of_uint64_labels_above_2_to_the_63():
    labels = np.array([5, 2**63 + 1, 2**64 - 1], dtype=np.uint64)
    classes = {"classes": [{"name": "a", "color": "#00ff00"}], "assignments": {str(2**64 - 1): "a"}}
    assert class_colors(labels, classes)[:, 1].tolist() == [150, 150, 255]


def test_accept_gives_predictions_only_to_regions_without_a_class(predictions):
    _, predicted = predictions
    plan = accept_plan(predicted, [1, 2, 3, 6], {1: "big"})
    assert plan == {"big": [2, 6], "small": [3]}  # 1 keeps the user's class, even against the prediction
    assert accept_plan(predicted, [1], {1: "big"}) == {}


def test_status_says_what_training_needs_then_what_it_will_use():
    assert training_status({}, None).startswith("Give regions at least two different classes")
    assert "1 more region the class 'b'" in training_status({"a": 3, "b": 1}, None)
    model = {"id": "x", "examples": 40, "accuracy": 0.975}
    assert training_status({"a": 20, "b": 21}, model) == (
        "Ready to train on 41 regions of 2 classes. The classifier was trained on 40 regions, cross-validated accuracy 98%."
    )
    assert class_counts({"1": "a", "2": "a", "3": "b"}) == {"a": 2, "b": 1}


def test_model_state_and_quality_picture(predictions):
    classifier, _ = predictions
    state = model_state("d", "id1", classifier)
    assert state["classes"] == ["big", "small"] and state["features"] == ["area", "intensity_mean"] and state["examples"] == 4
    assert state["review"] == REVIEW_QUERY
    assert model_state("d", None, None)["id"] is None
    figure = quality_figure(classifier)
    assert [trace.type for trace in figure.data] == ["heatmap", "bar"]
    assert quality_figure(None).layout.annotations[0].text == "no classifier yet"


def test_a_model_upload_is_refused_clearly(predictions):
    classifier, _ = predictions
    data = classifier.to_bytes()
    url = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    assert model_upload_bytes(url, "m.skops") == data
    with pytest.raises(ClassifierError, match="did not arrive intact"):
        model_upload_bytes("data:x;base64,@@@", "m.skops")
    with pytest.raises(ClassifierError, match="did not arrive as a file"):
        model_upload_bytes(None, "m.skops")
    # A classifier for other columns names what the table lacks.
    with pytest.raises(ClassifierError, match="lacks 1 of the classifier's 2 feature columns \\('intensity_mean'\\)"):
        classifier.check_features(pd.DataFrame({"label": [1], "area": [3.0]}), where="this dataset's table")


def test_each_user_has_their_own_classifier(tmp_path):
    import flask

    from regionscope.annotations import AnnotationStore
    from regionscope.app.security import UserAnnotations

    users = UserAnnotations(AnnotationStore(tmp_path))
    app = flask.Flask("test")
    seen = {}
    for user, model in (("ann", b"ann's model"), ("bob", b"bob's model")):
        with app.test_request_context():
            flask.g.regionscope_user = user  # what the login check sets for the request
            seen[user] = users.save_model("dataset", model)
            assert users.model("dataset") == (seen[user], model)
    assert seen["ann"] != seen["bob"]
    assert AnnotationStore(tmp_path).model("dataset") is None  # without a login: neither user's


def test_embedding_axes_accumulate_for_the_same_features_and_restart_for_others():
    from regionscope.app.embedding_callbacks import embeddings_with

    first = embeddings_with(None, "d", "pca", ["area", "solidity"])
    assert first == {"dataset": "d", "methods": ["pca"], "features": ["area", "solidity"]}
    both = embeddings_with(first, "d", "umap", ["area", "solidity"])
    assert both["methods"] == ["pca", "umap"] and embeddings_with(both, "d", "pca", ["area", "solidity"]) == both
    assert embeddings_with(both, "d", "umap", ["area"])["methods"] == ["umap"]
    assert embeddings_with(both, "e", "pca", ["area", "solidity"])["methods"] == ["pca"]


def test_the_grid_carries_the_tabs_embedding_axes(squares, predictions):
    import pandas as pd

    _, predicted = predictions
    added = pd.concat(
        [
            predicted[["predicted_class", "predicted_probability"]],
            pd.DataFrame({"pca-1": np.arange(6) / 3, "pca-2": np.zeros(6)}),
        ],
        axis=1,
    )
    rows, columns = grid_of(squares, {}, SmallCache(), added)
    assert [c["field"] for c in columns][1:6] == ["class", "predicted_class", "predicted_probability", "pca-1", "pca-2"]
    assert [row["pca-1"] for row in rows] == [0.0, 0.3333, 0.6667, 1.0, 1.3333, 1.6667]
