"""Where regionscope keeps the user's data: the workspace folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["APP_NAME", "default_workspace"]

#: The folder name under the platform's per-user data folder.
APP_NAME = "regionscope"


def default_workspace() -> Path:
    """The folder where regionscope keeps the user's data.

    Returns
    -------
    pathlib.Path
        ``$REGIONSCOPE_WORKSPACE`` if set (and not empty); otherwise the
        platform's per-user data folder followed by ``regionscope``, as
        :func:`platformdirs.user_data_path` finds it: ``$XDG_DATA_HOME`` (if
        set to an absolute path) or ``~/.local/share`` on Linux and other Unix
        systems, ``~/Library/Application Support`` on macOS (recent platformdirs
        honour ``$XDG_DATA_HOME`` there too) and the local application data
        folder (``%LOCALAPPDATA%``) on Windows. The folder is not created.
    """
    explicit = os.environ.get("REGIONSCOPE_WORKSPACE", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    # platformdirs knows each platform's rules (the XDG spec's "relative paths
    # are ignored", the Windows shell's known folders), so they are not
    # rebuilt here. appauthor=False: on Windows the folder is
    # %LOCALAPPDATA%\regionscope, not %LOCALAPPDATA%\regionscope\regionscope.
    return platformdirs.user_data_path(APP_NAME, appauthor=False)
