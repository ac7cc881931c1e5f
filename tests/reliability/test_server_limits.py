"""Issue 9.2: the server refuses request bodies over the upload cap, with a message (not only the browser's cap)."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regionscope.app.layout import MAX_UPLOAD_BYTES  # noqa: E402
from regionscope.app.server import max_request_bytes  # noqa: E402

from server_support import png_bytes, rss_bytes, serve, two_boxes, upload_image  # noqa: E402

MB = 2**20


def post_streamed(url_port, total_bytes, path="/_dash-update-component"):
    """POST a JSON body of ``total_bytes`` in 1 MB chunks (never held whole); the status line and body."""
    head = json.dumps(
        {
            "output": "..rs-dataset.data...rs-notice.children..",
            "inputs": [{"id": "rs-upload-image", "property": "contents", "value": "data:image/png;base64,"}],
        }
    )
    filler = total_bytes - len(head) - 2
    with socket.create_connection(("127.0.0.1", url_port), timeout=30) as sock:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{url_port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {total_bytes}\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        sent = 0
        chunk = b"A" * MB
        try:
            sock.sendall(head[:-3].encode() + b'"')
            while sent < filler:
                piece = chunk[: min(MB, filler - sent)]
                sock.sendall(piece)
                sent += len(piece)
            sock.sendall(b'"}]}')
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body arrived: the point
        answer = b""
        try:
            while not _complete(answer):
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    status_line, _, rest = answer.partition(b"\r\n")
    return status_line.decode(), rest.decode("utf-8", "replace"), sent


def _complete(answer):
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def test_the_limit_is_the_pages_cap_in_base64_plus_a_margin():
    assert max_request_bytes() == 4 * -(-MAX_UPLOAD_BYTES // 3) + MB
    assert max_request_bytes() > MAX_UPLOAD_BYTES * 4 / 3  # a full 64 MB upload still fits


@pytest.mark.parametrize("server", ["waitress", "werkzeug"])
@pytest.mark.parametrize("size_mb", [65 * 4 // 3 + 2, 100])
def test_a_body_over_the_limit_is_refused_with_a_message(server, size_mb):
    with serve(server=server) as served:
        before = rss_bytes()
        status, rest, _ = post_streamed(served.server.port, size_mb * MB)
        grown = rss_bytes() - before
        assert " 413 " in status + " ", status
        if server == "werkzeug":
            assert "larger than this server accepts" in rest
            assert "regionscope view IMAGE" in rest  # what to do instead
        else:
            # waitress refuses it from the Content-Length, before reading the body,
            # in its own words; the page turns any 413 into the message above
            # (tests/reliability/test_server_browser.py).
            assert "exceeds max_body" in rest
        # The body was never held in memory.
        assert grown < 40 * MB, f"RSS grew by {grown / MB:.0f} MB"
        # The server is still fine.
        assert served.client().get("/").status == 200


def test_an_upload_within_the_limit_still_opens():
    image, _ = two_boxes(offset=3)
    with serve() as served:
        client = served.client()
        reply = upload_image(client, png_bytes(image))
        assert reply.status == 200
        assert "Opened cells.png: 2 regions" in reply.text
