"""Issue 9.6 and 9.11 over HTTP: an unknown dataset id is never replaced silently and never written to;
a callback that fails ends in a notice in the page and a log line, never a silent 500."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_support import notice_text, response_values, serve, show_dataset  # noqa: E402

GONE = "0123456789abcdef"


@pytest.fixture(scope="module")
def served():
    app = serve()
    yield app
    app.stop()


def test_an_unknown_id_shows_nothing_else_and_says_the_dataset_is_gone(served):
    client = served.client()
    reply = show_dataset(client, GONE)
    assert reply.status == 200
    values = response_values(reply)
    assert "rs-grid.rowData" not in values  # the default dataset is NOT shown instead
    assert "rs-skeleton.data" not in values
    message = notice_text(reply)
    assert "no longer on the server" in message and "Nothing was changed" in message
    assert "open the default dataset" in message  # offered, not done
    plane = client.call(client.callback_of("rs-picture.data"), {"rs-dataset.data": {"id": GONE}}, "rs-dataset.data")
    assert "rs-picture.data" not in response_values(plane)


@pytest.mark.parametrize(
    "button, values",
    [
        ("rs-exclude.n_clicks", {"rs-exclude.n_clicks": 1, "rs-grid.selectedRows": {"ids": ["1", "2"]}}),
        ("rs-restore.n_clicks", {"rs-restore.n_clicks": 1}),
        (
            "rs-class-add.n_clicks",
            {"rs-class-add.n_clicks": 1, "rs-class-name.value": "debris", "rs-class-color.value": "#ff0000"},
        ),
    ],
)
def test_writes_to_an_unknown_id_are_refused_and_land_nowhere(served, button, values):
    client = served.client()
    output = "rs-classes.data" if "class" in button else "rs-excluded.data"
    dependency = client.callback_with_input(output, button)
    reply = client.call(dependency, {**values, "rs-dataset.data": {"id": GONE}}, button)
    assert reply.status == 200
    assert output not in response_values(reply)
    assert "no longer on the server" in notice_text(reply)
    default = served.dataset.id
    assert served.annotations.excluded(default) == []
    assert served.annotations.classes(default) == []
    assert served.annotations.excluded(GONE) == [] and served.annotations.classes(GONE) == []


def test_the_default_dataset_opens_only_when_asked(served):
    client = served.client()
    dependency = client.callback_with_input("rs-dataset.data", '{"index":["ALL"],"type":"rs-open-default"}.n_clicks')
    reply = client.call(dependency, {}, [])
    assert "rs-dataset.data" not in response_values(reply)


@pytest.mark.parametrize(
    "store",
    ["not a dict", ["id"], {"id": 12345}, {"id": {"$gt": ""}}],
    ids=["string", "list", "number-id", "object-id"],
)
def test_a_malformed_store_payload_ends_in_a_notice_and_a_log_line(served, store, caplog):
    client = served.client()
    with caplog.at_level(logging.INFO, logger="regionscope.server"):
        reply = client.call(client.callback_of("rs-grid.rowData"), {"rs-dataset.data": store}, "rs-dataset.data")
    assert reply.status == 200
    assert "malformed dataset reference" in notice_text(reply)
    assert "rs-grid.rowData" not in response_values(reply)
    assert any("malformed" in record.getMessage() for record in caplog.records)


def test_an_unexpected_error_is_logged_with_a_reference_shown_in_the_page(served, caplog):
    client = served.client()
    dependency = client.callback_of("rs-picture.data")
    with caplog.at_level(logging.ERROR, logger="regionscope.server"):
        # A plane that is not a number (a crafted payload): a TypeError deep in numpy.
        reply = client.call(
            dependency, {"rs-dataset.data": {"id": served.dataset.id}, "rs-plane.value": {"x": 1}}, "rs-plane.value"
        )
    assert reply.status == 200
    message = notice_text(reply)
    assert "Something went wrong on the server" in message and "ref " in message
    assert "Traceback" not in message and "/" not in message.split("ref ")[0]
    reference = message.split("ref ")[1][:8]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and reference in errors[-1].getMessage() and errors[-1].exc_info is not None


def test_a_query_that_is_not_text_is_answered(served):
    client = served.client()
    dependency = client.callback_of("rs-query-result.data")
    reply = client.call(dependency, {"rs-query.value": 42, "rs-dataset.data": {"id": served.dataset.id}}, "rs-query.value")
    assert reply.status == 200
    assert response_values(reply)["rs-query-error.children"] == "The query must be text."


def test_a_selection_that_is_not_labels_is_refused_with_a_message(served):
    client = served.client()
    dependency = client.callback_with_input("rs-excluded.data", "rs-exclude.n_clicks")
    values = {
        "rs-exclude.n_clicks": 1,
        "rs-grid.selectedRows": {"ids": ["1; DROP TABLE"]},
        "rs-dataset.data": {"id": served.dataset.id},
    }
    reply = client.call(dependency, values, "rs-exclude.n_clicks")
    assert reply.status == 200
    assert "not a region label" in notice_text(reply)
    assert served.annotations.excluded(served.dataset.id) == []
