"""Load test: simulated users replaying the explorer's callbacks over HTTP against one server.

Run as ``python benchmarks/load.py [--users 20] [--rounds 20] [--max-seconds 180] [--side 1024 --regions 1000]``.

It starts ``regionscope view`` (waitress, as in production) in its own process
on 127.0.0.1, on the coins sample or on a synthetic image of ``--side`` pixels
and ``--regions`` regions, and lets ``--users`` threads act as browsers, each
with its own keep-alive connection (:class:`benchmarks.dash_client.DashClient`):

1. a page load as the renderer does it (the document, ``_dash-layout``,
   ``_dash-dependencies``, then the first-view callbacks: dataset, plane,
   colours); the JavaScript libraries are left out (browsers cache them);
2. ``--rounds`` rounds of (with a pause of about ``--think-ms`` before each
   action, as a person makes; 0 sends them back to back): a filter (the query box's callback, a different
   threshold each time), a row click (outline + zoom), and every fifth round
   an exclusion written and restored (SQLite writes);
3. a second page load.

Bounded: at most 50 users and 500 rounds, and every user stops at
``--max-seconds``. Reported: filter, row-click and page-load p50/p95 (ms),
errors (any answer but 200/204, or a callback whose notice is an error), and
the server's RSS (start, peak, end). Results go to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.dash_client import DashClient, response_values, text_of  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
MAX_USERS = 50
MAX_ROUNDS = 500


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory(pid):
    """RSS and peak RSS (bytes) of a process."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return {"rss": values.get("VmRSS"), "peak": values.get("VmHWM")}


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[index]


class Server:
    """``regionscope view`` in a subprocess on 127.0.0.1."""

    def __init__(self, arguments, workspace):
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "regionscope.cli",
            "view",
            *arguments,
            "--port",
            str(self.port),
            "--workspace",
            str(workspace),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        self.url = f"http://127.0.0.1:{self.port}/"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.process.stderr.read()[-2000:]}")
            try:
                if DashClient(self.url, timeout=5).get("/").status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start within 300 s")

    def memory(self):
        return memory(self.process.pid)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class User:
    """One simulated browser tab."""

    def __init__(self, url, number, deadline, think=0.0, start_delay=0.0):
        import random

        self.client = DashClient(url)
        self.random = random.Random(number)
        self.think = think
        self.start_delay = start_delay
        self.number = number
        self.deadline = deadline
        self.timings = {"page_load": [], "filter": [], "row_click": [], "exclude": []}
        self.errors = []
        self.requests = 0
        self.wire_bytes = 0

    def _call(self, dependency, values, changed, kind):
        reply = self.client.call(dependency, values, changed)
        self.requests += 1
        self.wire_bytes += reply.wire_bytes
        if reply.status not in (200, 204):
            self.errors.append(f"{kind}: HTTP {reply.status} {reply.text[:120]}")
            return reply, {}
        values_out = response_values(reply)
        notice = values_out.get("rs-notice.children")
        if isinstance(notice, dict) and (notice.get("props") or {}).get("className") == "rs-error":
            self.errors.append(f"{kind}: {text_of(notice)[:160]}")
        return reply, values_out

    def page_load(self):
        start = time.perf_counter()
        replies = {}
        for path in ("/", "/_dash-layout", "/_dash-dependencies"):
            reply = replies[path] = self.client.get(path)
            self.requests += 1
            self.wire_bytes += reply.wire_bytes
            if reply.status != 200:
                self.errors.append(f"GET {path}: HTTP {reply.status}")
                return None
        self.dataset_id = _find_store(json.loads(replies["/_dash-layout"].body), "rs-dataset")["id"]
        store = {"id": self.dataset_id}
        client = self.client
        _, shown = self._call(
            client.callback_of("rs-grid.rowData"), {"rs-dataset.data": store}, "rs-dataset.data", "show_dataset"
        )
        if "rs-grid.rowData" not in shown:
            self.errors.append("show_dataset: no rows")
            return None
        self.rows = shown["rs-grid.rowData"]
        self._call(
            client.callback_of("rs-picture.data"),
            {
                "rs-dataset.data": store,
                "rs-plane.value": shown.get("rs-plane.value"),
                "rs-channel.value": shown.get("rs-channel.value"),
            },
            "rs-dataset.data",
            "show_plane",
        )
        self._call(
            client.callback_of("rs-overlay-colors.data"),
            {"rs-color-by.value": shown.get("rs-color-by.value"), "rs-colormap.value": "Viridis", "rs-dataset.data": store},
            "rs-color-by.value",
            "color_regions",
        )
        self.timings["page_load"].append(time.perf_counter() - start)
        return shown

    def pause(self):
        # A person between two actions: think time, uniformly 0.5x to 1.5x the mean.
        if self.think:
            time.sleep(self.think * self.random.uniform(0.5, 1.5))

    def run(self, rounds):
        time.sleep(self.start_delay)
        if self.page_load() is None:
            return
        client = self.client
        store = {"id": self.dataset_id}
        areas = sorted(row["area"] for row in self.rows if row.get("area") is not None) or [0]
        query = client.callback_of("rs-query-result.data")
        focus = client.callback_of("rs-highlight.data")
        exclude = client.callback_with_input("rs-excluded.data", "rs-exclude.n_clicks")
        restore = client.callback_with_input("rs-excluded.data", "rs-restore.n_clicks")
        for k in range(rounds):
            if time.monotonic() > self.deadline:
                break
            self.pause()
            threshold = areas[(k * 7 + self.number * 13) % len(areas)]
            start = time.perf_counter()
            self._call(query, {"rs-query.value": f"area > {threshold}", "rs-dataset.data": store}, "rs-query.value", "filter")
            self.timings["filter"].append(time.perf_counter() - start)
            self.pause()
            row = self.rows[(k * 11 + self.number) % len(self.rows)]
            start = time.perf_counter()
            self._call(
                focus,
                {
                    "rs-focus.data": {"label": row["label"], "source": "table", "time": k},
                    "rs-zoom-to-row.value": ["zoom"],
                    "rs-dataset.data": store,
                },
                "rs-focus.data",
                "row_click",
            )
            self.timings["row_click"].append(time.perf_counter() - start)
            if k % 5 == 4:
                start = time.perf_counter()
                self._call(
                    exclude,
                    {"rs-exclude.n_clicks": k, "rs-grid.selectedRows": {"ids": [str(row["label"])]}, "rs-dataset.data": store},
                    "rs-exclude.n_clicks",
                    "exclude",
                )
                self._call(restore, {"rs-restore.n_clicks": k, "rs-dataset.data": store}, "rs-restore.n_clicks", "restore")
                self.timings["exclude"].append(time.perf_counter() - start)
        if time.monotonic() <= self.deadline:
            self.page_load()
        self.client.close()


def _find_store(node, component_id):
    """The ``data`` of a dcc.Store in a serialized layout."""
    if isinstance(node, dict):
        props = node.get("props") or {}
        if props.get("id") == component_id:
            return props.get("data")
        for value in props.values():
            found = _find_store(value, component_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for item in node:
            found = _find_store(item, component_id)
            if found is not None:
                return found
    return None


def run_load(url, users, rounds, max_seconds, server=None, think=0.0, ramp=0.0):
    deadline = time.monotonic() + max_seconds
    simulated = [User(url, number, deadline, think, ramp * number / max(users, 1)) for number in range(users)]
    samples = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            if server is not None:
                samples.append(server.memory()["rss"])
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    barrier = threading.Barrier(users)

    def work(user):
        barrier.wait()
        try:
            user.run(rounds)
        except Exception as exc:  # noqa: BLE001 - counted as an error
            user.errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(user,)) for user in simulated]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max_seconds + 120)
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join(timeout=2)

    def stats(kind):
        values = [v * 1000 for user in simulated for v in user.timings[kind]]
        return {
            "count": len(values),
            "p50_ms": percentile(values, 50),
            "p95_ms": percentile(values, 95),
            "max_ms": max(values) if values else None,
            "mean_ms": statistics.fmean(values) if values else None,
        }

    errors = [e for user in simulated for e in user.errors]
    return {
        "users": users,
        "rounds": rounds,
        "think_ms": think * 1000,
        "ramp_s": ramp,
        "seconds": elapsed,
        "requests": sum(user.requests for user in simulated),
        "wire_bytes": sum(user.wire_bytes for user in simulated),
        "page_load": stats("page_load"),
        "filter": stats("filter"),
        "row_click": stats("row_click"),
        "exclude_restore": stats("exclude"),
        "errors": len(errors),
        "first_errors": errors[:10],
        "server_rss_peak_sampled": max(samples) if samples else None,
        "timed_out": any(thread.is_alive() for thread in threads),
    }


def synthetic_files(folder, side, regions):
    import tifffile

    from benchmarks.synthetic import make_synthetic

    image, labels = make_synthetic((side, side), regions, seed=0)
    folder.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(folder / "image.tif", image)
    tifffile.imwrite(folder / "labels.tif", labels)
    return [str(folder / "image.tif"), "--labels", str(folder / "labels.tif")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help=f"simulated users (at most {MAX_USERS}; default 20)")
    parser.add_argument("--rounds", type=int, default=20, help=f"filter rounds per user (at most {MAX_ROUNDS}; default 20)")
    parser.add_argument("--max-seconds", type=float, default=180, help="every user stops after this long (default 180)")
    parser.add_argument("--side", type=int, default=0, help="synthetic image side (0: the coins sample, as `regionscope view`)")
    parser.add_argument("--regions", type=int, default=1000, help="synthetic regions (with --side)")
    parser.add_argument(
        "--think-ms", type=float, default=300, help="mean pause of a user between actions (0: back to back; default 300)"
    )
    parser.add_argument("--ramp-seconds", type=float, default=2, help="users arrive over this many seconds (default 2)")
    parser.add_argument("--baseline", action="store_true", help="also run one user alone first, for comparison")
    parser.add_argument("--out", default=str(RESULTS), help="folder for the JSON result")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS or not 1 <= args.rounds <= MAX_ROUNDS:
        parser.error(f"--users must be 1..{MAX_USERS} and --rounds 1..{MAX_ROUNDS}")

    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="regionscope-load-"))
    arguments = synthetic_files(scratch / "data", args.side, args.regions) if args.side else []
    server = Server(arguments, scratch / "workspace")
    try:
        result = {
            "dataset": f"synthetic {args.side}² / {args.regions} regions" if args.side else "coins sample (regionscope view)",
            "cpu_count": os.cpu_count(),
            "server_rss_start": server.memory()["rss"],
        }
        if args.baseline:
            result["baseline"] = run_load(server.url, 1, args.rounds, args.max_seconds, server, args.think_ms / 1000)
        result["load"] = run_load(
            server.url, args.users, args.rounds, args.max_seconds, server, args.think_ms / 1000, args.ramp_seconds
        )
        mem = server.memory()
        result["server_rss_end"], result["server_rss_peak"] = mem["rss"], mem["peak"]
    finally:
        server.stop()
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2))
    print(format_report(result))
    print(f"written to {path}")
    return 0 if result["load"]["errors"] == 0 else 1


def format_report(result):
    lines = [f"dataset: {result['dataset']} (server on 127.0.0.1, {result['cpu_count']} CPUs)"]
    for name in ("baseline", "load"):
        if name not in result:
            continue
        run = result[name]
        lines.append(
            f"{name}: {run['users']} users (think {run['think_ms']:.0f} ms, arriving over {run['ramp_s']:.0f} s), "
            f"{run['requests']} requests in {run['seconds']:.1f} s, {run['errors']} errors"
            + (" (TIMED OUT)" if run["timed_out"] else "")
        )
        for kind in ("filter", "row_click", "exclude_restore", "page_load"):
            s = run[kind]
            if s["count"]:
                lines.append(
                    f"  {kind:16s} n={s['count']:5d}  p50 {s['p50_ms']:8.1f} ms  p95 {s['p95_ms']:8.1f} ms  max {s['max_ms']:8.1f} ms"
                )
        for error in run["first_errors"]:
            lines.append(f"  error: {error}")
    mb = 2**20
    lines.append(
        f"server RSS: start {result['server_rss_start'] / mb:.0f} MB, end {result['server_rss_end'] / mb:.0f} MB, "
        f"peak {result['server_rss_peak'] / mb:.0f} MB"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
