"""Issue 9.13: one rule for the names of channels that have none.

The same RGB array got ``intensity_mean-red`` from ``rs.measure`` and
``intensity_mean-ch0`` from ``rs.explore``; four places made default names.
Now :func:`regionscope.io.default_channel_names` is the rule, and every path
(Python, files without names, the app) gives the same columns.
"""

from __future__ import annotations

import numpy as np
import pytest

from regionscope import measure
from regionscope.io import default_channel_names, load_image
from regionscope.pipeline import measure_files

RGB_NAMES = ("red", "green", "blue")


def test_the_rule():
    assert default_channel_names(3, np.uint8) == RGB_NAMES
    assert default_channel_names(4, np.uint8) == RGB_NAMES + ("alpha",)
    assert default_channel_names(3, np.uint16) == ("ch0", "ch1", "ch2")
    assert default_channel_names(2, np.uint8) == ("ch0", "ch1")
    assert default_channel_names(5) == ("ch0", "ch1", "ch2", "ch3", "ch4")


def _images():
    labels = np.zeros((12, 14), dtype=np.uint8)
    labels[2:6, 3:8] = 1
    labels[7:11, 9:13] = 2
    rgb = np.random.default_rng(1).integers(0, 255, (12, 14, 3), dtype=np.uint8)
    return labels, rgb


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_python_files_and_app_name_channels_alike(tmp_path, dtype):
    from regionscope.app.registry import DatasetRegistry
    from regionscope.app.server import as_image_data, open_default

    labels, rgb = _images()
    image = rgb.astype(dtype)
    expected = list(measure(image, labels).columns)
    names = RGB_NAMES if dtype == np.uint8 else ("ch0", "ch1", "ch2")
    assert f"intensity_mean-{names[0]}" in expected

    # rs.explore's path: an array, no names.
    assert as_image_data(image).channel_names == names
    dataset = open_default(DatasetRegistry(), image, labels)
    assert list(dataset.table.columns) == expected

    # A .npy file (no axis metadata) through the CLI's pipeline.
    np.save(tmp_path / "image.npy", image)
    np.save(tmp_path / "labels.npy", labels)
    assert load_image(tmp_path / "image.npy").channel_names == names
    assert list(measure_files(tmp_path / "image.npy", tmp_path / "labels.npy").columns) == expected


def test_display_choices_use_the_same_names():
    from regionscope.app.display import channel_choices
    from regionscope.app.server import as_image_data

    _, rgb = _images()
    labels = [option["label"] for option in channel_choices(as_image_data(rgb.astype(np.uint16)))]
    assert labels == ["composite", "ch0", "ch1", "ch2"]
