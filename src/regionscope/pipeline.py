"""From files to a region table: the steps ``regionscope measure`` runs.

Reading, the shape check, segmentation (when no labels are given) and
measurement, with a progress bar on stderr that appears only when the work
takes more than a moment.
"""

from __future__ import annotations

from contextlib import contextmanager

from regionscope.io import load_image, load_labels_for
from regionscope.measurement import measure
from regionscope.segmentation import SegmentationError, segment

#: Seconds of work before the progress bar shows itself.
PROGRESS_DELAY = 0.5


@contextmanager
def progress_steps(total, *, enabled=None):
    """A stage-by-stage progress bar on stderr; ``step(name)`` advances it.

    Parameters
    ----------
    total : int
        Number of stages.
    enabled : bool or None
        ``None`` shows the bar only when stderr is a terminal.
    """
    from tqdm import tqdm

    bar = tqdm(total=total, delay=PROGRESS_DELAY, disable=None if enabled is None else not enabled, unit="step", leave=False)

    def step(description):
        bar.set_description_str(description)
        bar.update(1)

    try:
        yield step
    finally:
        bar.close()


def measure_files(image_path, labels_path=None, *, properties=None, segmentation=None, progress=None, return_labels=False,
                  max_bytes=None, pixel_size=None):
    """Read an image (and its labels) and measure every region.

    Parameters
    ----------
    image_path : str or os.PathLike
    labels_path : str, os.PathLike or None
        ``None`` segments the image with ``segmentation`` options.
    properties : sequence of str or None
        As in :func:`regionscope.measure`.
    segmentation : dict or None
        Keyword arguments of :func:`regionscope.segment`.
    progress : bool or None
        Show a progress bar (``None``: when stderr is a terminal).
    return_labels : bool
        Also return the label image (read or segmented).
    max_bytes : int, str or None
        Memory budget of each file read (see :func:`regionscope.io.load_image`).
    pixel_size : float, sequence of float or None
        Micrometres per pixel, overriding the file's; with either, the table
        gets physical columns (``area_um2``, ...).

    Returns
    -------
    table : pandas.DataFrame
        One row per region, keyed by ``label``.
    labels : ndarray of int, shape (Y, X) or (Z, Y, X)
        Only with ``return_labels=True``.
    """
    with progress_steps(3, enabled=progress) as step:
        image = load_image(image_path, max_bytes=max_bytes)
        if pixel_size is not None:
            image = image.with_pixel_size(pixel_size)
        step("read image")
        if labels_path is None:
            try:
                labels = segment(image.data, multichannel=image.has_channels, **(segmentation or {}))
            except SegmentationError as exc:
                # Say which image could not be segmented, as file errors do.
                raise SegmentationError(f"{image.source or image_path}: {exc}") from exc
            step("segmented")
        else:
            labels = load_labels_for(image, labels_path, max_bytes=max_bytes).data
            step("read labels")
        table = measure(
            image.data,
            labels,
            properties,
            spacing=image.spacing,
            channel_names=image.channel_names,
            multichannel=image.has_channels,
        )
        step("measured")
    return (table, labels) if return_labels else table
