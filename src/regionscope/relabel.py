"""Label values: renumbering them 1..N and the smallest dtype that holds them.

scikit-image's :func:`skimage.segmentation.relabel_sequential` does the
renumbering; this module only adds what regionscope needs around it in every
place that renumbers (measurement, contours, the run-length measurement):
the original value of each new label, with 0 kept as background, and
renumbering only when the values are too large to index by.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SPARSE_LABEL_LIMIT", "compact_labels", "relabel_with_values", "smallest_uint"]

#: Largest label value used as it is; above it, labels are renumbered (see :func:`compact_labels`).
SPARSE_LABEL_LIMIT = 1_000_000


def relabel_with_values(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber the labels of an array 1..N (0 stays 0) and say what each new label was.

    Parameters
    ----------
    labels : numpy.ndarray of int, any shape
        Non-negative label values; 0 is background.

    Returns
    -------
    relabelled : numpy.ndarray, shape ``labels.shape``
        Labels 1..N in the order of the original values; the dtype is that
        of ``labels`` unless N needs a wider one.
    values : numpy.ndarray, shape (N + 1,)
        ``values[k]`` is the original value of new label ``k``;
        ``values[0] == 0``. Same dtype as ``labels``.

    Examples
    --------
    >>> relabelled, values = relabel_with_values(np.array([0, 10**9, 7, 7]))
    >>> relabelled.tolist(), values.tolist()
    ([0, 2, 1, 1], [0, 7, 1000000000])
    """
    from skimage.segmentation import relabel_sequential

    # relabel_sequential maps values through a hash table: faster than
    # np.unique(return_inverse=True) for the usual few thousand regions, slower
    # for millions of distinct values (which then are millions of regions).
    if not labels.flags.writeable:
        # skimage's map_array takes a writable buffer only (seen with arrays read-only by design,
        # e.g. the registry's datasets); the copy is freed on return.
        labels = labels.copy()
    relabelled, forward, _ = relabel_sequential(labels)
    values = np.asarray(forward.in_values)
    if values.size == 0 or values[0] != 0:
        values = np.concatenate([np.zeros(1, dtype=values.dtype), values])
    return relabelled, values


def compact_labels(labels: np.ndarray, limit: int = SPARSE_LABEL_LIMIT) -> tuple[np.ndarray, np.ndarray | None]:
    """Renumber huge label values so that arrays indexed by label stay small.

    :func:`scipy.ndimage.find_objects` (behind ``regionprops``) makes a list
    as long as the largest label: a single region labelled ``10**9`` would
    need gigabytes. Above ``limit`` the labels are renumbered 1..N.

    Parameters
    ----------
    labels : numpy.ndarray of int, shape (Y, X) or (Z, Y, X)
        Label image; 0 is background. Negative values are background too,
        as for :func:`scipy.ndimage.find_objects`.
    limit : int
        Largest label value used as it is.

    Returns
    -------
    labels : numpy.ndarray
        ``labels`` itself, or the renumbered labels.
    values : numpy.ndarray or None
        ``values[k]`` is the original value of renumbered label ``k``; None
        when nothing was renumbered.
    """
    if labels.size == 0 or labels.max() <= limit:
        return labels, None
    if labels.min() < 0:
        labels = np.where(labels < 0, 0, labels)
    return relabel_with_values(labels)


def smallest_uint(max_value: int) -> np.dtype:
    """The smallest unsigned integer dtype holding ``max_value`` (uint8 to uint64).

    Examples
    --------
    >>> smallest_uint(300)
    dtype('uint16')
    """
    for dtype in (np.uint8, np.uint16, np.uint32):
        if max_value <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)
