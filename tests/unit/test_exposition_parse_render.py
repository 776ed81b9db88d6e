"""The fast text-format parser and renderer must agree exactly with prometheus_client's."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample, Timestamp

from lavametrics.devtools.bench_merge import synthetic_exposition
from lavametrics.exposition.parse import ParseError, _parse_text_fast, _Unsupported, parse
from lavametrics.exposition.render import render


def same_value(a, b):
    return type(a) is type(b) and (a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b)))


def assert_same_families(got, want):
    assert [(f.name, f.type, f.documentation, f.unit) for f in got] == [
        (f.name, f.type, f.documentation, f.unit) for f in want
    ]
    for g, w in zip(got, want):
        assert len(g.samples) == len(w.samples), g.name
        for gs, ws in zip(g.samples, w.samples):
            assert (gs.name, gs.labels, gs.timestamp, gs.exemplar, gs.native_histogram) == (
                ws.name,
                ws.labels,
                ws.timestamp,
                ws.exemplar,
                ws.native_histogram,
            )
            assert same_value(gs.value, ws.value), (gs, ws)
            assert same_value(gs.timestamp, ws.timestamp) or gs.timestamp is None is ws.timestamp


def check_against_prometheus_client(text):
    try:
        want = list(text_string_to_metric_families(text))
    except Exception:
        want = None
    if want is None or text.lstrip()[:1] in ("<", "{", "["):  # parse() also rejects web pages/JSON
        with pytest.raises(ParseError):
            parse(text)
        return None
    assert_same_families(parse(text), want)
    try:  # the fast path on its own must agree too whenever it accepts the body
        fast = _parse_text_fast(text)
    except _Unsupported:
        return False
    assert_same_families(fast, want)
    return True


NAMES = st.sampled_from(["a", "a_total", "a_count", "a_sum", "a_bucket", "a_created", "b", "b_total", "x:y"])
LABEL_NAME = st.sampled_from(["l", "le", "quantile", "node", "_x", "__r", "l2"])
LABEL_VALUE = st.text(st.sampled_from(["a", "\\", '"', "\n", "}", "{", ",", "=", " ", "é", "#"]), max_size=6)
VALUE = st.sampled_from(
    [
        "0",
        "-0",
        "1",
        "+7",
        "1.5",
        "-2.25e3",
        "1e3",
        ".5",
        "5.",
        "NaN",
        "+Inf",
        "-Inf",
        "Inf",
        "1.0E-4",
        "123456789012345678901",
        "1_0",
        "nan",
        "0x1",
        "12345678901234567",
    ]
)


def _escape(v):
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


@st.composite
def sample_line(draw):
    name = draw(NAMES)
    pairs = draw(st.lists(st.tuples(LABEL_NAME, LABEL_VALUE), max_size=3))
    labels = ""
    if pairs or draw(st.booleans()):
        body = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
        if pairs and draw(st.booleans()):
            body += ","  # simpleclient's trailing comma
        labels = "{" + body + "}"
    line = f"{name}{labels} {draw(VALUE)}"
    if draw(st.integers(0, 4)) == 0:
        line += " " + draw(st.sampled_from(["1700000000000", "-5", "1.5"]))
    return line


@st.composite
def comment_line(draw):
    kind = draw(st.sampled_from(["HELP", "TYPE", "other"]))
    name = draw(NAMES)
    if kind == "HELP":
        return f"# HELP {name} " + draw(st.text(st.sampled_from(["h", " ", "\\", "n", '"']), max_size=6))
    if kind == "TYPE":
        return f"# TYPE {name} " + draw(
            st.sampled_from(["counter", "gauge", "histogram", "summary", "untyped", "info", "bogus"])
        )
    return draw(st.sampled_from(["# a comment", "#", "# HELP", "#\tTYPE a gauge"]))


RAW_LINE = st.sampled_from(
    ["", "   ", "a  1", "a{} 1", 'a{l="1"}1', '{__name__="a"} 1', "a 1 2 3", "a\t1", 'a{l="1"} 1 # {t="x"} 1']
)
LINE = st.one_of(sample_line(), comment_line(), RAW_LINE)


@settings(max_examples=400, deadline=None)
@given(st.lists(LINE, max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_parse_matches_prometheus_client(lines, newline):
    check_against_prometheus_client(newline.join(lines) + newline)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(sample_line(), comment_line()).filter(lambda line: "bogus" not in line), max_size=12))
def test_parse_of_valid_lines_matches_prometheus_client(lines):
    check_against_prometheus_client("\n".join(lines) + "\n")


SIMPLECLIENT = """\
# HELP lavalink_players_total Players
# TYPE lavalink_players_total counter
lavalink_players_total{source="youtube",} 3.0
# HELP lavalink_players_created Players
# TYPE lavalink_players_created gauge
lavalink_players_created{source="youtube",} 1.7000000001E9
# HELP lat_seconds Latency
# TYPE lat_seconds histogram
lat_seconds_bucket{le="0.1",} 1.0
lat_seconds_bucket{le="+Inf",} 2.0
lat_seconds_count 2.0
lat_seconds_sum 0.35
# TYPE q summary
q{quantile="0.5"} NaN
q_count 0
q_sum -0
# TYPE g gauge
g{path="a\\\\b\\"c\\nd"} -Inf 1700000000123
untyped_thing 4
untyped_thing 5
"""


@pytest.mark.parametrize("text", [SIMPLECLIENT, synthetic_exposition(300).decode()])
def test_real_world_shapes_take_the_fast_path(text):
    assert check_against_prometheus_client(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "a  1\n",
        '{__name__="a"} 1\n',
        "# TYPE x info\nx_info 1\n",
        'a{__r="1"} 1\n',
        'a{l="1",l="2"} 1\n',
        "a 1_0\n",
        "a nan\n",
    ],
)
def test_outside_the_fast_path_prometheus_client_decides(text):
    assert check_against_prometheus_client(text) is not True


def test_parsed_label_dicts_are_not_shared():
    a, b = parse('x{l="1"} 1\n'), parse('x{l="1"} 2\n')
    a[0].samples[0].labels["l"] = "changed"
    assert b[0].samples[0].labels == {"l": "1"} and parse('x{l="1"} 3\n')[0].samples[0].labels == {"l": "1"}


# -- rendering -----------------------------------------------------------------------------

FLOATS = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1e22, 1234567.0, -1234567.0, 0.5]), st.integers(-10, 10))


@st.composite
def metric(draw, index):
    typ = draw(
        st.sampled_from(["counter", "gauge", "summary", "histogram", "gaugehistogram", "unknown", "info", "stateset"])
    )
    name = f"m{index}" + draw(st.sampled_from(["", "_x", ".dotted", "_é"]))
    fam = Metric(name, draw(st.text(st.sampled_from(["d", "\\", "\n", '"', " "]), max_size=5)), typ)
    for _ in range(draw(st.integers(0, 4))):
        sname = name + draw(st.sampled_from(["", "_total", "_created", "_gsum", "_gcount", "_bucket", "_info"]))
        labels = draw(
            st.dictionaries(st.sampled_from(["a", "b", "le", "node", "bad-name", "ü"]), LABEL_VALUE, max_size=3)
        )
        ts = draw(st.one_of(st.none(), st.floats(0, 2e9), st.just(Timestamp(1700000000, 5))))
        fam.samples.append(Sample(sname, labels, draw(FLOATS), ts))
    return fam


class _Static:
    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 4).flatmap(lambda n: st.tuples(*[metric(i) for i in range(n)])))
def test_render_matches_generate_latest(families):
    reg = CollectorRegistry()
    reg.register(_Static(list(families)))
    assert render(families) == generate_latest(reg)


def test_render_matches_generate_latest_for_client_metrics():
    reg = CollectorRegistry()
    Counter("c", "counts", ["k"], registry=reg).labels("v").inc(2)
    Histogram("h_seconds", "hist", registry=reg).observe(0.3)
    assert render(reg.collect()) == generate_latest(reg)


def test_counter_names_have_one_rule():
    from lavametrics.exposition.names import counter_base, counter_sample_name

    assert counter_base("lavametrics_loads_total") == "lavametrics_loads"
    assert counter_base("lavametrics_loads") == "lavametrics_loads"
    assert counter_base("total") == "total"  # no suffix to strip: "_total" needs its underscore
    assert counter_sample_name(counter_base("x_total")) == "x_total"
