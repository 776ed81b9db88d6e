"""The PNG renderer draws what Grafana would, from a real Prometheus scraping a target that goes away.

A small exporter stands in for a node (the families the node dashboard reads); Prometheus
scrapes it every second; the exporter stops for a while and comes back. Prometheus marks the
target's series stale during the outage, so Grafana (``spanNulls: false``) shows gaps there;
the renderer must too, and must colour the stat and state panels by their mappings.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lavametrics.devtools.node import free_port
from lavametrics.devtools.stack import Daemon, http_ok
from lavametrics.mixin import render
from lavametrics.mixin.config import MixinConfig, Timings
from tests.conftest import require, require_tool

pytestmark = pytest.mark.integration

# two-second scrapes: the outage below is six scrape intervals long, as a 2-minute one is eight at
# 15 s; one scrape lost to a busy machine is no gap (the renderer breaks after GAP_STEPS steps)
SCRAPE = 2.0
C = MixinConfig(timings=Timings(scrape_interval="2s", scrape_timeout="2s", evaluation_interval="2s"))
OUTAGE = 12.0
EXPOSITION = """\
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 3.0e8
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.7e9
# TYPE lavalink_uptime_milliseconds gauge
lavalink_uptime_milliseconds 3600000
# TYPE lavametrics_registration_conflicts gauge
lavametrics_registration_conflicts 0
# TYPE lavametrics_collector_errors_total counter
lavametrics_collector_errors_total{collector="frames"} 0
"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = EXPOSITION.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve(port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def outage(tmp_path_factory):
    """A Prometheus holding a node that was up, down for OUTAGE seconds, then up again."""
    prometheus = require_tool("prometheus")
    require(importlib.util.find_spec("matplotlib") is not None, "matplotlib (pip install -e '.[dev]')")
    root = tmp_path_factory.mktemp("render")
    target_port, prom_port = free_port(), free_port()
    (root / "prometheus.yml").write_text(
        "global: {scrape_interval: 2s, scrape_timeout: 2s}\n"
        "scrape_configs:\n"
        "  - job_name: lavalink\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{target_port}'], labels: {{node: node-a}}}}]\n"
    )
    server = _serve(target_port)
    daemon = Daemon(
        "prometheus",
        [
            prometheus,
            "--config.file=prometheus.yml",
            "--storage.tsdb.path=data",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
        root,
        root / "prometheus.log",
    ).start()
    url = f"http://127.0.0.1:{prom_port}"
    try:
        deadline = time.monotonic() + 60
        while not http_ok(f"{url}/-/ready"):
            assert time.monotonic() < deadline and daemon.running(), daemon.tail()
            time.sleep(0.3)
        time.sleep(12)
        server.shutdown()
        server.server_close()
        down_at = time.time()
        time.sleep(OUTAGE)
        up_at = time.time()
        server = _serve(target_port)
        time.sleep(10)
        yield url, down_at, up_at, root
    finally:
        server.shutdown()
        server.server_close()
        daemon.stop()


def _panel(report: dict, title: str) -> dict:
    (panel,) = [p for d in report["dashboards"] for p in d["panels"] if p["title"] == title]
    return panel


def test_lines_break_where_the_node_was_down(outage):
    url, down_at, up_at, root = outage
    report = render.render_all(C, url, root / "after", minutes=0.75, uids=("lavametrics-nodes",))
    ((series,),) = [_panel(report, "Process memory")["series"]]
    assert series["name"] == "node-a resident"
    first, second = series["segments"]
    # the line stops at the last good scrape and starts again at the first one after the outage
    # (query_range's points are on the step grid: the last one before the outage may still hold
    # a sample until the next, failing, scrape marks it stale)
    assert down_at - 2 * SCRAPE - 0.5 <= first[1] <= down_at + SCRAPE + 0.5, (down_at, series)
    assert up_at - 0.5 <= second[0] <= up_at + 2 * SCRAPE + 0.5, (up_at, series)
    assert second[0] - first[1] >= OUTAGE - SCRAPE, series
    # a failed scrape's duration is a gap, not the short time a refused connection takes
    ((scrape,),) = [_panel(report, "Scrape duration")["series"]]
    assert len(scrape["segments"]) == 2, scrape
    raw = render.query_range(url, 'scrape_duration_seconds{job="lavalink"}', report["start"], report["end"], SCRAPE)
    points = [(float(t), float(v)) for t, v in raw[0]["values"]]
    # what the panel would show without `up == 1`: the refused scrapes' short durations, no gap
    assert len(render.segments(points, render.GAP_STEPS * SCRAPE)) == 1


def test_up_is_coloured_by_its_mapping_now_and_over_time(outage):
    url, down_at, up_at, root = outage
    after = render.render_all(C, url, root / "after", minutes=0.75, uids=("lavametrics-nodes",))
    ((stat,),) = [_panel(after, "Node up")["series"]]
    assert (stat["text"], stat["color"]) == ("UP", render.NAMED_COLORS["green"])
    during = render.render_all(
        C, url, root / "during", minutes=0.5, now=down_at + OUTAGE / 2, uids=("lavametrics-nodes",)
    )
    ((stat,),) = [_panel(during, "Node up")["series"]]
    assert (stat["text"], stat["color"]) == ("DOWN", render.NAMED_COLORS["red"])
    ((timeline,),) = [_panel(after, "Node up over time")["series"]]
    states = [(s["text"], s["color"]) for s in timeline["states"]]
    assert ("DOWN", render.NAMED_COLORS["red"]) in states and states[-1] == ("UP", render.NAMED_COLORS["green"])
    down = next(s for s in timeline["states"] if s["text"] == "DOWN")
    assert down["to"] - down["from"] >= OUTAGE - 2 * SCRAPE, down


def test_one_picture_per_dashboard_with_thresholds_and_colours(outage):
    import matplotlib.image

    url, _, _, root = outage
    report = render.render_all(C, url, root / "all", minutes=0.75)
    assert [Path(d["file"]).name for d in report["dashboards"]] == [
        "lavametrics-commands.png",
        "lavametrics-playback.png",
        "lavametrics-nodes.png",
    ]
    ((conflicts,),) = [_panel(report, "Collector errors and registration conflicts")["thresholds"]]
    assert conflicts == {"value": 1, "color": render.NAMED_COLORS["red"], "mode": "line"}
    image = matplotlib.image.imread(report["dashboards"][2]["file"])
    rgb = (image[:, :, :3] * 255).round().astype(int)

    def has(color: str) -> bool:
        r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
        return bool(((abs(rgb[:, :, 0] - r) < 6) & (abs(rgb[:, :, 1] - g) < 6) & (abs(rgb[:, :, 2] - b) < 6)).any())

    assert has(render.NAMED_COLORS["green"]) and has(render.NAMED_COLORS["red"])
