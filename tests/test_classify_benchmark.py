"""Smoke test of the classifier benchmark (``benchmarks/classify.py``) on a small table: every number is produced."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

pytest.importorskip("sklearn")


def test_the_classifier_benchmark_runs_small(tmp_path, capsys):
    from benchmarks.classify import main, synthetic_table

    table, kinds = synthetic_table(50)
    assert list(table.columns[:5]) == ["label", "area", "perimeter", "centroid-0", "centroid-1"]
    assert len(kinds) == 50 and set(kinds) <= {"round bright", "elongated dim", "small speck"}
    assert main(["--regions", "3000", "--examples", "60", "--reps", "1", "--trees", "20", "--out", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("classify-*.json")
    results = json.loads(path.read_text())
    for key in ("train_seconds", "cross_validation_seconds", "predict_seconds", "total_seconds", "accuracy_on_the_rest"):
        assert results[key] >= 0
    assert results["regions"] == 3000 and results["examples"] == 60
    assert "train" in capsys.readouterr().out


def test_the_app_while_training_benchmark_runs_small(tmp_path):
    """A real server on loopback: a small image, 30 classified regions, queries during one Train."""
    from benchmarks.classify_app import main

    assert main(["--side", "256", "--regions", "120", "--examples", "30", "--queries", "2", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "classify-app.json").read_text())
    assert results["train_ok"] and results["train_failure"] is None
    assert results["query_idle"]["count"] == 2  # a small Train may end before a query is timed during it
    assert results["train_request_s"] > 0
