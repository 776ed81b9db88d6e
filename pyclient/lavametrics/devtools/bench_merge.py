"""Benchmark of the merge: ``python -m lavametrics.devtools.bench_merge [--nodes 10] [--series 5000]``.

Serves synthetic expositions from local HTTP servers and times, per scrape:
fetch+parse+merge (what a scrape of ``lavametrics serve`` costs before rendering), the
merge step alone on already parsed families, and a full scrape including the text
rendering. Each server alternates between two bodies with different values, as real nodes'
counters and gauges move between scrapes, so nothing is served from the unchanged-body
cache; a last line measures that cache (every node returning the same body as before).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lavametrics.exposition import render as exposition_text
from lavametrics.monitor.collector import PLUGIN_MARKER, NodeMetricsCollector, NodeResult
from lavametrics.monitor.nodesfile import NodeSpec
from lavametrics.monitor.scrape import scrape


def synthetic_exposition(series: int, families: int = 50, offset: float = 0.0) -> bytes:
    """``series`` samples spread over ``families`` gauges and counters with two labels;
    ``offset`` is added to every value."""
    per = max(1, series // families)
    marker = PLUGIN_MARKER  # a node with the plugin, so the merge takes its families as they are
    lines = [f'# HELP {marker} Build information\n# TYPE {marker} gauge\n{marker}{{version="bench"}} 1\n']
    for f in range(families):
        counter = f % 2 == 0
        name = f"bench_family_{f}_total" if counter else f"bench_family_{f}"
        lines.append(f"# HELP {name} synthetic family {f}\n# TYPE {name} {'counter' if counter else 'gauge'}\n")
        for i in range(per):
            lines.append(f'{name}{{source="s{i % 10}",route="/r/{i}"}} {i * 1.5 + offset}\n')
    return "".join(lines).encode()


def _server(bodies: list[bytes]) -> ThreadingHTTPServer:
    served = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            body = bodies[served[0] % len(bodies)]
            served[0] += 1
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
    return srv


def _stats(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"mean {statistics.fmean(ms):7.1f} ms   p95 {p95:7.1f} ms"


def run(nodes: int = 10, series: int = 5000, rounds: int = 20) -> dict:
    changing = [synthetic_exposition(series), synthetic_exposition(series, offset=0.25)]
    servers = [_server(changing) for _ in range(nodes)]
    specs = [NodeSpec(f"n{i}", f"http://127.0.0.1:{s.server_address[1]}", "pw",
                      f"http://127.0.0.1:{s.server_address[1]}/metrics") for i, s in enumerate(servers)]
    collector = NodeMetricsCollector(specs, timeout=30)
    try:
        collector.collect()  # warm up connections and code paths
        full, merge_only, render, unchanged = [], [], [], []
        parsed = [NodeResult(s.name, scrape(s.metrics_url, timeout=30).families, up=True) for s in specs]
        samples_per_scrape = sum(len(f.samples) for r in parsed for f in r.families)
        for _ in range(rounds):
            t0 = time.perf_counter()
            collector.collect()
            full.append(time.perf_counter() - t0)
            # fresh lists, so that the merge relabels as for a changed exposition
            fresh = [NodeResult(r.name, list(r.families), up=True) for r in parsed]
            t0 = time.perf_counter()
            collector.merge(fresh)
            merge_only.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            exposition_text.render(collector.collect())
            render.append(time.perf_counter() - t0)
        changing[1] = changing[0]  # from now on every node repeats its last body
        collector.collect()
        for _ in range(rounds):
            t0 = time.perf_counter()
            exposition_text.render(collector.collect())
            unchanged.append(time.perf_counter() - t0)
        return {"nodes": nodes, "series_per_node": series, "samples_per_scrape": samples_per_scrape,
                "bytes_per_node": len(changing[0]), "rounds": rounds,
                "fetch_parse_merge": full, "merge_only": merge_only, "scrape_and_render": render,
                "unchanged_scrape_and_render": unchanged}
    finally:
        collector.close()
        for s in servers:
            s.shutdown()
            s.server_close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lavametrics.devtools.bench_merge")
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--series", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args(argv)
    r = run(a.nodes, a.series, a.rounds)
    print(f"{r['nodes']} nodes x {r['series_per_node']} series ({r['samples_per_scrape']} samples, "
          f"{r['bytes_per_node'] // 1024} KiB per node), {r['rounds']} rounds")
    print(f"merge step only (relabel + combine, parsed input): {_stats(r['merge_only'])}")
    print(f"fetch + parse + merge (HTTP over loopback):        {_stats(r['fetch_parse_merge'])}")
    print(f"full scrape incl. text rendering:                  {_stats(r['scrape_and_render'])}")
    print(f"full scrape, every node body unchanged (cached):   {_stats(r['unchanged_scrape_and_render'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
