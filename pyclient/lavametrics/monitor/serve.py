"""``lavametrics serve``: one HTTP endpoint exposing the merge of all nodes.

The merge (``monitor.merge.NodeMetricsCollector``) in a registry, served by the bounded
server every endpoint of ours uses (``lavametrics.http.server``: web configuration, fair
connection slots, one rendering shared by concurrent requests). Concurrent renderings share
one scrape round of every node too, so N Prometheus replicas cost one upstream scrape, not N.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
from typing import Any

from prometheus_client.registry import CollectorRegistry

from lavametrics.http.gate import WebConfigFile, WebGate
from lavametrics.http.server import DEFAULT_MAX_CONNECTIONS, METRICS_PATH, MetricsHTTPServer, make_handler
from lavametrics.httpfetch import MAX_BODY_BYTES
from lavametrics.monitor.merge import MAX_SERIES, NodeMetricsCollector
from lavametrics.monitor.nodesfile import NodeSpec

_SIZE = re.compile(r"(\d+)\s*(B|KiB|MiB|GiB)?")
_SIZE_UNITS = {None: 1, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def parse_size(text: str) -> int:
    """ "20MiB", "512KiB", "1048576" -> bytes; ValueError for anything else (or 0)."""
    m = _SIZE.fullmatch(text.strip())
    if m is None or int(m.group(1)) == 0:
        raise ValueError(text)
    return int(m.group(1)) * _SIZE_UNITS[m.group(2)]


def build(
    nodes: list[NodeSpec],
    host: str,
    port: int,
    timeout: float = 5.0,
    *,
    web: WebGate | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_series: int = MAX_SERIES,
):
    collector = NodeMetricsCollector(nodes, timeout=timeout, max_body_bytes=max_body_bytes, max_series=max_series)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    try:
        server = MetricsHTTPServer(
            (host, port), make_handler(registry, web=web), web=web, max_connections=max_connections
        )
    except BaseException:
        collector.close()
        raise
    return server, collector


def serve(
    nodes: list[NodeSpec],
    host: str = "127.0.0.1",
    port: int = 9478,
    timeout: float = 5.0,
    ready=None,
    *,
    web_config_file: str | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_series: int = MAX_SERIES,
) -> int:
    """Serve until SIGTERM or Ctrl-C. A bad ``web_config_file`` raises WebConfigError first."""
    web = WebConfigFile(web_config_file) if web_config_file else None
    server, collector = build(
        nodes,
        host,
        port,
        timeout,
        web=web,
        max_connections=max_connections,
        max_body_bytes=max_body_bytes,
        max_series=max_series,
    )

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
    security = f" ({web.describe()})" if web is not None else ""
    print(
        f"lavametrics: serving {len(nodes)} node(s) on {server.scheme}://{host}:{server.server_address[1]}"
        f"{METRICS_PATH}{security}",
        file=sys.stderr,
        flush=True,
    )
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
