"""``lavametrics serve``: one HTTP endpoint exposing the merge of all nodes.

A plain ThreadingHTTPServer with prometheus_client's encoder choice (text or OpenMetrics
by Accept header). Each request triggers one merged scrape, bounded by the node timeout.
The plain 0.0.4 text format -- what Prometheus asks for by default -- is rendered by
``exposition_text`` (same bytes as ``generate_latest``, several times faster).
"""

from __future__ import annotations

import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client.exposition import choose_encoder, generate_latest
from prometheus_client.registry import CollectorRegistry

from . import exposition_text
from .merge import NodeMetricsCollector
from .nodesfile import NodeSpec

METRICS_PATH = "/metrics"


def make_handler(registry: CollectorRegistry, path: str = METRICS_PATH):
    class Handler(BaseHTTPRequestHandler):
        server_version = "lavametrics"

        def do_GET(self):  # noqa: N802 (http.server API)
            route = self.path.split("?", 1)[0]
            if route == path:
                encoder, ctype = choose_encoder(self.headers.get("Accept", ""))
                if encoder is generate_latest:  # not a partial with another escaping or format
                    encoder = _render_text
                try:
                    body = encoder(registry)
                    status = 200
                except Exception as exc:  # never let one bad family take the process down
                    body, status, ctype = f"lavametrics: merge failed: {exc}\n".encode(), 500, "text/plain"
            elif route in ("/", "/-/healthy"):
                body, status, ctype = f"lavametrics merge: see {path}\n".encode(), 200, "text/plain; charset=utf-8"
            else:
                body, status, ctype = b"not found\n", 404, "text/plain; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):  # scrapes every 15 s would flood stderr
            pass

    return Handler


def _render_text(registry: CollectorRegistry) -> bytes:
    return exposition_text.render(registry.collect())


def build(nodes: list[NodeSpec], host: str, port: int, timeout: float = 5.0):
    collector = NodeMetricsCollector(nodes, timeout=timeout)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    server = ThreadingHTTPServer((host, port), make_handler(registry))
    server.daemon_threads = True
    return server, collector


def serve(nodes: list[NodeSpec], host: str = "127.0.0.1", port: int = 9478, timeout: float = 5.0,
          ready=None) -> int:
    server, collector = build(nodes, host, port, timeout)

    def on_term(_signo, _frame):
        raise KeyboardInterrupt

    # SIGINT is set explicitly too: a process started in the background by a shell without
    # job control (`lavametrics serve &` in a script, many CI runners) inherits SIGINT
    # ignored, and Python then leaves it ignored, so Ctrl-C / kill -INT would never stop it.
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signo in (signal.SIGINT, signal.SIGTERM):
            previous[signo] = signal.signal(signo, on_term)
    if ready is not None:
        ready(server)
    print(f"lavametrics: serving {len(nodes)} node(s) on http://{host}:{server.server_address[1]}{METRICS_PATH}",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        collector.close()
        for signo, handler in previous.items():
            if handler is not None:  # None: set outside Python, nothing to put back
                signal.signal(signo, handler)
    return 0
