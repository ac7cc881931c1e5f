"""The regionscope explorer: a Dash app linking the image and the region table.

This package is the view; the core (``regionscope.io``, ``measurement``, ...)
never imports it.
"""

from regionscope.app.explorer import Explorer
from regionscope.app.server import create_app, explore, serve_files

__all__ = ["Explorer", "create_app", "explore", "serve_files"]
