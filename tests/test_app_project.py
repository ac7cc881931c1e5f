"""The project view's plain helpers: annotation keys by image, the summary for a query, the cards' counts."""

from __future__ import annotations

import pandas as pd
import pytest

from project_support import write_plate


@pytest.fixture
def project(tmp_path):
    from regionscope import Project, measure_many

    plate = write_plate(tmp_path / "plate")
    measure_many([str(plate)], labels_pattern="{stem}_mask.tif", project=tmp_path / "project", workers=1)
    return Project.open(tmp_path / "project")


def test_a_project_images_dataset_id_stands_for_its_key(project):
    from regionscope.annotations import AnnotationStore
    from regionscope.app.project_callbacks import ProjectAnnotations, open_project_image
    from regionscope.app.registry import DatasetRegistry

    annotations = ProjectAnnotations(AnnotationStore(project.folder), project)
    dataset = open_project_image(DatasetRegistry(), project, "A02", annotations)
    annotations.define_class(dataset.id, "dead", "#000000")
    annotations.assign(dataset.id, [3], "dead")
    assert project.classes() == {("A02", 3): "dead"}
    assert annotations.assignments(dataset) == {3: "dead"}
    assert annotations.key("unknown-id") == "unknown-id"  # datasets outside the project keep their own key
    # The explorer's table of the image is the project's (the same files, the same settings).
    pd.testing.assert_frame_equal(
        dataset.table.reset_index(drop=True),
        project.image_regions("A02").drop(columns="image").reset_index(drop=True),
        check_dtype=False,
    )


def test_the_summary_follows_the_query_and_says_its_mistakes(project):
    from regionscope.app.project_callbacks import card_counts, project_summary

    summary, error = project_summary(project, "{area} > 1000000")
    assert error == "" and summary["shown"].tolist() == [0, 0, 0] and summary["regions"].tolist() == [4, 4, 4]
    summary, error = project_summary(project, "{area} >")
    assert error and summary["shown"].tolist() == [4, 4, 4]  # a mistake filters nothing
    assert card_counts(summary, ["A01", "missing"]) == [["4 of 4 shown"], ""]


def test_regionscope_view_opens_a_project_folder(project, tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.dash_client import DashClient
    from benchmarks.load import Server

    server = Server([str(project.folder)], tmp_path / "workspace")
    try:
        layout = DashClient(server.url).get("/_dash-layout").text
        assert "rs-gallery" in layout and "Project · 3 images" in layout
        assert DashClient(server.url).get("/_regionscope/project/thumbnail/0").status == 200
        assert DashClient(server.url).get("/_regionscope/project/thumbnail/9").status == 404
    finally:
        server.stop()
