"""The line-by-line relabelling must give what parse -> relabel -> render gives: the same
lines, values spelt as the node spelt them (the same floats)."""

import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from lavametrics.devtools.bench_merge import synthetic_exposition
from lavametrics.exposition.parse import ParseError, _number, _Unsupported, looks_like_a_page, parse
from lavametrics.exposition.relabel import JoinedFamily, NodeRelabeller, _values_valid, relabel
from lavametrics.exposition.render import render
from lavametrics.monitor.merge import NodeMetricsCollector
from lavametrics.monitor.nodesfile import NodeSpec
from tests.unit.test_exposition_parse_render import LINE, SIMPLECLIENT, assert_same_families, comment_line, sample_line

ROOT = Path(__file__).resolve().parents[2]


def object_path(text, node):
    return [relabel(f, node) for f in parse(text)]


def assert_same_exposition(got: bytes, want: bytes):
    """Line for line the same, but a sample's value may be spelt differently for the same float."""
    got_lines, want_lines = got.decode().split("\n"), want.decode().split("\n")
    assert len(got_lines) == len(want_lines)
    for g, w in zip(got_lines, want_lines):
        if g == w:
            continue
        assert not g.startswith("#"), (g, w)
        (g_head, _, g_value), (w_head, _, w_value) = g.rpartition(" "), w.rpartition(" ")
        assert g_head == w_head, (g, w)
        assert float(g_value) == float(w_value) or math.isnan(float(g_value)) and math.isnan(float(w_value)), (g, w)


def check_line_path(text, node="n1", relabeller=None):
    """Whenever the line path accepts ``text``, its families and its bytes are the object path's.
    Returns whether it accepted."""
    relabeller = relabeller or NodeRelabeller(node)
    got = relabeller.families(text)
    if got is None:
        return False
    rendered = render(got)  # from the text chunks, before samples are touched
    want = object_path(text, node)
    assert_same_exposition(rendered, render(want))
    assert_same_families(got, want)
    assert render(got) == rendered  # and again once samples were parsed
    return True


@settings(max_examples=400, deadline=None)
@given(st.lists(LINE, max_size=12), st.sampled_from(["n1", "node", 'a "quoted"\\node']))
def test_line_path_matches_object_path(lines, node):
    text = "\n".join(lines) + "\n"
    try:
        parse(text)
    except ParseError:
        assert NodeRelabeller(node).families(text) is None or looks_like_a_page(text)
        return
    check_line_path(text, node)


VALUES = st.sampled_from(
    [
        "0.0",
        "1.0",
        "-0.0",
        "12.5",
        "0.035",
        "1.2345678E7",
        "3",
        "NaN",
        "+Inf",
        "-Inf",
        "1e-05",
        "0.0001",
        "123456.0",
        "1234567.0",
        "-1234567.5",
        "99.99900000000001",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(sample_line(), comment_line()).filter(lambda line: "bogus" not in line), min_size=1, max_size=12
    ),
    st.lists(VALUES, min_size=24, max_size=24),
)
def test_a_known_layout_with_new_values_matches_too(lines, values):
    """The second scrape of a node reuses the first one's layout; only values differ."""
    text = "\n".join(lines) + "\n"
    relabeller = NodeRelabeller("n1")
    if not check_line_path(text, relabeller=relabeller):
        return
    layout = relabeller._layout
    new_lines = []
    for i, line in enumerate(lines):
        if line.startswith("#"):
            new_lines.append(line)
        else:
            head, _, _ = line.rpartition(" ")
            new_lines.append(f"{head} {values[i]}")
    check_line_path("\n".join(new_lines) + "\n", relabeller=relabeller)
    if relabeller._layout is not None:
        assert relabeller._layout is layout  # the steady path really ran


TOKENS = st.one_of(
    st.floats().map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.17g}"),
    st.integers(-(10**18), 10**18).map(str),
    st.floats(0, 1e12).map(lambda v: f"{v:.6E}"),
    st.sampled_from(
        [
            "-0",
            "+0",
            "-0.0",
            "0",
            "+7",
            "1e3",
            ".5",
            "5.",
            "NaN",
            "+Inf",
            "-Inf",
            "Inf",
            "1.0E-4",
            "1.2345678E7",
            "1_0",
            "nan",
            "inf",
            "0x1",
            "1e",
            "--1",
            "1.2.3",
            "",
            "123456789012345678901",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, min_size=1, max_size=20))
def test_values_pass_when_the_fast_parser_takes_them(tokens):
    try:
        [_number(t) for t in tokens]
        valid = True
    except _Unsupported:
        valid = False
    if valid:
        assert _values_valid(tokens)
    elif not all(re.fullmatch(r"[0-9.eE+-]+", t) for t in tokens):
        # beyond plain decimals the line path is exactly as strict as the fast parser
        assert not _values_valid(tokens)
    else:
        # a plain decimal the fast parser leaves to prometheus_client (more than 18 digits) is
        # still a number, for prometheus_client as for Prometheus
        try:
            [float(t) for t in tokens]
        except ValueError:
            assert not _values_valid(tokens)
        else:
            assert _values_valid(tokens)


def golden_exposition():
    # the plugin's golden file with every masked value given one
    text = (ROOT / "lavalink-plugin/src/test/resources/golden/exposition.txt").read_text()
    return text.replace("<masked>", "0.00123") + "\n"


@pytest.mark.parametrize(
    "text",
    [SIMPLECLIENT.replace(" 1700000000123", ""), synthetic_exposition(300).decode(), golden_exposition()],
    ids=["simpleclient", "synthetic", "plugin-golden"],
)
def test_real_world_shapes_take_the_line_path(text):
    relabeller = NodeRelabeller("n1")
    assert check_line_path(text, relabeller=relabeller)
    assert check_line_path(text.replace(" 0.0\n", " 7.0\n"), relabeller=relabeller)


@pytest.mark.parametrize(
    "text", ["a 1 1700000000000\n", " a 1\n", "a 1\r\n", "# TYPE c counter\nc 1\n", "a  1\n", "a 1_0\n"]
)
def test_outside_the_line_path_the_object_path_decides(text):
    assert NodeRelabeller("n1").families(text) is None


def test_a_layout_no_longer_valid_is_rebuilt():
    relabeller = NodeRelabeller("n1")
    assert check_line_path("# TYPE g gauge\ng 1\n", relabeller=relabeller)
    assert check_line_path('# TYPE g gauge\ng 1\ng{x="y"} 2\n', relabeller=relabeller)
    assert check_line_path("# HELP g other words\n# TYPE g gauge\ng 1\n", relabeller=relabeller)
    assert relabeller.families("# TYPE g gauge\ng 1\r\n") is None
    assert check_line_path("# TYPE g gauge\ng 1\n", relabeller=relabeller)
    # as many lines as before, one head different: rebuilt, still on the line path
    assert check_line_path('# TYPE g gauge\ng{x="moved"} 1\n', relabeller=relabeller)
    first = relabeller._layout
    assert check_line_path('# TYPE g gauge\ng{x="again"} 1\n', relabeller=relabeller)
    assert relabeller._layout is not first
    # the same head with a timestamp after the value: not for this path, on any layout
    assert relabeller.families('# TYPE g gauge\ng{x="again"} 1 1700000000000\n') is None


# -- the merged endpoint ---------------------------------------------------------------------


def spec(name, node):
    return NodeSpec(name, node.url, node.password, node.metrics_url)


@pytest.mark.parametrize("second", ["same", "moved", "openmetrics"])
def test_merged_text_is_generate_latest_of_the_merged_samples(fake_node, second):
    plugin = golden_exposition()
    a = fake_node(metrics_text=plugin)
    b = fake_node(metrics_text=plugin.replace(" 1.0\n", " 2.0\n") if second == "moved" else plugin)
    bot = CollectorRegistry()
    Counter("bot_commands", "h", ["command"], registry=bot).labels("play").inc(3)
    Gauge("lavametrics_players", "the bot's own family of a node's name", ["state"], registry=bot).labels("x").set(1)
    col = NodeMetricsCollector([spec("a", a), spec("b", b)], timeout=5, bot_registry=bot)
    if second == "openmetrics":  # one node through the object path, the other line by line
        col._relabellers["b"].families = lambda text: None
    try:
        for _ in range(2):  # the second round runs on the layouts of the first
            families = col.collect()
            assert any(isinstance(f, JoinedFamily) for f in families)
            rendered = render(families)
            reg = CollectorRegistry(auto_describe=False)
            reg.register(_Static(families))
            assert_same_exposition(rendered, generate_latest(reg))
    finally:
        col.close()


class _Static:
    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families
