"""Measuring a project of many images on Dask: 2 workers vs 1 worker vs a plain scikit-image loop.

``.venv/bin/python benchmarks/projects.py`` (also ``benchmarks/run.py --project``):
``--images 200`` images of ``--side 1024``² with ``--regions 1000`` each
(:func:`benchmarks.synthetic.make_synthetic`, one seed per image), written as
TIFF image + ``NAME_mask.tif`` into a temporary folder, then timed (medians of
``--reps`` runs):

- ``rs.measure_many(folder, labels_pattern="{stem}_mask.tif")`` on a
  LocalCluster of 2 and of 1 single-threaded worker processes, the default
  properties. *Warm*: the cluster is started (and its workers have imported
  regionscope) before the clock starts, so this is the measuring itself;
  *end to end* starts and stops the cluster inside the timing, as
  ``regionscope measure`` does.
- The same with ``project=DIR`` (Parquet per image, image table, thumbnails),
  2 workers, and a second run on the unchanged project (everything reused).
- A plain loop: read both TIFFs (tifffile) and call
  ``skimage.measure.regionprops_table`` with the same properties
  (``touches_border`` is regionscope's own: ``bbox`` stands for it), one
  image after the other in this process. With ``--loop-images N`` only the
  first N images are timed and the time is scaled to all of them (said so in
  the table).

Targets of issue 13 (this 2-core machine): 2 workers >= 1.7x faster than 1
worker, and >= 10x faster than the plain loop. Do not run it beside other
heavy work: the numbers are wall-clock times on shared cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import make_synthetic  # noqa: E402

PATTERN = "{stem}_mask.tif"


def write_images(folder, count, side, regions, *, seed=0):
    """``count`` image/mask TIFF pairs named ``img000.tif`` / ``img000_mask.tif``."""
    import tifffile

    for index in range(count):
        image, labels = make_synthetic(side, regions, seed=seed + index)
        tifffile.imwrite(folder / f"img{index:03d}.tif", image)
        tifffile.imwrite(folder / f"img{index:03d}_mask.tif", labels)


def timed(function, reps):
    seconds, result = [], None
    for _ in range(reps):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), seconds, result


def plain_loop(paths, properties):
    import tifffile
    from skimage.measure import regionprops_table

    rows = 0
    for path in paths:
        image = tifffile.imread(path)
        labels = tifffile.imread(path.with_name(path.stem + "_mask.tif"))
        rows += len(regionprops_table(labels, image, properties=properties)["label"])
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--side", type=int, default=1024)
    parser.add_argument("--regions", type=int, default=1000, help="regions per image")
    parser.add_argument("--reps", type=int, default=3, help="runs per Dask configuration (median)")
    parser.add_argument("--loop-reps", type=int, default=1, help="runs of the plain loop (median)")
    parser.add_argument("--loop-images", type=int, default=None, help="time the plain loop on the first N images, scaled")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)

    import regionscope as rs
    from regionscope.chunked import dask_client
    from regionscope.measurement import normalize_property_names

    folder = Path(tempfile.mkdtemp(prefix="rs-project-bench-"))
    images = folder / "images"
    images.mkdir()
    results = {"images": args.images, "side": args.side, "regions_per_image": args.regions, "reps": args.reps}
    rows = []
    try:
        started = time.perf_counter()
        write_images(images, args.images, args.side, args.regions)
        results["generate_seconds"] = round(time.perf_counter() - started, 1)
        print(f"generated {args.images} images of {args.side}² in {results['generate_seconds']} s", file=sys.stderr)

        def run(**options):
            return rs.measure_many(images, labels_pattern=PATTERN, progress=False, **options)

        for workers in (2, 1):
            with dask_client(n_workers=workers) as client:
                run(client=client)  # warm-up: workers import regionscope, caches fill
                median, runs, table = timed(lambda c=client: run(client=c), args.reps)
            rows.append((f"{workers} worker{'s' if workers > 1 else ''}, warm", median, runs, len(table)))
            median, runs, table = timed(lambda w=workers: run(workers=w), args.reps)
            rows.append((f"{workers} worker{'s' if workers > 1 else ''}, end to end", median, runs, len(table)))

        projects = []

        def fresh_project():
            projects.append(folder / f"project{len(projects)}")
            return run(workers=2, project=projects[-1])

        median, runs, table = timed(fresh_project, args.reps)
        rows.append(("2 workers, end to end, --project", median, runs, len(table)))
        median, runs, table = timed(lambda: run(workers=2, project=projects[-1]), args.reps)
        rows.append(("2 workers, --project again (unchanged)", median, runs, len(table)))

        properties = [n for n in normalize_property_names(None, ndim=2, has_intensity=True) if n != "touches_border"]
        paths = sorted(p for p in images.glob("img*.tif") if not p.name.endswith("_mask.tif"))
        sample = paths[: args.loop_images] if args.loop_images else paths
        median, runs, count = timed(lambda: plain_loop(sample, properties), args.loop_reps)
        scale = len(paths) / len(sample)
        label = "plain loop of regionprops_table" + (f" ({len(sample)} images, x{scale:g})" if scale != 1 else "")
        rows.append((label, median * scale, [r * scale for r in runs], round(count * scale)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    by_name = {name: median for name, median, _, _ in rows}
    two, one = by_name["2 workers, warm"], by_name["1 worker, warm"]
    two_e2e, one_e2e = by_name["2 workers, end to end"], by_name["1 worker, end to end"]
    loop = rows[-1][1]
    print(f"\n{args.images} images of {args.side}², {args.regions} regions each; medians of {args.reps} runs\n")
    print(f"{'':48} {'seconds':>9} {'regions':>9}  runs")
    for name, median, runs, count in rows:
        print(f"{name:48} {median:9.2f} {count:9,}  {', '.join(f'{r:.2f}' for r in runs)}")
    checks = [
        ("2 workers vs 1 worker (warm)", one / two, 1.7),
        ("2 workers vs 1 worker (end to end)", one_e2e / two_e2e, 1.7),
        ("2 workers (end to end) vs the plain loop", loop / two_e2e, 10.0),
    ]
    print()
    for name, ratio, target in checks:
        print(f"{name:48} {ratio:8.2f}x  target >= {target:g}x  {'PASS' if ratio >= target else 'FAIL'}")
    results["rows"] = [{"name": n, "median_seconds": m, "runs": r, "regions": c} for n, m, r, c in rows]
    results["ratios"] = {name: ratio for name, ratio, _ in checks}
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
