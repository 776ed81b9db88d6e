"""Benchmark of the merge: ``python -m lavametrics.devtools.bench_merge [--nodes 10] [--series 5000]``.

Serves synthetic expositions from local HTTP servers in a separate process (as real nodes
are) and times, per scrape of the merge: a full scrape as ``lavametrics serve`` answers it
(fetch + relabel + merge + render), fetch + merge without the rendering, and the merge
step alone on already parsed families.

Every request gets a body with new values (counters move, gauges change, large counters
spelt in Java's ``1.2345678E7``, as simpleclient writes them) over the same series, as
between two scrapes of real nodes: no value cache helps. Both relabelling paths are timed
in the same run, so the ratio does not depend on how busy the machine is: ``lines`` (the
text-exposition path ``lavametrics serve`` takes) and ``objects`` (parse into samples,
relabel, render: what it did before, and still does for OpenMetrics or unusual bodies).
Wall time and the CPU time of this process (all threads) are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lavametrics.exposition.render import render
from lavametrics.monitor.merge import PLUGIN_MARKER, NodeMetricsCollector, NodeResult
from lavametrics.monitor.nodesfile import NodeSpec
from lavametrics.monitor.scrape import scrape


def synthetic_exposition(series: int, families: int = 50, offset: float = 0.0, seed: int | None = None) -> bytes:
    """``series`` samples spread over ``families`` gauges and counters with two labels.

    Without ``seed``, every value is ``i * 1.5 + offset``. With one, values are what a scrape
    of a running node might read: counters of all sizes (above 10^7 in Java's exponent
    spelling), gauges with many digits.
    """
    per = max(1, series // families)
    rng = random.Random(seed) if seed is not None else None
    marker = PLUGIN_MARKER  # a node with the plugin, so the merge takes its families as they are
    lines = [f'# HELP {marker} Build information\n# TYPE {marker} gauge\n{marker}{{version="bench"}} 1\n']
    for f in range(families):
        counter = f % 2 == 0
        name = f"bench_family_{f}_total" if counter else f"bench_family_{f}"
        lines.append(f"# HELP {name} synthetic family {f}\n# TYPE {name} {'counter' if counter else 'gauge'}\n")
        for i in range(per):
            if rng is None:
                value = repr(i * 1.5 + offset)
            elif counter:
                value = _java_double(float(rng.randrange(0, 10 ** rng.randrange(1, 10))))
            else:
                value = repr(rng.random() * 10 ** rng.randrange(0, 4))
            lines.append(f'{name}{{source="s{i % 10}",route="/r/{i}",}} {value}\n')
    return "".join(lines).encode()


def _java_double(value: float) -> str:
    """Double.toString's spelling for the values above: plain below 10^7, else d.dddE7."""
    if value < 1e7:
        return repr(value)
    digits = repr(value / 10 ** (len(str(int(value))) - 1))
    return f"{digits}E{len(str(int(value))) - 1}"


def _serve(nodes: int, series: int, bodies: int) -> None:
    """The node side, run in its own process: ``nodes`` servers, printing their ports."""
    pool = [synthetic_exposition(series, seed=k) for k in range(bodies)]
    servers = []
    for _ in range(nodes):
        served = [0]

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            count = served

            def do_GET(self):  # noqa: N802
                body = pool[self.count[0] % len(pool)]
                self.count[0] += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin


def _timed(fn) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def _stats(samples: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples)
    return {
        "mean_ms": statistics.fmean(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))],
    }


def run(nodes: int = 10, series: int = 5000, rounds: int = 20) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lavametrics.devtools.bench_merge", "--serve", str(nodes), str(series), str(rounds + 3)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    assert proc.stdin is not None and proc.stdout is not None  # both are pipes
    try:
        ports = proc.stdout.readline().split()
        if len(ports) != nodes:
            raise RuntimeError("the benchmark's node servers did not start")
        specs = [
            NodeSpec(f"n{i}", f"http://127.0.0.1:{p}", "pw", f"http://127.0.0.1:{p}/metrics")
            for i, p in enumerate(ports)
        ]
        result: dict[str, Any] = {
            "nodes": nodes,
            "series_per_node": series,
            "rounds": rounds,
            "bytes_per_node": len(synthetic_exposition(series, seed=0)),
        }
        for path in ("lines", "objects"):
            collector = NodeMetricsCollector(specs, timeout=30)
            if path == "objects":
                for relabeller in collector._relabellers.values():
                    relabeller.families = lambda text: None  # type: ignore[method-assign]  # off: objects only
            try:
                render(collector.collect())  # warm up connections, layouts, caches
                full, full_cpu, fetch_merge = [], [], []
                for _ in range(rounds):
                    wall, cpu = _timed(lambda c=collector: render(c.collect()))
                    full.append(wall)
                    full_cpu.append(cpu)
                    fetch_merge.append(_timed(collector.collect)[0])
                result[path] = {
                    "full_scrape": _stats(full),
                    "full_scrape_cpu": _stats(full_cpu),
                    "fetch_and_merge": _stats(fetch_merge),
                }
            finally:
                collector.close()
        collector = NodeMetricsCollector(specs, timeout=30)
        try:
            parsed = [NodeResult(s.name, scrape(s.metrics_url, timeout=30).families, up=True) for s in specs]
            result["samples_per_scrape"] = sum(len(f.samples) for r in parsed for f in r.families)
            merge_only = []
            for _ in range(rounds):
                # fresh lists, so that the merge relabels as for a changed exposition
                fresh = [NodeResult(r.name, list(r.families), up=True) for r in parsed]
                merge_only.append(_timed(lambda f=fresh: collector.merge(f))[0])
            result["merge_only_objects"] = _stats(merge_only)
        finally:
            collector.close()
        return result
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def main(argv=None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--serve":
        _serve(*(int(a) for a in sys.argv[2:5]))
        return 0
    ap = argparse.ArgumentParser(prog="python -m lavametrics.devtools.bench_merge")
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--series", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    a = ap.parse_args(argv)
    r = run(a.nodes, a.series, a.rounds)
    if a.json:
        print(json.dumps(r, indent=2))
        return 0
    print(
        f"{r['nodes']} nodes x {r['series_per_node']} series ({r['samples_per_scrape']} samples, "
        f"{r['bytes_per_node'] // 1024} KiB per node, new values every scrape), {r['rounds']} rounds"
    )

    def line(label, s):
        print(f"{label:<52} median {s['median_ms']:7.1f} ms   p95 {s['p95_ms']:7.1f} ms")

    for path in ("lines", "objects"):
        line(f"full scrape, {path} path (wall):", r[path]["full_scrape"])
        line(f"full scrape, {path} path (CPU of this process):", r[path]["full_scrape_cpu"])
        line(f"fetch + merge, no rendering, {path} path (wall):", r[path]["fetch_and_merge"])
    line("merge step only, parsed input (objects):", r["merge_only_objects"])
    ratio = r["objects"]["full_scrape_cpu"]["median_ms"] / r["lines"]["full_scrape_cpu"]["median_ms"]
    print(f"lines path: {ratio:.1f}x less CPU per full scrape than the objects path")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
