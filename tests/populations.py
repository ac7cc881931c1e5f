"""Synthetic images of three known kinds of region, for the classifier tests.

A module of its own, not in ``conftest.py``: the browser tests have a ``conftest`` too, and a
test that imports from "conftest" gets whichever was imported first.
"""

from __future__ import annotations

import numpy as np

#: The three kinds of region of :func:`three_populations`, in the order they are dealt.
POPULATIONS = ("round bright", "elongated dim", "small speck")


def three_populations(per_class=60, *, seed=0, cell=32):
    """An image with ``3 * per_class`` regions of three known kinds, one per grid cell, none touching.

    - ``"round bright"``: discs of radius 6.5 to 8.5 px, intensity about 200;
    - ``"elongated dim"``: ellipses of semi-axes 11-13.5 by 2.5-3.5 px at any angle, intensity about 60;
    - ``"small speck"``: discs of radius 1.5 to 2.5 px, intensity about 120.

    The kinds are shuffled over the cells (labels 1.. in raster order), on a background of
    10 plus Gaussian noise (sd 3); each region's brightness varies by a few percent.

    Returns
    -------
    image : ndarray of float64, shape (rows * cell, 15 * cell)
    labels : ndarray of int32, same shape
    truth : dict of int to str
        Each label's kind.
    """
    from skimage.draw import disk, ellipse

    rng = np.random.default_rng(seed)
    kinds = np.repeat(np.arange(3), per_class)
    rng.shuffle(kinds)
    cols = 15
    rows = -(-len(kinds) // cols)
    labels = np.zeros((rows * cell, cols * cell), dtype=np.int32)
    image = rng.normal(10.0, 3.0, labels.shape)
    truth = {}
    for index, kind in enumerate(kinds):
        label = index + 1
        center = ((index // cols + 0.5) * cell, (index % cols + 0.5) * cell)
        if kind == 0:
            rr, cc = disk(center, rng.uniform(6.5, 8.5), shape=labels.shape)
            level = 200.0
        elif kind == 1:
            rr, cc = ellipse(
                *center, rng.uniform(11, 13.5), rng.uniform(2.5, 3.5), shape=labels.shape, rotation=rng.uniform(0, np.pi)
            )
            level = 60.0
        else:
            rr, cc = disk(center, rng.uniform(1.5, 2.5), shape=labels.shape)
            level = 120.0
        labels[rr, cc] = label
        image[rr, cc] += level * rng.uniform(0.93, 1.07) + rng.normal(0, 4, len(rr))
        truth[label] = POPULATIONS[kind]
    return image, labels, truth
