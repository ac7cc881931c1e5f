"""``regionscope measure --scheduler``: a real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tifffile
from skimage import data
from skimage import measure as skmeasure

from regionscope.cli import main

from dask_cluster import scheduler_address  # noqa: F401 - a fixture


@pytest.fixture
def slide(tmp_path):
    """A tiled TIFF image and its labels, with regions across the 32-pixel chunks."""
    image = data.coins()[:128, :160]
    labels = skmeasure.label(image > 110).astype(np.int32)
    tifffile.imwrite(tmp_path / "image.tif", image, tile=(32, 32))
    tifffile.imwrite(tmp_path / "labels.tif", labels, tile=(32, 32))
    return tmp_path


def test_measure_on_a_running_cluster_equals_the_local_run(slide, scheduler_address, capsys):  # noqa: F811 - the imported fixture
    local, remote = slide / "local.csv", slide / "remote.csv"
    args = [str(slide / "image.tif"), "--labels", str(slide / "labels.tif")]
    assert main(["measure", *args, "-o", str(local)]) == 0
    assert main(["measure", *args, "--scheduler", scheduler_address, "--chunks", "32", "-o", str(remote)]) == 0
    expected, got = pd.read_csv(local), pd.read_csv(remote)
    assert len(expected) > 10
    pd.testing.assert_frame_equal(expected, got, check_exact=False, rtol=1e-9)


def test_measure_chunked_options_are_checked(slide, capsys):
    args = ["measure", str(slide / "image.tif"), "--labels", str(slide / "labels.tif")]
    with pytest.raises(SystemExit) as info:
        main([*args, "--chunks", "0"])
    assert info.value.code == 2 and "--chunks must be a positive number" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*args, "--chunks", "--export-labels", str(slide / "x.tif")])
    assert "--export-labels needs the labels in memory" in capsys.readouterr().err
    assert main([*args, "--chunks", "--memory-limit", "lots"]) == 1
    assert "memory limit 'lots' is not a size" in capsys.readouterr().err
    assert main(["measure", str(slide / "image.tif"), "--chunks"]) == 1
    assert "needs a label image (--labels)" in capsys.readouterr().err
