"""The ``regionscope`` command: ``measure`` and ``view``.

Exit codes: 0 success, 1 bad input (a one-line message on stderr naming the file
and the problem; ``--debug`` adds the traceback), 2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path

from regionscope._version import __version__
from regionscope.errors import FilterError, RegionscopeError
from regionscope.export import export_labels, table_format, write_table

EXIT_BAD_INPUT = 1
EXIT_USAGE = 2

MEASURE_EXAMPLES = """\
examples:
  regionscope measure cells.tif --labels cells_mask.tif -o cells.csv
  regionscope measure coins.png --properties label,area,perimeter,intensity_mean
  regionscope measure nuclei.tif --threshold li --min-size 20 --filter "{area} > 100 && {eccentricity} < 0.8"
  regionscope measure dark_pores.png --dark-objects -o pores.parquet
  regionscope measure cells.tif --labels mask.tif --filter "{area} > 100" --export-labels big_cells.tif
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
  regionscope view cells.tif --host 0.0.0.0                 # for the lab: a token in the printed URL
  regionscope view cells.tif --host 0.0.0.0 --auth users.txt # users and passwords (regionscope hash-password)

Served by waitress. On 127.0.0.1 (the default) there is no login and everyone
on this machine shares the datasets, exclusions and classes. On any other
address a login is required: a random token in the printed URL, or the users
of --auth FILE (lines "name:hash"); --no-auth turns it off (with a warning).
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
        epilog=MEASURE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input_arguments(measure)
    measure.add_argument(
        "--properties",
        metavar="P1,P2,...",
        help="comma-separated scikit-image property names (legacy names such as mean_intensity accepted); "
        "default: label, area, perimeter, centroid, bbox, axis lengths, eccentricity, orientation, solidity, "
        "euler_number, touches_border, intensity mean/min/max",
    )
    measure.add_argument("--filter", metavar="EXPR", help='keep rows matching EXPR, e.g. "{area} < 1000 && {perimeter} > 200"')
    measure.add_argument("-o", "--output", metavar="OUT", help="write the table to OUT (.csv, .tsv or .parquet); default: print it")
    measure.add_argument(
        "--export-labels",
        metavar="TIFF",
        help="write a label image with only the regions in the table (after --filter), original label values kept",
    )
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
    view.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    view.add_argument("--port", type=int, default=8050, help="port to serve on (default 8050)")
    view.add_argument(
        "--workspace",
        metavar="DIR",
        help="folder where exclusions and classes are saved (default: $REGIONSCOPE_WORKSPACE or the user data folder)",
    )
    view.add_argument("--session", metavar="FILE", help="reopen a session saved from the page (Export > Session)")
    view.add_argument("--debug", action="store_true", help="Dash debug mode, Werkzeug's development server and tracebacks (127.0.0.1 only)")
    view.add_argument(
        "--auth",
        metavar="FILE",
        help="users file: one 'name:hash' per line (hashes from 'regionscope hash-password'); each user's work is their own",
    )
    view.add_argument("--no-auth", action="store_true", help="serve a non-loopback --host without any login (everyone shares everything)")
    view.set_defaults(run=run_view)

    hash_password = commands.add_parser(
        "hash-password",
        help="print a password hash for a --auth users file",
        description="Read a password (twice, not echoed) and print 'NAME:HASH' for a --auth users file.",
    )
    hash_password.add_argument("name", metavar="NAME", help="the user's name (letters, digits and . _ @ + -)")
    hash_password.add_argument("--stdin", action="store_true", help="read the password from the first line of standard input")
    hash_password.set_defaults(run=run_hash_password)
    return parser


def _add_input_arguments(parser, *, image_optional=False):
    from regionscope.segmentation import METHODS

    parser.add_argument("image", nargs="?" if image_optional else None, metavar="IMAGE", help="image file (TIFF, OME-TIFF, PNG, JPEG, BMP, GIF, .npy)")
    parser.add_argument("--labels", metavar="MASK", help="label image (integer; boolean masks are labelled); default: segment IMAGE")
    parser.add_argument("--threshold", metavar="METHOD", default="otsu", choices=METHODS, help=f"threshold method when segmenting: {', '.join(METHODS)} (default otsu)")
    parser.add_argument("--dark-objects", action="store_true", help="objects are darker than the background")
    parser.add_argument("--min-size", type=int, default=0, metavar="N", help="drop regions smaller than N pixels when segmenting")


def segmentation_options(args):
    """The keyword arguments of :func:`regionscope.segment` given on the command line."""
    if args.min_size < 0:
        raise UsageError(f"--min-size must be >= 0, not {args.min_size}")
    return {"method": args.threshold, "objects": "dark" if args.dark_objects else "bright", "min_size": args.min_size}


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
    from regionscope.pipeline import measure_files
    from regionscope.query import filter_table, parse_filter

    if args.output:
        output_format(args.output)  # a usage error before any work
    options = segmentation_options(args)
    with _naming_the_filter(args.filter):
        expression = parse_filter(args.filter) if args.filter else None
    properties = args.properties.split(",") if args.properties else None
    if args.export_labels and not args.export_labels.lower().endswith((".tif", ".tiff")):
        raise UsageError(f"cannot write {args.export_labels}: --export-labels must end in .tif or .tiff")
    table, labels = measure_files(
        args.image,
        args.labels,
        properties=properties,
        segmentation=options,
        return_labels=True,
    )
    if expression is not None:
        with _naming_the_filter(args.filter):
            table = filter_table(table, expression)
    if args.export_labels:
        export_labels(labels, args.export_labels, table["label"].tolist())
        print(f"{len(table)} regions written to {args.export_labels}", file=sys.stderr)
    if args.output:
        write_table(table, args.output)
        print(f"{len(table)} regions written to {args.output}", file=sys.stderr)
    else:
        print(table.to_string(index=False) if len(table) else f"no regions (columns: {', '.join(table.columns)})")
    return 0


def run_view(args):
    """``regionscope view``: serve the explorer app."""
    from regionscope.app.server import serve_files

    segmentation = segmentation_options(args)
    if args.image is None and segmentation == {"method": "otsu", "objects": "bright", "min_size": 0}:
        segmentation = None  # the sample's own settings
    serve_files(
        args.image,
        args.labels,
        segmentation=segmentation,
        host=args.host,
        port=args.port,
        debug=args.debug,
        workspace=args.workspace,
        session_path=args.session,
        auth_file=args.auth,
        no_auth=args.no_auth,
    )
    return 0


def run_hash_password(args):
    """``regionscope hash-password NAME``: a line for the --auth users file."""
    import getpass

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


def main(argv=None):
    """Entry point of the ``regionscope`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"regionscope: error: {exc}\n")
    except RegionscopeError as exc:
        if getattr(args, "debug", False):
            raise
        message = " ".join(str(exc).split())
        print(f"regionscope: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
