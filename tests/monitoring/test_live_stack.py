"""The generated monitoring against a live stack: real nodes, a bot, Prometheus and Alertmanager.

One stack for the module (it takes about 40 s to start): first every dashboard query must
answer with data, then faults are induced at once and each alert's way from fault to webhook
is timed with the production timings the mixin ships.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lavametrics.devtools import faults
from lavametrics.devtools.node import NodeError, find_plugin_jar, free_port, resolve_server_jar
from lavametrics.devtools.stack import Stack
from lavametrics.mixin import dashboards, grafana
from lavametrics.mixin.config import MixinConfig, duration_seconds
from lavametrics.mixin.panelqueries import substitute
from tests.conftest import require, require_tool

pytestmark = pytest.mark.integration

C = MixinConfig()
NODE_A, NODE_B = "node-a", "node-b"
PAGE_WITHIN = 120.0  # the target: a page within 2 minutes of the fault


def require_stack_parts() -> None:
    """What a stack needs besides Prometheus: Java, the jars, Alertmanager."""
    require_tool("java")
    require(
        bool(shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")),
        "the `alertmanager` (Debian: prometheus-alertmanager) command",
    )
    try:
        resolve_server_jar()
        find_plugin_jar()
    except NodeError as err:
        require(False, f"a Lavalink server and the plugin jar ({err})")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_tool("prometheus")
    require_stack_parts()
    s = Stack(
        tmp_path_factory.mktemp("stack"),
        node_names=(NODE_A, NODE_B),
        guilds_per_node=5,
        fixed_ports=False,
        command_rate=4.0,
        backfill_seconds=duration_seconds(C.slo.fast_windows[0]),
    )
    try:
        s.start()
        yield s
    finally:
        s.stop()


def _substitute(expr: str) -> str:
    return substitute(expr, C)


def _query_range(s: Stack, expr: str, seconds: float = 60) -> list[dict]:
    end = time.time()
    return s.api("/api/v1/query_range", query=expr, start=f"{end - seconds:.3f}", end=f"{end:.3f}", step="15s")[
        "result"
    ]


def _wait_for_data(s: Stack, expr: str, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        result = _query_range(s, expr)
        if result or time.monotonic() > deadline:
            return result
        time.sleep(2)


def test_every_dashboard_query_answers_with_data(stack):
    # rates need two scrapes inside $__rate_interval (the backfilled bot history does not count:
    # wait for series only live scrapes bring), the budget rule runs once a minute
    for expr in (
        "slo:playback_bad:ratio_rate5m",
        "rate(bot_lavalink_node_events_total[1m])",
        "rate(lavametrics_frames_sent_total[1m])",
    ):
        assert _wait_for_data(stack, expr, timeout=120), expr
    empty, checked = [], 0
    for d in dashboards.all_dashboards(C):
        for panel in grafana.panels_of(d):
            for target in panel.targets:
                expr = _substitute(target.expr)
                result = _wait_for_data(stack, expr, timeout=10)
                checked += 1
                if not result and not target.optional:
                    empty.append(f"{d.uid}: {panel.title}: {expr}")
    assert checked >= 40
    assert not empty, "queries that returned nothing:\n" + "\n".join(empty)


def test_budget_waits_for_a_full_period_of_history(stack):
    """An hour of history is not 30 days: the budget left is not recorded (the panel says it needs
    the history) rather than a number about a shorter window."""
    # the history rule runs once a minute, over the rates recorded since the rules were loaded
    history = _wait_for_data(stack, "slo:commands_history:ratio", timeout=180)
    assert history and all(0 < float(r["values"][-1][1]) < 0.1 for r in history), history
    assert _query_range(stack, "slo:commands_error_budget:remaining_ratio") == []


def test_dashboard_variables_list_the_stack(stack):
    for d in dashboards.all_dashboards(C):
        for var in d.variables:
            if var["type"] != "query":
                continue
            m = re.match(r"label_values\((.*), (\w+)\)$", var["query"]["query"])
            assert m, var["query"]["query"]
            match = _substitute(m.group(1))
            values = stack.api(f"/api/v1/label/{m.group(2)}/values", **{"match[]": match})
            expected = {
                "job": {"bot"} if d.uid == "lavametrics-commands" else {"lavalink"},
                "node": {NODE_A, NODE_B},
                "bot": {"bot"},
            }[var["name"]]
            assert set(values) == expected, (d.uid, var["name"], values)


def test_key_panels_show_the_traffic(stack):
    def value(expr):
        result = stack.api("/api/v1/query", query=_substitute(expr))["result"]
        return sum(float(r["value"][1]) for r in result if not math.isnan(float(r["value"][1])))

    players = 5 * 2

    def frames():
        return {
            kind: value(f'sum(rate(lavametrics_frames_{kind}_total{{job=~"$job"}}[$__rate_interval]))')
            for kind in ("sent", "nulled", "deficit")
        }

    # one frame per 20 ms per playing player is expected (a busy machine turns some into deficit);
    # rate() reads low until Prometheus' samples fill $__rate_interval, so poll until they do
    deadline = time.monotonic() + 90
    while not 0.8 * 50 * players <= sum((seen := frames()).values()) <= 1.2 * 50 * players:
        assert time.monotonic() < deadline, (seen, players)
        time.sleep(5)
    assert seen["sent"] > 0.25 * 50 * players, seen
    assert value('sum(rate(bot_commands_total{job=~"$job"}[$__rate_interval]))') > 1
    assert value('sum(lavametrics_players{job=~"$job", state="playing"})') == players


def test_render_draws_every_dashboard_as_one_png(stack, tmp_path):
    require(importlib.util.find_spec("matplotlib") is not None, "matplotlib (pip install -e '.[dev]')")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lavametrics.cli",
            "mixin",
            "render",
            "--prometheus",
            stack.prometheus_url,
            "--out",
            str(tmp_path),
            "--minutes",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    optional = {
        p.title
        for d in dashboards.all_dashboards(C)
        for p in grafana.panels_of(d)
        if all(t.optional for t in p.targets)
    }
    assert [d["uid"] for d in report["dashboards"]] == [d.uid for d in dashboards.all_dashboards(C)]
    for d in report["dashboards"]:
        # one picture per dashboard, every panel of it drawn
        png = Path(d["file"]).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50000, d["file"]
        assert len(d["panels"]) == len(
            grafana.panels_of(next(x for x in dashboards.all_dashboards(C) if x.uid == d["uid"]))
        )
        for p in d["panels"]:
            assert p["series"] or p["title"] in optional, f"{d['uid']}: {p['title']} drew no series"


def test_render_names_an_unreachable_prometheus(tmp_path):
    require(importlib.util.find_spec("matplotlib") is not None, "matplotlib (pip install -e '.[dev]')")
    port = free_port()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lavametrics.cli",
            "mixin",
            "render",
            "--prometheus",
            f"http://127.0.0.1:{port}",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"lavametrics: error: http://127.0.0.1:{port}: cannot reach Prometheus")
    assert proc.stderr.count("\n") == 1


def _alerts_firing(s: Stack) -> list[dict]:
    return [a for a in s.api("/api/v1/alerts")["alerts"] if a["state"] == "firing"]


def test_faults_page_within_two_minutes(stack, capsys):
    """Stop a node, drop voice connections, slow every command (lavametrics.devtools.faults, what
    `lavametrics stack fault` runs): each pages in time."""
    assert not [a for a in _alerts_firing(stack) if a["labels"]["severity"] == "critical"]
    # the burn-rate page reads an hour: the backfilled history makes it a full one, as in production
    long_window = C.slo.fast_windows[0]
    samples = stack.api(
        "/api/v1/query",
        query=f'count_over_time(bot_command_duration_seconds_count{{job="bot", command="play"}}[{long_window}])',
    )["result"]
    assert float(samples[0]["value"][1]) >= 0.95 * duration_seconds(long_window) / 15, samples
    # the faults `lavametrics stack fault` injects, at once, each with the page it should cause
    faults_at, expected = {}, {}
    for kind, params in (
        ("node-down", {"node": NODE_A}),
        ("voice-closes", {"node": NODE_B, "code": 4006, "count": 4}),
        ("slow-commands", {"seconds": 3.0}),
    ):
        since = time.monotonic()
        fault = faults.inject(stack, kind, **params)
        assert len(fault.expects) == 1, fault
        expected[fault.expects[0].alert] = fault.expects[0]
        faults_at[fault.expects[0].alert] = since
    assert set(expected) == {"LavalinkNodeDown", "LavalinkVoiceCloses", "BotCommandsSlow"}
    started = faults_at["LavalinkNodeDown"]
    latencies = {}
    for alert, since in faults_at.items():
        n = stack.webhook.wait_firing(
            alert,
            timeout=PAGE_WITHIN + 60 - (time.monotonic() - since),
            since=since,
            where=lambda a, e=expected[alert]: e.matches(a["labels"]),
        )
        latencies[alert] = None if n is None else round(n.received_monotonic - since, 1)
    (stack.root / "alert-latency.json").write_text(json.dumps(latencies, indent=2) + "\n")
    with capsys.disabled():
        print(
            "\nfault -> webhook (production timings):",
            ", ".join(f"{a} {'never' if s is None else f'{s:.1f}s'}" for a, s in latencies.items()),
        )
    late = {a: s for a, s in latencies.items() if s is None or s > PAGE_WITHIN}
    assert not late, f"alerts later than {PAGE_WITHIN:.0f}s (None: never): {late}; all: {latencies}"
    n = stack.webhook.first_firing(
        "LavalinkNodeDown", since=started, where=lambda a: expected["LavalinkNodeDown"].matches(a["labels"])
    )
    assert n.receiver == "pager" and n.alerts[0]["annotations"]["runbook_url"].endswith("#lavalinknodedown")
