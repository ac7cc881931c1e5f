"""The benchmark's moving parts, shared by ``run.py`` and the smoke test.

One size is benchmarked by :func:`bench_size`: generate the data (this
process), write it as TIFF files, start ``server_worker.py`` in its own process
(it times the preparation, then serves the app on 127.0.0.1), open the app in
fresh Chromium contexts (cold cache) to time page loads and count bytes, run the
interactions on the last page, read the server's peak RSS and stop it.
:func:`bench_old` measures the old design; :func:`evaluate` compares results
with the issue's targets and :func:`format_report` prints them.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import browser as web
from benchmarks.memory import mb, status, total_memory
from benchmarks.synthetic import cheap_table, make_synthetic

REPO = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "server_worker.py"
RESULTS = Path(__file__).resolve().parent / "results"
NOT_IMPLEMENTED = "not implemented"


@dataclass(frozen=True)
class Target:
    key: str
    title: str
    unit: str  # "s", "ms" or "x"
    limits: dict  # size name -> limit (None: no target)


#: The issue's targets (medians, headless Chromium, 2 cores, server on loopback).
TARGETS = (
    Target("prepare", "dataset preparation (read, measure, geometry), server", "s", {"a": 2.0, "b": 8.0}),
    Target("load", "page load until image, overlay and grid are usable", "s", {"a": 2.5, "b": 5.0}),
    Target("bytes_ratio", "bytes for the first view / (image as JPEG + table JSON)", "x", {"a": 1.5, "b": 1.5}),
    Target("filter", "table filter -> overlay updated", "ms", {"a": 150, "b": 400}),
    Target("hover", "hover a region -> its row highlighted", "ms", {"a": 50, "b": 80}),
    Target("click_row", "click a row -> outline + zoom shown", "ms", {"a": 100, "b": 200}),
    Target("box_select", "box or lasso in the image -> rows selected", "ms", {"a": 200, "b": 400}),
    Target("zoom_pan", "zoom or pan redraw", "ms", {"a": 150, "b": 250}),
    Target("sort", "sort the table by a column", "ms", {"a": None, "b": 300}),
)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------
# Data and the server process
# ---------------------------------------------------------------------------


def write_data(folder, image, labels):
    """The arrays as TIFF files (what a user would open): ``(image_path, labels_path)``."""
    import tifffile

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    image_path, labels_path = folder / "image.tif", folder / "labels.tif"
    tifffile.imwrite(image_path, image)
    tifffile.imwrite(labels_path, labels)
    return str(image_path), str(labels_path)


class ServerProcess:
    """``server_worker.py`` in a subprocess: preparation timings, then (``serve``) the app.

    Attributes
    ----------
    info : dict
        What the worker printed (``READY``/``RESULT`` JSON): timings, RSS, ``url``.
    """

    def __init__(self, image_path, labels_path, *, reps=1, serve=True, stderr_path=None):
        command = [sys.executable, str(WORKER), "--image", str(image_path), "--labels", str(labels_path), "--reps", str(reps)]
        if serve:
            command.append("--serve")
        self._stderr = open(stderr_path, "w") if stderr_path else subprocess.DEVNULL  # noqa: SIM115
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, cwd=REPO, env=env
        )
        self.stderr_path = stderr_path
        self.info = None
        for line in self.proc.stdout:
            if line.startswith(("READY ", "RESULT ")):
                self.info = json.loads(line.split(" ", 1)[1])
                break
        if self.info is None:
            self.proc.wait(timeout=30)
            detail = Path(stderr_path).read_text()[-3000:] if stderr_path else ""
            raise RuntimeError(f"server worker exited ({self.proc.returncode}) before it was ready\n{detail}")

    @property
    def url(self):
        return self.info.get("url")

    def memory(self):
        """RSS and peak RSS (since the worker reset it, i.e. while serving), bytes."""
        return status(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._stderr not in (None, subprocess.DEVNULL):
            self._stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def prepare_only(image_path, labels_path, *, reps=0, stderr_path=None):
    """Run the worker without serving (memory sweep): its RESULT dict."""
    server = ServerProcess(image_path, labels_path, reps=reps, serve=False, stderr_path=stderr_path)
    server.stop()
    return server.info


# ---------------------------------------------------------------------------
# One size
# ---------------------------------------------------------------------------


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def bench_size(
    name,
    side,
    n_regions,
    *,
    browser,
    workdir,
    reps=9,
    load_reps=3,
    prep_reps=2,
    interactions=True,
    seed=0,
    say=log,
):
    """Benchmark regionscope on one synthetic dataset; a JSON-ready dict."""
    result = {"name": name, "side": side, "n_regions": n_regions, "seed": seed}
    start = time.perf_counter()
    image, labels = make_synthetic(side, n_regions, seed=seed)
    table = cheap_table(image, labels)
    result["generate_seconds"] = time.perf_counter() - start
    folder = Path(workdir) / f"{name}-{side}-{n_regions}"
    image_path, labels_path = write_data(folder, image, labels)
    say(
        f"  {name}: {side}x{side}, {n_regions} regions generated in {result['generate_seconds']:.1f} s; preparing in the server process ..."
    )

    # The timed runs of the preparation parts in one process, the server in a fresh one: so that
    # the server's memory figures are those of a server that prepared the dataset once.
    timing = prepare_only(image_path, labels_path, reps=prep_reps, stderr_path=folder / "timing.log") if prep_reps else {}
    server = ServerProcess(image_path, labels_path, reps=0, serve=True, stderr_path=folder / "server.log")
    try:
        info = dict(server.info)
        for key in ("parts", "parts_peak_rss"):
            if key in timing:
                info[key] = timing[key]
        result["url"] = server.url
        result["server"] = {k: v for k, v in info.items() if k != "url"}
        parts = info.get("parts", {})
        prepare_runs = list(parts.get("runs", {}).get("prepare_total", [])) + [
            info["open_files_seconds"],
            timing.get("open_files_seconds"),
        ]
        prepare_runs = [run for run in prepare_runs if run is not None]
        result["prepare_seconds"] = _median(prepare_runs)
        result["prepare_runs"] = prepare_runs
        say(f"  {name}: preparation {result['prepare_seconds']:.2f} s (median of {len(prepare_runs)}); loading the page ...")

        loads = []
        page = context = None
        for rep in range(load_reps):
            keep = interactions and rep == load_reps - 1
            outcome = web.load_page(browser, server.url, keep=keep)
            if keep:
                outcome, context, page = outcome
            outcome["loadavg"] = load_average()
            loads.append(outcome)
            say(f"    load {rep + 1}/{load_reps}: {outcome['ms'] and outcome['ms'] / 1000:.2f} s")
        result["loads"] = [{k: v for k, v in load.items() if k != "responses"} for load in loads]
        result["first_view_responses"] = loads[0]["responses"]
        result["load_seconds"] = _median([load["ms"] / 1000 if load["ms"] is not None else None for load in loads])
        first = loads[0]
        sizes = parts.get("sizes", {})
        baseline = (sizes.get("baseline_jpeg_bytes") or 0) + (sizes.get("baseline_table_json_bytes") or 0)
        result["bytes"] = {
            "by_category": first["bytes"],
            "data": first["bytes_data"],
            "total": first["bytes_total"],
            "baseline": baseline,
            "baseline_jpeg": sizes.get("baseline_jpeg_bytes"),
            "baseline_table_json": sizes.get("baseline_table_json_bytes"),
            "ratio_data": first["bytes_data"] / baseline if baseline else None,
            "ratio_total": first["bytes_total"] / baseline if baseline else None,
        }
        if interactions and page is not None:
            say(f"  {name}: interactions ({reps} each) ...")
            try:
                result["interactions"] = web.run_interactions(page, labels, table, reps, say=lambda m: say(f"  {name}:{m}"))
            finally:
                context.close()
        memory = server.memory()
        result["server_memory"] = {
            "baseline_rss": info.get("baseline_rss"),
            "prepare_peak_rss": info.get("prepare_peak_rss"),
            "prepared_rss": info.get("prepared_rss"),
            "serving_peak_rss": memory["peak"],
            "rss_at_end": memory["rss"],
            "peak_rss": max(v for v in (info.get("prepare_peak_rss"), memory["peak"]) if v is not None),
        }
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return result


def bench_old(side, n_regions, *, browser, workdir, reps=3, seed=0, say=log):
    """The old design and regionscope on the same data (loads only), for the ratios."""
    from benchmarks import old_design

    image, labels = make_synthetic(side, n_regions, seed=seed)
    say(f"  old design: {side}x{side}, {n_regions} regions: building the figure ...")
    old = old_design.bench(browser, image, labels, reps=reps, folder=Path(workdir) / f"old-site-{side}-{n_regions}")
    say(
        f"  old design: prepared in {old['prepare']['total']:.1f} s, page load {old['render']['load_ms'] / 1000:.2f} s, "
        f"newPlot {old['render']['render_ms'] / 1000:.2f} s; now regionscope on the same data ..."
    )
    new = bench_size(
        f"same-as-old-{n_regions}",
        side,
        n_regions,
        browser=browser,
        workdir=workdir,
        load_reps=reps,
        prep_reps=max(1, reps),
        interactions=False,
        seed=seed,
        say=say,
    )
    parts = new["server"]["parts"]["median"]
    new_prepare = parts["prepare_total"] + parts["encode_total"]
    return {
        "side": side,
        "n_regions": n_regions,
        "old": old,
        "regionscope": new,
        "prepare_ratio": new_prepare / old["prepare"]["total"],
        "load_ratio": new["load_seconds"] * 1000 / old["render"]["load_ms"],
        "regionscope_prepare_with_encodings": new_prepare,
    }


def memory_sweep(points, *, workdir, seed=0, say=log):
    """Peak RSS of preparing (read + prepare_dataset) at several sizes, each in a fresh process."""
    rows = []
    for side, n_regions in points:
        image, labels = make_synthetic(side, n_regions, seed=seed)
        folder = Path(workdir) / f"mem-{side}-{n_regions}"
        image_path, labels_path = write_data(folder, image, labels)
        del image, labels
        info = prepare_only(image_path, labels_path, stderr_path=folder / "worker.log")
        shutil.rmtree(folder, ignore_errors=True)
        row = {
            "side": side,
            "n_regions": n_regions,
            "seconds": info["open_files_seconds"],
            "baseline_rss": info["baseline_rss"],
            "prepare_peak_rss": info["prepare_peak_rss"],
            "prepared_rss": info["prepared_rss"],
        }
        rows.append(row)
        say(
            f"  memory {side}x{side}, {n_regions} regions: peak {mb(row['prepare_peak_rss']):.0f} MB, "
            f"held {mb(row['prepared_rss']):.0f} MB (baseline {mb(row['baseline_rss']):.0f} MB), {row['seconds']:.1f} s"
        )
    return rows


# ---------------------------------------------------------------------------
# Evaluation and report
# ---------------------------------------------------------------------------


def measured_value(size_result, key):
    """The number compared with a target, in the target's unit (None: not measured)."""
    interactions = size_result.get("interactions") or {}

    def med(name):
        return web.summary(interactions.get(name, []))["median"]

    if key == "prepare":
        return size_result.get("prepare_seconds")
    if key == "load":
        return size_result.get("load_seconds")
    if key == "bytes_ratio":
        return (size_result.get("bytes") or {}).get("ratio_data")
    if key == "zoom_pan":
        samples = interactions.get("zoom", []) + interactions.get("pan", [])
        return web.summary(samples)["median"]
    if key == "box_select":
        if not interactions.get("box_select_available"):
            return NOT_IMPLEMENTED
        samples = interactions.get("box_select", []) + interactions.get("lasso_select", [])
        return web.summary(samples)["median"]
    return med(key)


def evaluate(results):
    """Rows ``{key, title, unit, sizes: {name: {value, limit, verdict}}}``."""
    rows = []
    for target in TARGETS:
        row = {"key": target.key, "title": target.title, "unit": target.unit, "sizes": {}}
        for name, size_result in results.get("sizes", {}).items():
            limit = target.limits.get(name)
            value = measured_value(size_result, target.key)
            if value == NOT_IMPLEMENTED:
                verdict = NOT_IMPLEMENTED
            elif value is None:
                verdict = "no result" if limit is not None or target.key != "sort" else "-"
            elif limit is None:
                verdict = "-"
            else:
                verdict = "PASS" if value <= limit else "FAIL"
            row["sizes"][name] = {"value": value, "limit": limit, "verdict": verdict}
        rows.append(row)
    return rows


def _fmt(value, unit):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.0f} ms"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.3g}"


def _limit(limit, unit):
    return "-" if limit is None else f"<= {_fmt(limit, unit)}"


def format_report(results):
    """The human-readable summary (a list of lines)."""
    lines = []
    meta = results["meta"]
    lines.append(f"regionscope benchmark {meta['date']}  ({'QUICK, reduced sizes' if meta['quick'] else 'full sizes'})")
    lines.append(f"machine: {meta['cpu_model']}, {meta['nproc']} cores, {meta['ram_gb']:.1f} GB RAM; {meta['chromium']}")
    source = meta.get("source") or {}
    if source.get("commit"):
        dirty = f", with uncommitted changes in {len(source['src_changes'])} src file(s)" if source.get("src_changes") else ""
        lines.append(f"source: commit {source['commit']}{dirty}")
    if meta.get("loadavg_at_start"):
        end = meta.get("loadavg_at_end") or ["?"]
        lines.append(
            f"load average (1 min) at start {meta['loadavg_at_start'][0]:.2f}, at end {end[0]}: other work on the machine skews the times"
        )
    sizes = results.get("sizes", {})
    for name, size in sizes.items():
        lines.append(f"size ({name}): {size['side']}x{size['side']} image, {size['n_regions']} regions")
    lines.append("")
    names = list(sizes)
    header = f"{'measure':<58}" + "".join(f"{'target (' + n + ')':>13}{'measured':>17}{'':>6}" for n in names)
    lines.append(header)
    lines.append("-" * len(header))
    for row in results["evaluation"]:
        line = f"{row['title']:<58}"
        for name in names:
            cell = row["sizes"].get(name, {})
            verdict = cell.get("verdict", "")
            verdict = "n/a" if verdict == NOT_IMPLEMENTED else verdict
            line += f"{_limit(cell.get('limit'), row['unit']):>13}{_fmt(cell.get('value'), row['unit']):>17}{verdict:>6}"
        lines.append(line)
    lines.append("")

    for name, size in sizes.items():
        lines.append(f"({name}) details")
        parts = size["server"].get("parts", {}).get("median", {})
        if parts:
            order = ("read", "measure", "region_contours", "label_index", "dataset_id")
            lines.append("  preparation parts (median s): " + ", ".join(f"{p} {parts[p]:.2f}" for p in order if p in parts))
            lines.append(
                "  first-view encodings (median s): "
                + ", ".join(
                    f"{p} {parts[p]:.2f}"
                    for p in (
                        "image_limits",
                        "display_plane",
                        "encode_picture",
                        "encode_index_png",
                        "row_data",
                        "row_json",
                        "region_colors",
                    )
                    if p in parts
                )
                + f"  (total {parts.get('encode_total', 0):.2f})"
            )
        load_times = ", ".join("timeout" if not load["ms"] else f"{load['ms'] / 1000:.2f}" for load in size["loads"])
        lines.append(
            f"  server path open_files (read + prepare_dataset): {size['server']['open_files_seconds']:.2f} s; "
            f"page loads (s): {load_times}"
        )
        b = size["bytes"]
        cats = ", ".join(f"{k} {v / 1e6:.2f}" for k, v in sorted(b["by_category"].items()))
        lines.append(
            f"  first-view bytes (MB): {cats}; data {b['data'] / 1e6:.2f} MB vs baseline {b['baseline'] / 1e6:.2f} MB "
            f"(JPEG {b['baseline_jpeg'] / 1e6:.2f} + table JSON {b['baseline_table_json'] / 1e6:.2f}) = {b['ratio_data']:.2f}x; "
            f"with the JS libraries {b['total'] / 1e6:.2f} MB = {b['ratio_total']:.2f}x"
        )
        inter = size.get("interactions") or {}
        if inter:
            bits = []
            for key in ("filter", "query", "hover", "sort", "click_row", "zoom", "pan", "box_select", "lasso_select"):
                if key in inter:
                    s = web.summary(inter[key])
                    f = web.summary(inter[key], "frame")
                    if s["median"] is None:
                        bits.append(f"{key} no result")
                        continue
                    bits.append(f"{key} {s['median']:.0f} [{s['min']:.0f}-{s['max']:.0f}] (+frame {f['median']:.0f})")
            lines.append("  interactions, median [min-max] ms: " + "; ".join(bits))
            if not inter.get("box_select_available"):
                lines.append(f"  box/lasso select: {NOT_IMPLEMENTED} (no select/lasso mode in the figure)")
            else:
                for key in ("box_select", "lasso_select"):
                    if inter.get(key + "_error"):
                        lines.append(f"  {key}: failed: {inter[key + '_error']}")
                    elif inter.get(key):
                        pairs = ", ".join(f"{s['got']}/{s['expected']}" for s in inter[key])
                        lines.append(f"  {key}: rows selected / regions with centroid inside: {pairs}")
        m = size["server_memory"]
        lines.append(
            f"  server RSS (MB): after imports {mb(m['baseline_rss']):.0f}, peak while preparing {mb(m['prepare_peak_rss']):.0f}, "
            f"held after {mb(m['prepared_rss']):.0f}, peak while serving {mb(m['serving_peak_rss']):.0f} -> peak {mb(m['peak_rss']):.0f}"
        )
        heap = [load.get("js_heap_mb") for load in size["loads"] if load.get("js_heap_mb")]
        if heap:
            lines.append(f"  browser JS heap after load: {statistics.median(heap):.0f} MB")
        lines.append("")

    if results.get("old_design"):
        lines.append("old design (per-region find_contours on the whole image, one filled go.Scatter per region)")
        lines.append(
            f"{'regions, image':<20}{'old prepare':>13}{'rs prepare':>12}{'ratio':>8}{'old load':>11}{'rs load':>10}{'ratio':>8}"
            f"{'old newPlot':>13}{'old JSON':>10}"
        )
        for item in results["old_design"]:
            old = item["old"]
            lines.append(
                f"{str(item['n_regions']) + ', ' + str(item['side']) + '²':<20}"
                f"{old['prepare']['total']:>12.2f}s{item['regionscope_prepare_with_encodings']:>11.2f}s{item['prepare_ratio']:>8.3f}"
                f"{old['render']['load_ms'] / 1000:>10.2f}s{item['regionscope']['load_seconds']:>9.2f}s{item['load_ratio']:>8.2f}"
                f"{old['render']['render_ms'] / 1000:>12.2f}s{old['render']['figure_json_bytes'] / 1e6:>8.1f}MB"
            )
            zoom = old["render"].get("zoom_ms")
            restyle = old["render"].get("filter_ms")
            if zoom or restyle:
                lines.append(
                    f"{'':<20}old zoom {statistics.median(zoom):.0f} ms, old filter (restyle) {statistics.median(restyle):.0f} ms, "
                    f"old JS heap {old['render'].get('js_heap_mb') or 0:.0f} MB; old prepare parts: "
                    + ", ".join(f"{k} {v:.2f}" for k, v in old["prepare"].items() if k != "total")
                )
        lines.append(
            "  ratio = regionscope / old (below 1: regionscope is faster). Prepare: regionscope's prepare_dataset parts +"
        )
        lines.append(
            "  first-view encodings vs the old measure + contours + figure + JSON; load: navigation to usable/plotted, cold cache."
        )
        lines.append("")

    if results.get("memory_sweep"):
        lines.append("server memory vs size (read + prepare_dataset in a fresh process)")
        lines.append(f"{'image':>8}{'regions':>9}{'peak MB':>9}{'held MB':>9}{'baseline MB':>13}{'seconds':>9}")
        for row in results["memory_sweep"]:
            lines.append(
                f"{row['side']:>7}²{row['n_regions']:>9}{mb(row['prepare_peak_rss']):>9.0f}{mb(row['prepared_rss']):>9.0f}"
                f"{mb(row['baseline_rss']):>13.0f}{row['seconds']:>9.1f}"
            )
        lines.append("")
    return lines


def format_markdown(results):
    """The target table and the old-design comparison as Markdown (for docs/performance.md)."""
    names = list(results.get("sizes", {}))
    sizes = results["sizes"]
    header = ["measure"]
    for name in names:
        header += [f"target ({name})", f"({name}) {sizes[name]['side']}², {sizes[name]['n_regions']:,} regions", ""]
    head = "| " + " | ".join(header) + " |"
    lines = [head, "|---|" + "---:|---:|:---:|" * len(names)]
    for row in results["evaluation"]:
        cells = []
        for name in names:
            cell = row["sizes"].get(name, {})
            verdict = cell.get("verdict", "")
            verdict = "" if verdict == NOT_IMPLEMENTED else f"**{verdict}**" if verdict == "FAIL" else verdict
            cells += [_limit(cell.get("limit"), row["unit"]).replace("<=", "≤"), _fmt(cell.get("value"), row["unit"]), verdict]
        lines.append(f"| {row['title']} | " + " | ".join(cells) + " |")
    if results.get("old_design"):
        lines += [
            "",
            "| regions, image | old: prepare | regionscope: prepare | ratio | old: page load | regionscope: page load | ratio | old: newPlot | old: figure JSON |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for item in results["old_design"]:
            old = item["old"]
            lines.append(
                f"| {item['n_regions']:,}, {item['side']}² | {old['prepare']['total']:.2f} s | {item['regionscope_prepare_with_encodings']:.2f} s | "
                f"{item['prepare_ratio']:.3f} | {old['render']['load_ms'] / 1000:.2f} s | {item['regionscope']['load_seconds']:.2f} s | "
                f"{item['load_ratio']:.2f} | {old['render']['render_ms'] / 1000:.2f} s | {old['render']['figure_json_bytes'] / 1e6:.1f} MB |"
            )
    return lines


# ---------------------------------------------------------------------------
# Machine description
# ---------------------------------------------------------------------------


def load_average():
    """The 1, 5 and 15 minute load averages (other work on the machine skews every time)."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def source_state():
    """The commit measured and whether src/ had uncommitted changes (others edit concurrently)."""

    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    import regionscope

    package = Path(regionscope.__file__).resolve().parent
    if REPO not in package.parents:
        # Benchmarking another copy of the package (PYTHONPATH=...): say which one.
        marker = package.parent.parent / "COMMIT"
        return {"package": str(package), "commit": marker.read_text().strip() if marker.exists() else None, "src_changes": []}
    changed = git("status", "--porcelain", "--", "src")
    return {
        "package": str(package),
        "commit": git("rev-parse", "--short", "HEAD"),
        "src_changes": changed.splitlines() if changed else [],
    }


def machine_info(browser=None):
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib import metadata

    versions = {}
    for distribution in (
        "regionscope",
        "dash",
        "dash-ag-grid",
        "plotly",
        "scikit-image",
        "numpy",
        "scipy",
        "pillow",
        "playwright",
    ):
        try:
            versions[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            versions[distribution] = None
    return {
        "loadavg_at_start": load_average(),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gb": (total_memory() or 0) / 2**30,
        "chromium": f"Chromium {browser.version}" if browser is not None else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "source": source_state(),
    }


def json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value)}")


def write_results(results, folder=RESULTS):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"bench-{stamp}{'-quick' if results['meta'].get('quick') else ''}.json"
    text = json.dumps(results, default=json_default, indent=1)
    path.write_text(text)
    (folder / "latest.json").write_text(text)
    if results.get("evaluation"):
        markdown = "\n".join(format_markdown(results) + [""] + ["```"] + format_report(results) + ["```", ""])
        path.with_suffix(".md").write_text(markdown)
    return path


def scratch_folder():
    return Path(tempfile.mkdtemp(prefix="regionscope-bench-"))
