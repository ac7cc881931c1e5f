"""Per-image and per-group summaries: counts, shown fractions and classes, exact on a hand-made table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionscope.summary import SummaryError, summarize


@pytest.fixture
def regions():
    """Image A01 (control) has 3 regions, A02 (drug) 2, B01 (drug) 1."""
    return pd.DataFrame(
        {
            "image": ["A01", "A01", "A01", "A02", "A02", "B01"],
            "label": [1, 2, 3, 1, 2, 1],
            "area": [10, 50, 90, 20, 80, 5],
            "condition": ["control"] * 3 + ["drug"] * 3,
        }
    )


def test_counts_per_image_without_a_filter(regions):
    table = summarize(regions)
    assert table.to_dict("list") == {
        "image": ["A01", "A02", "B01"],
        "regions": [3, 2, 1],
        "shown": [3, 2, 1],
        "shown_fraction": [1.0, 1.0, 1.0],
    }


def test_the_filter_and_classes_per_group(regions):
    shown = regions["area"].to_numpy() > 15
    classes = pd.Series(["big", "big", None, "small", "big", "small"])
    table = summarize(regions, "condition", shown=shown, classes=classes)
    assert list(table.columns) == [
        "condition", "regions", "shown", "shown_fraction", "n big", "fraction big", "n small", "fraction small", "n no class",
    ]  # fmt: skip
    control, drug = table.to_dict("records")
    assert control == {
        "condition": "control", "regions": 3, "shown": 2, "shown_fraction": 2 / 3,
        "n big": 1, "fraction big": 0.5, "n small": 0, "fraction small": 0.0, "n no class": 1,
    }  # fmt: skip
    assert (drug["shown"], drug["n big"], drug["n small"], drug["fraction small"]) == (
        2,
        1,
        1,
        0.5,
    )  # B01's speck is filtered out


def test_an_image_with_nothing_shown_has_zero_fractions(regions):
    table = summarize(regions, shown=np.array([True, False, False, False, False, False]), classes=pd.Series(["a"] * 6))
    assert table["shown"].tolist() == [1, 0, 0] and table["fraction a"].tolist() == [1.0, 0.0, 0.0]


def test_mistakes_name_the_column(regions):
    with pytest.raises(SummaryError, match="cannot group by 'well'.*image, condition"):
        summarize(regions, "well")
    with pytest.raises(SummaryError, match="5 values for 6 regions"):
        summarize(regions, shown=np.ones(5, bool))


def test_the_summary_command_on_a_project(tmp_path, capsys):
    from regionscope import Project, measure_many
    from regionscope.cli import main

    from project_support import write_plate

    plate = write_plate(tmp_path / "plate")
    measure_many([str(plate)], labels_pattern="{stem}_mask.tif", project=tmp_path / "project", workers=1)
    project = Project.open(tmp_path / "project")
    with project.annotations() as store:
        key = project.annotation_key("A01")
        store.define_class(key, "dead", "#000000")
        store.assign(key, [1, 2], "dead")
    out = tmp_path / "summary.csv"
    assert main(["summary", str(tmp_path / "project"), "--filter", "{area} > 0", "-o", str(out)]) == 0
    table = pd.read_csv(out)
    assert table["image"].tolist() == ["A01", "A02", "B01"] and table["regions"].tolist() == [4, 4, 4]
    assert table["n dead"].tolist() == [2, 0, 0] and table["n no class"].tolist() == [2, 4, 4]
    assert main(["summary", str(tmp_path / "project"), "--by", "well"]) == 1
    assert "cannot group by 'well'" in capsys.readouterr().err
    assert main(["summary", str(tmp_path)]) == 1
    assert "is not a project folder" in capsys.readouterr().err
