import socket
import subprocess
import threading
import time
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

import lavametrics.exposition.parse
from lavametrics.monitor.merge import NodeMetricsCollector, NodeResult, merged_registry, relabel
from lavametrics.monitor.nodesfile import NodeSpec
from lavametrics.monitor.serve import build
from tests.conftest import require_tool
from tests.samples import parse


def spec(name, node, timeout=None):
    return NodeSpec(name, node.url, node.password, node.metrics_url, timeout=timeout)


def samples(registry):
    return parse(generate_latest(registry).decode())


def get(samples_, name, **labels):
    return samples_[(name, tuple(sorted(labels.items())))]


def test_relabel_moves_upstream_node_label():
    reg = CollectorRegistry()
    g = Gauge("g", "h", ["node", "exported_node"], registry=reg)
    g.labels("inner", "x").set(1)
    fam = next(iter(reg.collect()))
    out = relabel(fam, "outer")
    assert out.samples[0].labels == {"exported_node": "x", "exported_exported_node": "inner", "node": "outer"}


def test_two_nodes_relabelled_with_bot_registry(fake_node):
    a, b = fake_node(), fake_node(plugin=False)
    bot = CollectorRegistry()
    Counter("bot_commands", "h", registry=bot).inc(3)
    reg = merged_registry([spec("a", a), spec("b", b)], bot)
    s = samples(reg)
    assert get(s, "bot_commands_total") == 3
    assert get(s, "lavametrics_players", node="a", state="playing") == 1
    assert get(s, "lavametrics_node_up", node="a") == 1
    assert get(s, "lavametrics_node_up", node="b") == 1
    assert get(s, "lavametrics_node_stats_fallback", node="a") == 0
    assert get(s, "lavametrics_node_stats_fallback", node="b") == 1
    assert get(s, "lavametrics_node_stats_players", node="b") == 2
    assert get(s, "lavametrics_node_stats_cpu_lavalink_load_ratio", node="b") == 0.25
    assert get(s, "lavametrics_node_stats_uptime_seconds", node="b") > 0
    assert get(s, "lavalink_players_total", node="b") == 2  # core metrics still merged
    assert not any(k[0].startswith("lavametrics_node_stats_players") and dict(k[1]).get("node") == "a" for k in s)
    assert get(s, "lavametrics_node_scrape_duration_seconds", node="a") > 0


def test_type_clash_is_skipped_and_counted(fake_node):
    a = fake_node(
        metrics_text='# TYPE shared gauge\nshared 1\n# TYPE lavametrics_info gauge\nlavametrics_info{version="1"} 1\n'
    )
    b = fake_node(
        metrics_text=(
            "# TYPE shared_total counter\nshared_total 5\n"
            '# TYPE lavametrics_info gauge\nlavametrics_info{version="1"} 1\n'
        )
    )
    bot = CollectorRegistry()
    Gauge("lavametrics_info", "bot owns this name as gauge too", registry=bot).set(7)
    s = samples(merged_registry([spec("a", a), spec("b", b)], bot))
    assert get(s, "shared", node="a") == 1
    assert ("shared_total", (("node", "b"),)) not in s
    assert get(s, "lavametrics_merge_type_conflicts", node="a") == 0
    assert get(s, "lavametrics_merge_type_conflicts", node="b") == 1
    # same name and type: merged into one family
    assert get(s, "lavametrics_info") == 7 and get(s, "lavametrics_info", node="a", version="1") == 1


def test_sample_name_clash_across_types_is_skipped(fake_node):
    # a gauge literally named x_total would collide with counter x's samples
    a = fake_node(metrics_text="# TYPE x_total counter\nx_total 1\n")
    b = fake_node(metrics_text="# TYPE x_total gauge\nx_total 2\n")
    s = samples(merged_registry([spec("a", a), spec("b", b)], timeout=2))
    assert get(s, "x_total", node="a") == 1
    assert get(s, "lavametrics_merge_type_conflicts", node="b") == 1


def test_dead_slow_garbage_nodes_never_break_the_endpoint(fake_node):
    good = fake_node()
    slow = fake_node()
    slow.hang_seconds = 10
    slow.hang_api_seconds = 10
    garbage = fake_node()
    garbage.garbage = True
    dead = NodeSpec("dead", "http://127.0.0.1:1", "pw", "http://127.0.0.1:1/metrics")
    nodes = [spec("good", good), spec("slow", slow), spec("garbage", garbage), dead]
    reg = merged_registry(nodes, timeout=1.0)
    start = time.monotonic()
    s = samples(reg)
    elapsed = time.monotonic() - start
    assert elapsed < 2.5, elapsed  # concurrent: one timeout, not the sum
    assert get(s, "lavametrics_node_up", node="good") == 1
    for name in ("slow", "garbage", "dead"):
        assert get(s, "lavametrics_node_up", node=name) == 0, name
    assert get(s, "lavametrics_players", node="good", state="playing") == 1
    # OpenMetrics renders too
    assert generate_openmetrics(reg).decode().endswith("# EOF\n")


def test_concurrent_scrape(fake_node):
    nodes = []
    for i in range(4):
        n = fake_node()
        n.hang_seconds = 0.6
        nodes.append(spec(f"n{i}", n))
    col = NodeMetricsCollector(nodes, timeout=3)
    start = time.monotonic()
    results = col.scrape_all()
    assert time.monotonic() - start < 1.5
    assert all(r.up for r in results)
    col.close()


def test_metrics_fail_but_stats_work_falls_back(fake_node):
    n = fake_node()
    n.metrics_status = 500
    s = samples(merged_registry([spec("x", n)]))
    assert get(s, "lavametrics_node_up", node="x") == 1
    assert get(s, "lavametrics_node_stats_fallback", node="x") == 1
    assert get(s, "lavametrics_node_stats_players", node="x") == 2


def test_serve_endpoint_content_negotiation(fake_node):
    n = fake_node()
    server, collector = build([spec("x", n)], "127.0.0.1", 0, timeout=2)
    import threading

    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        with urllib.request.urlopen(url, timeout=5) as r:
            assert r.headers["Content-Type"].startswith("text/plain")
            assert b'lavametrics_node_up{node="x"} 1.0' in r.read()
        req = urllib.request.Request(url, headers={"Accept": "application/openmetrics-text; version=1.0.0"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.headers["Content-Type"].startswith("application/openmetrics-text")
            assert r.read().endswith(b"# EOF\n")
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url.replace("/metrics", "/nope"), timeout=5)
    finally:
        server.shutdown()
        server.server_close()
        collector.close()


def test_merged_output_passes_promtool(fake_node, tmp_path):
    promtool = require_tool("promtool")
    a, b = fake_node(), fake_node(plugin=False)
    text = generate_latest(merged_registry([spec("a", a), spec("b", b)]))
    proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True)
    # exit 1 is a syntax error; exit 3 lists lint findings. Lavalink core's own names draw some
    # (lavalink_players_total is a gauge, lavalink_uptime_milliseconds) and pass through the
    # merge unchanged; nothing the merge or the plugin names may draw one.
    assert proc.returncode in (0, 3), proc.stderr.decode() + proc.stdout.decode()
    findings = [line for line in (proc.stdout + proc.stderr).decode().splitlines() if line.strip()]
    assert all(line.startswith("lavalink_") for line in findings), findings


def test_text_format_created_families_merge_across_nodes(fake_node):
    # simpleclient/prometheus_client put a counter's _created in its own gauge family in 0.0.4
    text = (
        "# TYPE c_total counter\nc_total 1\n# TYPE c_created gauge\nc_created 1.7e9\n"
        '# TYPE lavametrics_info gauge\nlavametrics_info{version="1"} 1\n'
    )
    a, b = fake_node(metrics_text=text), fake_node(metrics_text=text)
    s = samples(merged_registry([spec("a", a), spec("b", b)]))
    assert get(s, "c_created", node="b") == 1.7e9
    assert get(s, "lavametrics_merge_type_conflicts", node="a") == 0
    assert get(s, "lavametrics_merge_type_conflicts", node="b") == 0


def test_unchanged_node_reuses_relabelled_families_without_sharing_merged_lists(fake_node):
    text = '# TYPE g gauge\ng{a="1"} 1\n# TYPE lavametrics_info gauge\nlavametrics_info{version="1"} 1\n'
    a, b = fake_node(metrics_text=text), fake_node(metrics_text=text)
    col = NodeMetricsCollector([spec("a", a), spec("b", b)], timeout=2)
    try:
        first = {f.name: f for f in col.collect()}
        second = {f.name: f for f in col.collect()}
        for fams in (first, second):  # merging b into a's family must not grow a's cached copy
            assert [s.labels for s in fams["g"].samples] == [{"a": "1", "node": "a"}, {"a": "1", "node": "b"}]
        a.metrics_text = text.replace("} 1\n# TYPE lav", "} 5\n# TYPE lav")
        third = {f.name: f for f in col.collect()}
        assert [s.value for s in third["g"].samples] == [5, 1]
    finally:
        col.close()


def _families_per_sample_name(fams):
    owners = {}
    for fam in fams:
        for name in {s.name for s in fam.samples}:
            owners.setdefault(name, []).append(fam.name)
    return owners


def _assert_one_family_per_sample_name(fams):
    names = [f.name for f in fams]
    assert len(names) == len(set(names)), names
    clashes = {n: o for n, o in _families_per_sample_name(fams).items() if len(o) > 1}
    assert not clashes, clashes


def parse_exposition(text, ctype="text/plain; version=0.0.4; charset=utf-8"):
    return lavametrics.exposition.parse.parse(text, ctype)


OM = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def test_bot_family_named_like_our_own_is_skipped(fake_node):
    n = fake_node()
    bot = CollectorRegistry()
    Gauge("lavametrics_node_up", "the bot's own idea of up", registry=bot).set(42)
    col = NodeMetricsCollector([spec("x", n)], timeout=2, bot_registry=bot)
    try:
        fams = list(col.collect())
    finally:
        col.close()
    _assert_one_family_per_sample_name(fams)
    up = next(f for f in fams if f.name == "lavametrics_node_up")
    assert [(s.labels, s.value) for s in up.samples] == [({"node": "x"}, 1.0)]


def test_node_family_named_like_our_own_is_skipped_and_counted():
    col = NodeMetricsCollector([], timeout=1)
    fam = parse_exposition("# TYPE lavametrics_node_up gauge\nlavametrics_node_up 7\n")
    fams = col.merge([NodeResult("a", families=fam, up=True)])
    col.close()
    _assert_one_family_per_sample_name(fams)
    by = {f.name: f for f in fams}
    assert [s.value for s in by["lavametrics_node_up"].samples] == [1.0]
    assert [s.value for s in by["lavametrics_merge_type_conflicts"].samples] == [1.0]


@pytest.mark.parametrize("gauge_first", [False, True])
def test_sample_names_added_by_extending_a_family_are_claimed(gauge_first):
    # 0.0.4 leaves x_created out of counter x; OpenMetrics puts it in. The node bringing it
    # must own x_created, so a gauge family x_created from another node cannot sit beside it.
    without = ("a", parse_exposition("# TYPE x_total counter\nx_total 1\n"))
    with_created = ("b", parse_exposition("# TYPE x counter\nx_total 2\nx_created 1.7e9\n# EOF\n", OM))
    gauge = ("c", parse_exposition("# TYPE x_created gauge\nx_created 5\n"))
    order = [gauge, without, with_created] if gauge_first else [without, with_created, gauge]
    col = NodeMetricsCollector([], timeout=1)
    fams = col.merge([NodeResult(name, families=f, up=True) for name, f in order])
    col.close()
    _assert_one_family_per_sample_name(fams)
    conflicts = {
        s.labels["node"]: s.value for f in fams if f.name == "lavametrics_merge_type_conflicts" for s in f.samples
    }
    loser = "b" if gauge_first else "c"
    assert conflicts == {n: (1.0 if n == loser else 0.0) for n in "abc"}


class _StallingResolver:
    """Name resolution of one host hangs until released. No socket timeout reaches
    getaddrinfo, so the scrape overruns its budget and its worker keeps running;
    ``connections`` counts the lookups (each scrape starts with one)."""

    HOST = "stalling-node.invalid"

    def __init__(self, monkeypatch):
        self.release = threading.Event()
        self.connections = 0
        self.url = f"http://{self.HOST}:2333"
        real = socket.getaddrinfo

        def getaddrinfo(host, *args, **kwargs):
            if host != self.HOST:
                return real(host, *args, **kwargs)
            self.connections += 1
            self.release.wait(30)
            return real("127.0.0.1", 1, *args[1:], **kwargs)  # then: connection refused

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def close(self):
        self.release.set()


def test_overrunning_node_is_not_scraped_again_while_its_worker_runs(fake_node, monkeypatch):
    stall = _StallingResolver(monkeypatch)
    good = fake_node()
    nodes = [NodeSpec("stall", stall.url, "pw", stall.url + "/metrics"), spec("good", good)]
    # two workers: a second scrape of the stalled node would take the one "good" needs
    col = NodeMetricsCollector(nodes, timeout=0.3, stats_fallback=False, max_workers=2)
    try:
        for _ in range(3):
            results = {r.name: r for r in col.scrape_all()}
            assert not results["stall"].up and results["stall"].error.startswith("timeout")
            assert results["good"].up, results["good"].error
        assert stall.connections == 1
        stall.release.set()
        deadline = time.monotonic() + 5
        while not col._running["stall"].done() and time.monotonic() < deadline:
            time.sleep(0.02)
        col.scrape_all()  # finished: the node is scraped again
        assert stall.connections == 2
    finally:
        stall.close()
        col.close()
