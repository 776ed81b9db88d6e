"""Property: whatever valid families nodes expose, the merge keeps every sample exactly."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from lavametrics.monitor.merge import merged_registry
from lavametrics.monitor.nodesfile import NodeSpec
from tests.unit.fakenode import FakeNode

LABEL_NAMES = st.lists(st.sampled_from(["a", "b", "node", "path"]), unique=True, max_size=3)
LABEL_VALUES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
VALUE = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def family(draw, index):
    kind = draw(st.sampled_from(["gauge", "counter", "histogram"]))
    name = f"m{index}_" + draw(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)).rstrip("_")
    labels = draw(LABEL_NAMES)
    series = draw(st.lists(st.tuples(*[LABEL_VALUES for _ in labels]), unique=True, max_size=4))
    if kind == "gauge":
        fam = GaugeMetricFamily(name, "help", labels=labels)
        for values in series:
            fam.add_metric(list(values), draw(VALUE))
    elif kind == "counter":
        fam = CounterMetricFamily(name, "help", labels=labels)
        for values in series:
            fam.add_metric(list(values), draw(st.floats(min_value=0, max_value=1e12)))
    else:
        fam = HistogramMetricFamily(name, "help", labels=labels)
        bounds = sorted(set(draw(st.lists(st.floats(min_value=-1e6, max_value=1e6), max_size=3))))
        for values in series:
            counts = sorted(draw(st.lists(st.integers(0, 1000), min_size=len(bounds) + 1, max_size=len(bounds) + 1)))
            buckets = [(repr(b) if b != int(b) else f"{b:.1f}", c) for b, c in zip(bounds, counts)] + [
                ("+Inf", counts[-1])
            ]
            fam.add_metric(list(values), buckets, float(draw(st.integers(0, 10**6))))
    return fam


@st.composite
def exposition(draw):
    n = draw(st.integers(0, 5))
    return [draw(family(i)) for i in range(n)]


class _Static:
    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


def render(families) -> str:
    reg = CollectorRegistry()
    reg.register(_Static(families))
    return generate_latest(reg).decode()


def parse_samples(text):
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.fixture(scope="module")
def nodes():
    made = [FakeNode(), FakeNode()]
    yield made
    for n in made:
        n.stop()


def expected_for(text, node_name):
    out = {}
    for (name, labels), value in parse_samples(text).items():
        labels = dict(labels)
        if "node" in labels:
            labels["exported_node"] = labels.pop("node")
        labels["node"] = node_name
        out[(name, tuple(sorted(labels.items())))] = value
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=exposition(), b=exposition())
def test_merge_keeps_every_sample(nodes, a, b):
    texts = [render(a), render(b)]
    specs = []
    for name, node, text in zip(("na", "nb"), nodes, texts):
        node.metrics_text = text + '# TYPE lavametrics_info gauge\nlavametrics_info{version="t"} 1\n'
        specs.append(NodeSpec(name, node.url, node.password, node.metrics_url))
    merged = parse_samples(generate_latest(merged_registry(specs, timeout=5)).decode())
    for name, text in zip(("na", "nb"), texts):
        for key, value in expected_for(text, name).items():
            # both nodes may generate the same family name with different types: the second is
            # dropped and counted, which the conflict gauge must show
            if key not in merged:
                assert merged[("lavametrics_merge_type_conflicts", (("node", name),))] >= 1, key
                continue
            got = merged[key]
            assert got == value or (math.isnan(got) and math.isnan(value)), key
        assert merged[("lavametrics_node_up", (("node", name),))] == 1
