"""Files of what the user picked: region tables (CSV, TSV, Parquet) and label images (TIFF)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from regionscope.errors import RegionscopeError
from regionscope.export.rows import _isin, _label_list, with_class_column
from regionscope.io import _smallest_uint

if TYPE_CHECKING:
    import pandas as pd

    from regionscope.io import ImageData

__all__ = [
    "LABEL_IMAGE_EXTENSIONS",
    "TABLE_FORMATS",
    "export_labels",
    "export_table",
    "table_format",
    "write_table",
]

#: Table file extensions (lower case) and the format written for each.
TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet"}

#: File extensions accepted by :func:`export_labels` (``.ome.tif`` ends in ``.tif``).
LABEL_IMAGE_EXTENSIONS = (".tif", ".tiff")


# --------------------------------------------------------------------------
# Table files
# --------------------------------------------------------------------------


def table_format(path: str | os.PathLike) -> str:
    """The table format written for a path, from its extension.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; its extension (case-insensitive) must be one of
        :data:`TABLE_FORMATS`.

    Returns
    -------
    str
        ``"csv"``, ``"tsv"`` or ``"parquet"``.

    Raises
    ------
    regionscope.errors.RegionscopeError
        Naming the path, when the extension is not supported.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise RegionscopeError(f"cannot write {path}: the output must end in {', '.join(TABLE_FORMATS)}")
    return TABLE_FORMATS[suffix]


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a table as CSV, TSV or Parquet, chosen by the extension of ``path``.

    The index is not written. CSV and TSV are UTF-8 text with a header row;
    missing values are empty cells.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to write.
    path : str or os.PathLike
        Output file ending in ``.csv``, ``.tsv`` or ``.parquet``.

    Raises
    ------
    regionscope.errors.RegionscopeError
        Naming the path, when the extension is not supported, the file cannot
        be written, or a column cannot be stored as Parquet.
    """
    fmt = table_format(path)
    try:
        if fmt == "csv":
            table.to_csv(path, index=False)
        elif fmt == "tsv":
            table.to_csv(path, index=False, sep="\t")
        else:
            table.to_parquet(path, index=False)
    except OSError as exc:
        raise RegionscopeError(f"{path}: cannot write the table ({exc.strerror or exc})") from exc
    except ImportError as exc:
        raise RegionscopeError(
            f"{path}: cannot write Parquet without the pyarrow package; install pyarrow or write .csv"
        ) from exc
    except (ValueError, TypeError, NotImplementedError) as exc:  # pyarrow's conversion errors
        reason = " ".join(str(exc).split())[:200]
        raise RegionscopeError(f"{path}: cannot write the table as {fmt} ({reason})") from exc


def export_table(table: pd.DataFrame, path: str | os.PathLike, *, classes: Mapping[int | str, str | None] | None = None) -> None:
    """Write a region table to CSV, TSV or Parquet, chosen by the extension.

    Parameters
    ----------
    table : pandas.DataFrame
        The rows to write, e.g. from :func:`select_rows`.
    path : str or os.PathLike
        Output file ending in ``.csv``, ``.tsv`` or ``.parquet``
        (case-insensitive).
    classes : mapping of int to str, optional
        ``{label: class name}``; when given, a ``class`` column is written
        right after ``label`` (see :func:`with_class_column`; rows without a
        class have an empty cell / null).

    Raises
    ------
    regionscope.errors.RegionscopeError
        Naming the path, when the extension is not supported or the file
        cannot be written; also when ``classes`` are given and the table has
        no integer ``label`` column.
    """
    table_format(path)  # before any work
    if classes is not None:
        table = with_class_column(table, classes)
    write_table(table, path)


# --------------------------------------------------------------------------
# Label images
# --------------------------------------------------------------------------


def export_labels(labels: np.ndarray | ImageData, path: str | os.PathLike, keep: Iterable[int]) -> None:
    """Write a TIFF label image holding only some regions, with their original values.

    Parameters
    ----------
    labels : numpy.ndarray or regionscope.io.ImageData
        Label image, integer, shape ``(Y, X)`` or ``(Z, Y, X)``; 0 is
        background.
    path : str or os.PathLike
        Output file ending in ``.tif`` or ``.tiff`` (``.ome.tif`` writes
        OME-TIFF). An existing file is replaced.
    keep : iterable of int
        Labels to keep (list, set, array, Series, ...). Labels that are not in
        the image, 0 and negative values are ignored; an empty ``keep``
        writes an all-zero image.

    Notes
    -----
    Every pixel whose label is in ``keep`` keeps its value; every other pixel
    is 0. The dtype is the smallest unsigned integer type that holds the
    largest label written (``uint8`` when nothing is kept). The file is
    zlib-compressed, one grayscale series with ``YX`` / ``ZYX`` axis metadata,
    so :func:`regionscope.io.read_labels` returns exactly the written array --
    except that a 3D image with a single plane is read back as 2D, as every
    length-1 axis is. Selecting the regions is a single :func:`numpy.isin`
    over the image (well under a second for 4096 x 4096 pixels and 50 000
    labels).

    Raises
    ------
    regionscope.errors.RegionscopeError
        Naming the path, when the extension is not ``.tif``/``.tiff`` or the
        file cannot be written.
    ValueError
        If ``labels`` is not a non-empty 2D or 3D integer array.
    TypeError
        If ``keep`` holds something other than integers.
    """
    path_text = os.fspath(path)
    name = os.path.basename(path_text).lower()
    if not name.endswith(LABEL_IMAGE_EXTENSIONS):
        raise RegionscopeError(
            f"cannot write {path_text}: label images are written as TIFF; the file name must end in .tif or .tiff"
        )
    data = np.asarray(getattr(labels, "data", labels))
    if data.dtype.kind not in "iu":
        raise ValueError(f"labels must be an integer array, not {data.dtype}")
    if data.ndim not in (2, 3) or data.size == 0:
        raise ValueError(f"labels must be a non-empty 2D (Y, X) or 3D (Z, Y, X) array; got shape {data.shape}")
    wanted = [label for label in _label_list(keep, "keep") if label > 0]
    kept = np.where(_isin(data, wanted), data, 0)
    out = kept.astype(_smallest_uint(int(kept.max())), copy=False)

    import tifffile

    try:
        tifffile.imwrite(
            path_text,
            out,
            compression="zlib",
            photometric="minisblack",
            metadata={"axes": "YX" if out.ndim == 2 else "ZYX"},
        )
    except OSError as exc:
        raise RegionscopeError(f"{path_text}: cannot write the label image ({exc.strerror or exc})") from exc
