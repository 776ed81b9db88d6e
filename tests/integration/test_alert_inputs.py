"""Every counter series an alert takes increase() of exists at 0 before its first event.

``increase()`` needs two samples: a series born at 1 by its first event hides that event, so an
alert counting "more than 3 in 10 minutes" would need 5. The counters and the label values each
rule reads come from the generated rules themselves; the series are read from a real node with
the plugin (before any event, and after one track start for the per-source families) and from a
real ``BotMetrics`` registry.
"""

from __future__ import annotations

import itertools
import re

import pytest
from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics
from lavametrics.config.catalog import load_catalog
from lavametrics.devtools.wavgen import write_tone
from lavametrics.lavalink.session import LavalinkSession
from lavametrics.mixin import promql, rules
from lavametrics.mixin.config import MixinConfig
from tests.samples import scrape, wait_until

pytestmark = pytest.mark.integration

C = MixinConfig()
CATALOG = load_catalog()
# (family, label) pairs an alert reads whose series cannot exist before their first event, each with
# the reason; a fold value ("other") exists once something outside the catalog has been seen.
BORN_WITH_FIRST_EVENT = {
    ("lavametrics_track_starts_total", "source"): (
        "no event before a source's first start tells the source exists; the track-problem alert reads "
        "starts only as its denominator, where a missed first start errs towards paging"
    ),
}
# the families the plugin creates per source, with the source's first track start
PER_SOURCE = {
    "lavametrics_track_ends_total",
    "lavametrics_track_exceptions_total",
    "lavametrics_track_stuck_total",
    "lavametrics_track_failures_total",  # its refusal causes, which LavalinkSourceRefused reads
}


def _rule_exprs() -> list[str]:
    recorded = [r["expr"] for g in rules.recording_file(C)["groups"] for r in g["rules"]]
    return recorded + [a.expr for a in rules.alerts(C)]


def _counters_read() -> dict[str, list[tuple[tuple[str, str, str], ...]]]:
    """Counter sample name -> the matcher sets rules select it with (job/instance matchers dropped)."""
    counters = {}
    for family in CATALOG.families:
        for sample in family.sample_names:
            if family.type == "counter" or sample.endswith(("_bucket", "_count")):
                counters[sample] = family
    out: dict[str, list] = {}
    for expr in _rule_exprs():
        for sel in promql.selectors(expr):
            is_bot = (
                sel.name is not None
                and sel.name.startswith("bot_")
                and sel.name.endswith(("_total", "_bucket", "_count"))
            )
            if sel.name in counters or is_bot:
                own = tuple(m for m in sel.matchers if m[0] not in ("job", "instance"))
                out.setdefault(sel.name, []).append(own)
    return out


def _selected_values(values: tuple[str, ...], op: str, pattern: str) -> tuple[str, ...]:
    anchored = re.compile(f"^(?:{pattern})$")
    if op == "=":
        return tuple(v for v in values if v == pattern)
    if op == "!=":
        return tuple(v for v in values if v != pattern)
    if op == "=~":
        return tuple(v for v in values if anchored.match(v))
    return tuple(v for v in values if not anchored.match(v))


def _combinations(family, matchers) -> list[dict[str, str]]:
    """Every catalog label combination of the family that the matchers select (folds left out)."""
    axes = []
    for label in family.labels:
        values = tuple(v for v in (label.values or ()) if v != "other")
        for name, op, pattern in matchers:
            if name == label.name:
                values = _selected_values(values, op, pattern)
        axes.append([(label.name, v) for v in values])
    return [dict(combo) for combo in itertools.product(*axes)]


def test_the_rules_read_the_counters_this_test_checks():
    read = _counters_read()
    # if a rule stops reading one of these the test is still right, but say so: it guards nothing then
    assert {
        "lavametrics_voice_closes_total",
        "lavametrics_loads_total",
        "lavametrics_track_exceptions_total",
        "lavametrics_track_stuck_total",
        "bot_lavalink_node_events_total",
        "bot_commands_total",
    } <= set(read), sorted(read)


@pytest.fixture(scope="module")
def node(node_factory):
    return node_factory(plugin=True)


def test_plugin_counters_read_by_alerts_start_at_zero(node, tmp_path):
    before = scrape(node.metrics_url)
    read = {n: m for n, m in _counters_read().items() if not n.startswith("bot_")}
    missing = []
    per_source = {}
    for name, matcher_sets in read.items():
        family = CATALOG.family(name if name.endswith("_total") else name.rsplit("_", 1)[0])
        if name in PER_SOURCE:
            per_source[name] = (family, matcher_sets)
            continue
        for matchers in matcher_sets:
            for combo in _combinations(family, matchers):
                if any((family.name, label) in BORN_WITH_FIRST_EVENT for label in combo):
                    continue
                if name.endswith("_bucket"):
                    continue  # a histogram's buckets come with its _count, checked beside
                key = (name, tuple(sorted(combo.items())))
                if before.get(key) != 0:
                    missing.append(f"{name}{combo}: {before.get(key, 'absent')} before any event")
    # the per-source families come with the source's first track start: play one, nothing else
    wav = write_tone(tmp_path / "tone.wav", seconds=1)
    with LavalinkSession(node.url, node.password) as session:
        session.play(4001, str(wav))
        session.wait_event("TrackStartEvent")
        after = wait_until(
            node.metrics_url, lambda s: ("lavametrics_track_stuck_total", (("source", "local"),)) in s, timeout=10
        )
    for name, (family, matcher_sets) in per_source.items():
        for matchers in matcher_sets:
            for combo in _combinations(family, matchers):
                if combo.get("source") != "local":
                    continue
                key = (name, tuple(sorted(combo.items())))
                if after.get(key) != 0:
                    missing.append(f"{name}{combo}: {after.get(key, 'absent')} after the source's first start")
    assert not missing, "counters an alert reads that do not start at 0:\n" + "\n".join(missing)


def test_bot_counters_read_by_alerts_start_at_zero():
    reg = CollectorRegistry()
    declared = BotMetrics(reg, commands=["play"], nodes=["eu-1"])
    undeclared = BotMetrics(CollectorRegistry(), commands=["play"])
    undeclared.node_event("us-1", "connected")  # a node the bot did not declare: known from its first event
    missing = []
    for name, matcher_sets in _counters_read().items():
        if not name.startswith("bot_"):
            continue
        for matchers in matcher_sets:
            labels = {n: v for n, op, v in matchers if op == "="}
            for metrics, extra in ((declared, {"node": "eu-1"}), (undeclared, {"node": "us-1"})):
                if name == "bot_lavalink_node_events_total":
                    labels_here = {**labels, **extra}
                else:
                    labels_here = {**labels, "command": "play"}
                    if name.endswith("_bucket"):
                        labels_here.setdefault("le", "+Inf")
                    if name == "bot_commands_total" and "outcome" not in labels_here:
                        labels_here["outcome"] = "error"
                value = metrics.registry.get_sample_value(name, labels_here)
                if value != 0:
                    missing.append(f"{name}{labels_here}: {value}")
    assert not missing, "bot counters an alert reads that do not start at 0:\n" + "\n".join(missing)
