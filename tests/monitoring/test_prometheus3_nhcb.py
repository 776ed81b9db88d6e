"""The generated monitoring on Prometheus 3 with classic histograms converted to native ones.

Prometheus 3 can store a classic histogram as one native histogram with custom buckets
(`convert_classic_histograms_to_nhcb`). The rules and panels read the classic series (`_bucket`,
`_count`, `_sum`): converted alone, those series are not stored, and exactly what reads them goes
blind (the command latency alerts and SLO, the histogram panels; measured once and listed in
docs/compat.md). With `always_scrape_classic_histograms` beside it, the setting the guide
recommends, both are stored and every query answers as without the conversion: this test runs
that on a live stack, on the 3.x server `.ci/prometheus3 --server` builds.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from lavametrics.devtools.stack import PROMETHEUS_ENV, Stack
from lavametrics.mixin import dashboards, grafana, rules
from lavametrics.mixin.config import MixinConfig
from lavametrics.mixin.promql import metric_names
from tests.conftest import prometheus3_dir, require
from tests.monitoring.test_live_stack import _query_range, _substitute, _wait_for_data, require_stack_parts

pytestmark = pytest.mark.integration

C = MixinConfig()
NHCB_WITH_CLASSIC = {"convert_classic_histograms_to_nhcb": True, "always_scrape_classic_histograms": True}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
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
        prometheus_global=NHCB_WITH_CLASSIC,
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PROMETHEUS_ENV, str(server))
        try:
            s.start()
            assert s.api("/api/v1/status/buildinfo")["version"].startswith("3."), "not the Prometheus 3 server"
            yield s
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


def _rule_groups_evaluated_after(s: Stack, since: float, timeout: float) -> bool:
    """Every rule group that runs every scrape has evaluated since ``since`` (a Unix time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        groups = [g for g in s.api("/api/v1/rules")["groups"] if g["interval"] < 60]
        done = [g for g in groups if g.get("lastEvaluation", "").startswith("2") and _unix(g["lastEvaluation"]) > since]
        if groups and len(done) == len(groups):
            return True
        time.sleep(1)
    return False


def _unix(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def test_with_classic_series_kept_every_histogram_reader_answers(stack):
    s = stack
    for expr in ("rate(bot_commands_total[1m])", "rate(lavametrics_frames_sent_total[1m])"):
        assert _wait_for_data(s, expr, timeout=180), expr
    # the bot's command histogram, stored natively
    assert _wait_for_data(s, "histogram_count(rate(bot_command_duration_seconds[1m]))", timeout=60)
    metadata = s.api("/api/v1/metadata")
    histograms = {name for name, entries in metadata.items() if any(e["type"] == "histogram" for e in entries)}
    assert "bot_command_duration_seconds" in histograms, sorted(histograms)
    records, readers = _classic_readers(histograms)
    # not vacuous: records and panels do read the classic series
    assert "job_command:bot_command_duration_seconds_bucket:rate5m" in records and readers
    # the recording rules' next evaluations, over the rates now filled
    assert _rule_groups_evaluated_after(s, time.time(), timeout=60)
    empty = set()
    for d in dashboards.all_dashboards(C):
        for p in grafana.panels_of(d):
            for t in p.targets:
                if not t.optional and not _wait_for_data(s, _substitute(t.expr), timeout=10):
                    empty.add(t.expr)
    # records of the per-scrape groups (the budget's 1m group needs the SLO period's history)
    frequent = {rule["record"] for g in rules.recording_file(C)["groups"] if "interval" not in g for rule in g["rules"]}
    recorded_empty = {r for r in frequent if not _query_range(s, r)}
    assert empty == set() and recorded_empty == set(), (sorted(empty), sorted(recorded_empty))
