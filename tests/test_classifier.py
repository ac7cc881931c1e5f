"""Tests of regionscope.classifier: training on users' classes, predictions, safe classifier files."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
from populations import POPULATIONS, three_populations

import regionscope as rs
from regionscope import classifier as classifier_module
from regionscope.classifier import (
    Classifier,
    ClassifierError,
    default_features,
    load_classifier,
    merged_classes,
    train_classifier,
    training_needs,
)

skops_io = pytest.importorskip("skops.io")

#: The default features of a table measured with the default properties, in table order.
DEFAULT_FEATURES = [
    "area",
    "perimeter",
    "axis_major_length",
    "axis_minor_length",
    "eccentricity",
    "orientation",
    "solidity",
    "euler_number",
    "intensity_mean",
    "intensity_min",
    "intensity_max",
]


@pytest.fixture(scope="module")
def populations():
    """180 measured regions, 60 of each kind, and each label's kind."""
    image, labels, truth = three_populations(60)
    return rs.measure(image, labels), truth


@pytest.fixture(scope="module")
def annotated(populations):
    """The first 20 regions of each kind (by label) as the user's classes."""
    _, truth = populations
    classes = {}
    for kind in POPULATIONS:
        labels = [label for label in sorted(truth) if truth[label] == kind][:20]
        classes.update(dict.fromkeys(labels, kind))
    return classes


@pytest.fixture(scope="module")
def trained(populations, annotated):
    """The classifier trained with the defaults on the 60 annotated regions."""
    table, _ = populations
    return train_classifier(table, annotated)


def small_table(n=20, seed=0):
    """Two classes, a and b, apart in ``area``; ``noise`` is noise. Labels 1..2n, a first."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "label": np.arange(1, 2 * n + 1),
            "area": np.r_[rng.normal(10, 1, n), rng.normal(30, 1, n)],
            "noise": rng.normal(0, 1, 2 * n),
        }
    )


def small_classes(n=20):
    return {label: ("a" if label <= n else "b") for label in range(1, 2 * n + 1)}


# --------------------------------------------------------------------------
# The acceptance test: known populations
# --------------------------------------------------------------------------


def test_twenty_examples_per_class_classify_the_rest(populations, annotated, trained):
    table, truth = populations
    rest = table[~table["label"].isin(list(annotated))]
    assert len(rest) == 120
    predicted = trained.predict(rest)
    accuracy = (predicted["predicted_class"].to_numpy() == rest["label"].map(truth).to_numpy()).mean()
    assert accuracy >= 0.95
    assert trained.classes == ("elongated dim", "round bright", "small speck")
    assert trained.examples == 60
    assert trained.features == tuple(DEFAULT_FEATURES)
    assert predicted["predicted_probability"].between(1 / 3, 1).all()


def test_quality_is_cross_validated_on_the_examples(trained):
    quality = trained.quality
    assert quality.folds == 5
    assert quality.accuracy >= 0.95
    assert list(quality.confusion.index) == list(trained.classes) == list(quality.confusion.columns)
    assert quality.confusion.to_numpy().sum(axis=1).tolist() == [20, 20, 20]
    assert quality.importances.sum() == pytest.approx(1.0)
    assert sorted(quality.importances.index) == sorted(DEFAULT_FEATURES)
    assert quality.importances.is_monotonic_decreasing


def test_predict_returns_keys_and_two_columns_on_the_tables_index(populations, trained):
    table, _ = populations
    shifted = table.set_index(table.index + 1000)
    predicted = trained.predict(shifted)
    assert list(predicted.columns) == ["label", "predicted_class", "predicted_probability"]
    assert predicted.index.equals(shifted.index)
    assert predicted["label"].tolist() == shifted["label"].tolist()
    assert predicted["predicted_probability"].dtype == np.float64


def test_predict_of_no_rows_has_the_columns(trained, populations):
    table, _ = populations
    predicted = trained.predict(table.iloc[:0])
    assert list(predicted.columns) == ["label", "predicted_class", "predicted_probability"]
    assert len(predicted) == 0


def test_predictions_are_the_same_for_the_same_seed():
    table = small_table()
    first = train_classifier(table, small_classes(), trees=20, random_state=3).predict(table)
    second = train_classifier(table, small_classes(), trees=20, random_state=3).predict(table)
    pd.testing.assert_frame_equal(first, second)


# --------------------------------------------------------------------------
# What training needs
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({}, "give regions at least two different classes, 2 regions each, then train"),
        ({"bright": 5}, "give regions at least two different classes (now: 'bright'), 2 regions each, then train"),
        ({"bright": 5, "dim": 0}, "give regions at least two different classes (now: 'bright'), 2 regions each, then train"),
        ({"bright": 5, "dim": 1}, "give 1 more region the class 'dim' (each class needs 2 examples)"),
        (
            {"bright": 1, "dim": 1, "speck": 4},
            "give 1 more region the class 'bright' and 1 more region the class 'dim' (each class needs 2 examples)",
        ),
        ({"bright": 2, "dim": 2}, None),
    ],
)
def test_training_needs(counts, message):
    assert training_needs(counts) == message


def test_training_with_one_class_says_what_is_missing():
    table = small_table()
    with pytest.raises(
        ClassifierError, match=r"^not enough examples to train: give regions at least two different classes \(now: 'a'\)"
    ):
        train_classifier(table, {1: "a", 2: "a", 3: "a"})


def test_training_with_a_class_of_one_example_says_what_is_missing():
    table = small_table()
    with pytest.raises(
        ClassifierError, match=r"^not enough examples to train: give 1 more region the class 'b' \(each class needs 2 examples\)$"
    ):
        train_classifier(table, {1: "a", 2: "a", 30: "b"})


def test_two_examples_per_class_train_without_cross_validation_folds_of_one():
    table = small_table()
    model = train_classifier(table, {1: "a", 2: "a", 30: "b", 31: "b"}, trees=10)
    assert model.quality.folds == 2
    assert model.examples == 4


def test_classes_of_regions_not_in_the_table_are_ignored():
    table = small_table()
    model = train_classifier(table, {**small_classes(), 999: "c", 1000: "c"}, trees=10)
    assert model.classes == ("a", "b")


# --------------------------------------------------------------------------
# Feature columns
# --------------------------------------------------------------------------


def test_default_features_leave_out_position_identity_and_earlier_results():
    image, labels, _ = three_populations(2)
    table = rs.measure(image, labels, spacing=(0.5, 0.5))
    table.insert(0, "image", "a.tif")
    table["class"] = "x"
    table["predicted_class"] = "x"
    table["predicted_probability"] = 0.5
    table["pca-1"] = 0.0
    table["umap-2"] = 0.0
    table["embedding-1"] = 0.0
    assert default_features(table) == [
        "area",
        "area_um2",
        "perimeter",
        "perimeter_um",
        "axis_major_length",
        "axis_major_length_um",
        "axis_minor_length",
        "axis_minor_length_um",
        "eccentricity",
        "orientation",
        "solidity",
        "euler_number",
        "intensity_mean",
        "intensity_min",
        "intensity_max",
    ]
    assert {"label", "touches_border", "centroid-0", "centroid_um-0", "bbox-0"} <= set(table.columns)


def test_chosen_features_are_the_only_ones_read(populations, annotated):
    table, truth = populations
    model = train_classifier(table, annotated, features=["area", "intensity_mean", "area"], trees=20)
    assert model.features == ("area", "intensity_mean")
    predicted = model.predict(table[["label", "area", "intensity_mean"]])
    assert (predicted["predicted_class"] == table["label"].map(truth)).mean() >= 0.95


def test_one_feature_as_text_is_one_column():
    model = train_classifier(small_table(), small_classes(), features="area", trees=10)
    assert model.features == ("area",)


def test_no_feature_is_refused():
    with pytest.raises(ClassifierError, match="choose at least one feature column"):
        train_classifier(small_table(), small_classes(), features=[])


def test_missing_feature_columns_are_named(trained, populations):
    table, _ = populations
    with pytest.raises(ClassifierError) as caught:
        trained.predict(table.drop(columns=["intensity_mean", "solidity"]), where="cells.csv")
    assert str(caught.value) == (
        "cells.csv lacks 2 of the classifier's 11 feature columns ('solidity', 'intensity_mean'); "
        "measure it with the same properties (and channels) as the table the classifier was trained on"
    )


def test_a_text_feature_column_is_refused(trained, populations):
    table, _ = populations
    with pytest.raises(ClassifierError, match=r"^the table's column 'area' is not numeric"):
        trained.predict(table.assign(area=table["area"].astype(str)))


def test_a_table_without_labels_is_refused():
    with pytest.raises(ClassifierError, match="no 'label' column"):
        train_classifier(small_table().drop(columns="label"), small_classes())


# --------------------------------------------------------------------------
# Missing and non-finite values
# --------------------------------------------------------------------------


def test_nan_and_infinite_features_train_and_predict():
    table = small_table()
    table.loc[[0, 25], "area"] = np.nan
    table.loc[[1, 26], "noise"] = [np.inf, -np.inf]
    table.loc[2, "noise"] = 1e300  # beyond float32, which the trees compare in
    model = train_classifier(table, small_classes(), trees=20)
    predicted = model.predict(table)
    assert predicted["predicted_class"].notna().all()
    # The regions with a finite area are told apart by it.
    finite = table["area"].notna()
    expected = np.where(table["label"] <= 20, "a", "b")
    assert (predicted["predicted_class"].to_numpy()[finite] == expected[finite]).all()


def test_a_feature_missing_for_every_example_still_counts_as_a_column():
    table = small_table().assign(empty=np.nan)
    model = train_classifier(table, small_classes(), features=["area", "empty"], trees=10)
    predicted = model.predict(table.assign(empty=1.0))
    assert (predicted["predicted_class"] == np.where(table["label"] <= 20, "a", "b")).all()


def test_nullable_integer_and_boolean_columns_are_numbers():
    table = small_table().assign(
        count=pd.array([1, None] * 20, dtype="Int64"), edge=pd.array([True, False, None, True] * 10, dtype="boolean")
    )
    model = train_classifier(table, small_classes(), features=["area", "count", "edge"], trees=10)
    assert len(model.predict(table)) == 40


# --------------------------------------------------------------------------
# Many images: classes keyed by (image, label)
# --------------------------------------------------------------------------


def two_images():
    """Two images' tables in one, with the same labels 1..40 in each but the classes swapped."""
    first = small_table(seed=1).assign(image="one.tif")
    second = small_table(seed=2).assign(image="two.tif")
    second["area"] = second["area"].to_numpy()[::-1]  # in two.tif, labels 1..20 are the large ones
    table = pd.concat([first, second], ignore_index=True)
    classes = {("one.tif", label): name for label, name in small_classes().items()}
    classes.update({("two.tif", label): ("b" if label <= 20 else "a") for label in range(1, 41)})
    return table[["image", "label", "area", "noise"]], classes


def test_classes_keyed_by_image_and_label():
    table, classes = two_images()
    model = train_classifier(table, classes, trees=20)
    assert model.examples == 80
    predicted = model.predict(table)
    assert list(predicted.columns) == ["image", "label", "predicted_class", "predicted_probability"]
    expected = [classes[key] for key in zip(table["image"], table["label"])]
    assert predicted["predicted_class"].tolist() == expected


def test_classes_keyed_by_label_alone_are_refused_on_many_images():
    table, _ = two_images()
    with pytest.raises(ClassifierError, match=r"regions of several images .* key them by \(image, label\)"):
        train_classifier(table, small_classes())


def test_classes_keyed_by_image_need_an_image_column():
    with pytest.raises(ClassifierError, match="keyed by \\(image, label\\) but the table has no 'image' column"):
        train_classifier(small_table(), {("one.tif", 1): "a"})


def test_a_table_of_one_image_may_be_keyed_by_label():
    model = train_classifier(small_table().assign(image="one.tif"), small_classes(), trees=10)
    assert model.examples == 40


def test_merged_classes_the_users_own_win():
    table, classes = two_images()
    model = train_classifier(table, classes, trees=20)
    predicted = model.predict(table)
    own = {("one.tif", 1): "b", ("two.tif", 40): "c"}
    shown = merged_classes(predicted, own)
    assert shown.index.equals(predicted.index)
    assert shown.iloc[0] == "b" and shown.iloc[-1] == "c"
    assert shown.iloc[1:-1].tolist() == predicted["predicted_class"].iloc[1:-1].tolist()


# --------------------------------------------------------------------------
# Files: save and load
# --------------------------------------------------------------------------


def test_save_and_load_give_the_same_predictions(tmp_path, trained, populations):
    table, _ = populations
    path = trained.save(tmp_path / "cells.skops")
    loaded = load_classifier(path)
    pd.testing.assert_frame_equal(loaded.predict(table), trained.predict(table))
    assert (loaded.features, loaded.classes, loaded.examples) == (trained.features, trained.classes, trained.examples)
    assert loaded.version == rs.__version__
    assert loaded.quality.accuracy == trained.quality.accuracy
    pd.testing.assert_frame_equal(loaded.quality.confusion, trained.quality.confusion)
    pd.testing.assert_series_equal(loaded.quality.importances, trained.quality.importances)


def test_bytes_load_too(trained):
    loaded = load_classifier(trained.to_bytes())
    assert isinstance(loaded, Classifier) and loaded.classes == trained.classes


def test_a_classifier_without_quality_round_trips():
    model = train_classifier(small_table(), small_classes(), trees=5, cross_validate=False)
    assert model.quality is None
    assert load_classifier(model.to_bytes()).quality is None


def test_saving_where_nothing_can_be_written_names_the_file(tmp_path, trained):
    with pytest.raises(ClassifierError, match=r"missing/cells.skops: cannot write the classifier"):
        trained.save(tmp_path / "missing" / "cells.skops")


@pytest.fixture(scope="module")
def tiny_model():
    """A small classifier to tamper with (5 trees on ``small_table``)."""
    return train_classifier(small_table(), small_classes(), trees=5)


def copy_of(model):
    return load_classifier(model.to_bytes())


def test_load_refuses_a_missing_file_and_a_folder(tmp_path):
    with pytest.raises(ClassifierError, match=r"^nothing.skops: no such file$"):
        load_classifier(tmp_path / "nothing.skops")
    with pytest.raises(ClassifierError, match=r"is a folder, not a classifier file"):
        load_classifier(tmp_path)


def test_load_names_the_file_as_asked(tmp_path):
    with pytest.raises(ClassifierError, match=r"^models/x.skops: no such file$"):
        load_classifier(tmp_path / "x.skops", name="models/x.skops")


NOT_OURS = "is not a regionscope classifier (a .skops file saved by regionscope)"


def test_load_refuses_a_pickle(tmp_path, tiny_model):
    path = tmp_path / "model.skops"
    path.write_bytes(pickle.dumps(tiny_model))
    with pytest.raises(ClassifierError) as caught:
        load_classifier(path)
    assert str(caught.value) == f"model.skops {NOT_OURS}"


@pytest.mark.parametrize("content", [b"", b"hello", b"PK\x03\x04 broken zip"])
def test_load_refuses_what_is_not_a_zip(content):
    with pytest.raises(ClassifierError) as caught:
        load_classifier(content, name="upload.skops")
    assert str(caught.value) == f"upload.skops {NOT_OURS}"


def test_load_refuses_a_random_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a model")
        archive.writestr("schema.json", "{not json")
    with pytest.raises(ClassifierError) as caught:
        load_classifier(buffer.getvalue(), name="notes.zip")
    assert str(caught.value) == f"notes.zip {NOT_OURS}"


def test_load_refuses_a_skops_dict_without_the_format():
    data = skops_io.dumps({"features": ["area"], "classes": ["a", "b"]})
    with pytest.raises(ClassifierError) as caught:
        load_classifier(data, name="dict.skops")
    assert str(caught.value) == f"dict.skops {NOT_OURS}"


def test_load_refuses_a_plain_scikit_learn_model():
    from sklearn.linear_model import LogisticRegression

    table = small_table()
    model = LogisticRegression().fit(table[["area", "noise"]].to_numpy(), np.where(table["label"] <= 20, "a", "b"))
    with pytest.raises(ClassifierError) as caught:
        load_classifier(skops_io.dumps(model), name="logistic.skops")
    assert str(caught.value) == f"logistic.skops {NOT_OURS}"


def test_load_refuses_our_format_around_another_model(tiny_model):
    from sklearn.linear_model import LogisticRegression

    table = small_table()
    foreign = LogisticRegression().fit(table[["area", "noise"]].to_numpy(), np.where(table["label"] <= 20, "a", "b"))
    payload = {**tiny_model._payload(), "model": foreign}
    with pytest.raises(ClassifierError, match=r"^fake.skops holds a damaged or foreign model; train the classifier again$"):
        load_classifier(skops_io.dumps(payload), name="fake.skops")


def test_load_refuses_a_file_holding_other_types(tiny_model):
    from fractions import Fraction

    data = skops_io.dumps({**tiny_model._payload(), "extra": Fraction(1, 3)})  # a type skops does not trust
    with pytest.raises(ClassifierError) as caught:
        load_classifier(data, name="odd.skops")
    assert str(caught.value) == f"odd.skops {NOT_OURS}: it holds fractions.Fraction, which regionscope does not load"


def test_load_refuses_a_newer_format(tiny_model):
    data = skops_io.dumps({**tiny_model._payload(), "format_version": 99, "regionscope": "9.0"})
    with pytest.raises(
        ClassifierError, match=r"^new.skops was saved by a newer regionscope \(9.0\); update regionscope to load it$"
    ):
        load_classifier(data, name="new.skops")


@pytest.mark.parametrize(
    "change",
    [
        {"features": None},
        {"format_version": "one"},
        {"quality": {"accuracy": 1.0}},
        {"features": ["area"]},  # the forest reads two
        {"classes": ["a", "c"]},  # the forest's are a, b
    ],
)
def test_load_refuses_a_damaged_payload(tiny_model, change):
    data = skops_io.dumps({**tiny_model._payload(), **change})
    with pytest.raises(
        ClassifierError, match=r"^bad.skops (is a damaged regionscope classifier file|holds a damaged or foreign model)"
    ):
        load_classifier(data, name="bad.skops")


@pytest.mark.parametrize(
    ("array", "node", "value"),
    [
        ("children_left", 0, 10**6),  # out of range
        ("children_right", 0, -5),  # negative, not the leaf marker
        ("children_left", 0, 0),  # the root as its own child: a cycle
        ("children_right", 0, 1 << 40),
        ("feature", 0, 7),  # a column the table does not have (2 features)
        ("feature", 0, -3),
    ],
)
def test_load_refuses_a_tampered_tree(tiny_model, array, node, value):
    # Never predicted with: scikit-learn follows these indices without bounds checks.
    tampered = copy_of(tiny_model)
    tree = tampered.model[-1].estimators_[2].tree_
    assert tree.node_count >= 3
    getattr(tree, array)[node] = value  # the arrays are views of the tree's own nodes
    assert getattr(tree, array)[node] == value
    data = tampered.to_bytes()
    with pytest.raises(ClassifierError, match=r"^tampered.skops holds a damaged or foreign model; train the classifier again$"):
        load_classifier(data, name="tampered.skops")


def test_load_refuses_a_leaf_with_one_child(tiny_model):
    tampered = copy_of(tiny_model)
    tree = tampered.model[-1].estimators_[0].tree_
    leaf = int(np.flatnonzero(tree.children_left == -1)[0])
    tree.children_left[leaf] = tree.node_count - 1
    with pytest.raises(ClassifierError, match="holds a damaged or foreign model"):
        load_classifier(tampered.to_bytes())


def schema_of(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return json.loads(archive.read("schema.json")), {m.filename: archive.read(m) for m in archive.infolist()}


def with_schema(members, schema):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for filename, content in members.items():
            archive.writestr(filename, json.dumps(schema) if filename == "schema.json" else content)
    return buffer.getvalue()


def test_load_refuses_a_tree_whose_stored_nodes_were_edited_in_the_zip(tiny_model):
    # The same damage done to the file, not to the model: rewrite one tree's stored node array.
    schema, members = schema_of(tiny_model.to_bytes())

    def trees(node):
        if isinstance(node, dict):
            if node.get("__loader__") == "TreeNode":
                yield node
            for value in node.values():
                yield from trees(value)
        elif isinstance(node, list):
            for value in node:
                yield from trees(value)

    stored = next(trees(schema))["content"]["content"]["nodes"]["file"]
    nodes = np.load(io.BytesIO(members[stored]), allow_pickle=False)
    nodes["left_child"][0] = 123456
    buffer = io.BytesIO()
    np.save(buffer, nodes, allow_pickle=False)
    members[stored] = buffer.getvalue()
    with pytest.raises(ClassifierError, match="holds a damaged or foreign model"):
        load_classifier(with_schema(members, schema), name="edited.skops")


def test_load_refuses_a_file_that_unpacks_to_too_much(monkeypatch, tiny_model):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", b" " * 100_000)
    data = buffer.getvalue()
    monkeypatch.setattr(classifier_module, "MAX_MODEL_BYTES", 50_000)
    assert len(data) < 50_000
    with pytest.raises(ClassifierError, match=r"^bomb.skops unpacks to more than 0 MB, more than a classifier$"):
        load_classifier(data, name="bomb.skops")


def test_load_runs_the_forest_on_as_many_threads_as_there_are_cores(tiny_model):
    payload = tiny_model._payload()
    payload["model"][-1].set_params(n_jobs=10**6, verbose=5)
    loaded = load_classifier(skops_io.dumps(payload))
    assert loaded.model[-1].n_jobs == -1 and loaded.model[-1].verbose == 0
    tiny_model.model[-1].set_params(n_jobs=-1, verbose=0)


def test_every_error_is_a_regionscope_error():
    assert issubclass(ClassifierError, rs.RegionscopeError) and issubclass(ClassifierError, ValueError)
