"""Voice: playback to the simulator, close codes, and events queued while a session is paused.

Sources at 4.1.2 / 4.2.2: LavalinkServer/src/main/java/lavalink/server/io/SocketContext.kt (WsEventHandler,
send, resume) and Koe's AbstractMediaGatewayConnection (2.2.0-rc2 in 4.1.2, 3.0.0-pre6 in 4.2.2), whose
onClose reconnects by itself on some close codes and reports only the others to Lavalink.
"""

from __future__ import annotations

import time

import pytest

from lavametrics.devtools.voicelink import connect_and_play, voice_state
from lavametrics.devtools.wavgen import write_tone
from lavametrics.lavalink.session import LavalinkSession
from tests.samples import delta, scrape, total, value, wait_until

pytestmark = [pytest.mark.conformance, pytest.mark.integration]


@pytest.fixture()
def session(node):
    with LavalinkSession(node.url, node.password) as s:
        yield s


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory):
    return write_tone(tmp_path_factory.mktemp("conformance-audio") / "long.wav", seconds=60)


def test_a_voice_connection_without_a_track_brings_a_player_update(node, sim, session):
    """Koe's gatewayReady (the voice gateway's READY) makes Lavalink send a playerUpdate
    (SocketContext.kt), with no track playing: mafic's Player.connect waits for it."""
    guild = 8391
    session.update_player(guild, {"voice": voice_state(sim, guild)}, timeout=20)
    update = session.wait_for(
        lambda m: m.get("op") == "playerUpdate" and m.get("guildId") == str(guild) and m["state"]["connected"] is True,
        timeout=20,
    )
    assert update["state"]["position"] == 0
    session.destroy_player(guild)


def test_a_close_the_voice_client_does_not_retry_reaches_the_bot(node, sim, session, long_wav):
    guild = 8401
    before = scrape(node.metrics_url)
    connect_and_play(session, sim, [guild], str(long_wav))
    sim.wait_packets(guild, 10, timeout=15)
    assert sim.close(guild, 4006, "session no longer valid")
    closed = session.wait_event("WebSocketClosedEvent", timeout=15)
    assert closed == {
        "op": "event",
        "type": "WebSocketClosedEvent",
        "guildId": str(guild),
        "code": 4006,
        "reason": "session no longer valid",
        "byRemote": True,
    }
    update = session.wait_for(
        lambda m: m.get("op") == "playerUpdate" and m.get("guildId") == str(guild) and m["state"]["connected"] is False
    )
    assert update["state"]["ping"] >= 0  # Koe keeps the last ping of a closed gateway (0 before any ACK)
    s = wait_until(
        node.metrics_url,
        lambda s: delta(before, s, "lavametrics_voice_closes_total", code="4006") > 0,
    )
    # the plugin creates the code's series with its first close: absent before counts as 0
    assert delta(before, s, "lavametrics_voice_closes_total", code="4006") == 1
    session.destroy_player(guild)


def test_a_close_the_voice_client_retries_is_not_reported(node, sim, session, long_wav):
    guild = 8411
    before = scrape(node.metrics_url)
    connect_and_play(session, sim, [guild], str(long_wav))
    sim.wait_packets(guild, 10, timeout=15)
    connections = sim.stats()[str(guild)]
    assert sim.close(guild, 4015, "voice server crashed")
    # Koe opens a new gateway connection for the same guild and the audio resumes
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now = sim.stats()[str(guild)]
        if now["connected"] and now["total_packets"] > connections["total_packets"] + 50:
            break
        time.sleep(0.2)
    assert sim.stats()[str(guild)]["connected"], sim.stats()[str(guild)]
    assert not [
        m for m in session.history if m.get("type") == "WebSocketClosedEvent" and m.get("guildId") == str(guild)
    ]
    s = scrape(node.metrics_url)
    assert total(s, "lavametrics_voice_closes_total") == total(before, "lavametrics_voice_closes_total")
    session.destroy_player(guild)


def test_an_event_queued_while_paused_is_replayed_and_counted_once(node, sim, tmp_path):
    guild = 8421
    short = write_tone(tmp_path / "short.wav", seconds=2)
    before = scrape(node.metrics_url)
    ends = lambda s: (
        value(s, "lavametrics_track_ends_total", source="local", reason="finished")
        - value(before, "lavametrics_track_ends_total", source="local", reason="finished")
    )  # noqa: E731
    first = LavalinkSession(node.url, node.password)
    first.configure_resuming(60)
    connect_and_play(first, sim, [guild], str(short))
    first.wait_event("TrackStartEvent")
    first.close()  # the 2 s track ends while the session is paused
    s = wait_until(node.metrics_url, lambda s: ends(s) >= 1, timeout=20)
    assert ends(s) == 1

    with LavalinkSession(node.url, node.password, session_id=first.session_id) as resumed:
        assert resumed.resumed
        replayed = resumed.wait_event("TrackEndEvent", timeout=10)
        assert replayed["reason"] == "finished" and replayed["guildId"] == str(guild)
        ops = [m.get("op") for m in resumed.history]
        assert ops.index("ready") < ops.index("event"), ops
        # Lavalink passes the queued message to onWebSocketMessageOut again when it replays it, before it
        # calls onWebSocketOpen(resumed): once that open is counted, any second count would be in too
        opens = lambda s: (
            value(s, "lavametrics_session_opens_total", resumed="true")
            - value(before, "lavametrics_session_opens_total", resumed="true")
        )  # noqa: E731
        s = wait_until(node.metrics_url, lambda s: opens(s) >= 1)
        assert opens(s) == 1
        assert ends(s) == 1
        resumed.request("PATCH", f"/v4/sessions/{resumed.session_id}", {"resuming": False})
