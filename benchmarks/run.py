"""regionscope performance benchmark: ``make bench`` or ``.venv/bin/python benchmarks/run.py``.

Generates synthetic segmentations (deterministic seed), times the server-side
preparation in a separate server process, drives headless Chromium against the
served app to time page load and every interaction (medians), counts the bytes
of the first view, measures the old one-trace-per-region design on smaller data
for comparison, prints the issue's target table with PASS/FAIL and writes
everything as JSON to ``benchmarks/results/`` (gitignored).

Options: ``--quick`` (small sizes, few repetitions, about 1.5 minutes),
``--sizes a,b`` (which of the issue's sizes), ``--reps N`` (runs per
interaction), ``--no-old``, ``--no-memory``, ``--chunked SIDE`` (only the
chunked measurement on Dask, see ``benchmarks/chunked.py``), ``--classify`` (only the
classifier: train on 500 regions, predict 1,000,000, see ``benchmarks/classify.py``), ``--classify-app``
(queries answered while the app trains, ``benchmarks/classify_app.py``), ``--project IMAGES``
(only measuring a project of many images, ``benchmarks/projects.py``). See ``--help``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness  # noqa: E402
from benchmarks.synthetic import QUICK_SIZES, SIZES  # noqa: E402

#: Full run: old design sizes (image side, regions) and the memory sweep's extra points.
OLD_SIZES = ((1024, 1_000), (2048, 3_000))
MEMORY_POINTS = ((1024, 2_500), (2048, 10_000), (2048, 50_000), (4096, 10_000), (4096, 50_000))
#: Repetitions per size in a full run: (interaction runs, page loads, preparation runs).
FULL_REPS = {"a": (11, 5, 3), "b": (9, 3, 2)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="regionscope performance benchmark")
    parser.add_argument("--quick", action="store_true", help="small sizes and few repetitions (about 1.5 minutes)")
    parser.add_argument("--sizes", default="a,b", help="comma-separated sizes to run: a (2048², 10k regions), b (4096², 50k)")
    parser.add_argument("--reps", type=int, default=None, help="runs per interaction (default 11 for a, 9 for b; 5 quick)")
    parser.add_argument("--load-reps", type=int, default=None, help="cold page loads per size")
    parser.add_argument("--prep-reps", type=int, default=None, help="timed preparation runs per size (plus the server's own)")
    parser.add_argument("--no-old", action="store_true", help="skip the old-design comparison")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory sweep")
    parser.add_argument(
        "--chunked",
        type=int,
        default=None,
        metavar="SIDE",
        help="only the chunked-measurement benchmark (benchmarks/chunked.py) at SIDE² (4096: 50k regions, 16384: 1M)",
    )
    parser.add_argument(
        "--project",
        type=int,
        default=None,
        metavar="IMAGES",
        help="only the project benchmark (benchmarks/projects.py): IMAGES images of 1024², 1,000 regions each (issue: 200)",
    )
    parser.add_argument(
        "--classify",
        action="store_true",
        help="only the classifier benchmark (benchmarks/classify.py): train on 500 regions, predict 1,000,000",
    )
    parser.add_argument(
        "--classify-app",
        action="store_true",
        help="only the app-while-training benchmark (benchmarks/classify_app.py): queries answered during Train",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(harness.RESULTS), help="folder for the JSON results")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.project:
        from benchmarks.projects import main as projects_main

        return projects_main(["--images", str(args.project)])
    if args.classify_app:
        from benchmarks.classify_app import main as classify_app_main

        return classify_app_main(["--out", args.out])
    if args.classify:
        from benchmarks.classify import main as classify_main

        return classify_main(["--seed", str(args.seed), "--out", args.out, *(["--reps", "1"] if args.quick else [])])
    if args.chunked:
        from benchmarks.chunked import main as chunked_main

        regions = {4096: 50_000, 16384: 1_000_000}.get(args.chunked, args.chunked * args.chunked // 335)
        return chunked_main(["--side", str(args.chunked), "--regions", str(regions)])
    names = [n.strip() for n in args.sizes.split(",") if n.strip()]
    table = QUICK_SIZES if args.quick else SIZES
    unknown = [n for n in names if n not in table]
    if unknown:
        raise SystemExit(f"unknown size(s) {unknown}; choose from {sorted(table)}")

    from playwright.sync_api import sync_playwright

    from benchmarks.browser import launch

    started = time.perf_counter()
    workdir = harness.scratch_folder()
    results = {"sizes": {}, "old_design": [], "memory_sweep": []}
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                results["meta"] = harness.machine_info(browser)
                results["meta"]["quick"] = args.quick
                results["meta"]["argv"] = sys.argv[1:] if argv is None else list(argv)
                harness.log(
                    f"benchmark on {results['meta']['cpu_model']} ({results['meta']['nproc']} cores), {results['meta']['chromium']}"
                )
                for name in names:
                    side, n_regions = table[name]
                    if args.quick:
                        reps, load_reps, prep_reps = 5, 2, 1
                    else:
                        reps, load_reps, prep_reps = FULL_REPS.get(name, (9, 3, 2))
                    reps = args.reps or reps
                    load_reps = args.load_reps or load_reps
                    prep_reps = args.prep_reps or prep_reps
                    harness.log(f"size ({name})")
                    results["sizes"][name] = harness.bench_size(
                        name,
                        side,
                        n_regions,
                        browser=browser,
                        workdir=workdir,
                        reps=reps,
                        load_reps=load_reps,
                        prep_reps=prep_reps,
                        seed=args.seed,
                    )
                if not args.no_old:
                    old_sizes = ((512, 300),) if args.quick else OLD_SIZES
                    for side, n_regions in old_sizes:
                        harness.log(f"old design vs regionscope at {side}², {n_regions} regions")
                        results["old_design"].append(
                            harness.bench_old(
                                side, n_regions, browser=browser, workdir=workdir, reps=1 if args.quick else 3, seed=args.seed
                            )
                        )
            finally:
                browser.close()
        if not args.no_memory and not args.quick:
            harness.log("memory sweep")
            results["memory_sweep"] = harness.memory_sweep(MEMORY_POINTS, workdir=workdir, seed=args.seed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    results["memory_sweep"].sort(key=lambda row: (row["side"], row["n_regions"]))
    results["evaluation"] = harness.evaluate(results)
    results["meta"]["elapsed_seconds"] = time.perf_counter() - started
    results["meta"]["loadavg_at_end"] = harness.load_average()
    print()
    print("\n".join(harness.format_report(results)))
    path = harness.write_results(results, args.out)
    print(f"results: {path}  (whole run {results['meta']['elapsed_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
