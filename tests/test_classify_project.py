"""The classifier over a project: trained on regions annotated in any image, predicting every region of every image."""

from __future__ import annotations

import pandas as pd
import pytest
import tifffile
from populations import three_populations

pytest.importorskip("sklearn")


@pytest.fixture
def project(tmp_path):
    """Two images of three known kinds measured into a project; ``truth[(image, label)]`` is each region's kind."""
    from regionscope import measure_many

    truth = {}
    for seed, name in enumerate(["a", "b"]):
        image, labels, kinds = three_populations(per_class=12, seed=seed)
        tifffile.imwrite(tmp_path / f"{name}.tif", image.astype("float32"))
        tifffile.imwrite(tmp_path / f"{name}_mask.tif", labels)
        truth.update({(name, label): kind for label, kind in kinds.items()})
    folder = tmp_path / "project"
    measure_many([str(tmp_path / "a.tif"), str(tmp_path / "b.tif")], labels_pattern="{stem}_mask.tif", project=folder, workers=1)
    return folder, truth


def annotate(folder, truth, per_class):
    """Give ``per_class`` regions of each kind their class, half in image a and half in b; exclude one of them."""
    from regionscope import Project

    project = Project.open(folder)
    chosen = {}
    with project.annotations() as store:
        for image in ("a", "b"):
            for kind in sorted(set(truth.values())):
                store.define_class(project.annotation_key(image), kind, "#e69f00")
        for kind in sorted(set(truth.values())):
            # Half of each kind's examples from each image.
            keys = [key for key, value in truth.items() if value == kind and key[0] == "a"][: per_class // 2]
            keys += [key for key, value in truth.items() if value == kind and key[0] == "b"][: per_class - len(keys)]
            for image, label in keys:
                store.assign(project.annotation_key(image), [label], kind)
                chosen[(image, label)] = kind
        # An excluded region is no example, whatever its class.
        image, label = next(iter(chosen))
        store.exclude(project.annotation_key(image), [label])
        del chosen[(image, label)]
    return chosen


def test_project_classes_are_keyed_by_image_and_label(project):
    from regionscope import Project

    folder, truth = project
    chosen = annotate(folder, truth, per_class=4)
    assert Project.open(folder).classes() == chosen
    assert {image for image, _ in chosen} == {"a", "b"}
    # Label 1 of image a and label 1 of image b are two regions: each keeps its own class.
    opened = Project.open(folder)
    with opened.annotations() as store:
        store.define_class(opened.annotation_key("b"), "other", "#000000")
        store.assign(opened.annotation_key("b"), [1], "other")
        store.assign(opened.annotation_key("a"), [1], truth[("a", 1)])
    classes = opened.classes()
    assert classes[("b", 1)] == "other" and classes[("a", 1)] == truth[("a", 1)]


def test_classify_a_project_from_its_own_annotations(project, tmp_path, capsys):
    from regionscope import Project, load_classifier, train_classifier
    from regionscope.cli import main

    folder, truth = project
    chosen = annotate(folder, truth, per_class=8)
    model, out = tmp_path / "model.skops", tmp_path / "predicted.parquet"
    assert main(["classify", str(folder), "--train-from", str(folder), "--save-model", str(model), "-o", str(out)]) == 0
    said = capsys.readouterr().err
    assert f"trained on {len(chosen)} regions of 3 classes" in said and "72 regions classified" in said
    predicted = pd.read_parquet(out)
    assert list(predicted.columns[:2]) == ["image", "label"] and set(predicted["image"]) == {"a", "b"}
    keys = list(zip(predicted["image"], predicted["label"], strict=True))
    rest = [k for k in keys if k not in chosen]
    right = sum(
        predicted_class == truth[key]
        for key, predicted_class in zip(keys, predicted["predicted_class"], strict=True)
        if key in rest
    )
    assert right / len(rest) >= 0.95
    # The same as in Python, and as the saved classifier applied to the project again.
    regions = Project.open(folder).regions
    python = train_classifier(regions, Project.open(folder).classes()).predict(regions)
    assert python["predicted_class"].tolist() == predicted["predicted_class"].tolist()
    again = tmp_path / "again.csv"
    assert main(["classify", str(folder), "--model", str(model), "-o", str(again)]) == 0
    assert pd.read_csv(again)["predicted_class"].tolist() == predicted["predicted_class"].tolist()
    assert load_classifier(model).examples == len(chosen)


def test_a_project_without_classes_says_so(project, capsys):
    from regionscope.cli import main

    folder, _ = project
    assert main(["classify", str(folder), "--train-from", str(folder)]) != 0
    assert "no region of this project has a class" in capsys.readouterr().err
