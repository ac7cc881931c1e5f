"""Chunked measurement on Dask: time and peak memory, side by side with dask-image's ndmeasure.

``.venv/bin/python benchmarks/chunked.py --side 4096 --regions 50000`` (the
default; also ``benchmarks/run.py --chunked 4096``). The label image and the
image are generated chunk by chunk into Zarr (never whole in memory): one
elliptic region per cell of a grid, with random radii and centres, so that
regions cross chunk borders. Every measurement runs on a fresh LocalCluster of
``--workers`` single-threaded worker processes with ``--memory-limit`` each;
the peak resident memory of every worker (VmHWM) and of the client process
are reported.

Compared, on the same chunked Zarr arrays:

- regionscope ``measure_chunked`` with the default properties;
- regionscope ``measure_chunked`` with what dask-image computes too (area,
  intensity mean/min/max, centroid);
- dask-image ``ndmeasure.area``, ``mean``, ``minimum``, ``maximum`` and
  ``center_of_mass`` (intensity-weighted), computed together, for the first
  ``--dask-image-labels`` labels only (default 100): its functions compare
  every chunk with every requested label, so that time and graph size grow
  with labels x chunks (512² with 800 labels: 189 s for area and mean alone on
  this machine); all 50,000 labels do not finish in hours.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import memory  # noqa: E402

COMMON = ["label", "area", "intensity_mean", "intensity_min", "intensity_max", "centroid"]


def write_zarr(folder, side, n_regions, *, chunk=1024, seed=0):
    """Labels (uint32) and image (uint16) Zarr arrays of ``side``², made chunk by chunk.

    Returns the two paths and the number of regions.
    """
    import zarr

    per_axis = math.ceil(math.sqrt(n_regions))
    cell = side / per_axis
    rng = np.random.default_rng(seed)
    n_cells = per_axis * per_axis
    radius = rng.uniform(0.25, 0.62, (n_cells, 2)) * cell  # up to 0.62: some regions reach the next cell's edge
    centre = rng.uniform(0.38, 0.62, (n_cells, 2)) * cell
    present = np.zeros(n_cells, dtype=bool)
    present[rng.choice(n_cells, n_regions, replace=False)] = True
    brightness = rng.integers(500, 4000, n_cells)
    labels = zarr.create_array(
        str(folder / "labels.zarr"), shape=(side, side), chunks=(chunk, chunk), dtype=np.uint32, overwrite=True
    )
    image = zarr.create_array(
        str(folder / "image.zarr"), shape=(side, side), chunks=(chunk, chunk), dtype=np.uint16, overwrite=True
    )
    for r0 in range(0, side, chunk):
        for c0 in range(0, side, chunk):
            rows = np.arange(r0, min(r0 + chunk, side))[:, None] + 0.5
            cols = np.arange(c0, min(c0 + chunk, side))[None, :] + 0.5
            block = np.zeros((rows.size, cols.size), dtype=np.uint32)
            # A pixel belongs to the region of its own cell (clipped so regions never overlap).
            cr = np.minimum((rows // cell).astype(np.int64), per_axis - 1)
            cc = np.minimum((cols // cell).astype(np.int64), per_axis - 1)
            index = cr * per_axis + cc
            dy = (rows - cr * cell - centre[index, 0]) / radius[index, 0]
            dx = (cols - cc * cell - centre[index, 1]) / radius[index, 1]
            inside = (dy * dy + dx * dx <= 1) & present[index]
            block[inside] = (index[inside] + 1).astype(np.uint32)
            labels[r0 : r0 + rows.size, c0 : c0 + cols.size] = block
            noise = np.random.default_rng((seed, r0, c0)).integers(0, 300, block.shape)
            image[r0 : r0 + rows.size, c0 : c0 + cols.size] = (np.where(inside, brightness[index], 100) + noise).astype(np.uint16)
    return folder / "labels.zarr", folder / "image.zarr", int(present.sum())


def on_cluster(task, *, workers, memory_limit):
    """Run ``task(client)`` on a fresh LocalCluster; time, result, peaks."""
    from distributed import Client, LocalCluster

    memory.reset_peak()
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, memory_limit=memory_limit, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        Client(cluster) as client,
    ):
        # Imports on the workers are start-up, not measurement.
        client.run(lambda: (__import__("regionscope.chunked"), __import__("dask_image.ndmeasure"), memory.reset_peak()))
        before = set(client.scheduler_info()["workers"])
        started = time.perf_counter()
        result = task(client)
        elapsed = time.perf_counter() - started
        peaks = sorted(v["peak"] for v in client.run(memory.status).values())
        replaced = len(
            set(client.scheduler_info()["workers"]) - before
        )  # a killed or restarted worker comes back under a new address
    return {
        "seconds": round(elapsed, 2),
        "worker_peak_mb": [round(p / memory.MB) for p in peaks],
        "client_peak_mb": round(memory.status()["peak"] / memory.MB),
        "workers_replaced": replaced,
    }, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=4096)
    parser.add_argument("--regions", type=int, default=50_000)
    parser.add_argument("--chunk", type=int, default=1024, help="Zarr chunk side (also the measurement's chunks)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--no-dask-image", action="store_true")
    parser.add_argument("--dask-image-labels", type=int, default=100, help="labels given to dask-image's ndmeasure")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)

    import dask.array as da

    from regionscope.chunked import measure_chunked
    from regionscope.sources import open_source

    folder = Path(tempfile.mkdtemp(prefix="rs-chunked-bench-"))
    results = {
        "side": args.side,
        "regions": args.regions,
        "chunk": args.chunk,
        "workers": args.workers,
        "memory_limit": args.memory_limit,
    }
    try:
        started = time.perf_counter()
        labels_path, image_path, n = write_zarr(folder, args.side, args.regions, chunk=args.chunk)
        results["generate_seconds"] = round(time.perf_counter() - started, 1)
        print(f"generated {args.side}² with {n} regions in {results['generate_seconds']} s", file=sys.stderr)
        labels, image = open_source(labels_path), open_source(image_path)

        stats, table = on_cluster(
            lambda c: measure_chunked(labels, image, client=c), workers=args.workers, memory_limit=args.memory_limit
        )
        stats["rows"] = len(table)
        results["regionscope_default_properties"] = stats
        print("regionscope, default properties:", stats, file=sys.stderr)

        stats, common = on_cluster(
            lambda c: measure_chunked(labels, image, COMMON, client=c), workers=args.workers, memory_limit=args.memory_limit
        )
        stats["rows"] = len(common)
        results["regionscope_common_properties"] = stats
        print("regionscope, area/mean/min/max/centroid:", stats, file=sys.stderr)

        if not args.no_dask_image:
            from dask_image import ndmeasure

            def with_dask_image(client):
                lab = da.from_zarr(str(labels_path))
                img = da.from_zarr(str(image_path))
                index = common["label"].to_numpy()[: args.dask_image_labels]
                parts = [
                    ndmeasure.area(img, lab, index),
                    ndmeasure.mean(img, lab, index),
                    ndmeasure.minimum(img, lab, index),
                    ndmeasure.maximum(img, lab, index),
                    ndmeasure.center_of_mass(img, lab, index),
                ]
                return client.compute(parts, sync=True)

            stats, values = on_cluster(with_dask_image, workers=args.workers, memory_limit=args.memory_limit)
            area, mean, low, high, _ = values
            head = common.iloc[: args.dask_image_labels]
            stats["labels"] = len(head)
            stats["same_area_mean_min_max"] = bool(
                np.array_equal(area, head["area"])
                and np.allclose(mean, head["intensity_mean"], rtol=1e-9)
                and np.array_equal(low, head["intensity_min"])
                and np.array_equal(high, head["intensity_max"])
            )
            results["dask_image_ndmeasure"] = stats
            print("dask-image ndmeasure:", stats, file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(results, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
