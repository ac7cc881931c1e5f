"""The ``regionscope`` command: ``measure``, ``view`` and ``classify``.

Exit codes: 0 success, 1 bad input (a one-line message on stderr naming the file
and the problem; ``--debug`` adds the traceback), 2 usage errors. A table piped
into a program that stops reading early (``| head``) ends quietly with 0.

Long steps (reading, segmenting, measuring, writing, outlining) show a progress
bar on stderr when it is a terminal (see :mod:`regionscope.progress`).
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path

from regionscope._version import __version__
from regionscope.errors import FilterError, RegionscopeError
from regionscope.export import export_labels, table_format, write_table
from regionscope.segmentation import DEFAULT_MIN_SIZE, DEFAULTS

EXIT_BAD_INPUT = 1
EXIT_USAGE = 2

MEASURE_EXAMPLES = """\
examples:
  regionscope measure cells.tif --labels cells_mask.tif -o cells.csv
  regionscope measure coins.png --properties label,area,perimeter,intensity_mean
  regionscope measure nuclei.tif --threshold li --min-size 20 --filter "{area} > 100 && {eccentricity} < 0.8"
  regionscope measure dark_pores.png --dark-objects -o pores.parquet
  regionscope measure ihc.png --channel blue --fill-holes --split-touching -o nuclei.csv
  regionscope measure cells.tif --labels mask.tif --filter "{area} > 100" --export-labels big_cells.tif
  regionscope measure slide.ome.tif --labels mask.ome.tif --store prepared/   # pyramids + Parquet, reused
  regionscope measure plate1/ --labels-pattern "{stem}_mask.tif" -o plate1.parquet   # many images, one table
  regionscope measure "plates/**/*.tif" --labels-pattern "{stem}_mask.tif" --project screen/   # resumable
  regionscope measure --manifest screen.csv --project screen/ --scheduler tcp://10.0.0.5:8786
"""

MAIN_EXAMPLES = """\
examples:
  regionscope measure coins.png -o coins.csv
  regionscope measure cells.tif --labels cells_mask.tif --filter "{area} > 100"
  regionscope view cells.tif --labels cells_mask.tif

'regionscope COMMAND --help' shows the options and examples of a command.
"""

VIEW_EXAMPLES = """\
examples:
  regionscope view                               # the built-in coins sample
  regionscope view cells.tif --labels mask.tif
  regionscope view cells.tif --threshold li --min-size 30 --port 8051
  regionscope view ihc.png --channel blue --split-touching
  regionscope view cells.tif --labels mask.tif --session cells-session.json
  regionscope view slide.ome.tif --labels mask.ome.tif --store prepared/   # measured once, reopened at once
  regionscope view cells.tif --host 0.0.0.0                 # for the lab: a token in the printed URL
  regionscope view cells.tif --host 0.0.0.0 --auth users.txt # users and passwords (regionscope hash-password)

An image (OME-Zarr, TIFF, .npy) of more than 64 Mpixel ($REGIONSCOPE_AUTO_STORE_PIXELS
overrides the number) is prepared into the store WORKSPACE/store the first time, as --store
does, and opened from it while unchanged, instead of being read whole and measured at every open.

Served by waitress. On 127.0.0.1 (the default) there is no login and everyone
on this machine shares the datasets, exclusions and classes. On any other
address a login is required: a random token in the printed URL, or the users
of --auth FILE (lines "name:hash"); --no-auth turns it off (with a warning).
"""

PROGRESS_NOTE = """progress: a bar on stderr while reading, segmenting, measuring and writing, shown
when stderr is a terminal; REGIONSCOPE_PROGRESS=1 always shows it, 0 never.
"""


class UsageError(Exception):
    """A command-line usage problem (exit code 2)."""


def build_parser():
    """The argument parser of the ``regionscope`` command."""
    parser = argparse.ArgumentParser(
        prog="regionscope",
        description="Explore image segmentation results: measure regions, view them linked to their table.",
        epilog=MAIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"regionscope {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    measure = commands.add_parser(
        "measure",
        help="measure every region of a segmentation and write the table",
        description="Measure every region (scikit-image regionprops) and write one row per region.",
        epilog=MEASURE_EXAMPLES + "\n" + PROGRESS_NOTE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input_arguments(measure, many=True)
    _add_project_arguments(measure)
    _add_reading_arguments(measure)
    measure.add_argument(
        "--properties",
        metavar="P1,P2,...",
        help="comma-separated scikit-image property names (legacy names such as mean_intensity accepted); "
        "default: label, area, perimeter, centroid, bbox, axis lengths, eccentricity, orientation, solidity, "
        "euler_number, touches_border, intensity mean/min/max",
    )
    measure.add_argument("--filter", metavar="EXPR", help='keep rows matching EXPR, e.g. "{area} < 1000 && {perimeter} > 200"')
    measure.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write the table to OUT (.csv, .tsv or .parquet); default: print it (not with --store)",
    )
    measure.add_argument(
        "--export-labels",
        metavar="TIFF",
        help="write a label image with only the regions in the table (after --filter), original label values kept",
    )
    measure.add_argument(
        "--store",
        metavar="DIR",
        help="build the prepared store in DIR (OME-Zarr pyramids of the image and labels, every region's table as "
        "Parquet), or reuse it while the inputs are unchanged; measured on Dask; --filter applies to -o only. "
        "Without --labels the image is segmented chunk by chunk into the store (a global --threshold, "
        "--dark-objects, --min-size, --channel; not --threshold local, --fill-holes or --split-touching) and "
        "reused while the image and these settings are unchanged",
    )
    _add_chunked_arguments(measure)
    measure.add_argument("--debug", action="store_true", help="show tracebacks")
    measure.set_defaults(run=run_measure)

    view = commands.add_parser(
        "view",
        help="open the explorer app in the browser",
        description="Serve the explorer: the image with region contours, linked to the region table.",
        epilog=VIEW_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input_arguments(view, image_optional=True)
    _add_reading_arguments(view)
    view.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    view.add_argument("--port", type=int, default=8050, help="port to serve on (default 8050)")
    view.add_argument(
        "--workspace",
        metavar="DIR",
        help="folder where exclusions and classes are saved (default: $REGIONSCOPE_WORKSPACE or the user data folder)",
    )
    view.add_argument("--session", metavar="FILE", help="reopen a session saved from the page (Export > Session) for this data")
    view.add_argument(
        "--force-session",
        action="store_true",
        help="apply --session's classes and exclusions even though it was saved for other data",
    )
    view.add_argument(
        "--debug", action="store_true", help="Dash debug mode, Werkzeug's development server and tracebacks (127.0.0.1 only)"
    )
    view.add_argument(
        "--auth",
        metavar="FILE",
        help="users file: one 'name:hash' per line (hashes from 'regionscope hash-password'); each user's work is their own",
    )
    view.add_argument(
        "--no-auth", action="store_true", help="serve a non-loopback --host without any login (everyone shares everything)"
    )
    view.add_argument(
        "--store",
        metavar="DIR",
        help="prepare the image and labels into the store DIR the first time (as `measure --store` does) and open "
        "them from it while they are unchanged: nothing is measured again; without --labels the image is segmented "
        "chunk by chunk (not with --threshold local, --fill-holes or --split-touching)",
    )
    view.set_defaults(run=run_view)

    _add_classify_parser(commands)
    _add_summary_parser(commands)

    hash_password = commands.add_parser(
        "hash-password",
        help="print a password hash for a --auth users file",
        description="Read a password (twice, not echoed) and print 'NAME:HASH' for a --auth users file.",
    )
    hash_password.add_argument("name", metavar="NAME", help="the user's name (letters, digits and . _ @ + -)")
    hash_password.add_argument("--stdin", action="store_true", help="read the password from the first line of standard input")
    hash_password.set_defaults(run=run_hash_password)
    return parser


def _add_chunked_arguments(parser):
    group = parser.add_argument_group(
        "chunked measurement on Dask",
        "used with --store, when --scheduler or --chunks is given, or when the image and labels are lazily readable "
        "(OME-Zarr, TIFF, .npy) and larger than 1 GiB together; needs --labels",
    )
    group.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on this Dask scheduler (tcp://host:8786) instead of a local cluster"
    )
    group.add_argument("--workers", type=int, metavar="N", help="workers of the local cluster (default 2)")
    group.add_argument("--memory-limit", metavar="SIZE", help="memory limit per local worker, e.g. 4GB")
    group.add_argument(
        "--chunks", nargs="?", const="auto", metavar="SIDE", help="measure chunk by chunk, with chunks of SIDE pixels per axis"
    )


def _chunk_side(args):
    """``--chunks`` as a number of pixels, or None for the sources' own chunks (a usage error otherwise)."""
    if args.chunks in (None, "auto"):
        return None
    if not args.chunks.isdigit() or int(args.chunks) < 1:
        raise UsageError(f"--chunks must be a positive number of pixels, not {args.chunks!r}")
    return int(args.chunks)


def _measure_chunked(args, properties):
    """``regionscope measure`` on Dask: ``(table, None)``, or None when the in-memory path is the one to use."""
    from regionscope.chunked import measure_files_chunked, prefers_chunked

    if not (args.scheduler or args.chunks or prefers_chunked(args.image, args.labels)):
        return None
    if args.export_labels:
        raise UsageError("--export-labels needs the labels in memory; it cannot be combined with chunked measurement")
    chunks = _chunk_side(args)
    table = measure_files_chunked(
        args.image,
        args.labels,
        properties=properties,
        chunks=chunks,
        scheduler=args.scheduler,
        n_workers=args.workers,
        memory_limit=args.memory_limit,
    )
    return table, None


def _check_store_options(args):
    """Usage errors of ``--store`` (``measure`` and ``view``), before any work."""
    if not args.labels:
        unsupported = [
            option
            for option, given in (
                ("--threshold local", args.threshold == "local"),
                ("--fill-holes", args.fill_holes),
                ("--split-touching", args.split_touching),
            )
            if given
        ]
        if unsupported:
            raise UsageError(
                f"{', '.join(unsupported)} cannot be combined with --store without --labels: the store segments the image "
                "chunk by chunk, with a global threshold and without filling holes or splitting; leave "
                f"{'it' if len(unsupported) == 1 else 'them'} out, or give the label image (--labels MASK)"
            )
    if getattr(args, "export_labels", None):
        raise UsageError(
            "--export-labels cannot be combined with --store: the store measures on Dask, without the labels in memory"
        )
    if args.pixel_size:
        raise UsageError("--pixel-size cannot be combined with --store: the store takes the pixel size from the files")
    if hasattr(args, "chunks"):
        _chunk_side(args)


def _prepare_store(args, properties):
    """``measure --store``: build or reuse the entry (see :func:`regionscope.store.prepare`); without --labels, segmented."""
    from regionscope.store import prepare

    return prepare(
        args.store,
        args.image,
        args.labels,
        segmentation=None if args.labels else segmentation_options(args),
        properties=properties,
        chunks=_chunk_side(args),
        scheduler=args.scheduler,
        n_workers=args.workers,
        memory_limit=args.memory_limit,
    )


def store_report(entry):
    """The line ``measure --store`` ends with: what was written, or that nothing had to be."""
    from regionscope.pipeline import regions_text

    regions = regions_text(entry.manifest.get("regions", 0))
    segmented = "segmented" in entry.manifest.get("labels", {})
    if entry.reused:
        inputs = "the image and the segmentation settings are" if segmented else "the image and labels are"
        return f"{entry.folder} reused: {inputs} unchanged since it was written ({regions}); nothing was recomputed"
    levels = entry.manifest.get("levels", 1)
    return (
        f"{regions}{' segmented' if segmented else ''} and image and label pyramids of {levels} "
        f"level{'s' if levels != 1 else ''} written to {entry.folder} ({entry.manifest.get('build_seconds', 0):.1f} s)"
    )


def _add_input_arguments(parser, *, image_optional=False, many=False):
    from regionscope.segmentation import METHODS

    parser.add_argument(
        "image",
        nargs="*" if many else "?" if image_optional else None,
        metavar="IMAGE",
        help="image files, folders or globs (TIFF, OME-TIFF, PNG, JPEG, BMP, GIF, .npy); one file: its table as "
        "always, several (or --manifest, --labels-pattern, --project): one table with an image column"
        if many
        else "image file (TIFF, OME-TIFF, PNG, JPEG, BMP, GIF, .npy)",
    )
    parser.add_argument(
        "--labels", metavar="MASK", help="label image (integer; boolean masks are labelled); default: segment IMAGE"
    )
    segmenting = parser.add_argument_group("segmentation (without --labels)")
    segmenting.add_argument(
        "--threshold",
        metavar="METHOD",
        default=DEFAULTS["method"],
        choices=METHODS,
        help=f"threshold method: {', '.join(METHODS)} (default {DEFAULTS['method']})",
    )
    segmenting.add_argument("--dark-objects", action="store_true", help="objects are darker than the background")
    segmenting.add_argument(
        "--min-size",
        type=int,
        default=DEFAULT_MIN_SIZE,
        metavar="N",
        help=f"drop regions smaller than N pixels (voxels in 3D); default {DEFAULT_MIN_SIZE}, "
        "scikit-image's remove_small_objects default; 0 keeps every region",
    )
    segmenting.add_argument("--fill-holes", action="store_true", help="fill holes in the objects before labelling")
    segmenting.add_argument(
        "--split-touching", action="store_true", help="split touching round objects (distance-transform watershed)"
    )
    segmenting.add_argument(
        "--channel",
        metavar="NAME|INDEX",
        help="channel of a multichannel image to segment: its name in the file (red, green, blue for RGB) or "
        "its index from 0; default: the luminance of an RGB image, the first channel of others",
    )


def _byte_size(text):
    from regionscope.limits import parse_byte_size

    try:
        return parse_byte_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _pixel_size(text):
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        values = ()
    if not values or not all(0 < v < float("inf") for v in values):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a pixel size: give micrometres, one number (e.g. 0.65) or one per axis (e.g. 2,0.65,0.65 for Z,Y,X)"
        )
    return values


def _add_reading_arguments(parser):
    parser.add_argument(
        "--max-image-bytes",
        metavar="SIZE",
        type=_byte_size,
        help="largest decoded size of one image, e.g. 4G or 500M (default: $REGIONSCOPE_MAX_IMAGE_BYTES or 2G); "
        "larger files are refused before they are decoded",
    )
    parser.add_argument(
        "--pixel-size",
        metavar="UM",
        type=_pixel_size,
        help="pixel size in micrometres, one number or one per axis (Z,Y,X), overriding the file's; "
        "adds physical columns such as area_um2 and perimeter_um",
    )


@contextmanager
def _image_byte_budget(max_bytes):
    """Make ``--max-image-bytes`` the budget of every file the server reads (uploads too), then restore it."""
    import os

    from regionscope.limits import MAX_IMAGE_BYTES_ENV

    if max_bytes is None:
        yield
        return
    previous = os.environ.get(MAX_IMAGE_BYTES_ENV)
    os.environ[MAX_IMAGE_BYTES_ENV] = str(max_bytes)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MAX_IMAGE_BYTES_ENV, None)
        else:
            os.environ[MAX_IMAGE_BYTES_ENV] = previous


def segmentation_options(args):
    """The keyword arguments of :func:`regionscope.segment` given on the command line.

    ``channel`` stays as typed (a name or an index); it is resolved against
    the file's channel names once the image is read.
    """
    if args.min_size < 0:
        raise UsageError(f"--min-size must be >= 0, not {args.min_size}")
    return {
        "method": args.threshold,
        "objects": "dark" if args.dark_objects else "bright",
        "min_size": args.min_size,
        "fill_holes": args.fill_holes,
        "split_touching": args.split_touching,
        "channel": args.channel,
    }


#: Segmentation options as typed on the command line, for messages.
OPTION_NAMES = {
    "method": "--threshold",
    "objects": "--dark-objects",
    "min_size": "--min-size",
    "fill_holes": "--fill-holes",
    "split_touching": "--split-touching",
    "channel": "--channel",
}


def warn_unused_segmentation(args, options):
    """With --labels nothing is segmented: say so when segmentation options were given."""
    if not args.labels:
        return
    given = [OPTION_NAMES[key] for key, value in options.items() if value != DEFAULTS[key]]
    if given:
        warn(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} not used with --labels (the labels are used as given)")


def warn(message):
    """One warning line on stderr."""
    print(f"regionscope: warning: {message}", file=sys.stderr, flush=True)


def output_format(path):
    """The table format for an output path, from its extension (a usage error otherwise)."""
    try:
        return table_format(path)
    except RegionscopeError as exc:
        raise UsageError(str(exc)) from None


@contextmanager
def _naming_the_filter(text):
    """Say which option a filter error comes from: ``--filter '{area} >': Expected a value ...``."""
    try:
        yield
    except FilterError as exc:
        raise FilterError(f"--filter {text!r}: {exc}") from exc


def run_measure(args):
    """``regionscope measure``: read, (segment,) measure, filter, write."""
    from regionscope.pipeline import labels_warning, measure_files, regions_text
    from regionscope.progress import stage, stages
    from regionscope.query import filter_table, parse_filter

    if _measures_many(args):
        return run_measure_many(args)
    args.image = args.image[0]  # one image file: the single-image command as it always was

    if args.output:
        output_format(args.output)  # a usage error before any work
    options = segmentation_options(args)
    with _naming_the_filter(args.filter):
        expression = parse_filter(args.filter) if args.filter else None
    properties = args.properties.split(",") if args.properties else None
    if args.export_labels and not args.export_labels.lower().endswith((".tif", ".tiff")):
        raise UsageError(f"cannot write {args.export_labels}: --export-labels must end in .tif or .tiff")
    if args.store:
        _check_store_options(args)
    warn_unused_segmentation(args, options)
    n_writes = bool(args.output) + bool(args.export_labels)
    # The store's stages: opening and checking the inputs, (segmenting,) measuring, the two pyramids.
    first_stage, n_stages = ("checking the store", 4 + (not args.labels)) if args.store else ("reading image", 3)
    entry = None
    with stages(first_stage, n_stages + n_writes):
        if args.store:
            entry = _prepare_store(args, properties)
            measured = entry.read_table(), None
        else:
            measured = _measure_chunked(args, properties)
        if measured is None:
            measured = measure_files(
                args.image,
                args.labels,
                properties=properties,
                segmentation=options,
                return_labels=True,
                max_bytes=args.max_image_bytes,
                pixel_size=args.pixel_size,
            )
        table, labels = measured
        if args.labels and labels is not None:
            message = labels_warning(args.labels, labels)
            if message:
                warn(message)
        if expression is not None:
            with _naming_the_filter(args.filter):
                table = filter_table(table, expression)
        written = []
        if args.export_labels:
            stage(f"writing {Path(args.export_labels).name}")
            export_labels(labels, args.export_labels, table["label"].tolist())
            written.append(args.export_labels)
        if args.output:
            stage(f"writing {Path(args.output).name}")
            write_table(table, args.output)
            written.append(args.output)
    if entry is not None:
        print(store_report(entry), file=sys.stderr)
    for path in written:
        print(f"{regions_text(len(table))} written to {path}", file=sys.stderr)
    if not args.output and entry is None:
        print(table.to_string(index=False) if len(table) else f"no regions (columns: {', '.join(table.columns)})")
    return 0


# ------------------------------------------------------- measure, many images


def _add_project_arguments(parser):
    group = parser.add_argument_group(
        "many images",
        "measure several images (files, folders, globs, a manifest) into one table with an image column, in "
        "parallel on Dask (--scheduler, --workers, --memory-limit apply)",
    )
    group.add_argument(
        "--manifest",
        metavar="FILE.csv",
        help="CSV with a column 'image' (paths relative to the CSV), optionally 'labels' and 'name', and any "
        "metadata columns (well, field, condition, ...), which go into the tables",
    )
    group.add_argument(
        "--labels-pattern",
        metavar="PATTERN",
        help="where each image's mask is, relative to the image's folder, e.g. '{stem}_mask.tif' or 'masks/{stem}.png' "
        "({stem}: the name without extension, {name}: with it, {ext}: the extension); files matching it are masks, "
        "not images; images without a mask are segmented",
    )
    group.add_argument(
        "--project",
        metavar="DIR",
        help="keep the run in the project folder DIR (region table as Parquet per image, image table, thumbnails, "
        "project.json); a second run skips the images measured with the same content and settings",
    )


def _looks_like_many(path):
    from regionscope.project import GLOB_CHARACTERS

    return os.path.isdir(path) or (not os.path.exists(path) and bool(GLOB_CHARACTERS & set(path)))


def _measures_many(args):
    """Whether ``measure`` measures a project (several inputs, a folder, a glob, a manifest) or one image file."""
    if not args.image and not args.manifest:
        raise UsageError("the following arguments are required: IMAGE (one or more, or --manifest FILE.csv)")
    return bool(
        args.manifest
        or args.project
        or args.labels_pattern
        or len(args.image) != 1
        or _looks_like_many(args.image[0])
        or args.image[0].lower().endswith(".csv")
    )


def _check_many_options(args):
    """Usage errors of ``measure`` on many images, before any work."""
    if args.labels:
        raise UsageError(
            "--labels gives the mask of one image; for several images pair them with --labels-pattern "
            "(e.g. '{stem}_mask.tif') or a manifest's labels column"
        )
    for option, given in (("--store", args.store), ("--export-labels", args.export_labels), ("--chunks", args.chunks)):
        if given:
            raise UsageError(f"{option} measures one image; it cannot be combined with several images, --manifest or --project")


#: Failed images named one per line at the end of a run; the others are counted.
SHOWN_FAILURES = 20


def run_measure_many(args):
    """``regionscope measure`` on many images: one table (or a project), a summary, exit 1 if any image failed."""
    from regionscope.project import measure_many
    from regionscope.query import filter_table, parse_filter

    _check_many_options(args)
    if args.output:
        output_format(args.output)
    options = segmentation_options(args)
    with _naming_the_filter(args.filter):
        expression = parse_filter(args.filter) if args.filter else None
    properties = args.properties.split(",") if args.properties else None
    table, images = measure_many(
        args.image,
        manifest=args.manifest,
        labels_pattern=args.labels_pattern,
        properties=properties,
        segmentation=options,
        project=args.project,
        scheduler=args.scheduler,
        workers=args.workers,
        memory_limit=args.memory_limit,
        max_bytes=args.max_image_bytes,
        pixel_size=args.pixel_size,
        return_images=True,
    )
    for message in images["warning"].dropna():
        warn(message)
    measured = len(table)
    if expression is not None:
        with _naming_the_filter(args.filter):
            table = filter_table(table, expression)
    if args.output:
        write_table(table, args.output)
    elif not args.project:
        print(table.to_string(index=False) if len(table) else f"no regions (columns: {', '.join(table.columns)})")
    failed = images[images["status"] != "ok"]
    for row in failed.head(SHOWN_FAILURES).itertuples():
        print(f"regionscope: error: image {row.name} failed: {' '.join(str(row.error).split())}", file=sys.stderr)
    if len(failed) > SHOWN_FAILURES:
        print(f"regionscope: error: and {len(failed) - SHOWN_FAILURES} more images failed (see the image table)", file=sys.stderr)
    print(many_report(images, measured, len(table), args), file=sys.stderr)
    return EXIT_BAD_INPUT if len(failed) else 0


def many_report(images, regions, written, args):
    """The line ``measure`` of many images ends with: images measured, reused, failed; regions; where they went.

    ``regions`` counts every region measured, ``written`` those written or printed (after ``--filter``).
    """
    from regionscope.pipeline import regions_text

    count = len(images)
    failed = int((images["status"] != "ok").sum())
    reused = int(images["reused"].sum())
    parts = [f"{count} image{'s' if count != 1 else ''}: {count - reused - failed} measured"]
    if args.project:
        parts.append(f"{reused} unchanged since the last run")
    parts.append(f"{failed} failed")
    text = f"{', '.join(parts)}; {regions_text(regions)}"
    if args.project:
        text += f" in project {args.project}"
    if args.output:
        if args.filter:
            text += f", {written:,} after --filter written to {args.output}"
        else:
            text += f"{',' if args.project else ''} written to {args.output}"
    return text


class PortInUseError(RegionscopeError):
    """The port to serve on is taken by another program."""


def check_port_free(host, port):
    """Raise :class:`PortInUseError` when ``host:port`` cannot be listened on.

    Checked before any data is read, so the user learns it at once. A port that
    is free now could be taken before the server starts; the server would then
    fail itself, which is rare enough.
    """
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The same option the server sets: a port left in TIME_WAIT by a
        # previous run counts as free, as it is for the server.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(
                    f"port {port} on {host} is already in use by another program; choose another with --port"
                ) from None
            raise PortInUseError(f"cannot serve on {host}:{port} ({exc.strerror or exc}); check --host and --port") from None


def automatic_store(args):
    """``view IMAGE`` of a large image: the workspace's store to prepare it into (saying so), or None.

    Above :data:`regionscope.store.AUTO_STORE_PIXELS` pixels (``$REGIONSCOPE_AUTO_STORE_PIXELS``)
    the image is prepared into ``WORKSPACE/store`` (keyed per image, reused while unchanged) instead
    of being read whole and measured at every open; below it, and for options a store cannot take
    (then with a warning), None.
    """
    from regionscope.limits import image_byte_budget
    from regionscope.store import large_image_pixels

    pixels = large_image_pixels(args.image)
    if pixels is None:
        return None
    from regionscope.sources import open_source

    with open_source(args.image) as source:
        decoded = source.nbytes()
    if decoded > image_byte_budget(args.max_image_bytes):
        # The viewer still holds the shown image whole (windows come with whole slides, part 2):
        # an image over the budget is refused by the reader, with its message and how to raise it.
        return None
    blocking = [option for option, given in (("--pixel-size", args.pixel_size),) if given]
    if not args.labels:
        blocking += [
            option
            for option, given in (
                ("--threshold local", args.threshold == "local"),
                ("--fill-holes", args.fill_holes),
                ("--split-touching", args.split_touching),
            )
            if given
        ]
    if blocking:
        warn(f"{args.image} has {pixels:,} pixels but is read whole: {', '.join(blocking)} cannot be used with a store")
        return None
    from regionscope.annotations import default_workspace

    workspace = Path(args.workspace).expanduser() if args.workspace else default_workspace()
    store = workspace / "store"
    print(
        f"regionscope: {args.image} has {pixels:,} pixels: preparing it into the store {store} "
        "(reused while unchanged) instead of reading it whole",
        file=sys.stderr,
        flush=True,
    )
    return store


def run_view(args):
    """``regionscope view``: serve the explorer app."""
    from regionscope.extras import app_extra_required
    from regionscope.segmentation import SegmentationError

    with app_extra_required("regionscope view"):
        from regionscope.app.server import serve_files, serve_project

    if args.image and _is_project_folder(args.image):
        # A project: its gallery and summary, and each image opened from its files when chosen.
        check_port_free(args.host, args.port)
        serve_project(args.image, host=args.host, port=args.port, auth_file=args.auth, no_auth=args.no_auth)
        return 0
    if args.store is None and args.image:
        args.store = automatic_store(args)
    if args.store is not None:
        _check_store_options(args)
    segmentation = segmentation_options(args)
    warn_unused_segmentation(args, segmentation)
    check_port_free(args.host, args.port)
    try:
        with _image_byte_budget(args.max_image_bytes):
            serve_files(
                args.image,
                args.labels,
                segmentation=segmentation,
                host=args.host,
                port=args.port,
                debug=args.debug,
                workspace=args.workspace,
                session_path=args.session,
                force_session=args.force_session,
                pixel_size=args.pixel_size,
                auth_file=args.auth,
                no_auth=args.no_auth,
                store=args.store,
            )
    except SegmentationError as exc:
        # Name the image, as `measure` does (the coins sample has no file).
        raise SegmentationError(f"{args.image or 'the coins sample'}: {exc}") from exc
    return 0


# --------------------------------------------------------------------------
# regionscope classify
# --------------------------------------------------------------------------

CLASSIFY_EXAMPLES = """\
examples:
  regionscope classify --train-from cells-classes.csv --save-model cells.skops    # the explorer's table with classes
  regionscope classify other.csv --model cells.skops -o other-classes.csv         # a table from regionscope measure
  regionscope classify other.tif --labels other_mask.tif --model cells.skops -o other-classes.parquet
  regionscope classify --train-from cells.tif --train-labels mask.tif --save-model cells.skops   # classes saved in the explorer
  regionscope classify other.tif --labels other_mask.tif --train-from cells-classes.csv --features area,intensity_mean

INPUT is an image (measured as `regionscope measure` measures it: --labels, or segmented with the
segmentation options) or a region table (.csv, .tsv, .parquet, as written by `regionscope measure`).
The output is its table with two more columns, predicted_class and predicted_probability
(the share of the forest's trees that voted for it); without -o it is printed.

--train-from SOURCE is a table with a `class` column (the explorer's Export > table with classes;
rows with an empty class are not examples) or an image whose classes were given in the explorer:
they are read from the workspace (--workspace, $REGIONSCOPE_WORKSPACE or the user data folder) for
the same files and settings as `regionscope view` was given (--train-labels, --pixel-size, the
segmentation options); excluded regions are no examples. The classifier is a random forest
(scikit-learn) on the shape and intensity columns unless --features; --save-model keeps it as a
.skops file, which --model loads (never a pickle).
"""

#: The columns classify adds to the table.
PREDICTION_COLUMNS = ("predicted_class", "predicted_probability")


def _add_classify_parser(commands):
    classify = commands.add_parser(
        "classify",
        help="train a region classifier on the classes you gave, or apply one to a table or an image",
        description="Give every region a predicted class: train a classifier on annotated regions, apply a saved one.",
        epilog=CLASSIFY_EXAMPLES + "\n" + PROGRESS_NOTE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input_arguments(classify, image_optional=True)
    # The positional of the shared input arguments is an image; here it may be a table too.
    for action in classify._actions:
        if action.dest == "image":
            action.metavar = "INPUT"
            action.help = (
                "the regions to classify: an image file (with --labels, or segmented), a region table (.csv, .tsv, "
                ".parquet), or a project folder (every region of every image)"
            )
    _add_reading_arguments(classify)
    classify.add_argument(
        "--properties",
        metavar="P1,P2,...",
        help="properties to measure an image INPUT or SOURCE with (as in `regionscope measure`; default: measure's); "
        "they must give the classifier's feature columns",
    )
    classify.add_argument("--model", metavar="MODEL", help="apply the classifier saved in MODEL (.skops)")
    classify.add_argument(
        "--train-from",
        metavar="SOURCE",
        help="train a classifier on SOURCE: a region table with a `class` column, an image whose classes were "
        "given in the explorer (read from the workspace), or a project folder (the regions annotated in any image)",
    )
    classify.add_argument("--train-labels", metavar="MASK", help="the label image of an image SOURCE (default: segment it)")
    classify.add_argument("--save-model", metavar="MODEL", help="save the trained classifier to MODEL (.skops)")
    classify.add_argument(
        "--features",
        metavar="F1,F2,...",
        help="columns to train on (default: the numeric shape and intensity columns; not label, bbox, centroid)",
    )
    classify.add_argument(
        "--trees", type=int, metavar="N", help="trees in the random forest (default 200; fewer train and predict faster)"
    )
    classify.add_argument(
        "--workspace",
        metavar="DIR",
        help="folder where the explorer saved the classes of an image SOURCE (default: $REGIONSCOPE_WORKSPACE or the user data folder)",
    )
    classify.add_argument(
        "--user", metavar="NAME", help="read the classes this user gave (a server with a login keeps each user's classes apart)"
    )
    classify.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write the table with the predictions to OUT (.csv, .tsv or .parquet); default: print it",
    )
    classify.add_argument("--debug", action="store_true", help="show tracebacks")
    classify.set_defaults(run=run_classify)


def _is_table_file(path):
    from regionscope.export import TABLE_FORMATS

    return Path(path).suffix.lower() in TABLE_FORMATS


def _check_classify_usage(args):
    """Usage errors of ``regionscope classify``, before any work."""
    if args.model and args.train_from:
        raise UsageError("give either --model MODEL (apply a saved classifier) or --train-from SOURCE (train one), not both")
    if not args.model and not args.train_from:
        raise UsageError("give --model MODEL to apply a saved classifier, or --train-from SOURCE to train one")
    training_only = {"--save-model": args.save_model, "--features": args.features, "--train-labels": args.train_labels}
    given = [option for option, value in {**training_only, "--trees": args.trees}.items() if value is not None]
    if args.model and given:
        raise UsageError(
            f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for training (--train-from); "
            "a saved classifier keeps its own trees and feature columns"
        )
    if args.output and not args.image:
        raise UsageError("-o writes the classified INPUT: give the table or image to classify")
    if not args.image and not args.save_model:
        raise UsageError("nothing to do: give INPUT to classify, or --save-model MODEL to keep the trained classifier")
    if args.output:
        output_format(args.output)
    if args.image and (_is_table_file(args.image) or _is_project_folder(args.image)) and args.labels:
        raise UsageError("--labels is for an image INPUT; a table or a project is classified as it is")
    if args.train_from and _is_project_folder(args.train_from) and args.train_labels:
        raise UsageError("--train-labels is for an image SOURCE; a project brings its classes in its annotations")
    if args.train_from and _is_table_file(args.train_from) and args.train_labels:
        raise UsageError("--train-labels is for an image SOURCE; a table brings its classes in its `class` column")
    if args.trees is not None and args.trees < 1:
        raise UsageError(f"--trees must be at least 1, not {args.trees}")
    if args.user is not None and not args.user.strip():
        raise UsageError("--user needs a user name")


def _read_region_table(path):
    """A region table file (CSV, TSV or Parquet by its extension), with its ``class`` column as text."""
    import pandas as pd

    from regionscope.errors import InputFileError

    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".parquet":
            table = pd.read_parquet(path)
        else:
            # Class names stay text, also those that look like numbers ("1", "2").
            table = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype={"class": "string"})
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(path, "is a folder, not a table file") from None
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise InputFileError(path, f"cannot read the table ({reason})") from None
    if "label" not in table.columns:
        raise InputFileError(path, "has no 'label' column; give a region table as written by `regionscope measure`")
    if "class" in table.columns:
        table["class"] = table["class"].astype("string")
    return table


def _classes_of_table(table, path):
    """The user's classes of a table with a ``class`` column: by label, or by (image, label) with an ``image`` column."""
    from regionscope.errors import InputFileError

    if "class" not in table.columns:
        raise InputFileError(
            path, "has no 'class' column; export the table with classes from the explorer (Export > table), or add one"
        )
    given = table[table["class"].notna() & (table["class"].astype("string").str.strip() != "")]
    labels = given["label"].tolist()
    if "image" in table.columns:
        keys = list(zip(given["image"].tolist(), labels))
    else:
        keys = labels
    return dict(zip(keys, given["class"].astype(str).tolist()))


def _training_set(args, options, properties):
    """The table of SOURCE and the classes to train on."""
    from regionscope.progress import stage

    name = args.train_from
    if _is_project_folder(name):
        return _training_set_of_project(name)
    if _is_table_file(name):
        stage(f"reading {Path(name).name}")
        table = _read_region_table(name)
        return table, _classes_of_table(table, name)
    return _training_set_of_image(args, options, properties)


def _is_project_folder(path):
    """Whether ``path`` is a project folder written by ``regionscope measure --project``."""
    return path is not None and (Path(path) / "project.json").is_file()


def _training_set_of_project(folder):
    """A project's regions of every image and the classes given to them in any image (keyed by (image, label))."""
    from regionscope.errors import InputFileError
    from regionscope.progress import stage
    from regionscope.project import Project

    stage(f"reading the project {Path(folder).name}")
    project = Project.open(folder)
    classes = project.classes()
    if not classes:
        raise InputFileError(
            folder,
            "no region of this project has a class; give regions classes in its annotations "
            "(Project.annotations(), keyed by Project.annotation_key(image)) first",
        )
    return project.regions, classes


def _training_set_of_image(args, options, properties):
    """An image SOURCE measured as the explorer measured it, and the classes the explorer saved for it."""
    from regionscope.annotations import AnnotationStore, default_workspace
    from regionscope.annotations.store import DATABASE_NAME
    from regionscope.dataset import dataset_id
    from regionscope.errors import InputFileError
    from regionscope.io import load_image, load_labels_for
    from regionscope.measurement import measure_image
    from regionscope.pipeline import segment_file_image
    from regionscope.progress import stage

    source, mask = args.train_from, args.train_labels
    image = load_image(source, max_bytes=args.max_image_bytes)
    if args.pixel_size is not None:
        image = image.with_pixel_size(args.pixel_size)
    if mask:
        stage("reading training labels")
        labels = load_labels_for(image, mask, max_bytes=args.max_image_bytes).data
    else:
        stage("segmenting the training image")
        labels = segment_file_image(image, options)
    # The id `regionscope view SOURCE [--labels MASK]` gives these files (registry.open_files -> prepare_dataset).
    key = dataset_id(image, labels if mask else None, {} if mask else options)
    if args.user:
        key = f"{key}@{args.user.strip()}"  # as regionscope.app.security.annotation_key scopes a user's classes
    workspace = Path(args.workspace).expanduser() if args.workspace else default_workspace()
    shown = f"{source} with {mask}" if mask else f"{source} (segmented)"
    how = f"regionscope view {source}" + (f" --labels {mask}" if mask else "")
    if not (workspace / DATABASE_NAME).is_file():
        raise InputFileError(
            source,
            f"no classes are saved in the workspace {workspace} (it has no {DATABASE_NAME}); give regions classes "
            f"in the explorer ({how}) or point --workspace to the folder it used",
        )
    with AnnotationStore(workspace) as store:
        assigned = store.assignments(key)
        excluded = set(store.excluded(key))
    classes = {label: name for label, name in assigned.items() if label not in excluded}
    if not classes:
        who = f" by user {args.user.strip()}" if args.user else ""
        raise InputFileError(
            source,
            f"no region of {shown} has a class{who} in the workspace {workspace}; give regions classes in the explorer "
            f"({how}, with the same --pixel-size and segmentation options) first",
        )
    stage("measuring the training image")
    table = measure_image(image, labels, properties)
    return table, classes


def _class_counts(values):
    """``"a 20, b 12"``: how many of each class, in the order of their names."""
    import pandas as pd

    counts = pd.Series(values, dtype=object).value_counts().sort_index()
    return ", ".join(f"{name} {count:,}" for name, count in counts.items())


def _train_from(args, options, properties):
    """Train on ``--train-from``: the classifier, its report, and it saved with ``--save-model``."""
    from regionscope.classifier import ClassifierError, train_classifier
    from regionscope.progress import stage

    table, classes = _training_set(args, options, properties)
    features = [f.strip() for f in args.features.split(",") if f.strip()] if args.features else None
    stage("training")
    try:
        model = train_classifier(table, classes, features, trees=200 if args.trees is None else args.trees)
    except ClassifierError as exc:
        raise ClassifierError(f"{args.train_from}: {exc}") from exc
    quality = model.quality
    if quality is not None and quality.accuracy is not None:
        score = f"cross-validated accuracy {quality.accuracy:.1%} ({quality.folds} folds)"
    else:
        score = "too few examples per class to cross-validate"
    used = [classes[key] for key in classes if key in _keys_of(table, classes)]
    message = (
        f"trained on {model.examples:,} regions of {len(model.classes)} classes ({_class_counts(used)}) "
        f"from {args.train_from}, on {len(model.features)} feature columns; {score}"
    )
    if args.save_model:
        stage(f"writing {Path(args.save_model).name}")
        model.save(args.save_model)
        message += f"; saved to {args.save_model}"
    return model, message


def _keys_of(table, classes):
    """The region keys of a table, as its classes are keyed."""
    if any(isinstance(key, tuple) for key in classes) and "image" in table.columns:
        return set(zip(table["image"].tolist(), table["label"].tolist()))
    return set(table["label"].tolist())


def run_classify(args):
    """``regionscope classify``: train a classifier or load one, then classify INPUT's regions."""
    from regionscope.classifier import load_classifier
    from regionscope.pipeline import labels_warning, measure_files, regions_text
    from regionscope.progress import stage, stages

    _check_classify_usage(args)
    options = segmentation_options(args)
    properties = args.properties.split(",") if args.properties else None
    table_input = bool(args.image) and (_is_table_file(args.image) or _is_project_folder(args.image))
    if args.image and not table_input:
        warn_unused_segmentation(args, options)
    # Stages: reading the model, or reading SOURCE (table: 1; image: read, labels, measure) and training;
    # then saving it, reading INPUT (table: 1; image: read, labels, measure), classifying, writing.
    if args.model:
        n_stages = 1
    else:
        n_stages = (2 if _is_table_file(args.train_from) or _is_project_folder(args.train_from) else 4) + bool(args.save_model)
    if args.image:
        n_stages += (1 if table_input else 3) + 1 + bool(args.output)
    first = "reading the classifier" if args.model else "reading the training regions"
    report = []
    with stages(first, n_stages):
        if args.model:
            model = load_classifier(args.model, name=args.model)
        else:
            model, message = _train_from(args, options, properties)
            report.append(message)
        if args.image:
            if table_input:
                stage(f"reading {Path(args.image).name}")
                if _is_project_folder(args.image):
                    from regionscope.project import Project

                    table = Project.open(args.image).regions  # every region of every image, keyed by (image, label)
                else:
                    table = _read_region_table(args.image)
            else:
                stage("reading image")
                table, labels = measure_files(
                    args.image,
                    args.labels,
                    properties=properties,
                    segmentation=options,
                    return_labels=True,
                    max_bytes=args.max_image_bytes,
                    pixel_size=args.pixel_size,
                )
                if args.labels:
                    warning = labels_warning(args.labels, labels)
                    if warning:
                        warn(warning)
            stage("classifying")
            predictions = model.predict(table, where=args.image)
            table = table.drop(columns=[c for c in PREDICTION_COLUMNS if c in table.columns])
            for column in PREDICTION_COLUMNS:
                table[column] = predictions[column]
            if args.output:
                stage(f"writing {Path(args.output).name}")
                write_table(table, args.output)
    for line in report:
        print(line, file=sys.stderr)
    if args.image:
        counts = f" ({_class_counts(table['predicted_class'])})" if len(table) else ""
        where = f" written to {args.output}" if args.output else ""
        print(f"{regions_text(len(table))} classified{counts}{where}", file=sys.stderr)
        if not args.output:
            print(table.to_string(index=False) if len(table) else f"no regions (columns: {', '.join(table.columns)})")
    return 0


def _quiet_broken_pipe():
    """After the reader of stdout went away (``| head``): no traceback, no flush error at exit."""
    # As the Python docs advise for SIGPIPE: point stdout at devnull so the
    # interpreter's final flush does not fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (tests)
        pass
    finally:
        os.close(devnull)


def run_hash_password(args):
    """``regionscope hash-password NAME``: a line for the --auth users file."""
    import getpass

    from regionscope.extras import app_extra_required

    with app_extra_required("regionscope hash-password"):
        from regionscope.app.security import USER_NAME, hash_password

    if not USER_NAME.match(args.name):
        raise UsageError(f"user name {args.name!r}: use letters, digits and . _ @ + - (at most 64)")
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("the two passwords differ")
    print(f"{args.name}:{hash_password(password)}")
    return 0


SUMMARY_EXAMPLES = """examples:
  regionscope summary plate/                                   regions per image, and per class
  regionscope summary plate/ --by condition --filter "{area} > 100" -o by-condition.csv
  regionscope summary plate/ --model cells.skops               predicted classes (yours win where given)
"""


def _add_summary_parser(commands):
    summary = commands.add_parser(
        "summary",
        help="counts and fractions of regions per image or metadata group of a project, by class",
        description="Per image (or per metadata group) of a project: its regions, how many pass a filter, "
        "and how many of those have each class.",
        epilog=SUMMARY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    summary.add_argument("project", metavar="PROJECT", help="a project folder (regionscope measure --project)")
    summary.add_argument("--by", default="image", metavar="COL[,COL]", help="group by these columns (default image)")
    summary.add_argument("--filter", metavar="EXPR", help='count only regions matching EXPR, e.g. "{area} > 100"')
    summary.add_argument(
        "--model",
        metavar="MODEL",
        help="classes predicted by this classifier (.skops) where a region has no class of its own",
    )
    summary.add_argument("-o", "--output", metavar="OUT", help="write the summary here (.csv, .tsv, .parquet); default: print")
    summary.add_argument("--debug", action="store_true", help="show tracebacks")
    summary.set_defaults(run=run_summary)


def run_summary(args):
    """``regionscope summary``: a project's regions counted per group, shown and by class."""
    from regionscope.classifier import load_classifier, merged_classes
    from regionscope.errors import InputFileError
    from regionscope.project import Project
    from regionscope.query import filter_mask, parse_filter
    from regionscope.summary import summarize

    if args.output:
        output_format(args.output)
    if not _is_project_folder(args.project):
        raise InputFileError(
            args.project, "is not a project folder (no project.json); make one with regionscope measure --project"
        )
    project = Project.open(args.project)
    regions = project.regions
    own = project.classes()
    classes = _classes_by_row(regions, own)
    if args.model:
        predicted = load_classifier(args.model, name=args.model).predict(regions, where=args.project)
        classes = merged_classes(predicted, own)
    shown = None
    if args.filter:
        try:
            shown = filter_mask(regions, parse_filter(args.filter))
        except RegionscopeError as exc:
            raise UsageError(f"--filter: {exc}") from None
    by = [c.strip() for c in args.by.split(",") if c.strip()]
    table = summarize(regions, by, shown=shown, classes=classes if (own or args.model) else None)
    if args.output:
        write_table(table, args.output)
        print(f"summary of {len(table)} group{'s' if len(table) != 1 else ''} written to {args.output}", file=sys.stderr)
    else:
        print(table.to_string(index=False))
    return 0


def _classes_by_row(regions, classes):
    """The user's class of every region of a project table (None where none), from ``{(image, label): class}``."""
    import pandas as pd

    keys = zip(regions["image"].tolist(), regions["label"].tolist(), strict=True)
    return pd.Series([classes.get(key) for key in keys], index=regions.index, dtype=object)


def main(argv=None):
    """Entry point of the ``regionscope`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "debug", False):
        # tifffile logs what it finds wrong in a file to stderr before raising;
        # regionscope says it again in its own one-line message.
        logging.getLogger("tifffile").setLevel(logging.ERROR)
    try:
        code = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"regionscope: error: {exc}\n")
    except RegionscopeError as exc:
        if getattr(args, "debug", False):
            raise
        message = " ".join(str(exc).split())
        print(f"regionscope: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
