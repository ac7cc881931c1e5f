"""`regionscope view` and `regionscope.explore` start a server that serves the explorer."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_page(url, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing served at {url} within {timeout} s")


@pytest.fixture
def run_server():
    processes = []

    def start(arguments):
        process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def layout_dataset_name(url):
    with urllib.request.urlopen(url + "_dash-layout", timeout=5) as response:
        return json.loads(response.read())


def test_view_serves_the_coins_sample_and_prints_the_url(run_server):
    port = free_port()
    process = run_server([sys.executable, "-m", "regionscope.cli", "view", "--port", str(port)])
    url = f"http://127.0.0.1:{port}/"
    page = wait_for_page(url, process)
    assert "<title>regionscope</title>" in page
    assert '"rs-dataset"' in json.dumps(layout_dataset_name(url))
    process.terminate()
    out, _ = process.communicate(timeout=10)
    assert url in out
    assert "coins" in out


def _headers(url, path, **headers):
    request = urllib.request.Request(url + path.lstrip("/"), headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(response.headers), response.read()


def test_view_serves_with_waitress_and_compresses(run_server):
    port = free_port()
    process = run_server([sys.executable, "-m", "regionscope.cli", "view", "--port", str(port)])
    url = f"http://127.0.0.1:{port}/"
    wait_for_page(url, process)
    headers, body = _headers(url, "/_dash-layout", **{"Accept-Encoding": "gzip"})
    assert headers["Server"] == "regionscope"  # waitress (Werkzeug says "Werkzeug/...")
    assert headers["Content-Encoding"] == "gzip"
    import gzip

    assert b"rs-dataset" in gzip.decompress(body)
    plain_headers, _ = _headers(url, "/_dash-layout")
    assert "Content-Encoding" not in plain_headers
    assert "Content-Security-Policy" in headers


def test_view_debug_uses_the_development_server_on_loopback_only(run_server):
    port = free_port()
    process = run_server([sys.executable, "-m", "regionscope.cli", "view", "--port", str(port), "--debug"])
    url = f"http://127.0.0.1:{port}/"
    wait_for_page(url, process)
    headers, _ = _headers(url, "/_dash-layout")
    assert headers["Server"].startswith("Werkzeug")
    from regionscope.app.security import AccessError, access_for

    with pytest.raises(AccessError):
        access_for("0.0.0.0", debug=True)  # `view --host 0.0.0.0 --debug` stops here, before serving


def test_view_prints_the_token_url_for_a_public_host_without_serving_it_here():
    """On a non-loopback host the printed address carries a token (checked without binding 0.0.0.0)."""
    from regionscope.app.security import access_for

    access = access_for("0.0.0.0")
    access.port = 8050
    assert access.url("0.0.0.0").startswith("http://127.0.0.1:8050/?token=")


def test_view_of_a_missing_file_is_a_one_line_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "regionscope.cli", "view", str(tmp_path / "nope.tif"), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("regionscope: error:")
    assert "nope.tif" in result.stderr
    assert "Traceback" not in result.stderr


def test_explore_serves_an_array_from_a_script(run_server):
    port = free_port()
    script = (
        "import numpy as np, regionscope\n"
        "image = np.zeros((40, 50), np.uint8); image[5:15, 5:20] = 200; image[25:35, 30:45] = 120\n"
        f"regionscope.explore(image, port={port}, name='two boxes')\n"
    )
    process = run_server([sys.executable, "-c", script])
    url = f"http://127.0.0.1:{port}/"
    assert "<title>regionscope</title>" in wait_for_page(url, process)
