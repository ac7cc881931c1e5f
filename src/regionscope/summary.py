"""Counts and fractions of regions per image or per metadata group, following a filter and the classes.

What a screen is read as: how many regions each image (well, condition) has, how many pass the
current filter, and how many of those are of each class. Tables in, a tidy wide table out: one row
per group, so that the CSV opens as a spreadsheet and plots as bars or boxes per group.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from regionscope.errors import RegionscopeError

__all__ = ["SummaryError", "summarize"]


class SummaryError(RegionscopeError, ValueError):
    """A summary cannot be made as asked; the message names the column."""


def summarize(
    regions: pd.DataFrame,
    by: str | Sequence[str] = "image",
    *,
    shown: np.ndarray | pd.Series | None = None,
    classes: pd.Series | None = None,
) -> pd.DataFrame:
    """Regions per group, how many are shown (pass the filter), and how many shown ones have each class.

    Parameters
    ----------
    regions : pandas.DataFrame, shape (n_regions, ...)
        A region table (a project's ``regions``, with ``image`` and metadata columns).
    by : str or sequence of str
        Columns to group by: ``"image"``, a metadata column (``"condition"``, ``"well"``) or several.
    shown : array of bool, shape (n_regions,), optional
        Which regions pass the filter (default: all).
    classes : pandas.Series of str, shape (n_regions,), optional
        Each region's class (missing: none), on ``regions``'s index; e.g. the user's classes with
        the predictions where there are none (:func:`regionscope.classifier.merged_classes`).

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted by it: the ``by`` columns, ``regions``, ``shown``,
        ``shown_fraction``, then for each class (sorted by name) ``n <class>`` and
        ``fraction <class>`` (of the shown regions; 0 where none are shown), and
        ``n no class`` when some shown regions have none.

    Raises
    ------
    SummaryError
        A ``by`` column the table lacks, or ``shown``/``classes`` of another length.
    """
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise SummaryError("group by at least one column (e.g. image)")
    missing = [column for column in by if column not in regions.columns]
    if missing:
        have = [c for c in regions.columns if regions[c].dtype.kind in "OUSb" or c == "image"]
        raise SummaryError(
            f"cannot group by {', '.join(repr(c) for c in missing)}: the table has no such column "
            f"(columns to group by: {', '.join(have) or 'none'})"
        )
    n = len(regions)
    shown = np.ones(n, dtype=bool) if shown is None else np.asarray(shown, dtype=bool)
    if shown.shape != (n,):
        raise SummaryError(f"the filter gives {shown.size} values for {n} regions")
    frame = regions[by].copy()
    frame["_shown"] = shown
    if classes is not None:
        if len(classes) != n:
            raise SummaryError(f"there are {len(classes)} classes for {n} regions")
        frame["_class"] = pd.Series(np.asarray(classes, dtype=object), index=regions.index)
    groups = frame.groupby(by, sort=True, dropna=False)
    summary = groups.size().rename("regions").to_frame()
    summary["shown"] = groups["_shown"].sum().astype(int)
    summary["shown_fraction"] = (summary["shown"] / summary["regions"]).where(summary["regions"] > 0, 0.0)
    if classes is not None:
        visible = frame[frame["_shown"]]
        named = visible["_class"].where(visible["_class"].notna(), None)
        counts = visible.assign(_class=named.fillna("\0")).groupby([*by, "_class"], dropna=False).size().unstack(fill_value=0)
        counts = counts.reindex(summary.index, fill_value=0)
        names = sorted(c for c in counts.columns if c != "\0")
        for name in names:
            summary[f"n {name}"] = counts[name].astype(int)
            summary[f"fraction {name}"] = (counts[name] / summary["shown"]).where(summary["shown"] > 0, 0.0)
        if "\0" in counts.columns and counts["\0"].sum():
            summary["n no class"] = counts["\0"].astype(int)
    return summary.reset_index()
