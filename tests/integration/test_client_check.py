"""`lavametrics check` against real nodes: exit codes and the --json shape."""

from __future__ import annotations

import json
import socket

import pytest

from lavametrics.cli import main

pytestmark = pytest.mark.integration


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_healthy_node_exits_0(plugin_node, capsys):
    code, out, err = run(
        capsys,
        "check",
        plugin_node.url,
        "--password",
        plugin_node.password,
        "--metrics-url",
        plugin_node.metrics_url,
        "--json",
        "--timeout",
        "10",
    )
    data = json.loads(out)
    assert code == 0, json.dumps(data, indent=2) + err
    (node,) = data["nodes"]
    assert node["healthy"] is True and node["pluginVersion"]
    names = {c["name"] for c in node["checks"]}
    assert {
        "reachable",
        "plugin",
        "metrics parse",
        "families present",
        "family types",
        "players consistent",
        "uptime advancing",
        "scrape duration",
    } <= names


def test_node_without_plugin_exits_1(bare_node, capsys):
    code, out, err = run(capsys, "check", bare_node.url, "--password", bare_node.password)
    assert code == 1, out + err
    assert out.splitlines()[-1].startswith("node: UNHEALTHY (plugin: lavametrics not in /v4/info plugins")


def test_unreachable_exits_2(capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = run(capsys, "check", f"http://127.0.0.1:{port}", "--password", "x", "--json", "--timeout", "2")
    assert code == 2
    assert json.loads(out)["status"] == 2
    assert err.startswith("lavametrics: error: ")


def test_wrong_password_exits_2(plugin_node, capsys):
    code, _, err = run(capsys, "check", plugin_node.url, "--password", "not-the-password")
    assert code == 2 and "bad password" in err


def test_own_endpoint_auth(node_factory, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    node = node_factory(
        plugin=True,
        overrides={
            "plugins": {
                "lavametrics": {
                    "endpoint": {
                        "enabled": True,
                        "host": "127.0.0.1",
                        "port": port,
                        "auth": {"username": "prom", "password": "s3cret"},
                    }
                }
            }
        },
    )
    code, out, err = run(
        capsys,
        "check",
        node.url,
        "--password",
        node.password,
        "--json",
        "--metrics-url",
        f"http://127.0.0.1:{port}/metrics",
        "--metrics-user",
        "prom",
        "--metrics-password",
        "s3cret",
        "--timeout",
        "10",
    )
    data = json.loads(out)
    checks = {c["name"]: c for c in data["nodes"][0]["checks"]}
    assert checks["endpoint auth"]["ok"], checks["endpoint auth"]
    assert code == 0, json.dumps(data, indent=2)


def test_default_groups_node_is_healthy(node_factory, capsys):
    """The shipped defaults switch `rest` off; check must not expect the families of a disabled group."""
    node = node_factory(plugin=True, overrides={"plugins": {"lavametrics": {"groups": {"rest": False}}}})
    code, out, err = run(capsys, "check", node.url, "--password", node.password, "--json", "--timeout", "10")
    data = json.loads(out)
    assert code == 0, json.dumps(data, indent=2) + err
    node.stop()


def test_paused_session_players_are_compared_like_with_like(node_factory, capsys, tmp_path):
    """Lavalink's /v4/stats leaves a paused (resumable) session's players out; the plugin counts
    them. `check` must not call the node unhealthy for that."""
    from lavametrics.devtools.wavgen import write_tone
    from lavametrics.lavalink.session import LavalinkSession
    from tests.samples import value, wait_until

    node = node_factory(plugin=True)
    wav = write_tone(tmp_path / "tone.wav", seconds=30)
    session = LavalinkSession(node.url, node.password)
    session.configure_resuming(120)
    session.play(5001, str(wav))
    session.wait_event("TrackStartEvent")
    session.close()  # paused: resumable for 120 s, its player still exists
    paused = wait_until(node.metrics_url, lambda s: value(s, "lavametrics_sessions", state="paused") == 1)
    assert value(paused, "lavametrics_players", state="playing") == 1
    code, out, err = run(
        capsys, "check", node.url, "--password", node.password, "--metrics-url", node.metrics_url, "--json"
    )
    data = json.loads(out)
    checks = {c["name"]: c for c in data["nodes"][0]["checks"]}
    assert checks["players consistent"]["ok"], checks["players consistent"]
    assert "paused session" in checks["players consistent"]["detail"]
    assert code == 0, json.dumps(data, indent=2) + err
