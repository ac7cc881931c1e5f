"""The classifier loop in the page: assign classes, train, see predictions, review, correct, retrain, accept."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.draw import disk, ellipse

from conftest import park, serve
from pagetools import choose_option, overlay_picture, row_selector, wait_text

pytestmark = pytest.mark.browser

#: One object per 40-pixel cell of a 6 x 6 grid; the population cycles along the cells.
POPULATIONS = ("round", "long", "speck")
CELL = 40


def three_populations(seed=7):
    """Round bright discs, elongated dim ellipses and small specks, 12 of each, labels 1..36.

    Returns
    -------
    image : ndarray of uint8, shape (240, 240)
    labels : ndarray of int32, shape (240, 240)
    truth : dict of int to str
        Each label's population.
    """
    rng = np.random.default_rng(seed)
    image = np.full((6 * CELL, 6 * CELL), 20, dtype=np.uint8)
    labels = np.zeros(image.shape, dtype=np.int32)
    truth = {}
    for k in range(36):
        row, col = (k // 6) * CELL + CELL // 2, (k % 6) * CELL + CELL // 2
        kind = POPULATIONS[k % 3]
        if kind == "round":
            rr, cc = disk((row, col), 9 + rng.uniform(-1, 1))
            value = 220
        elif kind == "long":
            rr, cc = ellipse(row, col, 4 + rng.uniform(-0.5, 0.5), 15 + rng.uniform(-2, 2), rotation=rng.uniform(0, np.pi))
            value = 90
        else:
            rr, cc = disk((row, col), 2.6)
            value = 150
        labels[rr, cc] = k + 1
        image[rr, cc] = value
        truth[k + 1] = kind
    return image, labels, truth


def grid_values(page, field):
    return page.evaluate(
        "(field) => { const out = {}; dash_ag_grid.getApi('rs-grid').forEachNode((n) => { out[n.data.label] = n.data[field] ?? null; });"
        " return out; }",
        field,
    )


def add_class(page, name):
    page.locator("#rs-class-name").fill(name)
    page.locator("#rs-class-add").click()
    page.wait_for_selector(f"#rs-class-bar .rs-class-button:has-text('{name}')")


def give_class(page, labels, name):
    page.evaluate("() => dash_ag_grid.getApi('rs-grid').deselectAll()")
    for label in labels:
        page.evaluate(f"() => dash_ag_grid.getApi('rs-grid').getRowNode('{label}').setSelected(true)")
    page.locator(f"#rs-class-bar .rs-class-button:has-text('{name}')").click()
    page.wait_for_function(
        "([labels, name]) => labels.every((l) => dash_ag_grid.getApi('rs-grid').getRowNode(String(l)).data.class === name)",
        arg=[labels, name],
    )


def test_train_review_correct_retrain_accept(new_page, tmp_path):
    image, labels, truth = three_populations()
    served = serve(image, labels, name="populations")
    try:
        page = new_page(served.url, viewport=(1600, 1000))
        page.locator("summary:has-text('Classifier')").click()
        wait_text(page, "#rs-train-status", "Give regions at least two different classes")
        for name in POPULATIONS:
            add_class(page, name)
        # Two examples of each class: the fewest training accepts.
        examples = {name: [label for label, kind in truth.items() if kind == name][:2] for name in POPULATIONS}
        give_class(page, examples["round"], "round")
        wait_text(page, "#rs-train-status", "at least two different classes (now: 'round')")
        give_class(page, examples["long"], "long")
        give_class(page, examples["speck"], "speck")
        wait_text(page, "#rs-train-status", "Ready to train on 6 regions of 3 classes")

        page.locator("#rs-train").click()
        wait_text(page, "#rs-notice", "Trained on 6 regions of 3 classes")
        predicted = grid_values(page, "predicted_class")
        assert {int(label): name for label, name in predicted.items()} == truth
        probabilities = grid_values(page, "predicted_probability")
        assert all(0 < p <= 1 for p in probabilities.values())
        # The quality picture: a confusion matrix of the three classes.
        page.wait_for_selector("#rs-quality .heatmaplayer")

        # Colour by predicted class: every region in its class's colour (no grey left).
        choose_option(page, "rs-color-by", "predicted_class")
        for _ in range(50):
            picture = overlay_picture(page)
            grey = 0
            for label in truth:
                k = label - 1
                row, col = (k // 6) * CELL + CELL // 2, (k % 6) * CELL + CELL // 2
                if tuple(picture[row, col][:3]) == (150, 150, 150):
                    grey += 1
            if grey == 0:
                break
            page.wait_for_timeout(100)
        assert grey == 0

        # Embedding axes: PCA of the classifier's features becomes the feature plot's axes.
        page.locator("#rs-embed-pca").click()
        wait_text(page, "#rs-notice", "the feature plot shows pca-1 against pca-2")
        page.wait_for_function(
            "() => { const gd = document.querySelector('#rs-plot .js-plotly-plot');"
            " return gd && gd.layout && gd.layout.xaxis.title && gd.layout.xaxis.title.text === 'pca-1'; }"
        )
        assert all(isinstance(v, float) for v in grid_values(page, "pca-2").values())

        # Review: only regions without a class of their own, least certain first.
        page.locator("#rs-review").click()
        wait_text(page, "#rs-count", "30 of 36 regions shown")
        assert page.input_value("#rs-query") == "{class} is nil"
        shown = page.evaluate(
            "() => { const out = []; dash_ag_grid.getApi('rs-grid').forEachNodeAfterFilterAndSort((n) => out.push("
            "[n.data.label, n.data.predicted_probability])); return out; }"
        )
        assert [p for _, p in shown] == sorted(p for _, p in shown)
        # Correct the least certain one (give it its true class): it leaves the review list.
        least = int(shown[0][0])
        page.wait_for_selector(row_selector(least))
        give_class(page, [least], truth[least])
        wait_text(page, "#rs-count", "29 of 36 regions shown")

        # Retrain in one click: now on 7 examples.
        page.locator("#rs-train").click()
        wait_text(page, "#rs-notice", "Trained on 7 regions of 3 classes")
        assert {int(label): name for label, name in grid_values(page, "predicted_class").items()} == truth
        # Retraining keeps the review's order (the columns were not sent again).
        sort = page.evaluate(
            "() => dash_ag_grid.getApi('rs-grid').getColumnState().filter((c) => c.sort).map((c) => [c.colId, c.sort])"
        )
        assert sort == [["predicted_probability", "asc"]]
        assert None not in grid_values(page, "pca-1").values()  # the tab's axes stay after retraining

        # Accept: with nothing selected, the shown regions (all 29 without a class) take their prediction.
        page.evaluate("() => dash_ag_grid.getApi('rs-grid').deselectAll()")
        page.locator("#rs-accept").click()
        wait_text(page, "#rs-notice", "Accepted the predicted class of 29 shown regions")
        page.wait_for_function(
            "() => { let ok = true; dash_ag_grid.getApi('rs-grid').forEachNode((n) => { ok = ok && !!n.data.class; }); return ok; }"
        )
        assert {int(label): name for label, name in grid_values(page, "class").items()} == truth
        wait_text(page, "#rs-count", "0 of 36 regions shown")  # the review query: none left without a class
        wait_text(page, "#rs-class-bar", "round (12)")

        # The classifier can be taken away as a .skops file and loads back as the same classifier.
        with page.expect_download() as download:
            page.locator("#rs-model-export").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.suffix == ".skops"
        from regionscope import load_classifier, measure

        classifier = load_classifier(saved)
        again = classifier.predict(measure(image, labels))
        app_probabilities = grid_values(page, "predicted_probability")
        assert dict(zip(again["label"], again["predicted_class"], strict=True)) == truth
        for label, p in zip(again["label"], again["predicted_probability"], strict=True):
            assert app_probabilities[str(label)] == pytest.approx(p, abs=1e-4)
    finally:
        park(page)
        served.server.stop()

    # Another image: the classifier loaded in the page predicts what `regionscope classify` predicts.
    import subprocess
    import sys

    import tifffile

    image2, labels2, truth2 = three_populations(seed=11)
    tifffile.imwrite(tmp_path / "other.tif", image2)
    tifffile.imwrite(tmp_path / "other_mask.tif", labels2)
    other = serve(image2, labels2, name="other")
    try:
        page = new_page(other.url, viewport=(1600, 1000))
        page.locator("summary:has-text('Classifier')").click()
        page.set_input_files("#rs-model-upload input[type=file]", str(saved))
        wait_text(page, "#rs-notice", "Loaded the classifier")
        in_page = grid_values(page, "predicted_class")
        in_page_p = grid_values(page, "predicted_probability")
        assert {int(label): name for label, name in in_page.items()} == truth2
    finally:
        park(page)
        other.server.stop()
    out = tmp_path / "other.csv"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "regionscope.cli",
            "classify",
            str(tmp_path / "other.tif"),
            "--labels",
            str(tmp_path / "other_mask.tif"),
            "--model",
            str(saved),
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    import pandas as pd

    cli = pd.read_csv(out)
    assert dict(zip(cli["label"].astype(str), cli["predicted_class"], strict=True)) == in_page
    for label, p in zip(cli["label"].astype(str), cli["predicted_probability"], strict=True):
        assert in_page_p[label] == pytest.approx(p, abs=1e-4)
