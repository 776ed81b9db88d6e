"""bench_scale end to end at a tiny N: the load generator, the backfill, the real Prometheus with
the shipped rules and the generated scrape config, and every dashboard query."""

from __future__ import annotations

import pytest

from lavametrics.devtools import bench_scale
from tests.conftest import require_tool


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    require_tool("prometheus")
    require_tool("promtool")
    # a short warm-up: the recording rules read the backfilled history, so one evaluation after
    # the first scrapes records every series; one run of each query is enough to see them answer
    return bench_scale.sweep(
        [1, 3],
        warmup=5.0,
        repeats=1,
        max_samples=150_000,
        workdir=tmp_path_factory.mktemp("bench-scale"),
        progress=lambda msg: None,
    )


def test_series_grow_with_the_nodes(report):
    one, three = report["results"]
    assert (one["nodes"], three["nodes"]) == (1, 3)
    # two more nodes' worth of series, at least (recorded series come on top)
    assert three["head_series"] - one["head_series"] >= 2 * one["series_per_node"]
    assert one["head_series"] >= one["series_per_node"] + one["series_per_bot"]
    assert three["rss_bytes"] > 0 and three["heap_inuse_bytes"] > 0


def test_every_dashboard_query_answers_with_data(report):
    for result in report["results"]:
        queries = result["queries"]
        assert len(queries) >= 90  # every target of the three generated dashboards
        empty = [
            f"{q['dashboard']}: {q['panel']}: {q['expr']}" for q in queries if not q["series"] and not q["optional"]
        ]
        assert not empty, f"N={result['nodes']}: queries that returned nothing:\n" + "\n".join(empty)
        assert all(q["p95_s"] > 0 for q in queries)


def test_the_recorded_series_the_dashboards_read_have_history(report):
    for result in report["results"]:
        assert {
            "job_command:bot_command_duration_seconds_bucket:rate5m",
            "node:lavametrics_frames_lost:rate5m",
            "node:lavametrics_frames_expected:rate5m",
        } <= set(result["recorded_backfilled"])
        assert result["slowest_rules"] and all(r["seconds"] >= 0 for r in result["slowest_rules"])


def test_counters_advance_through_history_and_live_scrapes(report):
    for result in report["results"]:
        first, middle, now = result["frames_sent_over_history"]
        assert 0 < first < middle < now, result["frames_sent_over_history"]
        assert result["counter_increase"] > 0
        assert result["backfill_samples"] > 0


def test_every_rule_group_was_evaluated_and_timed(report):
    for result in report["results"]:
        groups = result["rule_groups"]
        assert {"lavametrics-node.rules", "lavametrics-node.alerts", "lavametrics-slo.rules"} <= groups.keys()
        assert all(g["interval_s"] for g in groups.values())
        assert result["rule_eval_max_s"] > 0
        assert result["rule_eval_sum_s"] >= result["rule_eval_max_s"]
    assert report["largest_n_within_10pct"] in (1, 3, None)
    assert "N nodes" in bench_scale.format_table(report)
