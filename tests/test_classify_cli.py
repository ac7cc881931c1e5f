"""Tests of ``regionscope classify``: training from tables and from the explorer's saved classes, applying saved models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tifffile
from populations import POPULATIONS, three_populations

import regionscope as rs
from regionscope.annotations import AnnotationStore
from regionscope.classifier import load_classifier
from regionscope.cli import main

pytest.importorskip("skops.io")


#: Trees of the forests trained here: fewer than the default 200, for time; every path is the same.
FEW_TREES = ["--trees", "40"]


def run(argv, capsys):
    """Run ``regionscope argv`` in-process: (exit code, stdout, stderr)."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:  # argparse: --help, usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def first_of_each(truth, n=20):
    """The first ``n`` labels of each kind, with their kinds: the user's classes."""
    classes = {}
    for kind in POPULATIONS:
        classes.update(dict.fromkeys([label for label in sorted(truth) if truth[label] == kind][:n], kind))
    return classes


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Two images of the three populations as TIFF files, the first one's table with classes (as the explorer exports it)."""
    folder = tmp_path_factory.mktemp("classify")
    paths = {}
    for name, seed in (("a", 0), ("b", 1)):
        image, labels, truth = three_populations(30, seed=seed)
        paths[name] = folder / f"{name}.tif"
        paths[f"{name}_mask"] = folder / f"{name}_mask.tif"
        tifffile.imwrite(paths[name], image.astype(np.float32))
        tifffile.imwrite(paths[f"{name}_mask"], labels)
        paths[f"{name}_truth"] = truth
    table = rs.measure(rs.read_image(paths["a"]), rs.read_labels(paths["a_mask"]))
    paths["a_classes"] = folder / "a-classes.csv"
    rs.export_table(table, paths["a_classes"], classes=first_of_each(paths["a_truth"], 10))
    return paths


@pytest.fixture(scope="module")
def model_file(files, tmp_path_factory):
    """A classifier trained by the command on a's table with classes."""
    path = tmp_path_factory.mktemp("model") / "cells.skops"
    assert main(["classify", "--train-from", str(files["a_classes"]), "--save-model", str(path), *FEW_TREES]) == 0
    return path


def python_predictions(model_file, image_path, labels_path):
    """What Python gives: the saved classifier applied to the image's measured table."""
    table = rs.measure(rs.read_image(image_path), rs.read_labels(labels_path))
    return load_classifier(model_file).predict(table)


def test_train_from_a_table_with_classes_and_save(files, tmp_path, capsys):
    path = tmp_path / "model.skops"
    code, out, err = run(["classify", "--train-from", files["a_classes"], "--save-model", path, *FEW_TREES], capsys)
    assert code == 0 and out == ""
    assert err.startswith("trained on 30 regions of 3 classes (elongated dim 10, round bright 10, small speck 10) from ")
    assert "on 11 feature columns; cross-validated accuracy" in err and err.rstrip().endswith(f"(5 folds); saved to {path}")
    model = load_classifier(path)
    assert model.classes == ("elongated dim", "round bright", "small speck") and model.examples == 30


def test_apply_to_another_images_table_as_python_does(files, model_file, tmp_path, capsys):
    measured = tmp_path / "b.csv"
    assert run(["measure", files["b"], "--labels", files["b_mask"], "-o", measured], capsys)[0] == 0
    out_path = tmp_path / "b-classes.parquet"
    code, out, err = run(["classify", measured, "--model", model_file, "-o", out_path], capsys)
    assert code == 0, err
    assert err == f"90 regions classified (elongated dim 30, round bright 30, small speck 30) written to {out_path}\n"
    written = pd.read_parquet(out_path)
    expected = python_predictions(model_file, files["b"], files["b_mask"])
    assert list(written.columns) == [*pd.read_csv(measured).columns, "predicted_class", "predicted_probability"]
    assert written["predicted_class"].tolist() == expected["predicted_class"].tolist()
    np.testing.assert_allclose(written["predicted_probability"], expected["predicted_probability"], rtol=0, atol=1e-12)
    truth = files["b_truth"]
    assert (written["predicted_class"] == written["label"].map(truth)).mean() >= 0.95


def test_apply_to_an_image_and_labels_as_python_does(files, model_file, tmp_path, capsys):
    out_path = tmp_path / "b.csv"
    code, _, err = run(["classify", files["b"], "--labels", files["b_mask"], "--model", model_file, "-o", out_path], capsys)
    assert code == 0, err
    written = pd.read_csv(out_path)
    expected = python_predictions(model_file, files["b"], files["b_mask"])
    assert written["label"].tolist() == expected["label"].tolist()
    assert written["predicted_class"].tolist() == expected["predicted_class"].tolist()
    assert written["predicted_probability"].tolist() == expected["predicted_probability"].tolist()  # CSV keeps every digit


def test_without_output_the_table_is_printed(files, model_file, capsys):
    code, out, err = run(["classify", files["b"], "--labels", files["b_mask"], "--model", model_file], capsys)
    assert code == 0
    assert out.splitlines()[0].split()[-2:] == ["predicted_class", "predicted_probability"]
    assert len(out.splitlines()) == 91
    assert err == "90 regions classified (elongated dim 30, round bright 30, small speck 30)\n"


def test_train_and_apply_in_one_run_with_chosen_features(files, tmp_path, capsys):
    out_path = tmp_path / "b.tsv"
    argv = ["classify", files["b"], "--labels", files["b_mask"], "--train-from", files["a_classes"], "-o", out_path]
    code, _, err = run([*argv, "--features", "area, intensity_mean", *FEW_TREES], capsys)
    assert code == 0, err
    assert "on 2 feature columns" in err
    written = pd.read_csv(out_path, sep="\t")
    assert (written["predicted_class"] == written["label"].map(files["b_truth"])).mean() >= 0.95


def test_a_classified_table_classified_again_replaces_the_predictions(files, model_file, tmp_path, capsys):
    once, twice = tmp_path / "once.csv", tmp_path / "twice.csv"
    assert run(["classify", files["b"], "--labels", files["b_mask"], "--model", model_file, "-o", once], capsys)[0] == 0
    assert run(["classify", once, "--model", model_file, "-o", twice], capsys)[0] == 0
    pd.testing.assert_frame_equal(pd.read_csv(once), pd.read_csv(twice))


def test_a_table_of_several_images_trains_by_image_and_label(files, tmp_path, capsys):
    # Labels repeat across images; the classes are told apart by the image column.
    a = pd.read_csv(files["a_classes"], dtype={"class": "string"})
    both = pd.concat([a.assign(image="a.tif"), a.assign(image="copy.tif", **{"class": pd.NA})], ignore_index=True)
    both.to_parquet(tmp_path / "both.parquet")
    path = tmp_path / "both.skops"
    code, _, err = run(["classify", "--train-from", tmp_path / "both.parquet", "--save-model", path, *FEW_TREES], capsys)
    assert code == 0, err
    assert load_classifier(path).examples == 30


# --------------------------------------------------------------------------
# Training from the classes saved in the explorer's workspace
# --------------------------------------------------------------------------


def explorer_dataset_id(image_path, labels_path):
    """The id the explorer gives these files (what its classes are saved under)."""
    pytest.importorskip("dash")
    from regionscope.app.registry import DatasetRegistry

    return DatasetRegistry().open_files(image_path, labels_path).id


def save_classes(workspace, key, classes):
    with AnnotationStore(workspace) as store:
        for index, kind in enumerate(POPULATIONS):
            store.define_class(key, kind, ["#1f77b4", "#ff7f0e", "#2ca02c"][index])
            store.assign(key, [label for label, name in classes.items() if name == kind], kind)


def test_train_from_the_classes_the_explorer_saved(files, tmp_path, capsys):
    workspace = tmp_path / "workspace"
    key = explorer_dataset_id(files["a"], files["a_mask"])
    classes = first_of_each(files["a_truth"], 10)
    save_classes(workspace, key, classes)
    with AnnotationStore(workspace) as store:
        store.exclude(key, [sorted(classes)[0]])  # an excluded region is no example
    path = tmp_path / "from-workspace.skops"
    argv = ["classify", "--train-from", files["a"], "--train-labels", files["a_mask"], "--workspace", workspace]
    code, _, err = run([*argv, "--save-model", path, *FEW_TREES], capsys)
    assert code == 0, err
    assert err.startswith("trained on 29 regions of 3 classes")
    # The same examples as the exported table: the same classifier, the same predictions.
    table = rs.measure(rs.read_image(files["a"]), rs.read_labels(files["a_mask"]))
    del classes[sorted(classes)[0]]
    expected = rs.train_classifier(table, classes, trees=40).predict(table)
    pd.testing.assert_frame_equal(load_classifier(path).predict(table), expected)


def test_train_from_a_users_classes(files, tmp_path, capsys, monkeypatch):
    workspace = tmp_path / "workspace"
    key = explorer_dataset_id(files["a"], files["a_mask"])
    save_classes(workspace, f"{key}@alice", first_of_each(files["a_truth"], 5))
    monkeypatch.setenv("REGIONSCOPE_WORKSPACE", str(workspace))
    argv = [
        "classify",
        "--train-from",
        files["a"],
        "--train-labels",
        files["a_mask"],
        "--save-model",
        tmp_path / "m.skops",
        *FEW_TREES,
    ]
    code, _, err = run([*argv, "--user", "alice"], capsys)
    assert code == 0, err
    assert err.startswith("trained on 15 regions of 3 classes")
    code, _, err = run(argv, capsys)  # everyone's classes: none
    assert code == 1
    assert "has a class in the workspace" in err and "regionscope view" in err


def test_an_image_without_saved_classes_says_where_it_looked(files, tmp_path, capsys):
    workspace = tmp_path / "empty"
    argv = ["classify", "--train-from", files["a"], "--train-labels", files["a_mask"], "--save-model", tmp_path / "m.skops"]
    code, _, err = run([*argv, "--workspace", workspace], capsys)
    assert code == 1
    assert err == (
        f"regionscope: error: {files['a']}: no classes are saved in the workspace {workspace} (it has no annotations.sqlite3); "
        f"give regions classes in the explorer (regionscope view {files['a']} --labels {files['a_mask']}) or point "
        "--workspace to the folder it used\n"
    )
    assert not workspace.exists()  # looking created nothing


# --------------------------------------------------------------------------
# Errors: one line, no traceback
# --------------------------------------------------------------------------


def test_a_missing_model_file(files, tmp_path, capsys):
    missing = tmp_path / "nope.skops"
    code, out, err = run(["classify", files["a_classes"], "--model", missing], capsys)
    assert (code, out, err) == (1, "", f"regionscope: error: {missing}: no such file\n")


def test_a_file_that_is_not_a_classifier(files, tmp_path, capsys):
    fake = tmp_path / "fake.skops"
    fake.write_text("hello")
    code, _, err = run(["classify", files["a_classes"], "--model", fake], capsys)
    assert code == 1
    assert err == f"regionscope: error: {fake} is not a regionscope classifier (a .skops file saved by regionscope)\n"


def test_a_table_without_the_models_features_names_them(files, model_file, tmp_path, capsys):
    short = tmp_path / "short.csv"
    pd.read_csv(files["a_classes"]).drop(columns=["solidity", "intensity_max"]).to_csv(short, index=False)
    code, _, err = run(["classify", short, "--model", model_file], capsys)
    assert code == 1
    assert err == (
        f"regionscope: error: {short} lacks 2 of the classifier's 11 feature columns ('solidity', 'intensity_max'); "
        "measure it with the same properties (and channels) as the table the classifier was trained on\n"
    )


def test_an_image_measured_with_other_properties(files, model_file, capsys):
    argv = ["classify", files["b"], "--labels", files["b_mask"], "--model", model_file, "--properties", "label,area"]
    code, _, err = run(argv, capsys)
    assert code == 1 and "lacks 10 of the classifier's 11 feature columns" in err and "Traceback" not in err


def test_a_training_table_without_classes(files, tmp_path, capsys):
    plain = tmp_path / "plain.csv"
    pd.read_csv(files["a_classes"]).drop(columns="class").to_csv(plain, index=False)
    code, _, err = run(["classify", "--train-from", plain, "--save-model", tmp_path / "m.skops"], capsys)
    assert code == 1
    assert err == (
        f"regionscope: error: {plain}: has no 'class' column; export the table with classes from the explorer "
        "(Export > table), or add one\n"
    )


def test_a_training_table_with_one_class(files, tmp_path, capsys):
    one = tmp_path / "one.csv"
    table = pd.read_csv(files["a_classes"], dtype={"class": "string"})
    table.loc[table["class"] != "round bright", "class"] = pd.NA
    table.to_csv(one, index=False)
    code, _, err = run(["classify", "--train-from", one, "--save-model", tmp_path / "m.skops"], capsys)
    assert code == 1
    assert err == (
        f"regionscope: error: {one}: not enough examples to train: give regions at least two different classes "
        "(now: 'round bright'), 2 regions each, then train\n"
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "no such file"), ("", "cannot read the table"), ("area,perimeter\n1,2\n", "has no 'label' column")],
)
def test_a_table_input_that_cannot_be_used(tmp_path, model_file, capsys, content, problem):
    path = tmp_path / "t.csv"
    if content is not None:
        path.write_text(content)
    code, _, err = run(["classify", path, "--model", model_file], capsys)
    assert code == 1
    assert err.startswith(f"regionscope: error: {path}: {problem}") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["t.csv"], "give --model MODEL to apply a saved classifier, or --train-from SOURCE to train one"),
        (["t.csv", "--model", "m.skops", "--train-from", "a.csv"], "not both"),
        (["t.csv", "--model", "m.skops", "--features", "area"], "--features is for training (--train-from)"),
        (["t.csv", "--model", "m.skops", "--trees", "10", "--save-model", "x.skops"], "--save-model, --trees are for training"),
        (["--train-from", "a.csv", "--save-model", "m.skops", "--trees", "0"], "--trees must be at least 1, not 0"),
        (["--model", "m.skops"], "nothing to do: give INPUT to classify, or --save-model MODEL"),
        (["--train-from", "a.csv"], "nothing to do"),
        (["--train-from", "a.csv", "--save-model", "m.skops", "-o", "x.csv"], "-o writes the classified INPUT"),
        (["t.csv", "--model", "m.skops", "-o", "x.xlsx"], "the output must end in .csv, .tsv, .parquet"),
        (["t.csv", "--model", "m.skops", "--labels", "mask.tif"], "--labels is for an image INPUT"),
        (
            ["--train-from", "a.csv", "--train-labels", "m.tif", "--save-model", "m.skops"],
            "--train-labels is for an image SOURCE",
        ),
    ],
)
def test_usage_errors(capsys, argv, message):
    code, _, err = run(["classify", *argv], capsys)
    assert code == 2
    assert message in err


def test_help_has_examples(capsys):
    code, out, _ = run(["classify", "--help"], capsys)
    assert code == 0
    assert "examples:" in out and "INPUT" in out
    for option in ("--model", "--train-from", "--train-labels", "--save-model", "--features", "--workspace", "--output"):
        assert option in out
