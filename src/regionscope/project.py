"""Projects: many images measured into one region table, on Dask, and kept in a folder.

:func:`measure_many` takes files, folders, globs or a manifest CSV, pairs
every image with its mask (a ``labels_pattern`` such as ``"{stem}_mask.tif"``
or the manifest's ``labels`` column; images without one are segmented), and
measures the images in parallel on ``dask.distributed`` (a LocalCluster, or an
existing cluster by its scheduler's address), one to four images per task,
each image on one thread and on its own: a failing image fails alone. Its table has an ``image``
column first, then what :func:`regionscope.measure` gives for that image,
then the image's metadata columns. The region key is ``(image, label)``.

With ``project=DIR`` the run is kept in a folder that can be copied and
opened elsewhere (:meth:`Project.open`)::

    DIR/
      project.json            format and its version, regionscope's version, the settings, counts
      images.parquet          one row per image: name, path, labels, metadata, shape, pixel size,
                              region count, status ("ok"/"failed"), error, content and settings keys
      regions/NAME.parquet    that image's regions: image, label, the properties (plain columns;
                              ``pandas.read_parquet(DIR / "regions")`` reads them all)
      thumbnails/NAME.png     a small picture of the image (at most 256 pixels a side)
      annotations.sqlite3     classes and exclusions, once made (:meth:`Project.annotations`)

``NAME`` is the image's name, URL-quoted. The metadata columns live in the
image table only (join on ``image`` = ``name``), so that correcting a
manifest's metadata re-measures nothing. A second run skips every image
measured before with the same content (path, size and modification time of
the image and its mask) and the same settings; changed and failed images are
measured again. Images no longer among the inputs leave the project.

What workers need: the same files at the same paths (shared storage) when
the scheduler is another machine's; the project folder is written by the
process that calls :func:`measure_many`, never by the workers.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import string
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from regionscope._version import __version__
from regionscope.errors import RegionscopeError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from distributed import Client

    from regionscope.annotations import AnnotationStore
    from regionscope.io import ImageData

__all__ = [
    "FORMAT_VERSION",
    "ImageInput",
    "Project",
    "ProjectError",
    "find_inputs",
    "image_stem",
    "measure_many",
]

#: Version of the folder layout, in ``project.json``; a newer one is refused.
FORMAT_VERSION = 1
FORMAT_NAME = "regionscope project"
MANIFEST_NAME = "project.json"
IMAGES_NAME = "images.parquet"
REGIONS_FOLDER = "regions"
THUMBNAILS_FOLDER = "thumbnails"
#: Largest side of a thumbnail, in pixels.
THUMBNAIL_SIDE = 256
#: Seconds between writes of the image table during a run (what an interrupted run keeps).
FLUSH_SECONDS = 20.0

#: Columns of the image table other than the metadata (which follow ``labels``).
IMAGE_COLUMNS = (
    "name",
    "path",
    "labels",
    "status",
    "error",
    "warning",
    "regions",
    "size_z",
    "size_y",
    "size_x",
    "channels",
    "pixel_size_z",
    "pixel_size_y",
    "pixel_size_x",
    "segmented",
    "regions_file",
    "thumbnail",
    "content_key",
    "settings_key",
    "measured_at",
    "seconds",
    "reused",
)
#: Manifest columns that are not metadata.
MANIFEST_COLUMNS = ("image", "labels", "name")
#: Characters that make an input a glob (when no file has that name).
GLOB_CHARACTERS = frozenset("*?[")


class ProjectError(RegionscopeError):
    """The inputs of a project, or its folder, cannot be used as given."""


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class ImageInput:
    """One image of a project, as found among the inputs.

    Attributes
    ----------
    name : str
        The image's name in the tables: its file stem, with as many parent
        folders as it takes to tell it from other images of the same stem.
    path : str
        Absolute path of the image file.
    labels : str or None
        Absolute path of its mask; None: the image is segmented.
    metadata : dict
        The manifest's other columns for this image (``well``, ``condition``, ...).
    """

    name: str
    path: str
    labels: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def image_stem(path: str | os.PathLike) -> str:
    """A file's name without its image extension (``.ome.tif`` counts as one).

    Examples
    --------
    >>> image_stem("plate1/A01_f1.ome.tiff"), image_stem("cells.tif"), image_stem("x.y.png")
    ('A01_f1', 'cells', 'x.y')
    """
    from regionscope.io import SUPPORTED_EXTENSIONS

    name = Path(path).name
    lower = name.lower()
    for suffix in sorted(SUPPORTED_EXTENSIONS, key=len, reverse=True):
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return Path(name).stem or name


def _is_image_file(path: Path) -> bool:
    from regionscope.io import SUPPORTED_EXTENSIONS

    return path.is_file() and not path.name.startswith(".") and path.name.lower().endswith(SUPPORTED_EXTENSIONS)


class _LabelsPattern:
    """``"{stem}_mask.tif"``: the mask of an image, and whether a file is one."""

    FIELDS = ("stem", "name", "ext")

    def __init__(self, pattern: str) -> None:
        import re

        self.pattern = pattern
        regex, seen = [], set()
        try:
            parsed = list(string.Formatter().parse(pattern))
        except ValueError as exc:
            raise ProjectError(f"labels pattern {pattern!r}: {exc}; write it like '{{stem}}_mask.tif'") from None
        for literal, field_name, spec, conversion in parsed:
            regex.append(re.escape(literal))
            if field_name is None:
                continue
            if field_name not in self.FIELDS or spec or conversion:
                raise ProjectError(
                    f"labels pattern {pattern!r}: unknown placeholder {{{field_name}}}; use {{stem}} (the image's name "
                    "without extension), {name} (with it) or {ext} (the extension), e.g. '{stem}_mask.tif'"
                )
            if field_name in seen:
                regex.append(f"(?P={field_name})")
            else:
                seen.add(field_name)
                regex.append(f"(?P<{field_name}>[^/]+)")
        if not seen & {"stem", "name"}:
            raise ProjectError(
                f"labels pattern {pattern!r} names the same mask for every image; put {{stem}} or {{name}} in it, "
                "e.g. '{stem}_mask.tif'"
            )
        parts = pattern.replace("\\", "/").split("/")
        # A pattern reaching into a parent folder cannot be recognised from the mask's own path.
        self._depth = None if ".." in parts else len(parts)
        self._regex = re.compile("".join(regex))

    def labels_for(self, image: str) -> str:
        path = Path(image)
        stem = image_stem(path)
        ext = path.name[len(stem) :]
        return os.path.normpath(path.parent / self.pattern.format(stem=stem, name=path.name, ext=ext))

    def matches(self, path: str) -> bool:
        if self._depth is None:
            return False
        tail = "/".join(Path(path).parts[-self._depth :])
        return self._regex.fullmatch(tail) is not None


def _expand(entry: str | os.PathLike) -> list[str]:
    """The image files of one input: a file, a folder (its image files) or a glob."""
    text = os.fspath(entry)
    path = Path(text)
    if path.is_dir():
        return sorted(os.path.normpath(p.absolute()) for p in path.iterdir() if _is_image_file(p))
    if path.exists() or not (GLOB_CHARACTERS & set(text)):
        if not path.exists():
            raise ProjectError(f"{text}: no such file or folder; check the path (a glob needs *, ? or [ in it)")
        return [os.path.normpath(path.absolute())]
    found = sorted({os.path.normpath(Path(p).absolute()) for p in glob.glob(text, recursive=True) if _is_image_file(Path(p))})
    if not found:
        raise ProjectError(f"{text}: no image file matches this pattern; check the folder and the extension")
    return found


def _read_manifest(source: str | os.PathLike | pd.DataFrame) -> tuple[pd.DataFrame, Path, str]:
    if isinstance(source, pd.DataFrame):
        return source.copy(), Path.cwd(), "the manifest"
    path = Path(source)
    try:
        frame = pd.read_csv(path, dtype={name: "string" for name in MANIFEST_COLUMNS}, skipinitialspace=True)
    except FileNotFoundError:
        raise ProjectError(f"{path}: manifest not found; check the path") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        # pandas' parser errors are ValueErrors: say which file, in one line.
        reason = " ".join(str(exc).split())
        raise ProjectError(f"{path}: cannot be read as a manifest CSV ({reason})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, path.absolute().parent, str(path)


def _manifest_inputs(source, pattern: _LabelsPattern | None) -> list[tuple[str, str | None, dict, str | None]]:
    frame, base, what = _read_manifest(source)
    if "image" not in frame.columns:
        raise ProjectError(
            f"{what}: no 'image' column (columns: {', '.join(frame.columns) or 'none'}); the manifest needs a column "
            "'image' with the image files, and may have 'labels' and metadata columns such as well, field, condition"
        )
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise ProjectError(f"{what}: the column {duplicated[0]!r} appears twice; give every column its own name")
    metadata_columns = [c for c in frame.columns if c not in MANIFEST_COLUMNS]
    rows = []
    for position, row in enumerate(frame.to_dict("records")):
        image = row["image"]
        if image is None or pd.isna(image) or not str(image).strip():
            raise ProjectError(f"{what}, row {position + 2}: the 'image' cell is empty; give the image file of every row")
        image = str(base / str(image).strip())
        labels = row.get("labels")
        if labels is None or pd.isna(labels) or not str(labels).strip():
            labels = pattern.labels_for(image) if pattern is not None else None
            if labels is not None and not os.path.exists(labels):
                labels = None  # no mask by the rule: segmented
        else:
            labels = str(base / str(labels).strip())
        name = row.get("name")
        name = None if name is None or pd.isna(name) or not str(name).strip() else str(name).strip()
        metadata = {c: (None if _is_missing(row[c]) else _plain(row[c])) for c in metadata_columns}
        rows.append((os.path.normpath(image), None if labels is None else os.path.normpath(labels), metadata, name))
    return rows


def _is_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _unique_names(paths: Sequence[str]) -> list[str]:
    """File stems, with parent folders where stems repeat, then ``-2``, ``-3`` for what still repeats."""
    names = [image_stem(p) for p in paths]
    by_name: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        by_name.setdefault(name, []).append(index)
    for indices in by_name.values():
        if len(indices) < 2:
            continue
        folders = [os.path.dirname(paths[i]) for i in indices]
        common = os.path.commonpath(folders) if len({os.path.splitdrive(f)[0] for f in folders}) == 1 else ""
        for i in indices:
            relative = Path(os.path.relpath(paths[i], common) if common else paths[i])
            names[i] = (relative.parent / image_stem(relative)).as_posix().lstrip("/")
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            seen[name] += 1
            names[index] = f"{name}-{seen[name]}"
        else:
            seen[name] = 1
    return names


def find_inputs(
    inputs: str | os.PathLike | pd.DataFrame | Iterable[str | os.PathLike],
    *,
    labels_pattern: str | None = None,
    manifest: str | os.PathLike | pd.DataFrame | None = None,
) -> list[ImageInput]:
    """The images of a project and their masks, from files, folders, globs and a manifest.

    Parameters
    ----------
    inputs : path, sequence of paths, or DataFrame
        Image files, folders (their image files, not their subfolders), globs
        (``"plate1/**/*.tif"``; ``**`` reaches into subfolders), and manifest
        CSVs (a path ending in ``.csv``). A DataFrame is a manifest whose
        relative paths are taken from the current folder.
    labels_pattern : str or None
        Where an image's mask is, relative to the image's folder:
        ``"{stem}_mask.tif"``, ``"masks/{stem}.png"``, ``"{stem}_labels{ext}"``.
        Files that match it are masks and never images (also a mask without
        an image); an image whose mask is missing is segmented.
    manifest : path, DataFrame or None
        A manifest CSV: a column ``image`` (paths relative to the CSV's
        folder), optionally ``labels`` (empty: ``labels_pattern``, else
        segmented), ``name`` (instead of the file stem) and any metadata
        columns (``well``, ``field``, ``condition``, ...).

    Returns
    -------
    list of ImageInput
        In the order given (a folder's and a glob's files sorted by name).

    Raises
    ------
    ProjectError
        No image found, a path that does not exist, a manifest without an
        ``image`` column, a bad pattern, names given twice.
    """
    pattern = _LabelsPattern(labels_pattern) if labels_pattern else None
    if isinstance(inputs, (str, os.PathLike, pd.DataFrame)):
        inputs = [inputs]
    sources = list(inputs) + ([manifest] if manifest is not None else [])
    if not sources:
        raise ProjectError("no images given: give image files, folders, globs or a manifest CSV")
    found: list[tuple[str, str | None, dict, str | None]] = []
    listed: set[int] = set()  # positions of manifest rows: images because the manifest says so
    seen: set[str] = set()
    excluded = 0
    for source in sources:
        if isinstance(source, pd.DataFrame) or os.fspath(source).lower().endswith(".csv"):
            rows = _manifest_inputs(source, pattern)
            listed.update(range(len(found), len(found) + len(rows)))
            found.extend(rows)
            continue
        for path in _expand(source):
            if path in seen:
                continue  # the same file given twice (a glob and its file): one image
            seen.add(path)
            if pattern is not None and pattern.matches(path):
                excluded += 1
                continue
            labels = pattern.labels_for(path) if pattern is not None else None
            found.append((path, labels if labels is not None and os.path.exists(labels) else None, {}, None))
    # A mask named by the rule is never an image, even when its own name does not look like one.
    masks = {labels for _, labels, _, _ in found if labels is not None}
    found = [item for position, item in enumerate(found) if position in listed or item[0] not in masks]
    if not found:
        more = f" ({excluded} files matched the labels pattern {labels_pattern!r} and are masks)" if excluded else ""
        raise ProjectError(f"no images found in {', '.join(map(_shown, sources))}{more}")
    names = _unique_names([path for path, _, _, _ in found])
    given = [item[3] for item in found]
    result = []
    taken: set[str] = {g for g in given if g is not None}
    for (path, labels, metadata, explicit), name in zip(found, names):
        if explicit is None:
            while name in taken:
                name = f"{name}-2"
            taken.add(name)
        result.append(ImageInput(explicit or name, path, labels, metadata))
    counts: dict[str, int] = {}
    for item in result:
        counts[item.name] = counts.get(item.name, 0) + 1
    twice = sorted(n for n, c in counts.items() if c > 1)
    if twice:
        raise ProjectError(f"the image name {twice[0]!r} is given to more than one image; names in a manifest must be unique")
    for item in result:
        if any(ord(ch) < 32 for ch in item.name):
            raise ProjectError(f"the image name {item.name!r} has control characters; give it a printable name")
    return result


def _shown(source) -> str:
    return "the manifest" if isinstance(source, pd.DataFrame) else os.fspath(source)


# ---------------------------------------------------------------- settings


def _settings(properties, segmentation, pixel_size) -> dict:
    from regionscope.segmentation import DEFAULTS, SegmentationError

    options = dict(segmentation or {})
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise SegmentationError(f"unknown segmentation option {unknown[0]!r}; the options are: {', '.join(DEFAULTS)}")
    return {
        "properties": None if properties is None else list(properties),
        "segmentation": {**DEFAULTS, **options},
        "pixel_size": None if pixel_size is None else [float(v) for v in np.atleast_1d(pixel_size)],
    }


def _settings_key(settings: Mapping, segmented: bool) -> str:
    """What decides an image's table: the properties, the pixel size, and the segmentation when it is segmented."""
    relevant = {
        "format": FORMAT_VERSION,
        "properties": settings["properties"],
        "pixel_size": settings["pixel_size"],
        "segmentation": settings["segmentation"] if segmented else None,
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _content_key(item: ImageInput) -> str | None:
    """The cheap identity of an image and its mask: paths, sizes, modification times (None: not readable here)."""
    parts = []
    for path in (item.path, item.labels):
        if path is None:
            parts.append(None)
            continue
        try:
            stat = os.stat(path)
        except OSError:
            return None
        parts.append([path, stat.st_size, stat.st_mtime_ns])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def _check_metadata_names(items: Sequence[ImageInput], properties) -> list[str]:
    """The metadata columns, refused when they would take the name of a column regionscope writes."""
    from regionscope.chunked import table_meta

    columns: list[str] = []
    for item in items:
        columns.extend(c for c in item.metadata if c not in columns)
    try:
        measured = set(table_meta(2, properties, image_dtype=np.uint8).columns)
    except RegionscopeError:
        measured = set()  # the properties' own error comes from every image's measurement
    for column in columns:
        if column in IMAGE_COLUMNS or column in measured or column == "label":
            raise ProjectError(
                f"the manifest column {column!r} has the name of a column regionscope writes; rename it (e.g. {column}_meta)"
            )
    return columns


# ------------------------------------------------------- one image's task


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _measure_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """Measure one image in a Dask worker: its table and facts, or its error (never raised).

    A plain function of plain values, so that any worker can run it.
    """
    from regionscope.pipeline import load_labelled

    started = time.perf_counter()
    result: dict[str, Any] = {"name": task["name"], "status": "failed", "error": None, "warning": None, "table": None}
    path = task["path"]
    try:
        image, labels = load_labelled(
            path,
            task["labels"],
            segmentation=task["segmentation"],
            max_bytes=task["max_bytes"],
            pixel_size=task["pixel_size"],
        )
        from regionscope.measurement import measure_image

        # One thread per task: the cluster's workers are the parallelism.
        table = _with_image_column(task["name"], measure_image(image, labels, task["properties"], workers=1))
        if task["labels"] is not None:
            result["warning"] = _labels_warning(task["labels"], labels)
        result.update(_image_facts(image))
        if task["files"]:
            # Encoded here, in parallel, so that the process writing the project only writes bytes.
            result["parquet"] = _parquet_bytes(table)
            result["thumbnail_png"] = thumbnail_png(image)
        result.update(status="ok", table=table)
    except RegionscopeError as exc:
        result["error"] = _named(path, _one_line(exc))
    except MemoryError:
        result["error"] = f"{path}: not enough memory to measure it; give the workers more memory (--memory-limit) or fewer"
    except Exception as exc:  # a bug or a library's surprise: this image fails, the others go on
        result["error"] = f"{path}: unexpected error ({type(exc).__name__}: {_one_line(exc)}); please report it"
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _parquet_bytes(table: pd.DataFrame) -> bytes:
    import io

    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


#: Side of the window at the centre of a mask that is checked for looking like an intensity image.
WARNING_WINDOW = 256


def _labels_warning(path: str, labels: np.ndarray) -> str | None:
    """:func:`regionscope.pipeline.labels_warning` on a window at the centre of the mask.

    The whole-image check costs as much as measuring; a mask that is really
    an intensity image shows it in any window.
    """
    from regionscope.segmentation import intensity_like_labels

    window = tuple(slice(max(0, n // 2 - WARNING_WINDOW // 2), n // 2 + WARNING_WINDOW // 2) for n in labels.shape[-2:])
    planes = (slice(labels.shape[0] // 2, labels.shape[0] // 2 + 1),) if labels.ndim == 3 else ()
    reason = intensity_like_labels(labels[planes + window])
    if reason is None:
        return None
    return f"{Path(path).name} looks like an intensity image, not a label image: at its centre {reason}; check the labels pattern or the manifest"


def _named(path: str, message: str) -> str:
    """The message, with the image's file name in front when it does not name it already."""
    return message if Path(path).name in message else f"{Path(path).name}: {message}"


def _image_facts(image: ImageData) -> dict[str, Any]:
    shape = image.spatial_shape
    spacing = image.spacing or (None,) * len(shape)
    return {
        "size_z": shape[0] if len(shape) == 3 else None,
        "size_y": shape[-2],
        "size_x": shape[-1],
        "channels": len(image.channel_names) if image.has_channels else 1,
        "pixel_size_z": spacing[0] if len(shape) == 3 else None,
        "pixel_size_y": spacing[-2],
        "pixel_size_x": spacing[-1],
    }


def thumbnail_png(image: ImageData, side: int = THUMBNAIL_SIDE) -> bytes:
    """A small PNG of an image: the middle plane, RGB or the first channel, contrast from the 0.5-99.5th percentiles.

    Parameters
    ----------
    image : ImageData
    side : int
        Largest side in pixels (smaller images keep their size).

    Returns
    -------
    bytes
    """
    import io

    from PIL import Image
    from skimage.transform import downscale_local_mean

    data = image.data
    if image.spatial_ndim == 3:
        data = data[data.shape[0] // 2]
    if image.has_channels:
        data = data[..., :3] if data.shape[-1] in (3, 4) and data.dtype == np.uint8 else data[..., 0]
    plane = data.astype(np.float32)
    factor = max(1, -(-max(plane.shape[:2]) // side))
    if factor > 1:
        plane = downscale_local_mean(plane, (factor, factor) + (1,) * (plane.ndim - 2))
    finite = plane[np.isfinite(plane)]
    low, high = np.percentile(finite, (0.5, 99.5)) if finite.size else (0.0, 1.0)
    scaled = np.clip((np.nan_to_num(plane, nan=low) - low) / ((high - low) or 1.0), 0, 1)
    buffer = io.BytesIO()
    Image.fromarray((scaled * 255).round().astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------- the folder


def _file_name(name: str) -> str:
    """An image's name as a file name: URL-quoted, never hidden (Parquet readers skip ``.`` and ``_`` files)."""
    quoted = quote(name, safe="")
    if quoted[:1] in (".", "_"):
        quoted = f"%{ord(quoted[0]):02X}{quoted[1:]}"
    return quoted


def _write_atomically(path: Path, write) -> None:
    partial = path.with_name(path.name + ".partial")
    write(partial)
    os.replace(partial, path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _read_manifest_json(folder: Path) -> dict:
    path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(
            f"{folder}: not a regionscope project (no {MANIFEST_NAME}); make one with 'regionscope measure ... --project DIR'"
        ) from None
    except (OSError, ValueError) as exc:
        raise ProjectError(f"{path}: cannot be read ({_one_line(exc)}); measure the project again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ProjectError(f"{path}: not a regionscope project manifest")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise ProjectError(
            f"{folder}: written by a newer regionscope (project format {manifest.get('format_version')}, "
            f"this one reads {FORMAT_VERSION}); update regionscope"
        )
    return manifest


def _read_images(folder: Path) -> pd.DataFrame:
    path = folder / IMAGES_NAME
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise ProjectError(f"{folder}: the project has no image table ({IMAGES_NAME}); measure it again") from None
    except (OSError, ValueError) as exc:
        raise ProjectError(f"{path}: cannot be read ({_one_line(exc)}); measure the project again") from None


class _ProjectFolder:
    """Writes a project while it is measured: region files as images finish, the image table now and then."""

    def __init__(self, folder: str | os.PathLike, settings: dict, labels_pattern: str | None) -> None:
        self.folder = Path(folder)
        previous = None
        if (self.folder / MANIFEST_NAME).exists():
            previous = _read_manifest_json(self.folder)
        elif self.folder.exists() and (not self.folder.is_dir() or any(self.folder.iterdir())):
            raise ProjectError(
                f"{self.folder}: {'a file' if not self.folder.is_dir() else 'a folder that is not empty'} and not a "
                "regionscope project; give a new or empty folder for --project"
            )
        try:
            (self.folder / REGIONS_FOLDER).mkdir(parents=True, exist_ok=True)
            (self.folder / THUMBNAILS_FOLDER).mkdir(exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"{self.folder}: cannot create the project folder ({exc.strerror or exc})") from None
        self.previous_rows: dict[str, dict] = {}
        if previous is not None and (self.folder / IMAGES_NAME).exists():
            try:
                self.previous_rows = {row["name"]: row for row in _read_images(self.folder).to_dict("records")}
            except ProjectError:
                self.previous_rows = {}  # unreadable: everything is measured again
        self.manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "id": (previous or {}).get("id") or uuid.uuid4().hex,
            "created": (previous or {}).get("created") or _now(),
            "updated": _now(),
            "regionscope_version": __version__,
            **settings,
            "labels_pattern": labels_pattern,
            "files": {
                "images": IMAGES_NAME,
                "regions": f"{REGIONS_FOLDER}/",
                "thumbnails": f"{THUMBNAILS_FOLDER}/",
                "annotations": "annotations.sqlite3",
            },
        }
        self._last_flush = time.monotonic()

    def reusable(self, item: ImageInput, content_key: str | None, settings_key: str) -> dict | None:
        row = self.previous_rows.get(item.name)
        if (
            row is None
            or content_key is None
            or row.get("status") != "ok"
            or row.get("content_key") != content_key
            or row.get("settings_key") != settings_key
            or row.get("path") != item.path
            or not (self.folder / str(row.get("regions_file"))).exists()
        ):
            return None
        return row

    def region_file(self, name: str) -> str:
        return f"{REGIONS_FOLDER}/{_file_name(name)}.parquet"

    def write_result(self, name: str, parquet: bytes | None, thumbnail: bytes | None) -> tuple[str | None, str | None]:
        """Write an image's region table (Parquet bytes) and thumbnail; for a failed image (None) remove the old ones."""
        regions = self.folder / self.region_file(name)
        picture = self.folder / THUMBNAILS_FOLDER / f"{_file_name(name)}.png"
        if parquet is None:  # failed: nothing of an older run stays
            for stale in (regions, picture):
                stale.unlink(missing_ok=True)
            return None, None
        _write_atomically(regions, lambda p: p.write_bytes(parquet))
        if thumbnail is not None:
            _write_atomically(picture, lambda p: p.write_bytes(thumbnail))
        return self.region_file(name), f"{THUMBNAILS_FOLDER}/{picture.name}" if thumbnail is not None else None

    def flush_due(self) -> bool:
        return time.monotonic() - self._last_flush >= FLUSH_SECONDS

    def flush(self, images: pd.DataFrame) -> None:
        """Write the image table and ``project.json``."""
        _write_atomically(self.folder / IMAGES_NAME, lambda p: images.to_parquet(p, index=False))
        ok = images["status"] == "ok"
        manifest = {
            **self.manifest,
            "updated": _now(),
            "images": int(len(images)),
            "failed": int((~ok).sum()),
            "regions": int(images.loc[ok, "regions"].fillna(0).sum()),
        }
        text = json.dumps(manifest, indent=2, default=str)
        _write_atomically(self.folder / MANIFEST_NAME, lambda p: p.write_text(text, encoding="utf-8"))
        self._last_flush = time.monotonic()

    def remove_others(self, names: Iterable[str]) -> None:
        """Delete the files of images that are no longer in the project."""
        keep = {_file_name(n) for n in names}
        for folder, suffix in ((REGIONS_FOLDER, ".parquet"), (THUMBNAILS_FOLDER, ".png")):
            for path in (self.folder / folder).iterdir():
                if path.name.endswith(suffix) and path.name[: -len(suffix)] not in keep:
                    path.unlink(missing_ok=True)


# -------------------------------------------------------------- measuring


def _images_table(rows: Sequence[dict], metadata_columns: Sequence[str]) -> pd.DataFrame:
    columns = ["name", "path", "labels", *metadata_columns, *IMAGE_COLUMNS[3:]]
    table = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns)
    for column in ("regions", "size_z", "size_y", "size_x", "channels"):
        table[column] = pd.array(table[column].tolist(), dtype="Int64")
    for column in ("pixel_size_z", "pixel_size_y", "pixel_size_x", "seconds"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(np.float64)
    for column in ("segmented", "reused"):
        table[column] = table[column].astype(bool)
    return table


def _with_image_column(name: str, table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table.insert(0, "image", pd.Series([name] * len(table), index=table.index, dtype=str))
    return table


def _regions_table(tables: Sequence[pd.DataFrame], images: pd.DataFrame, metadata_columns: Sequence[str]) -> pd.DataFrame:
    """The images' tables one after the other, with their metadata columns joined on ``image``."""
    filled = [t for t in tables if len(t)]
    if filled:
        regions = pd.concat(filled, ignore_index=True) if len(filled) > 1 else filled[0].reset_index(drop=True)
    elif tables:
        regions = tables[0].reset_index(drop=True)
    else:
        regions = pd.DataFrame({"image": pd.Series([], dtype=str), "label": pd.Series([], dtype=np.int64)})
    if metadata_columns:
        metadata = images.set_index("name")[list(metadata_columns)]
        joined = metadata.reindex(regions["image"].to_numpy())
        for column in metadata_columns:
            regions[column] = joined[column].to_numpy()
            regions[column] = regions[column].astype(metadata[column].dtype)
    return regions


def measure_many(
    inputs: str | os.PathLike | pd.DataFrame | Iterable[str | os.PathLike],
    *,
    labels_pattern: str | None = None,
    manifest: str | os.PathLike | pd.DataFrame | None = None,
    properties: Sequence[str] | None = None,
    segmentation: Mapping[str, Any] | None = None,
    project: str | os.PathLike | None = None,
    client: Client | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | int | None = None,
    max_bytes: int | str | None = None,
    pixel_size: float | Sequence[float] | None = None,
    progress: bool | None = None,
    return_images: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Measure every region of many images into one table, in parallel on Dask.

    Parameters
    ----------
    inputs : path, sequence of paths, or DataFrame
        Image files, folders, globs and manifest CSVs (see :func:`find_inputs`).
    labels_pattern : str or None
        The mask of each image, relative to its folder (``"{stem}_mask.tif"``);
        files matching it are not images. See :func:`find_inputs`.
    manifest : path, DataFrame or None
        A manifest besides ``inputs`` (``--manifest``).
    properties : sequence of str or None
        As in :func:`regionscope.measure`.
    segmentation : dict or None
        :func:`regionscope.segment` options for the images without a mask
        (default :data:`regionscope.segmentation.DEFAULTS`).
    project : str, os.PathLike or None
        Keep the run in this folder (see the module docs), and skip the
        images it holds already measured with the same content and settings.
    client : distributed.Client or None
        Run on this client. Otherwise, when any image is to be measured, one
        is made with :func:`regionscope.chunked.dask_client` from
        ``scheduler``, ``workers`` and ``memory_limit`` for the run.
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``); the workers
        need the files at the same paths.
    workers : int or None
        Workers of the local cluster (default ``min(2, cpu count)``), one thread each.
    memory_limit : str, int or None
        Per local worker (``"4GB"``).
    max_bytes : int, str or None
        Memory budget of each file read (see :func:`regionscope.io.load_image`).
    pixel_size : float, sequence of float or None
        Micrometres per pixel for every image, overriding the files'.
    progress : bool or None
        One bar over the images with the time left, on stderr (``None``: on a
        terminal; see :func:`regionscope.progress.progress_enabled`).
    return_images : bool
        Also return the image table.

    Returns
    -------
    regions : pandas.DataFrame
        ``image``, then the columns of :func:`regionscope.measure` (``label``
        first), then the metadata columns; the images in input order, each
        image's rows as ``measure`` gives them. Failed images have no rows.
    images : pandas.DataFrame
        Only with ``return_images=True``: one row per image (the columns of
        ``images.parquet``, see :data:`IMAGE_COLUMNS`); ``status`` is ``"ok"``
        or ``"failed"`` with the ``error`` message, ``reused`` says that this
        run took the image's table from the project without measuring it.

    Raises
    ------
    ProjectError
        Inputs that give no image, a bad pattern or manifest, a project
        folder that cannot be used. A failing image raises nothing: it is
        recorded in the image table and the others are measured.

    Examples
    --------
    >>> table = measure_many("plate1/", labels_pattern="{stem}_mask.tif", project="plate1.rsproject")  # doctest: +SKIP
    """
    items = find_inputs(inputs, labels_pattern=labels_pattern, manifest=manifest)
    settings = _settings(properties, segmentation, pixel_size)
    if properties is not None:
        from regionscope.measurement import normalize_property_names

        normalize_property_names(properties, ndim=2, has_intensity=True)  # an unknown name: one error, before any work
    metadata_columns = _check_metadata_names(items, properties)
    folder = _ProjectFolder(project, settings, labels_pattern) if project is not None else None

    rows: dict[str, dict] = {}
    tables: dict[str, pd.DataFrame] = {}
    tasks = []
    for item in items:
        row = {"name": item.name, "path": item.path, "labels": item.labels, **item.metadata, "segmented": item.labels is None}
        row["content_key"] = _content_key(item)
        row["settings_key"] = _settings_key(settings, item.labels is None)
        done = folder.reusable(item, row["content_key"], row["settings_key"]) if folder is not None else None
        if done is not None:
            kept = {k: done.get(k) for k in IMAGE_COLUMNS[3:]}
            row = {**kept, **row, "reused": True}
            tables[item.name] = pd.read_parquet(folder.folder / str(done["regions_file"]))
        else:
            row["reused"] = False
            tasks.append(
                {
                    "name": item.name,
                    "path": item.path,
                    "labels": item.labels,
                    "properties": settings["properties"],
                    "segmentation": dict(segmentation or {}) if item.labels is None else None,
                    "max_bytes": max_bytes,
                    "pixel_size": pixel_size,
                    "files": folder is not None,
                }
            )
        rows[item.name] = row

    def current_images():
        order = [rows[item.name] for item in items]
        # Until the run ends, an interrupted run keeps the earlier results of the images not yet reached.
        return _images_table(order, metadata_columns)

    def record(result):
        row = rows[result["name"]]
        table = result.pop("table")
        if table is not None:
            tables[result["name"]] = table
        parquet, picture = result.pop("parquet", None), result.pop("thumbnail_png", None)
        regions_file = thumbnail = None
        if folder is not None:
            regions_file, thumbnail = folder.write_result(result["name"], parquet, picture)
        row.update(result)
        row.update(
            regions=None if table is None else len(table),
            regions_file=regions_file,
            thumbnail=thumbnail,
            measured_at=_now(),
        )
        if folder is not None and folder.flush_due():
            folder.flush(current_images())

    completed = False
    try:
        if tasks:
            _run_tasks(
                tasks, record, client=client, scheduler=scheduler, workers=workers, memory_limit=memory_limit, progress=progress
            )
        completed = True
    finally:
        if folder is not None:
            if completed:
                images = current_images()
                folder.flush(images)
                folder.remove_others(rows)
            else:
                # Interrupted: keep the images finished so far, and the earlier rows of the others.
                done_rows = [rows[i.name] for i in items if i.name in tables or rows[i.name].get("status") == "failed"]
                earlier = [r for n, r in folder.previous_rows.items() if n not in {d["name"] for d in done_rows}]
                folder.flush(_images_table([*done_rows, *earlier], metadata_columns))
    images = current_images()
    regions = _regions_table([tables[i.name] for i in items if i.name in tables], images, metadata_columns)
    return (regions, images) if return_images else regions


def _run_tasks(tasks, record, *, client, scheduler, workers, memory_limit, progress) -> None:
    from regionscope.chunked import dask_client
    from regionscope.progress import count_bar

    with count_bar(len(tasks), "measuring", enabled=progress) as bar:
        if client is not None:
            _gather(client, tasks, record, bar)
            return
        with dask_client(scheduler, n_workers=workers, memory_limit=memory_limit) as own:
            _gather(own, tasks, record, bar)


#: Most images measured by one Dask task: fewer, larger tasks cost the scheduler and the
#: process collecting the results less (a third of their CPU time at 4 per task).
MAX_IMAGES_PER_TASK = 4
#: Tasks per worker at least, so that the workers stay busy until the end.
TASKS_PER_WORKER = 8


def _measure_batch(tasks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """:func:`_measure_task` of several images in one Dask task."""
    return [_measure_task(task) for task in tasks]


def _batches(tasks: Sequence[dict], n_workers: int) -> list[list[dict]]:
    size = max(1, min(MAX_IMAGES_PER_TASK, len(tasks) // (max(1, n_workers) * TASKS_PER_WORKER)))
    return [list(tasks[i : i + size]) for i in range(0, len(tasks), size)]


def _lost(task: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
    """The result of an image whose worker died (out of memory, killed): failed, the others go on."""
    reason = _one_line(exc) or type(exc).__name__
    return {
        "name": task["name"],
        "status": "failed",
        "error": f"{task['path']}: the worker measuring it stopped ({type(exc).__name__}: {reason}); "
        "it may need more memory (--memory-limit)",
        "warning": None,
        "table": None,
    }


def _gather(client, tasks, record, bar) -> None:
    from distributed import as_completed

    batches = _batches(tasks, len(client.scheduler_info().get("workers", {})))
    futures = client.map(_measure_batch, batches, pure=False, key=[f"regionscope-images-{uuid.uuid4().hex}" for _ in batches])
    by_key = {future.key: batch for future, batch in zip(futures, batches)}
    failed = 0
    try:
        # Results fetched in the background as tasks finish, not one round trip each.
        for future, results in as_completed(futures, with_results=True, raise_errors=False):
            if isinstance(results, BaseException) or future.status != "finished":
                results = [
                    _lost(task, results if isinstance(results, BaseException) else RuntimeError(future.status))
                    for task in by_key[future.key]
                ]
            for result in results:
                failed += result["status"] != "ok"
                record(result)
                bar.update(1)
            if failed:
                bar.set_postfix_str(f"{failed} failed", refresh=False)
    finally:
        client.cancel([f for f in futures if not f.done()])


# ---------------------------------------------------------------- opening


class Project:
    """A project folder written by :func:`measure_many`, opened again.

    Use :meth:`Project.open`.

    Attributes
    ----------
    folder : pathlib.Path
    manifest : dict
        ``project.json``: format, versions, settings, counts.
    images : pandas.DataFrame
        One row per image (name, path, labels, metadata, shape, pixel size,
        region count, status, error, ...), in the order measured.
    """

    def __init__(self, folder: Path, manifest: dict, images: pd.DataFrame) -> None:
        self.folder = folder
        self.manifest = manifest
        self.images = images
        self._regions: pd.DataFrame | None = None

    @classmethod
    def open(cls, folder: str | os.PathLike) -> Project:
        """Open a project folder.

        Raises
        ------
        ProjectError
            Not a project, an unreadable image table, a newer format.
        """
        folder = Path(folder)
        manifest = _read_manifest_json(folder)
        return cls(folder, manifest, _read_images(folder))

    def __repr__(self) -> str:
        failed = int((self.images["status"] != "ok").sum())
        regions = int(self.images["regions"].fillna(0).sum())
        return f"Project({str(self.folder)!r}: {len(self.images)} images, {failed} failed, {regions:,} regions)"

    @property
    def id(self) -> str:
        """str : The project's id, kept by later runs and by copies of the folder."""
        return str(self.manifest["id"])

    @property
    def names(self) -> list[str]:
        """list of str : The images' names."""
        return [str(n) for n in self.images["name"]]

    @property
    def metadata_columns(self) -> list[str]:
        """list of str : The manifest's metadata columns, as in the image table."""
        columns = list(self.images.columns)
        return columns[columns.index("labels") + 1 : columns.index("status")]

    def _row(self, image: str) -> pd.Series:
        found = self.images[self.images["name"] == image]
        if not len(found):
            known = ", ".join(self.names[:5]) + (", ..." if len(self.images) > 5 else "")
            raise ProjectError(f"{self.folder}: no image named {image!r} in the project (images: {known})")
        return found.iloc[0]

    @property
    def regions(self) -> pd.DataFrame:
        """pandas.DataFrame : Every region of every measured image, keyed by ``(image, label)``, with the metadata.

        Read once, then kept.
        """
        if self._regions is None:
            ok = self.images[self.images["status"] == "ok"]
            tables = [pd.read_parquet(self.folder / str(path)) for path in ok["regions_file"]]
            self._regions = _regions_table(tables, self.images, self.metadata_columns)
        return self._regions

    def image_regions(self, image: str) -> pd.DataFrame:
        """One image's regions (``image``, ``label``, the properties), without the metadata."""
        row = self._row(image)
        if row["status"] != "ok":
            raise ProjectError(f"{self.folder}: the image {image!r} has no regions: it failed ({row['error']})")
        return pd.read_parquet(self.folder / str(row["regions_file"]))

    def thumbnail(self, image: str) -> Path | None:
        """The path of an image's thumbnail PNG, or None (failed images have none)."""
        value = self._row(image)["thumbnail"]
        return None if pd.isna(value) else self.folder / str(value)

    def annotation_key(self, image: str) -> str:
        """The key of an image's classes and exclusions in an :class:`~regionscope.annotations.AnnotationStore`.

        One per image and project, so that the same label in two images is
        two regions: ``store.assign(project.annotation_key("A01"), [3], "dead")``
        leaves label 3 of every other image alone. The key follows the
        image's name, not its content: annotations stay when an image is
        measured again (pass ``known_labels`` to the store's methods to check
        that the labels still exist).
        """
        self._row(image)
        return f"project:{self.id}:image:{image}"

    def annotations(self) -> AnnotationStore:
        """The project's annotation store: ``annotations.sqlite3`` in the project folder (copied with it)."""
        from regionscope.annotations import AnnotationStore

        return AnnotationStore(self.folder)

    def classes(self, *, include_excluded: bool = False) -> dict[tuple[str, int], str]:
        """Every classified region of every image: ``{(image, label): class name}``.

        What :func:`regionscope.train_classifier` takes with :attr:`regions` to learn from the
        regions annotated in any image. Excluded regions are left out unless asked for.
        """
        from regionscope.annotations.store import DATABASE_NAME

        if not (self.folder / DATABASE_NAME).is_file():
            return {}
        classes = {}
        with self.annotations() as store:
            for image in self.names:
                key = self.annotation_key(image)
                excluded = set() if include_excluded else set(store.excluded(key))
                for label, name in store.assignments(key).items():
                    if label not in excluded:
                        classes[(image, label)] = name
        return classes
