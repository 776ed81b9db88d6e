"""The multi-cluster mixin (clusters.label): off, nothing changes; on, no alert mixes clusters.

On, every rule test runs again with its input in one cluster beside a healthy, busier twin of
each node and bot in another (ruletests.clustered_case), under both promtools; and the same
tests fail when the rules lose the cluster label from their aggregations and joins, so they
are what proves it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from lavametrics.mixin import build, dashboards, rules, ruletests
from lavametrics.mixin.config import MixinConfig, MixinConfigError, from_mapping
from lavametrics.mixin.grafana import panels_of
from lavametrics.mixin.promql import selectors, with_grouping_label, with_matcher
from lavametrics.mixin.ruletests import FAILING_CLUSTER
from tests.conftest import require_promtool

ROOT = Path(__file__).resolve().parents[2]
LABEL = "cluster"
ON = from_mapping({"clusters": {"label": LABEL}})


def _write(c: MixinConfig, out: Path) -> Path:
    for rel, text in build.files(c).items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return out / "prometheus"


def _promtool_test(promtool: str, prom: Path) -> subprocess.CompletedProcess:
    files = sorted(str(p) for p in (prom / "tests").glob("*.yml"))
    assert len(files) == len(ruletests.suites(MixinConfig()))  # one file per suite the mixin writes
    # the SLO suites evaluate days of windows, twice the series: minutes on a busy machine
    return subprocess.run(
        [promtool, "test", "rules", *files], cwd=prom / "tests", capture_output=True, text=True, timeout=1800
    )


def test_off_by_default_changes_no_generated_byte():
    assert MixinConfig().clusters.label == ""
    assert build.files(from_mapping({"clusters": {"label": ""}})) == build.files(MixinConfig())
    for rel, text in build.files(MixinConfig()).items():
        assert (ROOT / "monitoring" / rel).read_text() == text, rel


@pytest.mark.parametrize("bad", ["le", "job", "1x", "__cluster", "a-b", "region x"])
def test_a_label_the_rules_use_or_no_label_name_is_refused(bad):
    with pytest.raises(MixinConfigError, match="clusters.label"):
        from_mapping({"clusters": {"label": bad}})


def test_every_aggregation_keeps_the_label_and_every_join_matches_on_it():
    for group in [*rules.recording_file(ON)["groups"], *rules.alerts_file(ON)["groups"]]:
        for rule in group["rules"]:
            expr = rule["expr"]
            assert "absent(" not in expr, rule  # absent() keeps no label
            for m in re.finditer(r"\b(by|on) \(([^)]*)\)", expr):
                assert LABEL in [x.strip() for x in m.group(2).split(",")], (m.group(0), rule)
            assert not re.search(r"\b(sum|max|min|avg|count|group) \(", expr), rule  # no bare aggregation
            assert with_grouping_label(expr, LABEL) == expr  # nothing left to add


def test_every_dashboard_selects_one_cluster():
    for d in dashboards.all_dashboards(ON):
        names = [v["name"] for v in d.variables]
        assert names[:2] == ["datasource", "cluster"], (d.uid, names)
        cluster = d.variables[1]
        assert cluster["multi"] is False and cluster["includeAll"] is False
        assert cluster["definition"] == f"label_values(up, {LABEL})"
        exprs = [t.expr for p in panels_of(d) for t in p.targets]
        exprs += [v["definition"].partition("(")[2].rpartition(",")[0] for v in d.variables[2:] if v["type"] == "query"]
        exprs.append(d.alerts_expr)
        for expr in exprs:
            for sel in selectors(expr):
                assert sel.matcher(LABEL) == ("=", "$cluster"), (d.uid, expr)
        # the generated JSON carries them
        text = build.files(ON)[f"grafana/dashboards/{d.uid}.json"]
        assert text.count('cluster=\\"$cluster\\"') >= len(exprs)
        assert json.loads(text)["templating"]["list"][1]["name"] == "cluster"


def test_with_matcher_reaches_every_kind_of_selector():
    expr = 'sum by (job) (rate(x{a="b"}[5m])) / y + {__name__="z"} + w{}'
    got = with_matcher(expr, 'c="$c"')
    assert got == 'sum by (job) (rate(x{c="$c", a="b"}[5m])) / y{c="$c"} + {c="$c", __name__="z"} + w{c="$c"}'


def test_every_rule_test_passes_again_with_two_clusters(tmp_path):
    # under Prometheus 3, what multi-cluster operators run; the one-cluster suites run under both
    # (test_promtool.py), and the mutation test below runs these under 2.42: a minute each
    promtool = require_promtool("3")
    prom = _write(ON, tmp_path)
    text = (prom / "tests" / "node-alerts.yml").read_text()
    assert f'{LABEL}="{FAILING_CLUSTER}"' in text and "healthy]" in text
    proc = _promtool_test(promtool, prom)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert proc.stdout.count("SUCCESS") == len(ruletests.suites(MixinConfig())), proc.stdout


def _unclustered(expr: str) -> str:
    """``expr`` as if the mixin forgot the cluster: every by/on list without it."""
    expr = re.sub(rf"\b(by|on) \({LABEL}, ", r"\1 (", expr)
    return re.sub(rf"\b(by|on) \({LABEL}\) ?", "", expr)


def test_the_two_cluster_tests_catch_rules_that_mix_clusters(tmp_path):
    """Without the cluster in their aggregations and joins, every alert that has one fails a
    case: the failing cluster's problem diluted by (or joined with) the healthy one's series."""
    promtool = require_promtool("2")
    prom = _write(ON, tmp_path)
    # the alerts that aggregate or join (the others compare one series with a number)
    mixing = {a.name for a in rules.alerts(ON) if re.search(rf"\b(by|on) \({LABEL}\b", a.expr)}
    for path in (prom / "rules").glob("*.yml"):
        path.write_text(_unclustered(path.read_text()))
    proc = _promtool_test(promtool, prom)
    assert proc.returncode != 0
    failed = set(re.findall(r"alertname: (\w+),", proc.stdout + proc.stderr))
    assert mixing and mixing <= failed, sorted(mixing - failed)
