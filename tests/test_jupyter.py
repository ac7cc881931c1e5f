"""`regionscope.explore` in a Jupyter kernel shows the app in the notebook and keeps serving it."""

from __future__ import annotations

import socket

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_explore_in_a_notebook_shows_an_iframe_and_serves(tmp_path):
    port = free_port()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np, regionscope\n"
            "image = np.zeros((40, 50), np.uint8); image[5:15, 5:20] = 200\n"
            f"url = regionscope.explore(image, port={port}, workspace={str(tmp_path)!r})\n"
            "print(url)"
        ),
        nbformat.v4.new_code_cell(
            "import time, urllib.request\n"
            "for _ in range(50):\n"
            "    try:\n"
            "        page = urllib.request.urlopen(url, timeout=2).read().decode(); break\n"
            "    except OSError:\n"
            "        time.sleep(0.2)\n"
            "print('<title>regionscope</title>' in page)"
        ),
    ]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    first, second = notebook.cells
    # The app is shown in the notebook (an iframe), not only printed as a link.
    shown = [out for out in first.outputs if out["output_type"] == "display_data"]
    assert shown and "text/html" in shown[0]["data"] and "iframe" in shown[0]["data"]["text/html"]
    assert f"http://127.0.0.1:{port}/" in "".join(out.get("text", "") for out in first.outputs)
    assert "True" in "".join(out.get("text", "") for out in second.outputs)
