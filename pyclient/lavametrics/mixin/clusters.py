"""Several clusters in one Prometheus (or one remote store), told apart by a label.

Off by default (``clusters.label: ''``): the generated files are then exactly the one-cluster
ones. Set (kubernetes-mixin's clusterLabel / showMultiCluster), it is applied to what the rule
and dashboard builders make, so no expression has to remember it:

- rules: every aggregation keeps the label (``sum by (job)`` -> ``sum by (cluster, job)``, a
  bare ``sum (...)`` -> ``sum by (cluster) (...)``) and every join matches on it (``on (job)``
  -> ``on (cluster, job)``). An alert then names one cluster, and a ratio is one cluster's,
  never the average of a failing and a healthy one. ``absent()`` cannot keep a label, so the
  one alert made of it has a per-cluster form in rules.py;
- dashboards: a ``cluster`` variable (one cluster at a time, like kubernetes-mixin) and
  ``cluster="$cluster"`` in every selector of every query and variable.

ruletests runs every rule test again with two clusters (clustered_case).
"""

from __future__ import annotations

import re
from dataclasses import replace

from lavametrics.mixin.config import MixinConfig
from lavametrics.mixin.grafana import Dashboard, Panel, query_variable
from lavametrics.mixin.promql import with_grouping_label, with_matcher

VARIABLE = "cluster"  # the dashboards' variable, whatever the label is called


def rule_expr(c: MixinConfig, expr: str) -> str:
    return with_grouping_label(expr, c.clusters.label) if c.clusters.label else expr


def recording_rule(c: MixinConfig, rule: dict) -> dict:
    return {**rule, "expr": rule_expr(c, rule["expr"])} if c.clusters.label else rule


_LABEL_VALUES = re.compile(r"^(\s*label_values\(\s*)(.+?)(\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*)$")


def _variable_query(query: str, matcher: str) -> str:
    m = _LABEL_VALUES.match(query)
    if m:
        return m.group(1) + with_matcher(m.group(2), matcher) + m.group(3)
    return with_matcher(query, matcher)


def dashboard(c: MixinConfig, d: Dashboard) -> Dashboard:
    label = c.clusters.label
    if not label:
        return d
    matcher = f'{label}="${VARIABLE}"'
    variables = []
    for v in d.variables:
        if v.get("type") == "query":
            q = _variable_query(v["definition"], matcher)
            v = {**v, "definition": q, "query": {**v["query"], "query": q}}
        variables.append(v)
    cluster = {
        **query_variable(VARIABLE, "Cluster", f"label_values(up, {label})", include_all=False),
        # one cluster at a time: the panels sum over what the selectors match
        "multi": False,
        "current": {},
    }
    variables.insert(1 if variables and variables[0].get("type") == "datasource" else 0, cluster)
    panels: list[Panel | str] = [
        p
        if isinstance(p, str)
        else replace(p, targets=tuple(replace(t, expr=with_matcher(t.expr, matcher)) for t in p.targets))
        for p in d.panels
    ]
    return replace(d, variables=variables, panels=panels, alerts_expr=with_matcher(d.alerts_expr, matcher))
