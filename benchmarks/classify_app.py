"""The app while it trains: are queries still answered? (issue 14: "the app answers hovers and filters while it trains").

``.venv/bin/python benchmarks/classify_app.py [--side 2048 --regions 10000 --examples 500]``
(also ``benchmarks/run.py --classify-app``). Starts ``regionscope view`` on a synthetic image in a
subprocess on 127.0.0.1, gives ``--examples`` regions one of three classes (by area tercile) in
its workspace, then times the query callback (``{area} > 300``, as the page posts it) three ways:
idle, while one Train request runs (the forest and its 5-fold cross-validation), and the Train
request itself. Hover needs no request (the browser resolves it from the label map), so the
query is what could wait on training. Loopback only; about 40 requests in all.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness  # noqa: E402
from benchmarks.dash_client import DashClient  # noqa: E402
from benchmarks.load import Server, _find_store, percentile, synthetic_files  # noqa: E402


def _query(client, dependency, store, text):
    start = time.perf_counter()
    reply = client.call(dependency, {"rs-query.value": text, "rs-dataset.data": store}, "rs-query.value")
    if reply.status != 200:
        raise RuntimeError(f"query: HTTP {reply.status} {reply.text[:200]}")
    return time.perf_counter() - start


def measure(side, regions, examples, queries):
    from regionscope.annotations import AnnotationStore

    with tempfile.TemporaryDirectory(prefix="regionscope-bench-classify-app-") as folder:
        folder = Path(folder)
        arguments = synthetic_files(folder / "data", side, regions)
        workspace = folder / "workspace"
        server = Server(arguments, workspace)
        try:
            client = DashClient(server.url, timeout=300)
            dataset_id = _find_store(json.loads(client.get("/_dash-layout").body), "rs-dataset")["id"]
            store = {"id": dataset_id}
            shown = client.call(client.callback_of("rs-grid.rowData"), {"rs-dataset.data": store}, "rs-dataset.data").json()
            rows = shown["response"]["rs-grid"]["rowData"]
            areas = sorted(row["area"] for row in rows)
            cuts = (areas[len(areas) // 3], areas[2 * len(areas) // 3])
            annotations = AnnotationStore(workspace)
            for name, color in (("small", "#e69f00"), ("middle", "#56b4e9"), ("large", "#009e73")):
                annotations.define_class(dataset_id, name, color)
            chosen = rows[:: max(1, len(rows) // examples)][:examples]
            for row in chosen:
                name = "small" if row["area"] < cuts[0] else "middle" if row["area"] < cuts[1] else "large"
                annotations.assign(dataset_id, [row["label"]], name)
            annotations.close()
            query = client.callback_of("rs-query-result.data")
            features = [c for c in ("area", "perimeter", "eccentricity", "solidity", "intensity_mean") if c in rows[0]]
            idle = [_query(client, query, store, "{area} > 300") for _ in range(queries)]

            train = None  # the callback whose only input is the Train button
            for dependency in client.dependencies():
                inputs = [f"{i['id']}.{i['property']}" for i in dependency["inputs"]]
                if inputs == ["rs-train.n_clicks"]:
                    train = dependency
            trainer = DashClient(server.url, timeout=600)
            result = {}

            def run_train():
                start = time.perf_counter()
                reply = trainer.call(
                    train,
                    {
                        "rs-train.n_clicks": 1,
                        "rs-classifier-features.value": features,
                        "rs-dataset.data": store,
                        "rs-grid.columnDefs": None,
                        "rs-embeddings.data": None,
                    },
                    "rs-train.n_clicks",
                )
                result["train_seconds"] = time.perf_counter() - start
                result["train_status"] = reply.status
                result["train_notice"] = reply.text[-600:]

            thread = threading.Thread(target=run_train)
            thread.start()
            time.sleep(0.2)
            during = []
            while thread.is_alive() and len(during) < 200:
                during.append(_query(client, query, store, "{area} > 300"))
            thread.join()
        finally:
            server.stop()

    def ms(values):
        return {
            "count": len(values),
            "median_ms": statistics.median(values) * 1000 if values else None,
            "p95_ms": percentile([v * 1000 for v in values], 95),
        }

    return {
        "side": side,
        "regions": regions,
        "examples": len(chosen),
        "features": features,
        "query_idle": ms(idle),
        "query_while_training": ms(during),
        "train_request_s": result.get("train_seconds"),
        "train_ok": result.get("train_status") == 200 and "Trained on" in result.get("train_notice", ""),
        # What the server answered, when training did not say "Trained on".
        "train_failure": None if "Trained on" in result.get("train_notice", "") else result.get("train_notice"),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=2048)
    parser.add_argument("--regions", type=int, default=10_000)
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument("--queries", type=int, default=10, help="idle queries timed (default 10)")
    parser.add_argument("--out", type=Path, help="folder to write classify-app.json into")
    args = parser.parse_args(argv)
    result = {"machine": harness.machine_info(), **measure(args.side, args.regions, args.examples, args.queries)}
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "classify-app.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
