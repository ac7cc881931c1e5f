"""Progress on stderr for the command line: one bar of named stages, or a count with an ETA.

``regionscope measure`` and ``view`` open a bar with :func:`stages`; the code
doing the work (``pipeline.measure_files``, ``dataset.prepare_dataset``) names
each stage it starts with :func:`stage`, which does nothing when no bar is
open (in Python, in the app's callbacks). The bar lives in a context variable,
not a module global, so threads serving pages never see it.

When it shows: on a terminal only (tqdm's ``disable=None``: hidden when stderr
is not a TTY), so piped or logged stderr and the tests stay clean. Set
``REGIONSCOPE_PROGRESS=1`` to show it anyway, ``0`` to hide it. The bar is
cleared when the work is done (``leave=False``).
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tqdm import tqdm

#: Environment variable: "1" always shows the bar, "0" never, unset: on a terminal.
PROGRESS_ENV = "REGIONSCOPE_PROGRESS"
#: Seconds between redraws while one stage runs, so the elapsed time moves.
REFRESH_SECONDS = 1.0

_active_bar = ContextVar("regionscope_progress_bar", default=None)


def progress_enabled(enabled: bool | None = None) -> bool | None:
    """Whether to show the bar: ``enabled``, else :data:`PROGRESS_ENV`, else None (tqdm decides: a TTY)."""
    if enabled is not None:
        return bool(enabled)
    value = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return None


@contextmanager
def stages(first: str, total: int, *, enabled: bool | None = None) -> Iterator[tqdm]:
    """Show a bar of ``total`` stages on stderr, the first called ``first``.

    Parameters
    ----------
    first : str
        What the first stage does ("reading image").
    total : int
        Number of stages; :func:`stage` starts the next one.
    enabled : bool or None
        ``None``: see :func:`progress_enabled`.

    Yields
    ------
    tqdm.tqdm
    """
    from tqdm import tqdm

    if _active_bar.get() is not None:  # a caller already shows the stages
        yield _active_bar.get()
        return
    show = progress_enabled(enabled)
    bar = tqdm(
        total=total,
        desc=first,
        file=sys.stderr,
        disable=None if show is None else not show,
        leave=False,
        bar_format="regionscope: {desc} ({n}/{total} done, {elapsed})",
    )
    token = _active_bar.set(bar)
    try:
        # tqdm redraws only on updates; a long single stage (segmenting a
        # 4096² image) would look frozen without the ticking.
        with _ticking(bar):
            yield bar
    finally:
        _active_bar.reset(token)


@contextmanager
def _ticking(bar):
    """Redraw ``bar`` every REFRESH_SECONDS from a thread while the block runs, then close it."""
    stop = threading.Event()
    ticker = None
    if not bar.disable:
        ticker = threading.Thread(target=_tick, args=(bar, stop), name="regionscope-progress", daemon=True)
        ticker.start()
    try:
        yield bar
    finally:
        stop.set()
        if ticker is not None:
            ticker.join()
        bar.close()


def _tick(bar, stop):
    while not stop.wait(REFRESH_SECONDS):
        bar.refresh()


def stage(description: str) -> None:
    """Mark the current stage done and start ``description`` (no-op without an open bar)."""
    bar = _active_bar.get()
    if bar is None:
        return
    bar.set_description_str(description, refresh=False)
    bar.update(1)
    bar.refresh()


@contextmanager
def count_bar(total: int, description: str, *, unit: str = "image", enabled: bool | None = None) -> Iterator[tqdm]:
    """Show a bar counting ``total`` items on stderr, with the time left (``measure`` of many images).

    Parameters
    ----------
    total : int
        Number of items; ``bar.update(1)`` counts one done.
    description : str
        What is counted ("measuring").
    unit : str
        Singular name of an item, pluralised with "s".
    enabled : bool or None
        ``None``: see :func:`progress_enabled`.

    Yields
    ------
    tqdm.tqdm
        Set its postfix to say more (``bar.set_postfix_str("1 failed")``).
    """
    from tqdm import tqdm

    show = progress_enabled(enabled)
    bar = tqdm(
        total=total,
        desc=description,
        unit=unit,
        file=sys.stderr,
        disable=None if show is None else not show,
        leave=False,
        dynamic_ncols=True,
        bar_format=f"regionscope: {{desc}} {{n_fmt}}/{{total_fmt}} {unit}s |{{bar:20}}| {{elapsed}} elapsed, {{remaining}} left{{postfix}}",
    )
    # The first image may take a while (workers starting): the ticking keeps the elapsed time moving.
    with _ticking(bar):
        yield bar
