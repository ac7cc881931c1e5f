"""How the readers describe a problem: shapes and library exceptions in one line each."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CONVENTION_TEXT", "exception_reason", "format_shape"]

#: What regionscope reads, for messages about unsupported axes.
CONVENTION_TEXT = "regionscope reads 2D (Y, X) and 3D (Z, Y, X) images, optionally with channels last"


def exception_reason(exc: BaseException) -> str:
    """Short one-line description of a library exception."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    text = " ".join(str(text).split())
    if len(text) > 160:
        text = text[:157] + "..."
    return text


def format_shape(shape: Iterable[int]) -> str:
    """``(2, 3)``, whatever integer types the shape holds."""
    return str(tuple(int(n) for n in shape))
