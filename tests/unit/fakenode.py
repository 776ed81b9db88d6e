"""A fake Lavalink node on a loopback port: canned /version, /v4/info, /v4/stats, /metrics.

Behaviour is switched per test through attributes (status codes, hang, garbage, size), so
check/merge/cli can be driven through every failure mode without a JVM.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from lavametrics.config.catalog import load_catalog


def plugin_exposition(players=None, uptime_ms=None, catalog=None, collectors=None, extra="") -> str:
    """A valid exposition holding every catalog family, with players per state as given."""
    catalog = catalog or load_catalog(prefer_jar=False)
    players = players if players is not None else {"playing": 1, "paused": 0, "idle": 1}
    reg = CollectorRegistry()
    for fam in catalog.families:
        labels = list(fam.label_names)
        base = fam.name[: -len("_total")] if fam.type == "counter" else fam.name
        if fam.type == "counter":
            m = Counter(base, fam.help, labels, registry=reg)
        elif fam.type == "gauge":
            m = Gauge(base, fam.help, labels, registry=reg)
        else:
            m = Histogram(base, fam.help, labels, buckets=fam.buckets, registry=reg)
        if fam.name == "lavametrics_players":
            for state, n in players.items():
                m.labels(state).set(n)
            continue
        if fam.name == "lavametrics_info":
            m.labels("0.1.0").set(1)
            continue
        if fam.name == "lavametrics_config_valid":
            m.set(1)
            continue
        if fam.name == "lavametrics_collector_success":
            for c in collectors or [g.name for g in catalog.groups if g.default_enabled]:
                m.labels(c).set(1)
            continue
        if labels:
            first = [lb.values[0] if lb.values else "x" for lb in fam.labels]
            child = m.labels(*first)
            if fam.type == "histogram":
                child.observe(0.1)
            elif fam.type == "counter":
                child.inc()
        elif fam.type == "histogram":
            m.observe(0.1)
    text = generate_latest(reg).decode()
    if uptime_ms is not None:
        text += (
            "# HELP lavalink_uptime_milliseconds uptime\n# TYPE lavalink_uptime_milliseconds gauge\n"
            f"lavalink_uptime_milliseconds {uptime_ms}\n"
        )
    return text + extra


class FakeNode:
    def __init__(self, *, password="youshallnotpass", plugin=True, players=None, metrics_text=None, metrics_auth=None):
        self.password = password
        self.plugin = plugin
        self.players = players if players is not None else {"playing": 1, "paused": 0, "idle": 1}
        self.metrics_text = metrics_text  # None: generated from the catalog
        self.metrics_auth = metrics_auth  # ("basic", user, pw) | ("bearer", token) | None
        self.metrics_status = 200
        self.api_status = 200
        self.hang_seconds = 0.0  # sleep before answering /metrics
        self.hang_api_seconds = 0.0
        self.garbage = False  # answer everything with non-metrics bytes
        self.huge_bytes = 0  # stream this many bytes on /metrics
        self.route_planner: bool | None = None  # /v4/routeplanner/status: 200, 204 (none), None: 404
        self.started = time.monotonic()
        self.requests: list[str] = []
        self._stop = threading.Event()
        node = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _send(self, status, body: bytes, ctype="text/plain; version=0.0.4; charset=utf-8"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):  # noqa: N802
                node.requests.append(self.path)
                path = self.path.split("?")[0]
                if path == "/metrics":
                    return node._metrics(self)
                if node.hang_api_seconds:
                    node._stop.wait(node.hang_api_seconds)
                if node.garbage:
                    return self._send(200, b"\x00\x01<html>garbage", "text/html")
                auth = self.headers.get("Authorization")
                if auth is None:
                    return self._send(401, b'{"status":401}', "application/json")
                if auth != node.password:
                    return self._send(403, b'{"status":403}', "application/json")
                if node.api_status != 200:
                    return self._send(node.api_status, b'{"error":"boom"}', "application/json")
                if path == "/version":
                    return self._send(200, b"4.0.8", "text/plain")
                if path == "/v4/info":
                    return self._send(200, json.dumps(node.info()).encode(), "application/json")
                if path == "/v4/stats":
                    return self._send(200, json.dumps(node.stats()).encode(), "application/json")
                if path == "/v4/routeplanner/status" and node.route_planner is not None:
                    if not node.route_planner:
                        return self._send(204, b"", "application/json")
                    return self._send(200, b'{"class":"RotatingIpRoutePlanner","details":{}}', "application/json")
                return self._send(404, b"{}", "application/json")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def metrics_url(self) -> str:
        return self.url + "/metrics"

    def uptime_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000) + 1

    def info(self) -> dict:
        plugins = (
            [{"name": "lavametrics", "version": "0.1.0"}]
            if self.plugin
            else [{"name": "other-plugin", "version": "1.0"}]
        )
        return {
            "version": {"semver": "4.0.8", "major": 4, "minor": 0, "patch": 8},
            "buildTime": 0,
            "jvm": "17",
            "lavaplayer": "2.2.1",
            "sourceManagers": ["http", "local"],
            "filters": [],
            "plugins": plugins,
        }

    def stats(self) -> dict:
        return {
            "players": sum(self.players.values()),
            "playingPlayers": self.players.get("playing", 0),
            "uptime": self.uptime_ms(),
            "memory": {"free": 100, "used": 200, "allocated": 300, "reservable": 400},
            "cpu": {"cores": 2, "systemLoad": 0.5, "lavalinkLoad": 0.25},
            "frameStats": None,
        }

    def exposition(self) -> str:
        if self.metrics_text is not None:
            return self.metrics_text
        if not self.plugin:
            return (
                f"# HELP lavalink_players_total players\n# TYPE lavalink_players_total gauge\n"
                f"lavalink_players_total {sum(self.players.values())}\n"
                f"# HELP lavalink_uptime_milliseconds uptime\n# TYPE lavalink_uptime_milliseconds gauge\n"
                f"lavalink_uptime_milliseconds {self.uptime_ms()}\n"
            )
        return plugin_exposition(self.players, self.uptime_ms())

    def _authorized(self, header) -> bool:
        if self.metrics_auth is None:
            return True
        if self.metrics_auth[0] == "bearer":
            return header == f"Bearer {self.metrics_auth[1]}"
        token = base64.b64encode(f"{self.metrics_auth[1]}:{self.metrics_auth[2]}".encode()).decode()
        return header == f"Basic {token}"

    def _metrics(self, h) -> None:
        if self.hang_seconds:
            self._stop.wait(self.hang_seconds)
        if self.garbage:
            return h._send(200, b"<html><body>not metrics</body></html>", "text/html")
        if not self._authorized(h.headers.get("Authorization")):
            return h._send(401, b"unauthorized\n", "text/plain")
        if self.metrics_status != 200:
            return h._send(self.metrics_status, b"error\n", "text/plain")
        if self.huge_bytes:
            h.send_response(200)
            h.send_header("Content-Type", "text/plain; version=0.0.4")
            h.end_headers()  # no Content-Length: the client must cap while reading
            line = b"# " + b"x" * 1022 + b"\n"
            try:
                for _ in range(self.huge_bytes // len(line) + 1):
                    h.wfile.write(line)
            except (BrokenPipeError, ConnectionResetError):
                pass
            h.close_connection = True
            return
        h._send(200, self.exposition().encode())

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
