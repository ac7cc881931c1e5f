"""What can go wrong with annotations, and what the user can do about it.

:class:`AnnotationError` is bad input (a class name, colour, label or session
snapshot), refused before anything is changed; :class:`AnnotationWriteError`
is the database failing (disk full, read-only, locked, damaged), with advice
chosen by the error's code.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from regionscope.errors import RegionscopeError

if TYPE_CHECKING:
    import os

__all__ = ["AnnotationError", "AnnotationWriteError"]


class AnnotationError(RegionscopeError, ValueError):
    """A class name, colour, label or session snapshot is not acceptable.

    The message says which value or snapshot field is wrong and why. Nothing
    was changed.
    """


class AnnotationWriteError(RegionscopeError):
    """The annotation database could not be opened, read or written.

    Raised for every :class:`sqlite3.Error` (disk full, read-only file or
    folder, database locked by another process for too long, damaged file).
    The message names the database file, says that the change was NOT saved
    (or what else the failure means) and what to do about it.

    Parameters
    ----------
    path : str or os.PathLike
        The database file.
    action : str
        What was being done, e.g. ``"save the change"``.
    error : BaseException or str
        The underlying error, quoted in the message.
    consequence : str, optional
        What the failure means for the user.
    advice : str, optional
        What to do; by default judged from the code of ``error``.

    Attributes
    ----------
    path : str
    error : BaseException or str
    """

    def __init__(
        self,
        path: str | os.PathLike,
        action: str,
        error: BaseException | str,
        *,
        consequence: str = "the change was NOT saved",
        advice: str | None = None,
    ) -> None:
        self.path = str(path)
        self.error = error
        advice = _advice(error) if advice is None else advice
        super().__init__(f"{self.path}: could not {action} ({error}); {consequence}. {advice}")


#: The consequence of a store that cannot be opened at all.
UNUSABLE = "annotations (region classes, exclusions) can NOT be saved"

#: The way out that every piece of advice ends with.
ELSEWHERE = "or start regionscope with --workspace (or set REGIONSCOPE_WORKSPACE) pointing to a writable folder"


def _advice(error) -> str:
    """What the user can do about a database or file error, judged from its code.

    SQLite errors carry their result code's name (``sqlite_errorname``, Python
    3.11+), file errors their ``errno``; the message text is only the last resort
    (errors raised by hand, without either).
    """
    name = getattr(error, "sqlite_errorname", "") or ""
    number = getattr(error, "errno", None)
    text = str(error).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or (not name and ("locked" in text or "busy" in text)):
        return (
            "Another regionscope server or program kept the database locked too long; "
            f"wait a moment and try again, close the other program, {ELSEWHERE}."
        )
    if (
        name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH", "SQLITE_CANTOPEN"))
        or number in (errno.EACCES, errno.EPERM, errno.EROFS)
        or (not name and number is None and any(word in text for word in ("readonly", "read-only", "permission", "access")))
    ):
        return f"Check that the file and its folder are writable by you, {ELSEWHERE}."
    if (
        name == "SQLITE_FULL"
        or number in (errno.ENOSPC, errno.EDQUOT)
        or (not name and number is None and ("full" in text or "space" in text))
    ):
        return f"Free some disk space, {ELSEWHERE}."
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or (
        not name and ("not a database" in text or "malformed" in text or "corrupt" in text)
    ):
        return f"The file is damaged or is not a regionscope annotation database; move it away, {ELSEWHERE}."
    return f"Check that the disk is not full and that the file and its folder are writable, {ELSEWHERE}."
