"""The merge against real nodes: one with the plugin, one without, side by side."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest

from lavametrics.monitor.merge import merged_registry
from lavametrics.monitor.nodesfile import NodeSpec
from tests.samples import parse

pytestmark = pytest.mark.integration


def samples(registry):
    return parse(generate_latest(registry).decode())


def test_plugin_and_bare_node_merged(plugin_node, bare_node):
    bot = CollectorRegistry()
    Counter("bot_commands", "commands", registry=bot).inc()
    nodes = [
        NodeSpec("with-plugin", plugin_node.url, plugin_node.password, plugin_node.metrics_url),
        NodeSpec("bare", bare_node.url, bare_node.password, bare_node.metrics_url),
    ]
    s = samples(merged_registry(nodes, bot, timeout=10))

    assert s[("lavametrics_node_up", (("node", "with-plugin"),))] == 1
    assert s[("lavametrics_node_up", (("node", "bare"),))] == 1
    assert s[("lavametrics_node_stats_fallback", (("node", "with-plugin"),))] == 0
    assert s[("lavametrics_node_stats_fallback", (("node", "bare"),))] == 1
    assert s[("bot_commands_total", ())] == 1
    # the plugin's families carry the node label of the node they came from
    info = [k for k in s if k[0] == "lavametrics_info"]
    assert info and all(dict(k[1])["node"] == "with-plugin" for k in info)
    # the bare node is covered by /v4/stats gauges, and only it
    assert ("lavametrics_node_stats_players", (("node", "bare"),)) in s
    assert ("lavametrics_node_stats_uptime_seconds", (("node", "bare"),)) in s
    assert not any(k[0] == "lavametrics_node_stats_players" and dict(k[1])["node"] == "with-plugin" for k in s)
    # nothing was dropped for a clash between the two nodes (core families agree in type)
    assert s[("lavametrics_merge_type_conflicts", (("node", "bare"),))] == 0
