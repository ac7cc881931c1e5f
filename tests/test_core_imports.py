"""The core (io, segmentation, measurement, contours, query, cli measure) never loads the web app."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VIEW_MODULES = ("dash", "plotly", "dash_ag_grid", "regionscope.app")

CORE_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from PIL import Image

    import regionscope
    from regionscope import (
        filter_table, load_image, load_labels, measure, parse_filter, region_contours, segment,
    )
    from regionscope.cli import build_parser, main
    from regionscope.pipeline import measure_files

    image = np.zeros((24, 32), dtype=np.uint8)
    image[3:9, 4:12] = 200
    image[14:20, 18:28] = 150
    Image.fromarray(image).save(sys.argv[1] + "/image.png")
    np.save(sys.argv[1] + "/labels.npy", regionscope.segment(image, min_size=0))

    labels = segment(image, min_size=2, fill_holes=True)
    table = measure(image, labels)
    assert len(table) == 2, table
    assert len(filter_table(table, parse_filter("{area} > 50"))) == 1
    assert len(region_contours(labels)) == 2
    assert load_image(sys.argv[1] + "/image.png").data.shape == (24, 32)
    assert load_labels(sys.argv[1] + "/labels.npy").data.max() == 2
    assert len(measure_files(sys.argv[1] + "/image.png", sys.argv[1] + "/labels.npy")) == 2
    build_parser().format_help()
    assert main(["measure", sys.argv[1] + "/image.png", "-o", sys.argv[1] + "/out.csv"]) == 0

    loaded = sorted(
        name for name in sys.modules
        if name.split(".")[0] in {"dash", "plotly", "dash_ag_grid"} or name.startswith("regionscope.app")
    )
    print("LOADED:" + ",".join(loaded))
    """
)


def test_core_does_not_import_the_view(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", CORE_SCRIPT, str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("LOADED:")]
    assert line == "LOADED:", f"the core imported view modules: {line.removeprefix('LOADED:')}"
    assert (tmp_path / "out.csv").exists()


def test_import_linter_contract():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        found = shutil.which("lint-imports")
        if found is None:
            pytest.skip("lint-imports (import-linter) is not installed; pip install import-linter to run this check")
        lint_imports = Path(found)
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"lint-imports failed with the [tool.importlinter] of pyproject.toml:\n{result.stdout}{result.stderr}"
    assert "The core never imports the view KEPT" in result.stdout
