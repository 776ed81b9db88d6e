"""Every family this project exports is seen: on a panel, in a rule, or reference-only for a reason.

A family nobody charts or alerts on is either a gap in the dashboards (the issue that made
this check found queue depth, REST latency and the bot's voice closes that way) or kept for
ad-hoc queries on purpose. The second kind is listed here, once, with the reason; the test
suite fails on a family that is neither seen nor listed, and on a listed one that is seen
(the entry is stale) or no longer exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from lavametrics.mixin import dashboards, grafana, promql, rules
from lavametrics.mixin.config import MixinConfig
from lavametrics.monitor import merge
from tests import metricnames


@dataclass(frozen=True)
class ReferenceOnly:
    families: tuple[str, ...]
    reason: str


REFERENCE_ONLY = (
    ReferenceOnly(
        merge.STATS_NAMES,
        "lavametrics serve's copies of /v4/stats, only for a node in fallback (its metrics endpoint "
        "failed or has no plugin): the same values as the lavalink_* core gauges the panels chart; "
        "the node dashboard shows which node is in fallback (lavametrics_node_stats_fallback), "
        "and these are there to query for it",
    ),
    ReferenceOnly(
        ("lavametrics_route_planner_info",),
        "the route planner's class (always 1): a fact to look up while following the "
        "LavalinkRoutePlannerExhausted runbook, not a quantity to chart; the route planner panels "
        "chart its block size, failing addresses and bans",
    ),
)


def reference_only() -> dict[str, str]:
    """Family name -> why no panel or rule reads it."""
    return {name: entry.reason for entry in REFERENCE_ONLY for name in entry.families}


def selected_names(c: MixinConfig) -> dict[str, set[str]]:
    """Metric name -> where it is selected: "rule <name>" or "panel <dashboard uid>: <title>"."""
    seen: dict[str, set[str]] = {}
    for f in (rules.recording_file(c), rules.alerts_file(c)):
        for g in f["groups"]:
            for r in g["rules"]:
                for n in promql.metric_names(r["expr"]):
                    seen.setdefault(n, set()).add(f"rule {r.get('record') or r['alert']}")
    for d in dashboards.all_dashboards(c):
        for p in grafana.panels_of(d):
            for t in p.targets:
                for n in promql.metric_names(t.expr):
                    seen.setdefault(n, set()).add(f"panel {d.uid}: {p.title}")
    return seen


def unseen(c: MixinConfig) -> list[metricnames.Family]:
    """Families (plugin catalog, BotMetrics, lavametrics serve) on no panel and in no rule."""
    seen = selected_names(c)
    return [f for f in metricnames.own_families() if not any(s in seen for s in f.samples)]
