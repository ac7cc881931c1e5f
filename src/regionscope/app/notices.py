"""Messages in an explorer's header: what happened, and what went wrong.

Every callback of an explorer reports its errors here (Dash's ``on_error``):
problems with the input (:class:`~regionscope.errors.RegionscopeError`) are
said as they are; anything else is a server error, logged with its traceback
under a short reference that the page shows (never a path or a traceback in
the page).
"""

from __future__ import annotations

import logging
import uuid

from dash import html, set_props

from regionscope.app.ids import ExplorerIds
from regionscope.app.registry import DatasetGoneError
from regionscope.errors import RegionscopeError

log = logging.getLogger("regionscope.server")


def notice(message, *, error=True):
    """A message for the page header."""
    return html.Span(message, className="rs-error" if error else "rs-info")


def error_notice(error: BaseException, ids: ExplorerIds):
    """What the header of the explorer with ``ids`` says about a callback's error (and the log line)."""
    if isinstance(error, DatasetGoneError):
        log.info("a page asked for a dataset this server does not hold: %s", error.args[0] if error.args else None)
        return html.Span(
            [
                "The dataset of this page is no longer on the server (it was restarted, or the dataset expired). "
                "Nothing was changed. Open its file again under Data, or ",
                html.Button(
                    "open the default dataset", id={"type": ids.OPEN_DEFAULT, "index": 0}, n_clicks=0, className="rs-link-button"
                ),
                ".",
            ],
            className="rs-error",
        )
    if isinstance(error, RegionscopeError):
        log.warning("callback refused its input: %s", error)
        return notice(str(error))
    reference = uuid.uuid4().hex[:8]
    log.error("callback failed (ref %s)", reference, exc_info=error)
    return notice(
        f"Something went wrong on the server ({type(error).__name__}, ref {reference}); "
        "the page keeps what it showed. The details are in the server's log."
    )


def error_reporter(ids: ExplorerIds):
    """Dash's ``on_error`` for the callbacks of one explorer: a message in its header.

    The callback's outputs are left as they were (Dash sends no update).
    """

    def report(error):
        set_props(ids.NOTICE, {"children": error_notice(error, ids)})
        return None

    return report
