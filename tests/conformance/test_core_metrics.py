"""Lavalink core's own /metrics: the families the plugin shares an endpoint (and a registry) with.

Sources at 4.1.2 / 4.2.2: LavalinkServer/src/main/java/lavalink/server/metrics/ (LavalinkStatsCollector.kt,
GcNotificationListener.java, PrometheusMetrics.java with simpleclient's DefaultExports and logback
InstrumentedAppender, PrometheusMetricsController.java producing only the text format 0.0.4).
"""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conformance.rest import call
from tests.metricnames import LAVALINK_STATS

pytestmark = [pytest.mark.conformance, pytest.mark.integration]

# the one list of Lavalink core's stats gauges, shared with the mixin's name check
CORE_GAUGES = set(LAVALINK_STATS)
PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1"


@pytest.fixture(scope="module")
def families(node):
    answer = call(node, "GET", "/metrics", auth=None, headers={"Accept": PROMETHEUS_ACCEPT})
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4") or answer.headers[
        "content-type"
    ].startswith("text/plain;version=0.0.4"), answer.headers["content-type"]
    return {f.name: f for f in text_string_to_metric_families(answer.body)}


def test_core_gauges(families):
    for name in CORE_GAUGES:
        # the parser names a family without its _total suffix only for counters; these are gauges
        assert name in families and families[name].type == "gauge", name


def test_gc_pause_histogram(families):
    gc = families["lavalink_gc_pauses_seconds"]
    assert gc.type == "histogram"
    bounds = {s.labels["le"] for s in gc.samples if s.name.endswith("_bucket")}
    assert bounds == {"0.025", "0.05", "0.1", "0.2", "0.4", "0.8", "1.6", "+Inf"}


def test_logback_counter_by_level(families):
    logback = families["logback_appender"]  # the parser drops a counter's _total
    assert logback.type == "counter"
    levels = {s.labels["level"] for s in logback.samples if s.name == "logback_appender_total"}
    assert levels == {"trace", "debug", "info", "warn", "error"}
    assert sum(s.value for s in logback.samples if s.labels.get("level") == "info") > 0


def test_jvm_default_exports(families):
    for name in ("jvm_memory_bytes_used", "jvm_threads_current", "jvm_gc_collection_seconds", "process_cpu_seconds"):
        assert name in families, name


def test_only_the_text_format_is_served(node):
    # the controller produces text/plain 0.0.4 only: a client that takes nothing else gets 406
    answer = call(node, "GET", "/metrics", auth=None, headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert answer.status == 406


def test_name_filter(node):
    answer = call(node, "GET", "/metrics?name%5B%5D=lavalink_players_total", auth=None)
    names = {f.name for f in text_string_to_metric_families(answer.body)}
    assert names == {"lavalink_players_total"}, names
