"""Route planner health and voice connect time on a real node (issue 22, items 2 and 3).

Runs against the stand-in (CI) and, with ``LAVALINK_JAR=...``, against real Lavalink: the planner
is built from ``lavalink.server.ratelimit.ipBlocks`` by the node itself and read by the plugin
through the same API ``/v4/routeplanner/status`` uses. Only the stand-in can mark addresses
failing on demand (``POST /standin/routeplanner/fail``); on real Lavalink a ban needs a source
that refuses requests, so that part is the stand-in's alone.
"""

from __future__ import annotations

import os
import re

import pytest

from lavametrics.devtools.voicelink import connect_and_play
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone
from lavametrics.lavalink.session import LavalinkSession
from tests.samples import delta, fetch_text, scrape, value, wait_until

pytestmark = pytest.mark.integration

# a loopback block both the stand-in and real Lavalink accept; the planner routes nothing here
# (every source that would use it is off in the test config)
BLOCK = "127.0.0.0/30"
REAL = bool(os.environ.get("LAVALINK_JAR"))
ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+|[0-9a-f]*::[0-9a-f:]*")
CONNECT = "lavametrics_voice_connect_seconds"


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("voicesim")


@pytest.fixture(scope="module")
def sim(sim_dir):
    with VoiceSimulator(workdir=sim_dir) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def node(node_factory, sim):
    # LoadBalance: real 4.2.2's status route answers 500 for RotateOnBan until the planner routed
    # a request (RoutePlannerRestHandler reads its null currentAddress); the plugin reads either
    overrides = {"lavalink": {"server": {"ratelimit": {"ipBlocks": [BLOCK], "strategy": "LoadBalance"}}}}
    return node_factory(plugin=True, overrides=overrides, jvm_args=sim.jvm_args())


@pytest.fixture()
def session(node):
    with LavalinkSession(node.url, node.password) as s:
        yield s


def planner_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("lavametrics_route_planner")]


def test_without_a_route_planner_the_families_are_absent(plugin_node):
    text = fetch_text(plugin_node.metrics_url)
    assert planner_lines(text) == []
    assert value(scrape(plugin_node.metrics_url), "lavametrics_collector_success", collector="routeplanner") == 1


def test_block_size_failing_addresses_and_class_as_the_status_route_reads_them(node, session):
    status = session.request("GET", "/v4/routeplanner/status")
    assert status["class"] == "BalancingIpRoutePlanner"
    assert status["details"]["ipBlock"]["size"] == "4"
    s = scrape(node.metrics_url)
    assert value(s, "lavametrics_route_planner_info", planner="BalancingIpRoutePlanner") == 1
    assert value(s, "lavametrics_route_planner_addresses") == 4
    assert value(s, "lavametrics_route_planner_failing_addresses") == len(status["details"]["failingAddresses"]) == 0
    assert value(s, "lavametrics_route_planner_bans_total") == 0


@pytest.mark.skipif(REAL, reason="only the stand-in marks addresses failing on demand (a real ban needs YouTube)")
def test_bans_are_counted_and_no_address_reaches_a_label(node, session):
    before = scrape(node.metrics_url)
    session.request("POST", "/standin/routeplanner/fail", {"count": 3})
    status = session.request("GET", "/v4/routeplanner/status")
    assert len(status["details"]["failingAddresses"]) == 3  # the node's own view, addresses and all
    after = wait_until(node.metrics_url, lambda s: value(s, "lavametrics_route_planner_failing_addresses") == 3)
    assert value(after, "lavametrics_route_planner_failing_addresses") == 3
    assert delta(before, after, "lavametrics_route_planner_bans_total") == 3
    for line in planner_lines(fetch_text(node.metrics_url)):
        labels = line.split(" ")[0]
        assert not ADDRESS.search(labels), line
    session.request("POST", "/v4/routeplanner/free/all")
    freed = wait_until(node.metrics_url, lambda s: value(s, "lavametrics_route_planner_failing_addresses") == 0)
    assert value(freed, "lavametrics_route_planner_failing_addresses") == 0
    assert delta(before, freed, "lavametrics_route_planner_bans_total") == 3  # freed is not un-banned


def test_voice_connect_time_follows_the_voice_server(node, sim, session, tmp_path):
    wav = write_tone(tmp_path / "tone.wav", seconds=30)
    before = scrape(node.metrics_url)
    connect_and_play(session, sim, [7101], str(wav))
    sim.wait_packets(7101, 5, timeout=20)
    fast = wait_until(node.metrics_url, lambda s: delta(before, s, f"{CONNECT}_count") >= 1)
    assert delta(before, fast, f"{CONNECT}_count") == 1
    fast_seconds = delta(before, fast, f"{CONNECT}_sum")
    assert 0 < fast_seconds < 2.5

    # a voice server that takes 3 s to answer IDENTIFY: the connect is over the alert's bound
    sim.set_ready_delay(3.0)
    try:
        connect_and_play(session, sim, [7102], str(wav), timeout=30)
        sim.wait_packets(7102, 5, timeout=30)
    finally:
        sim.set_ready_delay(0)
    slow = wait_until(node.metrics_url, lambda s: delta(fast, s, f"{CONNECT}_count") >= 1)
    assert delta(fast, slow, f"{CONNECT}_count") == 1
    slow_seconds = delta(fast, slow, f"{CONNECT}_sum")
    assert 3.0 <= slow_seconds < 15, slow_seconds
    print(f"voice connect: {fast_seconds:.3f} s at once, {slow_seconds:.3f} s with a 3 s READY delay")
    assert delta(fast, slow, f"{CONNECT}_bucket", le="2.5") == 0
    assert delta(fast, slow, f"{CONNECT}_bucket", le="+Inf") == 1
    # a new track on a connected player is not another connect
    session.update_player(7101, {"track": {"encoded": session.load(str(wav))["data"]["encoded"]}})
    sim.wait_packets(7101, 100, timeout=20)
    assert delta(slow, scrape(node.metrics_url), f"{CONNECT}_count") == 0
    for guild in (7101, 7102):
        session.destroy_player(guild)
