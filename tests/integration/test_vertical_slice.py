"""The plugin inside a real node: loaded, counting exactly, and clean for promtool."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest

from lavametrics.devtools.wavgen import write_tone
from lavametrics.lavalink.session import LavalinkSession
from tests.conftest import require_tool
from tests.samples import fetch_text, scrape, total, value, wait_until

pytestmark = pytest.mark.integration


def get_json(node, path):
    req = urllib.request.Request(node.url + path, headers={"Authorization": node.password})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


@pytest.fixture(scope="module")
def fresh_node(node_factory):
    """A node no other test has touched, so absolute values can be asserted."""
    return node_factory(plugin=True)


def test_plugin_is_listed_in_info(fresh_node, plugin_jar):
    plugins = get_json(fresh_node, "/v4/info")["plugins"]
    names = {p["name"]: p["version"] for p in plugins}
    assert "lavametrics" in names, plugins
    assert plugin_jar.name == f"lavametrics-plugin-{names['lavametrics']}.jar"


def test_one_session_one_player_one_track_start(fresh_node, tmp_path):
    wav = write_tone(tmp_path / "tone.wav", seconds=3)
    before = scrape(fresh_node.metrics_url)
    assert total(before, "lavametrics_sessions") == 0
    assert total(before, "lavametrics_players") == 0
    assert total(before, "lavametrics_track_starts_total") == 0

    with LavalinkSession(fresh_node.url, fresh_node.password) as session:
        track = session.play(guild_id=1001, identifier=str(wav))
        start = session.wait_event("TrackStartEvent")
        assert start["guildId"] == "1001"
        assert track["info"]["sourceName"] == "local"

        after = wait_until(fresh_node.metrics_url, lambda s: total(s, "lavametrics_track_starts_total") >= 1)
        assert value(after, "lavametrics_sessions", state="active") == 1
        assert value(after, "lavametrics_sessions", state="paused") == 0
        assert total(after, "lavametrics_players") == 1
        assert value(after, "lavametrics_players", state="playing") == 1
        assert value(after, "lavametrics_track_starts_total", source="local") == 1
        assert total(after, "lavametrics_track_starts_total") == 1
        version = {p["name"]: p["version"] for p in get_json(fresh_node, "/v4/info")["plugins"]}["lavametrics"]
        assert value(after, "lavametrics_info", version=version) == 1

    # Wait for the event that ends a close, not a gauge: Lavalink (SocketServer.kt, 4.1 and 4.2) drops the
    # session from the gauge first (its state reads DESTROYED at once), then destroys its players, then
    # calls onSocketContextDestroyed, which counts the close.
    closed = wait_until(fresh_node.metrics_url, lambda s: total(s, "lavametrics_session_closes_total") == 1)
    assert total(closed, "lavametrics_session_closes_total") == 1
    assert total(closed, "lavametrics_sessions") == 0
    assert total(closed, "lavametrics_players") == 0
    assert total(closed, "lavametrics_player_destructions_total") == 1


# `lavametrics check` against this node (exit 0) and a bare node (exit 1): test_client_check.py


def test_promtool_finds_nothing_in_our_families(plugin_node):
    promtool = require_tool("promtool")
    text = fetch_text(plugin_node.metrics_url)
    ours = "".join(
        line + "\n"
        for line in text.splitlines()
        if line.startswith(("# HELP lavametrics_", "# TYPE lavametrics_", "lavametrics_"))
    )
    assert "# TYPE lavametrics_info gauge" in ours
    proc = subprocess.run([promtool, "check", "metrics"], input=ours, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "" and proc.stderr.strip() == "", proc.stdout + proc.stderr
