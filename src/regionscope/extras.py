"""Optional dependencies: which extra brings which packages, and the error naming what to install.

``pip install regionscope`` is the core library and ``regionscope measure``;
the explorer's web stack is the ``app`` extra (``pip install "regionscope[app]"``).
The places that load the app (``regionscope.explore``, ``regionscope view``,
``regionscope hash-password``) import it inside :func:`app_extra_required`,
so a missing package becomes one sentence saying what to install instead of
a ``ModuleNotFoundError`` traceback, as pandas' ``import_optional_dependency``
does for its optional packages.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from regionscope.errors import RegionscopeError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["APP_EXTRA", "APP_PACKAGES", "MissingExtraError", "app_extra_required"]

#: The extra of the explorer app, as typed after ``pip install``.
APP_EXTRA = 'pip install "regionscope[app]"'

#: Top-level modules of the app extra's packages (and of Flask, which Dash brings).
APP_PACKAGES = frozenset({"dash", "dash_ag_grid", "plotly", "waitress", "flask_compress", "flask"})


class MissingExtraError(RegionscopeError, ImportError):
    """An optional dependency is not installed; the message names the extra to install.

    An :class:`ImportError` too, so that ``except ImportError`` around
    ``regionscope.explore`` works as it does for any optional dependency.
    """


@contextmanager
def app_extra_required(what: str) -> Iterator[None]:
    """Turn a missing package of the app extra, imported in the block, into :class:`MissingExtraError`.

    Parameters
    ----------
    what : str
        What needs the app, for the message (``"regionscope view"``).

    Raises
    ------
    MissingExtraError
        When the block fails to import one of :data:`APP_PACKAGES`; any other
        import error (a bug, a broken install) passes unchanged.
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing not in APP_PACKAGES:
            raise
        raise MissingExtraError(
            f"{what} needs the explorer app's packages, which are not installed ({missing} is missing); "
            f"install them with: {APP_EXTRA}"
        ) from None
