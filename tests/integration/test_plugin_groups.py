"""Every metric group that can be exercised without a voice connection, on a real node.

The node is this module's own, so counter deltas measured here are caused by these tests only.
"""

from __future__ import annotations

import base64
import http.client
import urllib.request

import pytest

from lavametrics.devtools.wavgen import write_corrupt_wav, write_tone
from lavametrics.lavalink.session import LavalinkSession, SessionError
from tests.samples import delta, scrape, total, value, wait_until

pytestmark = pytest.mark.integration

SCRAPE_USER, SCRAPE_PASSWORD = "prometheus", "scrape-secret"
ALLOWED_SOURCE = "127.0.0.2"  # the own endpoint admits only this loopback alias


@pytest.fixture(scope="module")
def node(node_factory):
    from lavametrics.devtools.node import free_port

    port = free_port()
    node = node_factory(
        plugin=True,
        overrides={
            "plugins": {
                "lavametrics": {
                    "endpoint": {
                        "enabled": True,
                        "host": "127.0.0.1",
                        "port": port,
                        "path": "/metrics",
                        "auth": {"username": SCRAPE_USER, "password": SCRAPE_PASSWORD},
                        "allow": [f"{ALLOWED_SOURCE}/32"],
                    }
                }
            }
        },
    )
    node.own_port = port
    return node


@pytest.fixture()
def session(node):
    with LavalinkSession(node.url, node.password) as s:
        yield s


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    return write_tone(tmp_path_factory.mktemp("audio") / "tone.wav", seconds=2)


def test_sessions_open_pause_resume_close(node):
    m = node.metrics_url
    before = scrape(m)
    first = LavalinkSession(node.url, node.password)
    first.configure_resuming(60)
    first.close()
    paused = wait_until(m, lambda s: value(s, "lavametrics_sessions", state="paused") == 1)
    assert value(paused, "lavametrics_sessions", state="paused") == 1
    assert value(paused, "lavametrics_sessions", state="active") == 0

    resumed = LavalinkSession(node.url, node.password, session_id=first.session_id)
    assert resumed.resumed and resumed.session_id == first.session_id
    opens = lambda s, r: (  # noqa: E731
        value(s, "lavametrics_session_opens_total", resumed=r)
        - value(before, "lavametrics_session_opens_total", resumed=r)
    )
    # Lavalink lists the resumed session (the gauge), sends ready and replays, and only then calls
    # onWebSocketOpen(resumed=true) (SocketServer.afterConnectionEstablished): wait for the counter
    after_resume = wait_until(m, lambda s: opens(s, "true") >= 1)
    assert value(after_resume, "lavametrics_sessions", state="active") == 1
    assert value(after_resume, "lavametrics_sessions", state="paused") == 0
    assert {r: opens(after_resume, r) for r in ("true", "false")} == {"true": 1, "false": 1}

    resumed.request("PATCH", f"/v4/sessions/{resumed.session_id}", {"resuming": False})
    resumed.close()
    # the close is counted by onSocketContextDestroyed, which Lavalink calls after the session has left
    # its maps (the gauge): wait for the counter, then both agree
    closes = lambda s: value(s, "lavametrics_session_closes_total") - value(before, "lavametrics_session_closes_total")  # noqa: E731
    closed = wait_until(m, lambda s: closes(s) >= 1)
    assert closes(closed) == 1
    assert total(closed, "lavametrics_sessions") == 0


def test_players_by_state_and_lifecycle(node, session, wav):
    m = node.metrics_url
    before = scrape(m)
    session.play(2001, str(wav))
    session.play(2002, str(wav))
    session.update_player(2002, {"paused": True})
    session.update_player(2003, {"volume": 80})  # a player that never played anything
    s = wait_until(m, lambda s: total(s, "lavametrics_players") == 3)
    assert value(s, "lavametrics_players", state="playing") == 1
    assert value(s, "lavametrics_players", state="paused") == 1
    assert value(s, "lavametrics_players", state="idle") == 1
    session.update_player(2001, {"track": {"encoded": None}})  # stop: it has played, now holds nothing
    s = wait_until(m, lambda s: value(s, "lavametrics_players", state="stopped") == 1)
    assert value(s, "lavametrics_players", state="stopped") == 1
    session.destroy_player(2003)
    s = wait_until(m, lambda s: total(s, "lavametrics_players") == 2)
    delta = lambda name: value(s, name) - value(before, name)  # noqa: E731
    assert delta("lavametrics_player_creations_total") == 3
    assert delta("lavametrics_player_destructions_total") == 1


def test_load_results_by_type_with_latency(node, session, wav, tmp_path):
    m = node.metrics_url
    before = scrape(m)
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("this is not audio\n" * 50)
    assert session.load(str(wav))["loadType"] == "track"
    assert session.load(str(tmp_path / "missing.wav"))["loadType"] == "empty"
    assert session.load(str(not_audio))["loadType"] == "error"
    s = scrape(m)
    for result in ("track", "empty", "error"):
        assert delta(before, s, "lavametrics_loads_total", result=result) == 1
        assert delta(before, s, "lavametrics_load_duration_seconds_count", result=result) == 1
    assert delta(before, s, "lavametrics_load_duration_seconds_sum", result="track") > 0


def test_track_end_reasons_and_exception(node, session, wav, tmp_path):
    m = node.metrics_url
    before = scrape(m)
    session.play(3001, str(wav))
    session.wait_event("TrackStartEvent")
    session.play(3001, str(wav))  # replaces the first track
    end = session.wait_event("TrackEndEvent")
    assert end["reason"] == "replaced"
    session.update_player(3001, {"track": {"encoded": None}})
    assert session.wait_event("TrackEndEvent")["reason"] == "stopped"

    corrupt = write_corrupt_wav(tmp_path / "corrupt.wav")
    session.play(3002, str(corrupt))
    exception = session.wait_event("TrackExceptionEvent", timeout=20)
    severity = exception["exception"]["severity"].lower()
    s = wait_until(
        m,
        lambda s: total(s, "lavametrics_track_exceptions_total") > total(before, "lavametrics_track_exceptions_total"),
    )
    d = lambda name, **kw: delta(before, s, name, **kw)  # noqa: E731
    assert d("lavametrics_track_ends_total", source="local", reason="replaced") == 1
    assert d("lavametrics_track_ends_total", source="local", reason="stopped") == 1
    assert d("lavametrics_track_exceptions_total", source="local", severity=severity) == 1


def test_filters_follow_player_patches(node, session, wav):
    m = node.metrics_url
    session.play(4001, str(wav))
    session.update_player(4001, {"filters": {"volume": 0.5, "timescale": {"speed": 1.2}}})
    session.update_player(4002, {"filters": {"timescale": {"pitch": 0.9}}})
    s = wait_until(m, lambda s: value(s, "lavametrics_filter_players", filter="timescale") == 2)
    assert value(s, "lavametrics_filter_players", filter="timescale") == 2
    assert value(s, "lavametrics_filter_players", filter="volume") == 1
    assert value(s, "lavametrics_filter_players", filter="equalizer") == 0
    session.update_player(4001, {"filters": {}})  # v4 replaces the whole filter set
    session.destroy_player(4002)
    s = wait_until(m, lambda s: value(s, "lavametrics_filter_players", filter="timescale") == 0)
    assert total(s, "lavametrics_filter_players") == 0


def test_rest_requests_by_templated_route_without_ids(node, session, wav):
    m = node.metrics_url
    before = scrape(m)
    session.update_player(5001, {"volume": 50})
    session.update_player(5001, {"volume": 60})
    with pytest.raises(SessionError):
        session.request("PATCH", "/v4/sessions/doesnotexist/players/5001", {"volume": 1})
    s = scrape(m)
    route = "/v4/sessions/{sessionId}/players/{guildId}"
    ok = delta(before, s, "lavametrics_rest_requests_total", route=route, method="PATCH", status="2xx")
    missing = delta(before, s, "lavametrics_rest_requests_total", route=route, method="PATCH", status="4xx")
    assert (ok, missing) == (2, 1)
    assert delta(before, s, "lavametrics_rest_request_duration_seconds_count", route=route) == 3
    label_values = {v for (_, labels) in s for _, v in labels}
    assert not any(session.session_id in v or "5001" in v or "doesnotexist" in v for v in label_values)


def _own(node, source: str, headers: dict[str, str]) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", node.own_port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", "/metrics", headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_own_endpoint_auth_and_allowlist(node):
    status, body = _own(node, ALLOWED_SOURCE, _basic(SCRAPE_USER, SCRAPE_PASSWORD))
    assert status == 200 and "lavametrics_info" in body
    assert _own(node, ALLOWED_SOURCE, {})[0] == 401
    assert _own(node, ALLOWED_SOURCE, _basic(SCRAPE_USER, "wrong"))[0] == 401
    assert _own(node, ALLOWED_SOURCE, {"Authorization": "Bearer " + SCRAPE_PASSWORD})[0] == 401
    assert _own(node, "127.0.0.1", _basic(SCRAPE_USER, SCRAPE_PASSWORD))[0] == 403
    assert value(scrape(node.metrics_url), "lavametrics_config_valid") == 1


def test_own_endpoint_negotiates_openmetrics(node):
    conn = http.client.HTTPConnection("127.0.0.1", node.own_port, timeout=10, source_address=(ALLOWED_SOURCE, 0))
    headers = {**_basic(SCRAPE_USER, SCRAPE_PASSWORD), "Accept": "application/openmetrics-text; version=1.0.0"}
    conn.request("GET", "/metrics", headers=headers)
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    assert resp.status == 200
    assert resp.getheader("Content-Type").startswith("application/openmetrics-text")
    assert body.rstrip().endswith("# EOF")


def test_bad_config_keeps_node_up_and_reports_invalid(node_factory):
    bad = node_factory(
        plugin=True,
        overrides={
            "plugins": {
                "lavametrics": {
                    "groups": {"sessions": "sometimes"},
                    "endpoint": {"enabled": True, "allow": ["300.1.2.3/8"]},
                    "nonsense": 1,
                }
            }
        },
    )
    s = scrape(bad.metrics_url)
    assert value(s, "lavametrics_config_valid") == 0
    log = bad.log_path.read_text()
    for needle in ("groups.sessions", "sometimes", "endpoint.allow", "300.1.2.3/8", "nonsense"):
        assert needle in log, f"{needle!r} not named in the node log"
    with urllib.request.urlopen(
        urllib.request.Request(bad.url + "/version", headers={"Authorization": bad.password})
    ) as r:
        assert r.status == 200
    bad.stop()  # no test needs it any more; free its memory for the rest of the run


def test_own_endpoint_port_in_use_keeps_node_up(node_factory):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = node_factory(
            plugin=True,
            overrides={"plugins": {"lavametrics": {"endpoint": {"enabled": True, "host": "127.0.0.1", "port": port}}}},
        )
        s = scrape(busy.metrics_url)
        assert value(s, "lavametrics_config_valid") == 0
        assert total(s, "lavametrics_info") == 1  # the plugin is still exporting on Lavalink's /metrics
        assert any("endpoint.port" in line and str(port) in line for line in busy.log_path.read_text().splitlines())
        busy.stop()
