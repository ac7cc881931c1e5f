"""Where regionscope keeps the user's data: the workspace folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["default_workspace"]


def default_workspace() -> Path:
    """The folder where regionscope keeps the user's data.

    Returns
    -------
    pathlib.Path
        ``$REGIONSCOPE_WORKSPACE`` if set (and not empty); otherwise the
        platform's per-user data folder followed by ``regionscope``:
        ``$XDG_DATA_HOME`` (if set to an absolute path) or
        ``~/.local/share`` on Linux and other Unix systems,
        ``~/Library/Application Support`` on macOS and ``%LOCALAPPDATA%``
        (or ``~/AppData/Local``) on Windows. The folder is not created.
    """
    explicit = os.environ.get("REGIONSCOPE_WORKSPACE", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    home = Path.home()
    if sys.platform.startswith("win"):
        local = os.environ.get("LOCALAPPDATA", "").strip()
        base = Path(local) if local else home / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "").strip()
        # The XDG spec says relative paths are invalid and must be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".local" / "share"
    return base / "regionscope"
