"""The server side of the benchmark, run in its own process.

Run as ``python benchmarks/server_worker.py --image I --labels L [--reps N] [--serve]``.
A process of its own keeps the benchmark's data generation and the browser
driver out of the server's memory figures, exactly as a real server would be.

What it does:

1. ``--reps`` times, the parts of :func:`regionscope.dataset.prepare_dataset`
   one by one (read the files, ``measure``, ``region_contours``,
   ``label_index``, the content hash) and the encodings of the first view
   (contrast limits, 8-bit display plane, the image data URL, the label-index
   PNG, the grid's row data and its JSON, the overlay colours).
2. Once, the real server path: ``DatasetRegistry.open_files`` (read + prepare),
   with the process's peak RSS measured from a reset just before it.
3. With ``--serve``: creates the app, serves it on 127.0.0.1 from a thread,
   prints one line ``READY <json>`` and waits for commands on stdin:
   ``rss`` prints ``RSS <json>``, ``quit`` (or end of input) stops the server.
   Without ``--serve`` it prints ``RESULT <json>`` and exits.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.memory import reset_peak, status  # noqa: E402

PREPARE_PARTS = ("read", "measure", "region_contours", "label_index", "dataset_id")
ENCODE_PARTS = ("image_limits", "display_plane", "encode_picture", "encode_index_png", "row_data", "row_json", "region_colors")


def _timed(timings, name, compute):
    start = time.perf_counter()
    value = compute()
    timings.setdefault(name, []).append(time.perf_counter() - start)
    return value


def _baseline_bytes(picture, rows):
    """The issue's yardstick for first-view bytes: the display image as JPEG plus the table as JSON.

    JPEG at quality 90 (what regionscope uses for large images), raw bytes (no
    base64); the rows as compact JSON (no spaces).
    """
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="JPEG", quality=90)
    table_json = json.dumps(rows, separators=(",", ":"), allow_nan=False)
    return {"baseline_jpeg_bytes": buffer.tell(), "baseline_table_json_bytes": len(table_json.encode())}


def time_preparation(image_path, labels_path, reps=1):
    """Time each part of preparing a dataset and of encoding its first view.

    Parameters
    ----------
    image_path, labels_path : str
    reps : int

    Returns
    -------
    dict
        ``{"runs": {part: [seconds, ...]}, "median": {part: seconds}, "sizes": {...}}``;
        ``prepare_total`` is the sum of :data:`PREPARE_PARTS` per run and
        ``encode_total`` the sum of :data:`ENCODE_PARTS`.
    """
    from plotly.io.json import to_json_plotly

    from regionscope.app import display
    from regionscope.app.colors import encode_bytes, region_colors
    from regionscope.app.grid import row_data
    from regionscope.app.view_data import label_index
    from regionscope.contours import region_contours
    from regionscope.dataset import dataset_id
    from regionscope.io import check_same_shape, load_image, load_labels
    from regionscope.measurement import measure

    timings = {}
    sizes = {}
    for _ in range(reps):
        gc.collect()

        def read():
            image = load_image(image_path)
            labels = load_labels(labels_path)
            check_same_shape(image, labels)
            return image, labels.data

        image, labels = _timed(timings, "read", read)
        table = _timed(
            timings,
            "measure",
            lambda: measure(image.data, labels, None, channel_names=image.channel_names, multichannel=image.has_channels),
        )
        contours = _timed(timings, "region_contours", lambda: region_contours(labels))
        index = _timed(timings, "label_index", lambda: label_index(labels, table["label"].to_numpy()))
        _timed(timings, "dataset_id", lambda: dataset_id(image, labels, {}, None))

        limits = _timed(timings, "image_limits", lambda: display.image_limits(image))
        picture = _timed(timings, "display_plane", lambda: display.display_plane(image, limits, 0, display.COMPOSITE))
        picture_url = _timed(timings, "encode_picture", lambda: display.encode_picture(picture))
        index_url = _timed(timings, "encode_index_png", lambda: display.encode_index_png(index[0] if index.ndim == 3 else index))
        rows = _timed(timings, "row_data", lambda: row_data(table))
        rows_json = _timed(timings, "row_json", lambda: to_json_plotly(rows))

        def colors():
            rgb, _ = region_colors(table, "area", "Viridis")
            return encode_bytes(table["label"].to_numpy().astype("<i4")), encode_bytes(rgb)

        _timed(timings, "region_colors", colors)
        sizes = {
            **_baseline_bytes(picture, rows),
            "n_regions": int(len(table)),
            "n_columns": int(table.shape[1]),
            "n_rings": int(contours.n_rings),
            "n_contour_points": int(len(contours.coords)),
            "picture_format": picture_url[5:15].split(";")[0],
            "picture_data_url_bytes": len(picture_url),
            "index_png_data_url_bytes": len(index_url),
            "rows_json_bytes": len(rows_json),
        }
        del image, labels, table, contours, index, picture, picture_url, index_url, rows, rows_json
    for run in range(reps):
        timings.setdefault("prepare_total", []).append(sum(timings[p][run] for p in PREPARE_PARTS))
        timings.setdefault("encode_total", []).append(sum(timings[p][run] for p in ENCODE_PARTS))
    return {
        "runs": timings,
        "median": {name: statistics.median(values) for name, values in timings.items()},
        "sizes": sizes,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--labels", required=True)
    parser.add_argument("--reps", type=int, default=1, help="timed runs of the preparation parts (0: none)")
    parser.add_argument("--serve", action="store_true", help="serve the app after preparing")
    args = parser.parse_args(argv)

    import numpy  # noqa: F401  (import cost out of the baseline)

    import regionscope.app.server  # noqa: F401

    gc.collect()
    baseline = status()
    result = {"baseline_rss": baseline["rss"]}
    if args.reps > 0:
        reset_peak()
        result["parts"] = time_preparation(args.image, args.labels, args.reps)
        result["parts_peak_rss"] = status()["peak"]
        gc.collect()

    from regionscope.app.registry import DatasetRegistry
    from regionscope.app.server import BackgroundServer, create_app

    registry = DatasetRegistry()
    gc.collect()
    reset_peak()
    before = status()
    start = time.perf_counter()
    dataset = registry.open_files(args.image, args.labels, name=Path(args.image).name)
    result["open_files_seconds"] = time.perf_counter() - start
    after = status()
    result["prepare_rss_before"] = before["rss"]
    result["prepare_peak_rss"] = after["peak"]
    result["prepared_rss"] = after["rss"]
    result["n_regions"] = int(len(dataset.table))
    result["shape"] = list(dataset.shape)

    if not args.serve:
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(dataset, registry)
    server = BackgroundServer(app, host="127.0.0.1", port=0).start()
    result["url"] = server.url
    # From here on VmHWM is the peak while serving (the prepared dataset included).
    reset_peak()
    print("READY " + json.dumps(result), flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "rss":
                print("RSS " + json.dumps(status()), flush=True)
            elif command == "quit":
                break
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
