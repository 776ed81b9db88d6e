"""The generated monitoring on Prometheus 3 with classic histograms converted to native ones.

Prometheus 3 can store a classic histogram as one native histogram with custom buckets
(`convert_classic_histograms_to_nhcb`). The rules and panels read the classic series (`_bucket`,
`_count`, `_sum`): converted alone, those series are not stored, and exactly what reads them goes
blind (the command latency alerts and SLO, the histogram panels). With
`always_scrape_classic_histograms` beside it both are stored, and every query answers as without
the conversion. One live stack per setting, on the 3.x server `.ci/prometheus3 --server` builds.
"""

from __future__ import annotations

import time

import pytest

from lavametrics.devtools.stack import PROMETHEUS_ENV, Stack
from lavametrics.mixin import dashboards, grafana, rules
from lavametrics.mixin.config import MixinConfig
from lavametrics.mixin.promql import metric_names
from tests import metricnames
from tests.conftest import prometheus3_dir, require
from tests.monitoring.test_live_stack import _query_range, _substitute, _wait_for_data, require_stack_parts

pytestmark = pytest.mark.integration

C = MixinConfig()
NHCB = {"convert_classic_histograms_to_nhcb": True}
SETTINGS = {"nhcb": NHCB, "nhcb+classic": {**NHCB, "always_scrape_classic_histograms": True}}


@pytest.fixture(scope="module", params=list(SETTINGS))
def stack(request, tmp_path_factory):
    server = prometheus3_dir() / "prometheus"
    require(
        server.is_file(), f"the Prometheus 3 server (`bash .ci/prometheus3 --server` builds it into {server.parent})"
    )
    require_stack_parts()
    s = Stack(
        tmp_path_factory.mktemp("stack3"),
        node_names=("node-a", "node-b"),
        guilds_per_node=5,
        fixed_ports=False,
        command_rate=4.0,
        prometheus_global=SETTINGS[request.param],
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PROMETHEUS_ENV, str(server))
        try:
            s.start()
            assert s.api("/api/v1/status/buildinfo")["version"].startswith("3."), "not the Prometheus 3 server"
            yield request.param, s
        finally:
            s.stop()


def _classic(histograms: set[str]) -> set[str]:
    return {f"{h}{suffix}" for h in histograms for suffix in ("_bucket", "_count", "_sum")}


def _classic_readers(histograms: set[str]) -> tuple[set[str], set[str]]:
    """The records and the non-optional panel queries that read a classic histogram's series,
    directly or through a record."""
    classic = _classic(histograms)
    records: set[str] = set()
    for group in rules.recording_file(C)["groups"]:
        for r in group["rules"]:
            if metric_names(r["expr"]) & (classic | records):
                records.add(r["record"])
    queries = {
        t.expr
        for d in dashboards.all_dashboards(C)
        for p in grafana.panels_of(d)
        for t in p.targets
        if not t.optional and metric_names(t.expr) & (classic | records)
    }
    return records, queries


def test_what_reads_classic_histograms_is_blind_without_them_and_only_that(stack):
    setting, s = stack
    for expr in ("rate(bot_commands_total[1m])", "rate(lavametrics_frames_sent_total[1m])"):
        assert _wait_for_data(s, expr, timeout=180), expr
    # the bot's command histogram, stored natively in both settings
    assert _wait_for_data(s, "histogram_count(rate(bot_command_duration_seconds[1m]))", timeout=60)
    metadata = s.api("/api/v1/metadata")
    histograms = {name for name, entries in metadata.items() if any(e["type"] == "histogram" for e in entries)}
    assert "bot_command_duration_seconds" in histograms, sorted(histograms)
    records, readers = _classic_readers(histograms)
    assert "job_command:bot_command_duration_seconds_bucket:rate5m" in records and readers
    time.sleep(20)  # the recording rules' next evaluations, over the rates now filled
    empty = set()
    for d in dashboards.all_dashboards(C):
        for p in grafana.panels_of(d):
            for t in p.targets:
                if not t.optional and not _wait_for_data(s, _substitute(t.expr), timeout=10):
                    empty.add(t.expr)
    # records of the 10s groups (the budget's 1m group needs the SLO period's history)
    # (and not those of Lavalink's development-branch metrics: no node in the stack exports them)
    frequent = {
        rule["record"]
        for g in rules.recording_file(C)["groups"]
        if "interval" not in g
        for rule in g["rules"]
        if not metric_names(rule["expr"]) & set(metricnames.LAVALINK_DEV)
    }
    recorded_empty = {r for r in frequent if not _query_range(s, r)}
    if setting == "nhcb":
        assert empty == readers, (sorted(empty - readers), sorted(readers - empty))
        assert recorded_empty == records & frequent, (sorted(recorded_empty), sorted(records & frequent))
        blind = sorted(a.name for a in rules.alerts(C) if metric_names(a.expr) & (records | _classic(histograms)))
        assert blind == ["BotCommandLatencyHigh", "BotCommandSLOFastBurn", "BotCommandSLOSlowBurn", "BotCommandsSlow"]
    else:
        assert empty == set() and recorded_empty == set(), (sorted(empty), sorted(recorded_empty))
