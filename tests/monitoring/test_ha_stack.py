"""The HA topology under faults: a Prometheus pair, a two-member Alertmanager cluster, VictoriaMetrics.

One stack for the module (`lavametrics stack up --topology ha`'s, with short timings so the
whole module takes a few minutes): the dashboards' queries answer the same series from
VictoriaMetrics as from Prometheus, vmalert loads the same rule files, and then one incident
(a frozen node) goes through a dead Prometheus replica, a dead Alertmanager member and a
VictoriaMetrics restart and still pages once and resolves once, losing no sample.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import replace

import pytest

from lavametrics.devtools.hastack import HAStack
from lavametrics.devtools.node import NodeError, find_plugin_jar, resolve_server_jar
from lavametrics.devtools.webhook import Notification, WebhookReceiver
from lavametrics.mixin import dashboards, grafana
from lavametrics.mixin.config import MixinConfig, Thresholds, Timings, duration_seconds
from lavametrics.mixin.panelqueries import substitute
from tests.conftest import require, require_tool

pytestmark = pytest.mark.integration

# production's shape, three to five times faster: 2 s scrapes and evaluations, a node is down after 10 s
# of failed scrapes, the second cluster member waits 5 s for the first's page
C = MixinConfig(
    timings=replace(
        Timings(),
        scrape_interval="2s",
        scrape_timeout="2s",
        evaluation_interval="2s",
        group_wait_critical="1s",
        group_wait_warning="5s",
        group_interval="10s",
        group_interval_critical="5s",
    ),
    thresholds=replace(Thresholds(), node_down_for="10s"),
)
PEER_TIMEOUT = "5s"
NODE = "node-1"
INTERVAL = duration_seconds(C.timings.scrape_interval)
DOWN = "LavalinkNodeDown"
# the slowest way a page takes here: the node's scrapes time out (2 s) for node_down_for (10 s),
# an evaluation (2 s), group_wait, the surviving member's peer timeout (5 s): under 30 s on a
# quiet machine; the rest is for a busy one
PAGE_WITHIN = 120.0


@pytest.fixture(scope="module")
def ha(tmp_path_factory):
    require_tool("prometheus")
    require_tool("java")
    require_tool("victoria-metrics")
    require_tool("vmalert")
    require(
        bool(shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")),
        "the `alertmanager` (Debian: prometheus-alertmanager) command",
    )
    try:
        resolve_server_jar()
        find_plugin_jar()
    except NodeError as err:
        require(False, f"a Lavalink server and the plugin jar ({err})")
    s = HAStack(
        tmp_path_factory.mktemp("ha"),
        node_names=(NODE,),
        guilds_per_node=3,
        config=C,
        command_rate=4.0,
        peer_timeout=PEER_TIMEOUT,
    )
    try:
        s.start(timeout=300)
        yield s
    finally:
        node = s.nodes.get(NODE)
        if node is not None and node.process is not None and node.process.poll() is None:
            os.kill(node.process.pid, signal.SIGCONT)  # never leave a frozen JVM behind
        s.stop()


def _wait(what: str, probe, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout:.0f}s: {what}"
        time.sleep(every)


def _answer(s: HAStack, daemon: str, expr: str, at: float) -> dict[frozenset, str]:
    """The query's series (label set -> value) at ``at``."""
    result = s.api_of(daemon, "/api/v1/query", query=expr, time=f"{at:.3f}")["result"]
    return {frozenset(r["metric"].items()): r["value"][1] for r in result}


def _series(s: HAStack, daemon: str, expr: str, at: float) -> set[frozenset]:
    return set(_answer(s, daemon, expr, at))


def _export(s: HAStack, match: str, start: float, end: float) -> dict[frozenset, dict[int, str]]:
    """VictoriaMetrics' stored samples of the series ``match`` selects: series -> {ms: value}."""
    query = urllib.parse.urlencode({"match[]": match, "start": f"{start:.3f}", "end": f"{end:.3f}"})
    with urllib.request.urlopen(f"{s.victoria_url}/api/v1/export?{query}", timeout=30) as resp:
        lines = resp.read().decode().splitlines()
    out = {}
    for line in lines:
        row = json.loads(line)
        # values as text: a staleness marker is NaN, which no float equals
        out[frozenset(row["metric"].items())] = dict(zip(row["timestamps"], map(str, row["values"])))
    return out


def _lost(before: dict[int, str], after: dict[int, str]) -> list[int]:
    """The -dedup.minScrapeInterval intervals that held a sample ``before`` and hold none
    ``after``. Deduplication keeps one of the pair's samples per interval, and which one can
    change: an export before a merge may hold only the replica whose sample arrived first (the
    other's still in its queue), the merged data the other's. So a lost sample is a lost
    interval, and the comparison is by interval, not by timestamp and value."""
    step = int(INTERVAL * 1000)
    kept = {ts // step for ts in after}
    return sorted({ts // step * step for ts in before if ts // step not in kept})


def test_victoria_metrics_answers_the_dashboards_with_prometheus_series(ha):
    # a steady state: every target scraped at least eight times in ten intervals by the replica
    # (a rate over a panel's window needs two samples in it on Prometheus)
    window = f"{10 * INTERVAL:g}s"
    _wait(
        "eight scrapes of every target",
        lambda: (
            _series(ha, "prometheus-b", f"count_over_time(up[{window}]) >= 8", time.time())
            and not _series(ha, "prometheus-b", f"count_over_time(up[{window}]) < 8", time.time())
        ),
        120,
    )
    at = time.time() - 5
    # the pair's samples arrive deduplicated: no replica label, one sample per scrape interval
    names = _series(ha, "victoria-metrics", 'count by (__name__) ({__name__=~".+", replica=~".+"})', at)
    assert not names, f"series kept the replica label in VictoriaMetrics: {names}"
    up = _export(ha, 'up{job="bot"}', at - 20, at)
    assert len(up) == 1, up.keys()
    (samples,) = up.values()
    assert len(samples) <= 20 / INTERVAL + 2, f"not deduplicated: {len(samples)} samples in 20 s"
    # every panel query of the generated dashboards: the same series from both engines
    checked, answered, nan_only, differ = 0, 0, 0, []
    for d in dashboards.all_dashboards(C):
        for panel in grafana.panels_of(d):
            for target in panel.targets:
                expr = substitute(target.expr, C)
                prom = _answer(ha, "prometheus-b", expr, at)
                vm = _series(ha, "victoria-metrics", expr, at)
                # MetricsQL's documented differences, both only where Prometheus answers NaN (a
                # 0/0 ratio, a quantile of a histogram that saw nothing in the window): it leaves
                # NaN out of an answer, and its rate() counts the increase since the sample just
                # before the window, so a rare event there is a number to it
                defined = {k for k, v in prom.items() if v != "NaN"}
                checked += 1
                answered += bool(defined)
                nan_only += len(prom) - len(defined)
                if not defined <= vm <= set(prom):
                    only_prom = sorted(map(str, map(dict, defined - vm)))[:3]
                    only_vm = sorted(map(str, map(dict, vm - set(prom))))[:3]
                    differ.append(
                        f"{d.uid}: {panel.title}: {expr}\n  only Prometheus: {only_prom}\n  only VM: {only_vm}"
                    )
    print(f"panel queries: {checked} checked, {answered} with data, {nan_only} NaN series, {len(differ)} differ")
    assert checked >= 40 and answered >= 20, (checked, answered)
    assert not differ, "panel queries whose series differ:\n" + "\n".join(differ)


def test_vmalert_loads_and_evaluates_every_rule_of_the_rule_files(ha):
    prom_groups = ha.api_of("prometheus-b", "/api/v1/rules")["groups"]

    def vmalert_groups():
        groups = ha.api_of("vmalert", "/api/v1/rules")["groups"]
        evaluated = all(not r.get("lastEvaluation", "").startswith("0001") for g in groups for r in g["rules"])
        return evaluated and groups

    # every rule once evaluated (the budget group runs once a minute)
    groups = _wait("every vmalert rule evaluated", vmalert_groups, 150, every=2)
    assert sorted(g["name"] for g in groups) == sorted(g["name"] for g in prom_groups)
    assert sorted(r["name"] for g in groups for r in g["rules"]) == sorted(
        r["name"] for g in prom_groups for r in g["rules"]
    )
    errors = [f"{r['name']}: {r['lastError']}" for g in groups for r in g["rules"] if r.get("lastError")]
    assert not errors, errors


def _count(notifications: list[Notification], status: str, alertname: str) -> int:
    """Notifications that tell the alert as ``status``, by the alert's own status: a group's
    notification is "firing" while any of its alerts fires, and may carry this one resolved
    (the node's other alert, inhibited while it was down, fires on after it came back)."""
    return sum(
        1
        for n in notifications
        if any(a["labels"].get("alertname") == alertname and a.get("status") == status for a in n.alerts)
    )


def _pages(hook: WebhookReceiver, status: str) -> int:
    return _count(list(hook.notifications), status, DOWN)


def _alert_state(s: HAStack, daemon: str) -> str:
    alerts = s.api_of(daemon, "/api/v1/alerts")["alerts"]
    return next((a["state"] for a in alerts if a["labels"].get("alertname") == DOWN), "")


def _position(s: HAStack, member: str) -> int:
    """The member's place in the cluster: 0 notifies first, 1 waits the peer timeout."""
    with urllib.request.urlopen(f"{s.url_of(member)}/api/v2/status", timeout=10) as resp:
        cluster = json.loads(resp.read())["cluster"]
    assert cluster["status"] == "ready" and len(cluster["peers"]) == 2, cluster
    return sorted(p["name"] for p in cluster["peers"]).index(cluster["name"])


def test_one_page_through_a_dead_replica_a_dead_member_and_a_store_restart(ha, capsys):
    hook, shadow = ha.webhook, ha.vmalert_webhook
    assert hook is not None and shadow is not None
    node = ha.nodes[NODE].process
    assert node is not None
    first_member = next(m for m in ("alertmanager-a", "alertmanager-b") if _position(ha, m) == 0)
    before = time.time() - 30  # samples written before the restart: their last half minute
    os.kill(node.pid, signal.SIGSTOP)  # the incident: the node hangs, every scrape times out
    fault = time.monotonic()
    try:
        # mid-incident, the alert pending on both replicas: one of them dies
        _wait("pending on both replicas", lambda: all(_alert_state(ha, f"prometheus-{r}") for r in "ab"), PAGE_WITHIN)
        ha.kill("prometheus-a")
        _wait("the page", lambda: _pages(hook, "firing"), PAGE_WITHIN)
        paged = time.monotonic() - fault
        _wait("vmalert's page", lambda: _count(list(shadow.notifications), "firing", DOWN), PAGE_WITHIN)
        shadow_paged = time.monotonic() - fault
        # both members up: the second finds the first's page in the gossiped notification log and
        # stays quiet (it would send after its peer timeout)
        time.sleep(duration_seconds(PEER_TIMEOUT) + 2 * INTERVAL)
        assert _pages(hook, "firing") == 1, list(hook.notifications)
        # then the member that paged dies (not sooner: killed within a second of its page, it took
        # the log entry with it in one run, and the other paged again 5 s later); the survivor
        # must tell the resolution, once
        ha.kill(first_member)
        restart_at = time.time()
        written = _export(ha, '{job=~"lavalink|bot"}', before, restart_at - 5)
        assert written and all(written.values())
        restart = time.monotonic()
        ha.restart_victoria(time.monotonic() + 120)
        restarted = time.monotonic() - restart
        back = time.time()
    finally:
        os.kill(node.pid, signal.SIGCONT)
    thawed = time.monotonic()
    _wait("the resolution", lambda: _pages(hook, "resolved"), PAGE_WITHIN)
    resolved = time.monotonic() - thawed
    # what a second notification of either would wait: group_interval and the peer timeout
    time.sleep(duration_seconds(C.timings.group_interval_critical) + duration_seconds(PEER_TIMEOUT) + 2 * INTERVAL)
    notes = list(hook.notifications)
    assert (_count(notes, "firing", DOWN), _count(notes, "resolved", DOWN)) == (1, 1), notes
    identical = Counter(
        (n.receiver, n.status, json.dumps(sorted((a["status"], sorted(a["labels"].items())) for a in n.alerts)))
        for n in notes
    )
    assert all(c == 1 for c in identical.values()), f"duplicate notifications: {identical}"
    # nothing written before the restart is lost, and what the pair scraped while the store was
    # down arrived after it (remote_write retries from the WAL)
    after = _export(ha, '{job=~"lavalink|bot"}', before, restart_at - 5)
    lost = {k: _lost(v, after.get(k, {})) for k, v in written.items()}
    assert not any(lost.values()), {dict(k).get("__name__"): sorted(v)[:3] for k, v in lost.items() if v}

    def bot_up() -> list[int]:
        (samples,) = _export(ha, 'up{job="bot"}', before, time.time()).values()
        return sorted(samples)

    # samples scraped two intervals after the store came back: the queue has caught up to them
    stamps = _wait("samples after the restart", lambda: (t := bot_up())[-1] > (back + 2 * INTERVAL) * 1000 and t, 60)
    gap = max(b - a for a, b in zip(stamps, stamps[1:])) / 1000
    assert gap <= 2.5 * INTERVAL, f"a {gap:.1f}s hole in the bot's up around the restart"
    with capsys.disabled():
        print(
            f"\nHA: fault -> page {paged:.1f}s (replica a killed while pending), vmalert's page {shadow_paged:.1f}s; "
            f"{first_member} killed after it paged; VictoriaMetrics restarted in {restarted:.1f}s; "
            f"thaw -> resolved {resolved:.1f}s (from the member left); notifications {len(notes)} "
            f"(vmalert's: {len(shadow.notifications)}), "
            f"{sum(map(len, written.values()))} samples of {len(written)} series kept; largest gap {gap:.1f}s"
        )
